"""reportgen: measure an accelerator card for LLM inference and write the Chinese evaluation document.

The public surface is the results model and its load/save functions; everything else
lives in modules behind it (``reportgen.cli`` for the command line). They are imported on
first use (PEP 562), so ``import reportgen`` imports nothing at all: the command line answers
Ctrl-C with one line from its first instant (``reportgen.__main__``).
"""

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing's own constant would import typing here
if TYPE_CHECKING:  # pragma: no cover
    from reportgen.errors import ReportgenError
    from reportgen.results import SCHEMA_VERSION, Results, ResultsStore, load_results, save_results

_LAZY = {
    "ReportgenError": "reportgen.errors",
    "SCHEMA_VERSION": "reportgen.results",
    "Results": "reportgen.results",
    "ResultsStore": "reportgen.results",
    "load_results": "reportgen.results",
    "save_results": "reportgen.results",
}

__all__ = [
    "SCHEMA_VERSION",
    "ReportgenError",
    "Results",
    "ResultsStore",
    "__version__",
    "load_results",
    "save_results",
]


def __getattr__(name):  # type: ignore[no-untyped-def]
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
