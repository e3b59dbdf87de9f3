"""Fixtures for the spaCy side: the label scheme and the default suggester, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.labels import LabelScheme, load_scheme
from annotator.nlp.suggest import Suggester, load_suggester

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def scheme() -> LabelScheme:
    """The default label scheme."""
    return load_scheme(ROOT / "labels" / "conflict.yml")


@pytest.fixture(scope="session")
def suggester(scheme: LabelScheme) -> Suggester:
    """The default suggester with the statistical English pipeline (slow: loads the model)."""
    return load_suggester(scheme=scheme)
