"""Shared fixtures. ``../shared`` (datasets, fixtures, recipes) lies beside the checkout;
REPORTGEN_SHARED overrides where it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REPORTGEN_SHARED", REPO.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data folder not found at {SHARED} (set REPORTGEN_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
