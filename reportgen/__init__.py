"""reportgen: measure an accelerator card for LLM inference and write the Chinese evaluation document.

The public surface is the results model and its load/save functions; everything else
lives in modules behind it (``reportgen.cli`` for the command line).
"""

__version__ = "0.1.0"

from reportgen.errors import ReportgenError  # noqa: E402
from reportgen.results import (  # noqa: E402
    SCHEMA_VERSION,
    Results,
    ResultsStore,
    load_results,
    save_results,
)

__all__ = [
    "SCHEMA_VERSION",
    "ReportgenError",
    "Results",
    "ResultsStore",
    "__version__",
    "load_results",
    "save_results",
]
