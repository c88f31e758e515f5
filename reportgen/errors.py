"""The exception tree of reportgen.

Every error that a user can cause (bad input, an unreachable host, a server that
misbehaves) is one of these; the CLI turns them into one line and an exit status.

* ReportgenError            -- base class; ``exit_code`` is the CLI's exit status
  * ResultsError            -- a results file cannot be loaded or saved
    * ResultsSchemaError    -- the file is not a valid results document
  * InputFormatError        -- an input file (benchmark log, eval log, plan) cannot be parsed
  * HostError               -- a machine cannot be reached or a command on it failed (collectors)
  * ServerError             -- an inference server is unreachable or answers wrongly (collectors)
  * RenderError             -- a document cannot be written
  * CompareError            -- results files cannot be compared
"""

from __future__ import annotations


class ReportgenError(Exception):
    """Base class of all errors reportgen reports to users as one line."""

    exit_code = 2


class ResultsError(ReportgenError):
    """A results file cannot be read or written."""


class ResultsSchemaError(ResultsError):
    """A results file is malformed, too new, or misses required fields."""


class InputFormatError(ReportgenError):
    """An input file (benchmark log, eval log, plan) cannot be parsed."""


class HostError(ReportgenError):
    """A host cannot be reached, or a command on it failed."""


class ServerError(ReportgenError):
    """An inference server cannot be reached or answered unusably."""


class RenderError(ReportgenError):
    """A document cannot be rendered or written."""


class CompareError(ReportgenError):
    """Results files cannot be compared (fewer than two, or nothing in common)."""
