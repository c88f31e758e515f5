"""Secrets in imported text: the one redaction step lives in ``reportgen.redact``."""

from __future__ import annotations

from reportgen.redact import MASK, redact, redact_optional

__all__ = ["MASK", "redact", "redact_optional"]
