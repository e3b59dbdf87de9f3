"""Backups: the whole database in one file while reviewers keep saving, and back again.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``), PostgreSQL with
``pg_dump --format=custom``; each reads one snapshot, so a backup is consistent while others
write, and its counts are read in that same snapshot. A copy of the live SQLite file is no
backup: in WAL mode the latest commits live in the ``-wal`` file beside it.

Restoring goes into an empty database of the same kind, then migrates it to the newest schema
(a backup made by an older annotator upgrades). A backup file says what it is by its first
bytes: SQLite's header or pg_dump's.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from annotator import repository
from annotator.db import alembic_config, migrate
from annotator.errors import AnnotatorError

log = logging.getLogger(__name__)

Kind = Literal["sqlite", "postgresql"]
KIND_NAMES: dict[Kind, str] = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# The first bytes of each kind of backup file: how restore knows what it was given.
SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
# Debian installs each PostgreSQL version's client tools here, off the PATH.
POSTGRES_BIN = Path("/usr/lib/postgresql")


class BackupError(AnnotatorError, RuntimeError):
    """A backup that cannot be written, or a file that cannot be restored where it was asked to
    go; the message names the file and the database (never its password)."""


@dataclass(frozen=True)
class Contents:
    """How many rows of each kind a backup holds."""

    reviewers: int
    reports: int
    annotation_versions: int
    gold: int
    model_versions: int

    def describe(self) -> str:
        """The counts in one line, for people."""
        return (
            f"{self.reviewers} reviewer(s), {self.reports} report(s), "
            f"{self.annotation_versions} annotation version(s), {self.gold} gold, "
            f"{self.model_versions} model version(s)"
        )


@dataclass(frozen=True)
class BackupSummary:
    """What ``backup`` wrote: the file, its kind and size in bytes, the schema and the rows."""

    path: Path
    kind: Kind
    size: int
    revision: str
    contents: Contents


@dataclass(frozen=True)
class RestoreSummary:
    """What ``restore`` brought back: the file, the database (its URL without the password),
    the schema the backup had and the one the database has now, and the rows."""

    path: Path
    database: str
    kind: Kind
    from_revision: str
    revision: str
    contents: Contents


# --- backing up ---------------------------------------------------------------------------


def backup(*, engine: Engine, path: Path) -> BackupSummary:
    """Write the whole database to ``path``, consistent while others write; the file appears
    whole or not at all (an earlier file at ``path`` is replaced)."""
    kind = kind_of(engine)
    path = Path(path)
    if kind == "sqlite":
        _refuse_the_live_file(engine, path)
    temporary = _temporary_next_to(path)
    try:
        with _snapshot(engine) as connection:
            revision = _revision_of(connection)
            if revision is None:
                raise BackupError(f"the database {engine.url!r} has no annotator schema to back up")
            contents = _contents_of(connection)
            if kind == "sqlite":
                _copy_sqlite(connection, temporary)
            else:
                _dump_postgres(engine, connection, temporary)
        _move_into_place(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    size = path.stat().st_size
    log.info("backed up %r to %s (%d bytes, schema %s)", engine.url, path, size, revision)
    return BackupSummary(path=path, kind=kind, size=size, revision=revision, contents=contents)


def kind_of(engine: Engine) -> Kind:
    """Which kind of database ``engine`` opens; other kinds have no backup."""
    for kind in KIND_NAMES:
        if engine.dialect.name == kind:
            return kind
    raise BackupError(
        f"cannot back up or restore a {engine.dialect.name} database ({engine.url!r})"
    )


def _refuse_the_live_file(engine: Engine, path: Path) -> None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    live = Path(database).expanduser().resolve()
    # Replacing the live file would leave every open connection writing to a deleted one.
    if path.expanduser().resolve() in {live, live.with_name(f"{live.name}-wal")}:
        raise BackupError(f"{path} is the database itself; write the backup to another file")


def _temporary_next_to(path: Path) -> Path:
    """An empty file beside ``path`` (same file system, so that renaming it is atomic),
    readable by this user only: a backup holds every password hash."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    except OSError as error:
        raise BackupError(f"cannot write the backup {path} ({error.strerror or error})") from error
    os.close(descriptor)
    return Path(name)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads one snapshot of the database until the block ends."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # pysqlite opens a transaction before writes only; a read snapshot needs a BEGIN
                # (held from the first read on, and shared with the backup API on this connection).
                connection.exec_driver_sql("BEGIN")
            else:
                connection.execution_options(isolation_level="REPEATABLE READ")
            try:
                yield connection
            finally:
                connection.rollback()
    except sa.exc.DBAPIError as error:
        raise BackupError(f"cannot read the database {engine.url!r}: {error.orig}") from error


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _contents_of(connection: Connection) -> Contents:
    # The session joins the connection's transaction: it counts in the backup's snapshot.
    with Session(bind=connection) as session:
        return Contents(**repository.count_kept_rows(session=session))


def _copy_sqlite(connection: Connection, target_path: Path) -> None:
    source = connection.connection.driver_connection
    assert isinstance(source, sqlite3.Connection)
    target = sqlite3.connect(target_path)
    try:
        # All pages in one step: the snapshot of the connection's open read transaction.
        source.backup(target)
        # The copy carries the live file's WAL flag; a backup is one self-contained file.
        target.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"cannot write the backup {target_path}: {error}") from error
    finally:
        target.close()


def _dump_postgres(engine: Engine, connection: Connection, target_path: Path) -> None:
    # pg_dump reads the very snapshot this transaction counted in.
    snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    with _libpq_address(engine.url) as address:
        _run(
            [
                _client("pg_dump"),
                "--format=custom",
                f"--file={target_path}",
                f"--snapshot={snapshot}",
                "--no-password",
                f"--dbname={address}",
            ],
            doing=f"pg_dump of {engine.url!r}",
        )


def _move_into_place(temporary: Path, path: Path) -> None:
    try:
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a power cut
        finally:
            os.close(folder)
    except OSError as error:
        raise BackupError(f"cannot write the backup {path} ({error.strerror or error})") from error


# --- restoring ----------------------------------------------------------------------------


def restore(*, engine: Engine, path: Path) -> RestoreSummary:
    """Bring a backup back into an empty database of its kind, then migrate it to the newest
    schema; a database that holds anything is refused and left as it was."""
    kind = kind_of(engine)
    path = Path(path)
    found = kind_of_file(path)
    if found != kind:
        raise BackupError(
            f"{path} is a {KIND_NAMES[found]} backup and {engine.url!r} a {KIND_NAMES[kind]} "
            f"database; restore it into a {KIND_NAMES[found]} database (moving a database "
            "between SQLite and PostgreSQL is not supported)"
        )
    from_revision = _sqlite_file_revision(path) if kind == "sqlite" else _archive_revision(path)
    _check_known(from_revision, path=path, engine=engine)
    _check_empty(engine)
    if kind == "sqlite":
        _load_sqlite(path, engine)
    else:
        _load_postgres(path, engine)
    migrate(engine)
    with _snapshot(engine) as connection:
        revision = _revision_of(connection) or ""
        contents = _contents_of(connection)
    log.info("restored %s into %r (schema %s -> %s)", path, engine.url, from_revision, revision)
    return RestoreSummary(
        path=path,
        database=repr(engine.url),
        kind=kind,
        from_revision=from_revision,
        revision=revision,
        contents=contents,
    )


def kind_of_file(path: Path) -> Kind:
    """Which kind of backup ``path`` is, by its first bytes."""
    try:
        with Path(path).open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        raise BackupError(f"no backup file {path}") from None
    except OSError as error:
        raise BackupError(f"cannot read the backup {path} ({error.strerror or error})") from error
    if header == SQLITE_HEADER:
        return "sqlite"
    if header.startswith(PG_DUMP_HEADER):
        return "postgresql"
    raise BackupError(
        f"{path} is not a backup: neither a SQLite database nor a pg_dump custom-format archive "
        "(annotator backup writes one of those)"
    )


def _sqlite_file_revision(path: Path) -> str:
    try:
        source = _open_read_only(path)
        try:
            # Alembic's own table: read before the file is anything of ours.
            row = source.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            source.close()
    except sqlite3.Error as error:
        raise BackupError(f"{path} is not a backup of an annotator database ({error})") from error
    if row is None:
        raise BackupError(f"{path} is not a backup of an annotator database (no schema revision)")
    return str(row[0])


def _archive_revision(path: Path) -> str:
    """The schema revision a pg_dump archive holds: the one row of its alembic_version."""
    script = _run(
        [_client("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        doing=f"reading {path}",
    )
    lines = script.splitlines()
    for number, line in enumerate(lines[:-1]):
        if line.startswith("COPY ") and "alembic_version" in line and lines[number + 1] != r"\.":
            return lines[number + 1].strip()
    raise BackupError(f"{path} is not a backup of an annotator database (no schema revision)")


def _check_known(revision: str, *, path: Path, engine: Engine) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    if revision not in {script.revision for script in scripts.walk_revisions()}:
        raise BackupError(
            f"{path} holds schema {revision}, which this annotator does not know (a newer "
            "version wrote it); restore it with that version"
        )


def _check_empty(engine: Engine) -> None:
    """Refuse a database that holds tables other than an empty annotator schema."""
    try:
        with engine.connect() as connection:
            tables = sorted(sa.inspect(connection).get_table_names())
            if not tables:
                return
            if "alembic_version" not in tables:
                raise BackupError(
                    f"the database {engine.url!r} holds tables that are not the annotator's "
                    f"({', '.join(tables[:5])}); restore into a new, empty database"
                )
            contents = _contents_of(connection)
    except sa.exc.DBAPIError as error:
        raise BackupError(f"cannot open the database {engine.url!r}: {error.orig}") from error
    if any(astuple(contents)):
        raise BackupError(
            f"the database {engine.url!r} is not empty ({contents.describe()}); restore only "
            "into a new, empty database"
        )


def _load_sqlite(path: Path, engine: Engine) -> None:
    raw = engine.raw_connection()
    try:
        target = raw.driver_connection
        assert isinstance(target, sqlite3.Connection)
        source = _open_read_only(path)
        try:
            # Page by page over the whole target, its empty schema (if any) included.
            source.backup(target)
        finally:
            source.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore {path} into {engine.url!r}: {error}") from error
    finally:
        raw.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def _load_postgres(path: Path, engine: Engine) -> None:
    # An empty annotator schema goes first, by its own migrations: the archive brings its own,
    # and tables of a newer schema would stand in the way of migrating an older one.
    if _has_tables(engine):
        try:
            command.downgrade(alembic_config(engine), "base")
        except sa.exc.DBAPIError as error:
            raise BackupError(
                f"cannot empty the schema of {engine.url!r} to restore into: {error.orig}"
            ) from error
    with _libpq_address(engine.url) as address:
        _run(
            [
                _client("pg_restore"),
                "--no-owner",
                "--no-privileges",
                # Only alembic_version is left of the schema to drop (the migrations keep it).
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-password",
                f"--dbname={address}",
                str(path),
            ],
            doing=f"pg_restore of {path} into {engine.url!r}",
        )
    engine.dispose()  # pooled connections may hold plans of the tables just replaced


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(sa.inspect(connection).get_table_names())


# --- PostgreSQL's client tools ------------------------------------------------------------


def _client(name: str) -> str:
    """The path of a PostgreSQL client tool: on the PATH, else Debian's newest."""
    found = shutil.which(name)
    if found is not None:
        return found
    versions = [
        tool
        for tool in POSTGRES_BIN.glob(f"*/bin/{name}")
        if tool.parent.parent.name.isdigit() and os.access(tool, os.X_OK)
    ]
    if not versions:
        raise BackupError(
            f"{name} not found: install PostgreSQL's client tools (apt-get install "
            "postgresql-client), of the server's version or newer"
        )
    return str(max(versions, key=lambda tool: int(tool.parent.parent.name)))


@contextmanager
def _libpq_address(url: sa.URL) -> Iterator[str]:
    """The database URL as libpq reads it, without the password: that goes into a passfile
    only this user can read, for as long as the block runs (a command line is anyone's to
    read in the process list)."""
    # Built anew: URL.set keeps the password when given None.
    address = sa.URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=url.query,
    )
    if url.password is None:
        yield address.render_as_string(hide_password=False)
        return
    with tempfile.TemporaryDirectory(prefix="annotator-pgpass-") as folder:
        passfile = Path(folder) / "pgpass"
        descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(f"*:*:*:*:{_pgpass_field(str(url.password))}\n")
        passing = address.update_query_dict({"passfile": str(passfile)})
        yield passing.render_as_string(hide_password=False)


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _run(arguments: Sequence[str], *, doing: str) -> str:
    """Run a client tool; its standard output, or a BackupError with its first complaint."""
    try:
        done = subprocess.run(arguments, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupError(f"{doing} failed: cannot run {arguments[0]} ({error})") from error
    if done.returncode != 0:
        complaints = [line for line in done.stderr.splitlines() if "error:" in line]
        said = (complaints or done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[0]
        raise BackupError(f"{doing} failed: {said.strip()}")
    return done.stdout
