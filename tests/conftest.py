"""Shared fixtures and the repository's data folders: the test suite needs nothing outside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATASETS = REPO / "datasets"  # the accuracy data sets with their licences (datasets/README.md)
FIXTURES = REPO / "tests" / "fixtures"  # real tool outputs with their sources (tests/fixtures/README.md)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
