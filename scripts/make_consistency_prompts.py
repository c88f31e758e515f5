#!/usr/bin/env python3
"""Write the consistency check's prompt set (collectors/consistency/prompts-v1.json) from datasets/.

The draw is seeded, so running this again on the same data writes the same bytes
(tests/test_consistency_prompts.py rebuilds it and compares). A changed set is a new set: give it
a new name in collectors/consistency/prompt_set.py, since references recorded on the old one
keep its hash.

Usage: scripts/make_consistency_prompts.py [--data datasets] [-o collectors/consistency/prompts-v1.json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from collectors.consistency.prompt_set import PROMPT_SET_FILE, build_prompt_set, prompt_set_json  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO / "datasets")
    ap.add_argument("-o", "--output", type=Path, default=PROMPT_SET_FILE)
    args = ap.parse_args()
    ps = build_prompt_set(args.data)
    args.output.write_text(prompt_set_json(ps), encoding="utf-8")
    zh = sum(p.lang == "zh" for p in ps.prompts)
    print(f"{args.output}: {len(ps.prompts)} prompts ({zh} Chinese, {len(ps.prompts) - zh} English), sha256 {ps.sha256}")


if __name__ == "__main__":
    main()
