"""Shared fixtures: the label scheme, real SQLite and PostgreSQL databases, the real pipeline,
Debian's Chromium for the browser tests, and cheap password hashes."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from annotator.config import DEFAULT_LABELS, DEFAULT_MODEL, DEFAULT_PATTERNS
from annotator.db import make_engine, migrate
from annotator.labels import LabelScheme, load_scheme
from annotator.workflow import accounts

POSTGRES_SERVER = os.environ.get(
    "ANNOTATOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parent.parent
# The cheapest argon2id: the production cost (about 0.1 s a hash) times the hundreds of accounts the
# tests create and log in to would be minutes of hashing.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def in_ci() -> bool:
    """CI must run every test: a missing service there is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason on a developer machine; fail in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI must run this test)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with CHEAP_HASHER, except in tests marked ``production_hashes``."""
    if request.node.get_closest_marker("production_hashes") is None:
        monkeypatch.setattr(accounts, "password_hasher", CHEAP_HASHER)


@pytest.fixture(scope="session")
def scheme() -> LabelScheme:
    """The default label scheme."""
    return load_scheme(DEFAULT_LABELS)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file."""
    return f"sqlite:///{tmp_path / 'annotator.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database on the local server, dropped afterwards."""
    admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"annotator_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        skip_or_fail(f"no PostgreSQL server answers at {POSTGRES_SERVER}: {error.orig}")
    url = sa.engine.make_url(POSTGRES_SERVER).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each database the product supports, one after the other."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database."""
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium for the browser tests (Playwright's own download is not used)."""
    path = shutil.which("chromium")
    if path is None:
        skip_or_fail("no Chromium found (apt-get install chromium); the browser tests need it")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def suggester(scheme: LabelScheme):  # type: ignore[no-untyped-def]
    """The real default suggester (statistical pipeline and rules), loaded once."""
    from annotator.nlp.suggest import load_suggester

    return load_suggester(DEFAULT_MODEL, scheme=scheme, patterns_dir=DEFAULT_PATTERNS)
