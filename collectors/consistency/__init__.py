"""The consistency check against a reference card: the prompt set, the requests, the recording of a
reference and the comparison of a card with it (``reportgen reference record``, ``reportgen
consistency``, the ``collect`` stage ``consistency``). The arithmetic and the verdict are pure
functions in ``reportgen.consistency``."""
