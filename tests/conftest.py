"""Shared fixtures: the label scheme, real SQLite and PostgreSQL databases (migrated ones copied
from a template migrated once per test session), the real pipeline, Debian's Chromium for the
browser tests, and cheap password hashes."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
# The cheapest argon2id. The production cost, about 0.1 s for every account created and every
# login, adds up over the hundreds of them the tests make.
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
    """A new SQLite database file, not created yet: what a first run of the command sees."""
    return f"sqlite:///{tmp_path / 'annotator.db'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test session (per xdist worker), to copy from."""
    path = tmp_path_factory.mktemp("template") / "annotator.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    # The last connection closed has written SQLite's write-ahead log into the file: it is whole.
    assert not path.with_name(f"{path.name}-wal").exists()
    return path


@pytest.fixture
def migrated_sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A SQLite database at the newest schema, with no rows: a copy of the session's template."""
    path = tmp_path / "migrated.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@contextmanager
def _postgres_database(*, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database on the local server (a copy of ``template``), dropped after."""
    admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    # A random name, so that xdist workers and other test runs on the same server never clash.
    name = f"annotator_test_{uuid.uuid4().hex[:12]}"
    copied = f' TEMPLATE "{template}"' if template is not None else ""
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{copied}'))
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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database (no schema yet), dropped afterwards."""
    with _postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated once per test session, to copy from."""
    with _postgres_database() as url:
        engine = make_engine(url)
        migrate(engine)
        # CREATE DATABASE ... TEMPLATE refuses a template anyone is connected to.
        engine.dispose()
        yield str(sa.engine.make_url(url).database)


@pytest.fixture
def migrated_postgres_url(postgres_template: str) -> Iterator[str]:
    """A PostgreSQL database at the newest schema, with no rows: a copy of the session's
    template, dropped afterwards."""
    with _postgres_database(template=postgres_template) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Each database the product supports, one after the other."""
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
    return str(request.param)


@pytest.fixture
def db_url(database_kind: str, request: pytest.FixtureRequest) -> str:
    """A new, empty database of each kind: what a first run sees (migrating is left to the test)."""
    return str(request.getfixturevalue(f"{database_kind}_url"))


@pytest.fixture
def migrated_db_url(database_kind: str, request: pytest.FixtureRequest) -> str:
    """A database of each kind at the newest schema, with no rows (copied from a template)."""
    return str(request.getfixturevalue(f"migrated_{database_kind}_url"))


@pytest.fixture
def engine(migrated_db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database of each kind."""
    engine = make_engine(migrated_db_url)
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


@dataclass(frozen=True)
class TrainedVersion:
    """A model version trained once per test session, to register in any test's database."""

    gold: Path  # what it was trained on: tests/data/loop_train.jsonl
    path: str  # its pipeline (model-best)
    metrics: dict[str, Any]  # as stored on the version, with its dev split (dev_reports)
    gold_count: int
    # The same pipeline as a version trained before trained suggesters kept the rules: its
    # meta names no combination, so its 40-step components replace the rules (and score badly).
    replacing: str


@pytest.fixture(scope="session")
def trained_version(tmp_path_factory: pytest.TempPathFactory) -> TrainedVersion:
    """Version 1, trained briefly from scratch on the gold of tests/data/loop_train.jsonl
    through the real training loop (~20 s, once per session and xdist worker)."""
    from annotator.config import Settings
    from annotator.db import session_scope
    from annotator.formats import read_records
    from annotator.nlp.train import TrainSettings
    from annotator.workflow import GoldPolicy, import_records, training

    folder = tmp_path_factory.mktemp("trained_version")
    url = f"sqlite:///{folder / 'annotator.db'}"
    engine = make_engine(url)
    migrate(engine)
    gold = ROOT / "tests" / "data" / "loop_train.jsonl"
    settings = Settings.from_env().with_overrides(database_url=url)
    scheme = load_scheme(DEFAULT_LABELS)
    with session_scope(engine) as session:
        import_records(
            session=session,
            records=read_records([gold], scheme=scheme, gold=True),
            scheme=scheme,
            policy=GoldPolicy.of(settings),
            gold=True,
        )
    version = training.train_from_gold(
        engine=engine,
        settings=settings,
        output=folder / "v1",
        train_settings=TrainSettings(base=None, max_steps=40, eval_frequency=20, patience=40),
    )
    engine.dispose()
    replacing = folder / "replacing"
    shutil.copytree(version.path, replacing)
    meta = json.loads((replacing / "meta.json").read_text(encoding="utf-8"))
    meta.get("annotator", {}).pop("combination", None)
    (replacing / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return TrainedVersion(
        gold=gold,
        path=version.path,
        metrics=version.metrics,
        gold_count=version.gold_count,
        replacing=str(replacing),
    )
