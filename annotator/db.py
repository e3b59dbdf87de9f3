"""The only place that creates engines: SQLite (WAL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator.errors import AnnotatorError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseError(AnnotatorError, RuntimeError):
    """A database URL that names no usable database, or a database that cannot be reached or is
    not at a schema version this code knows; the message never shows a password."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as error:  # ValueError: a port that is no number
        raise DatabaseError(
            f"{_without_password(url)!r} is not a database URL "
            "(use sqlite:///PATH or postgresql://USER@HOST/NAME)"
        ) from error
    if parsed.drivername == "postgresql":
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, **kwargs)
        kwargs.setdefault("pool_pre_ping", True)
        return sa.create_engine(parsed, **kwargs)
    except sa.exc.NoSuchModuleError as error:
        raise DatabaseError(
            f"unknown kind of database {parsed.drivername!r} in {parsed!r} "
            "(use sqlite:///PATH or postgresql://USER@HOST/NAME)"
        ) from error
    except ImportError as error:
        raise DatabaseError(f"no driver installed for the database {parsed!r} ({error})") from error


def _sqlite_engine(url: sa.URL, **kwargs: Any) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(
                f"cannot create the folder of the database {url!r} ({error.strerror or error})"
            ) from error
    kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
    engine = sa.create_engine(url, **kwargs)
    sa.event.listen(engine, "connect", _configure_sqlite)
    return engine


def _without_password(url: str) -> str:
    # A string make_url cannot parse has no URL object to hide the password with.
    return re.sub(r"^([^:/]*://[^:/@]*):.*@", r"\1:***@", url)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
    finally:
        cursor.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to this engine (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is there already."""
    if is_current(engine):
        return
    log.info("migrating %s to the newest schema", engine.url.render_as_string())
    try:
        command.upgrade(alembic_config(engine), "head")
    except sa.exc.DBAPIError as error:
        raise DatabaseError(f"cannot migrate the database {engine.url!r}: {error.orig}") from error


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except sa.exc.DBAPIError as error:  # an unreachable server, bad credentials, a locked file...
        raise DatabaseError(f"cannot open the database {engine.url!r}: {error.orig}") from error
    return current == head


# SQLSTATEs of a PostgreSQL transaction that lost a race and may simply run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
# How often a busy transaction is run again, and the first pause (doubled each time).
BUSY_ATTEMPTS = 5
BUSY_FIRST_PAUSE = 0.2

T = TypeVar("T")


def is_busy(error: BaseException) -> bool:
    """True for an error that says the database was busy, not that the work was wrong:
    SQLite's "database is locked" (its busy timeout ran out), a PostgreSQL serialization
    failure or deadlock."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, sa.exc.OperationalError) and "database is locked" in str(error.orig)


def retrying(
    engine: Engine,
    work: Callable[[Session], T],
    *,
    attempts: int = BUSY_ATTEMPTS,
    first_pause: float = BUSY_FIRST_PAUSE,
) -> T:
    """Run ``work`` in a transaction of its own and return what it returns; when the database
    was busy (``is_busy``), roll back and run it again from the start, up to ``attempts``
    times, pausing ``first_pause`` seconds and twice as long after each further try.

    For a reviewer's save: a long import or another writer holding the database must delay it,
    never lose it. ``work`` must do all its writing through the session it is given.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except sa.exc.DBAPIError as error:
            if attempt == attempts or not is_busy(error):
                raise
            # Jitter: writers that collided do not all come back at the same moment.
            pause = first_pause * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
            log.info("database busy (%s); trying again in %.2f s", error.orig, pause)
            time.sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
