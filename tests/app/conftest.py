"""Fixtures of the page tests: the database the app finds through ANNOTATOR_DATABASE_URL (a
migrated SQLite file under tmp_path), accounts with roles, imported records, and a page run by
Streamlit's AppTest as a logged-in reviewer.

A page test asks for ``app_database``, fills it, and runs pages with ``run_page``::

    def test_an_annotator_is_refused(app_database, run_page):
        app_database.add_accounts({"ana": "annotator"}, password=PASSWORD)
        at = run_page("pages/adjudicate.py", "ana")

Each test file keeps what is its own: the records its page shows (a ``database`` fixture built on
``app_database``) and an ``open_page`` fixture with its page's defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.ui import auth
from annotator.workflow import GoldPolicy, accounts

ROOT = Path(__file__).resolve().parents[2]
# Time a page may take to run once before AppTest gives up; a page that hangs fails after it.
PAGE_TIMEOUT = 120.0


@dataclass(frozen=True)
class AppDatabase:
    """The database the pages under test use, and the ways a test fills it."""

    url: str
    engine: Engine

    def add_accounts(self, roles: Mapping[str, str], *, password: str) -> None:
        """Accounts that log in with ``password``, by name and role: ``{"ana": "annotator"}``."""
        with session_scope(self.engine) as session:
            for name, role in roles.items():
                accounts.create_reviewer(session=session, name=name, password=password, role=role)

    def import_file(self, path: Path, *, scheme: LabelScheme, gold: bool = False) -> None:
        """Import a file of reports or records as ``annotator import --no-suggest`` does."""
        with session_scope(self.engine) as session:
            workflow.import_records(
                session=session,
                records=read_records([path], scheme=scheme, gold=gold),
                scheme=scheme,
                policy=GoldPolicy.of(Settings.from_env()),
                gold=gold,
            )

    def login_session(self, name: str) -> str:
        """A login session of the reviewer of this name: the token the login gate keeps."""
        reviewer_id = self.reviewer_id(name)
        with session_scope(self.engine) as session:
            return accounts.open_session(session=session, reviewer_id=reviewer_id, hours=1)

    def reviewer_id(self, name: str) -> int:
        """The id of the reviewer of this name."""
        with session_scope(self.engine) as session:
            reviewer = repository.reviewer_named(session=session, name=name)
        assert reviewer is not None and reviewer.id is not None, f"no reviewer named {name!r}"
        return reviewer.id


@pytest.fixture
def app_database(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppDatabase]:
    """A migrated, empty SQLite database that the pages open (ANNOTATOR_DATABASE_URL)."""
    monkeypatch.setenv("ANNOTATOR_DATABASE_URL", migrated_sqlite_url)
    # The pages cache the engine and settings per process: each test starts from none.
    st.cache_resource.clear()
    engine = make_engine(migrated_sqlite_url)
    yield AppDatabase(url=migrated_sqlite_url, engine=engine)
    engine.dispose()
    st.cache_resource.clear()


@pytest.fixture
def run_page(app_database: AppDatabase) -> Callable[..., AppTest]:
    """Run a page (a script under the project root) with AppTest, logged in as a reviewer."""

    def open_(
        page: str,
        reviewer: str | None = None,
        *,
        query: Mapping[str, object] | None = None,
        state: Mapping[str, Any] | None = None,
        navigation: bool = False,
        timeout: float = PAGE_TIMEOUT,
    ) -> AppTest:
        """``reviewer`` is who logged in (None: a visitor); ``query`` the link's parameters,
        ``state`` more session state; ``navigation`` opens the page through app.py's navigation,
        as a browser does, so that links to other pages resolve."""
        at = AppTest.from_file(
            str(ROOT / ("app.py" if navigation else page)), default_timeout=timeout
        )
        if reviewer is not None:
            # What the login gate keeps once a reviewer has logged in (tests/app/test_login.py).
            at.session_state[auth.SESSION] = app_database.login_session(reviewer)
        for key, value in (state or {}).items():
            at.session_state[key] = value
        for name, value in (query or {}).items():
            at.query_params[name] = str(value)
        if navigation:
            at.switch_page(page)
        return at.run()

    return open_
