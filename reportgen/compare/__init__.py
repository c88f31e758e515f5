"""Compare several results files: matching, ratios to a baseline file, comparability notes.

``compare(files, baseline)`` is the entry point (``reportgen.compare.model``); the Chinese
comparison document is built from its result by ``reportgen.compare.view`` and
``reportgen.compare.document``.
"""

from reportgen.compare.matching import CaseKey, case_key, model_id, model_name
from reportgen.compare.model import Comparison, Ratio, Source, compare, newcombe, wilson

__all__ = ["CaseKey", "Comparison", "Ratio", "Source", "case_key", "compare", "model_id", "model_name", "newcombe", "wilson"]
