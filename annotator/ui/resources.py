"""Shared, cached resources for the pages: settings, the engine (migrated once), the scheme."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator.config import Settings
from annotator.db import make_engine, migrate, session_scope
from annotator.labels import LabelScheme, load_scheme

if TYPE_CHECKING:
    from annotator.nlp.suggest import Suggester


def settings() -> Settings:
    """The settings, read from the environment on every run (cheap)."""
    return Settings.from_env()


@st.cache_resource(show_spinner="Opening the database...")
def engine_for(url: str) -> Engine:
    """One engine per database URL per process, at the newest schema."""
    engine = make_engine(url)
    migrate(engine)
    return engine


@st.cache_resource(show_spinner=False)
def scheme_at(path: str, modified: float) -> LabelScheme:
    """The label scheme at ``path``; reloaded when the file changes."""
    del modified  # part of the cache key only
    return load_scheme(path)


def engine() -> Engine:
    """The engine of the configured database."""
    return engine_for(settings().database_url)


def scheme() -> LabelScheme:
    """The configured label scheme."""
    path = Path(settings().labels_path)
    return scheme_at(str(path), path.stat().st_mtime if path.exists() else 0.0)


@contextmanager
def session() -> Iterator[Session]:
    """One committed-on-success session for a page run or a callback."""
    with session_scope(engine()) as db_session:
        yield db_session


# Two entries: the active version and the one it replaced, for sessions still mid-run.
@st.cache_resource(show_spinner="Loading the spaCy pipeline...", max_entries=2)
def suggester_for(model: str, labels_path: str, patterns_dir: str) -> Suggester:
    """The suggester, loaded once per process and settings."""
    from annotator.nlp.suggest import load_suggester

    return load_suggester(model, scheme=load_scheme(labels_path), patterns_dir=Path(patterns_dir))


def suggester() -> Suggester:
    """The suggester of the active model version, else of the configured model."""
    from annotator.workflow import training

    # Keyed by the pipeline path: making another version active switches every page at once.
    current = settings()
    model = training.suggester_model(engine=engine(), settings=current)
    return suggester_for(model, str(current.labels_path), str(current.patterns_dir))
