"""Pure parsers: tool output text -> values. One module per tool family."""

from collectors.hardware.parsers._common import ParseError, SmiDevice, SmiReport

__all__ = ["ParseError", "SmiDevice", "SmiReport"]
