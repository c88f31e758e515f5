"""Hardware and environment facts of the machine under test (section 1 of the document)."""
