"""Does the card compute what a reference card computes? The pure part of the consistency check.

* ``prompts``: a prompt and a prompt set, with the hashes that identify them;
* ``reference``: the reference file (``reportgen reference record``), read and written;
* ``metrics``: per-position comparisons (top-1, KL of the top-k distributions, |Δ logprob|) and
  the per-pass summary (first-token agreement, exact match, common prefix, ...);
* ``verdict``: thresholds per precision, the verdict 一致 / 存在偏差 / 不一致 and
  ``consistency_verdict(results)`` for the 结论.

The requests themselves are made by ``collectors.consistency``.
"""
