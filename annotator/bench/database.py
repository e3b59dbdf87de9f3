"""Databases for the benchmark: a fresh one per measurement, and big ones filled fast and cached.

SQLite files live in a temporary folder (the big ones in the cache folder); with a PostgreSQL
server the benchmark creates its own databases there and drops the temporary ones at the end.
Big databases are filled with Core bulk inserts of generated reports, sentences, suggestions or
gold, after ``migrate()`` has built the schema, so they hold what an import would have stored.

The statements here are the benchmark's own (bulk loading, clearing decisions between runs):
they bypass ``annotator.repository`` on purpose.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from annotator.bench.corpus import GENERATOR_VERSION, GeneratedReport, reports
from annotator.db import MIGRATIONS_DIR, make_engine, migrate
from annotator.errors import AnnotatorError
from annotator.models import utc_now  # also registers the tables on SQLModel.metadata
from annotator.workflow.gold import import_gold_rows
from annotator.workflow.importing import content_hash

log = logging.getLogger(__name__)

# How fill() builds a database; a change makes cached databases be built again.
FILL_VERSION = 2
MODEL_NAME = "bench_model"
MODEL_VERSION = "1.0"


def _table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


class BenchDatabaseError(AnnotatorError, RuntimeError):
    """A database the benchmark cannot create or use."""


def schema_head() -> str:
    """The newest migration, part of the cache key of a filled database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    return head or "none"


class BenchDatabases:
    """Where the benchmark's databases live: SQLite files, or a PostgreSQL server."""

    def __init__(
        self, *, server_url: str | None, workdir: Path, cache_dir: Path, use_cache: bool = True
    ) -> None:
        self.workdir = workdir
        self.cache_dir = cache_dir
        self.use_cache = use_cache
        self._engines: list[Engine] = []
        self._temporary: list[str] = []
        self._admin: Engine | None = None
        self._server: sa.engine.URL | None = None
        if server_url is not None:
            url = sa.engine.make_url(server_url)
            if url.get_backend_name() != "postgresql":
                raise BenchDatabaseError(
                    f"--db takes a PostgreSQL URL (SQLite is the default), got {server_url!r}"
                )
            self._server = url
            self._admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
            try:
                with self._admin.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
            except sa.exc.OperationalError as error:
                raise BenchDatabaseError(f"cannot reach {server_url}: {error.orig}") from error

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self._server is None else "postgresql"

    def fresh(self, name: str) -> Engine:
        """An empty database at the newest schema, dropped (or deleted) when the run ends."""
        number = len(self._temporary) + 1
        if self._server is None:
            path = self.workdir / f"{number:02d}-{name}.db"
            self._temporary.append(str(path))
            return self._open(f"sqlite:///{path}")
        database = f"annotator_bench_{os.getpid()}_{number}"
        self._create(database)
        self._temporary.append(database)
        return self._open(self._url_of(database))

    def filled(
        self,
        name: str,
        *,
        count: int,
        seed: int,
        categories: Mapping[str, str],
        suggestions: bool = False,
        gold: bool = False,
    ) -> tuple[Engine, str]:
        """A database holding ``count`` generated sentences (with suggestions or gold), and a
        note on where it came from; reused from the cache when it was built before."""
        contents = "-".join(part for part, on in (("sug", suggestions), ("gold", gold)) if on)
        key = (
            f"{name}-{count}-s{seed}-{contents}-r{schema_head()}"
            f"-g{GENERATOR_VERSION}-f{FILL_VERSION}"
        )

        def build(engine: Engine) -> None:
            fill(
                engine,
                count=count,
                seed=seed,
                categories=categories,
                suggestions=suggestions,
                gold=gold,
            )

        if not self.use_cache:
            engine = self.fresh(name)
            build(engine)
            return engine, f"built for this run ({count:,} sentences)"
        if self._server is None:
            return self._cached_sqlite(key, build)
        return self._cached_postgres(key, build)

    def _cached_sqlite(self, key: str, build: Callable[[Engine], None]) -> tuple[Engine, str]:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        path = self.cache_dir / f"{key}.db"
        marker = path.with_name(path.name + ".complete")
        if marker.exists() and path.exists():
            return self._open(f"sqlite:///{path}"), f"reused the cached database {path}"
        # A database without its marker was left half-built by an interrupted run.
        for end in ("", "-wal", "-shm"):
            path.with_name(path.name + end).unlink(missing_ok=True)
        engine = self._open(f"sqlite:///{path}")
        build(engine)
        marker.write_text("complete\n", "utf-8")
        return engine, f"built {path} (cached for later runs)"

    def _cached_postgres(self, key: str, build: Callable[[Engine], None]) -> tuple[Engine, str]:
        assert self._admin is not None
        database = "annotator_bench_" + re.sub(r"[^a-z0-9_]", "_", key.lower())
        database = database[:50] + "_" + hashlib.sha256(key.encode()).hexdigest()[:8]
        with self._admin.connect() as connection:
            found = connection.execute(
                sa.text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = :name"
                ),
                {"name": database},
            ).first()
        if found is not None and found[0] == "complete":
            return self._open(self._url_of(database)), f"reused the cached database {database}"
        if found is not None:
            self._drop(database)
        self._create(database)
        engine = self._open(self._url_of(database))
        build(engine)
        with self._admin.connect() as connection:
            connection.execute(sa.text(f"COMMENT ON DATABASE \"{database}\" IS 'complete'"))
        return engine, f"built the database {database} on the server (kept as a cache)"

    def _url_of(self, database: str) -> str:
        assert self._server is not None
        return self._server.set(database=database).render_as_string(hide_password=False)

    def _create(self, database: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{database}"'))

    def _drop(self, database: str) -> None:
        assert self._admin is not None
        with self._admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

    def _open(self, url: str) -> Engine:
        engine = make_engine(url)
        migrate(engine)
        self._engines.append(engine)
        return engine

    def close(self) -> None:
        """Dispose of every engine and drop the temporary databases."""
        for engine in self._engines:
            engine.dispose()
        self._engines.clear()
        if self._admin is not None:
            for database in self._temporary:
                self._drop(database)
            self._admin.dispose()
        self._temporary.clear()


def _chunks(items: Iterable[GeneratedReport], size: int) -> Iterator[list[GeneratedReport]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def fill(
    engine: Engine,
    *,
    count: int,
    seed: int,
    categories: Mapping[str, str],
    suggestions: bool = False,
    gold: bool = False,
) -> None:
    """Bulk-insert ``count`` generated sentences (their reports, and optionally a suggestion or
    gold per sentence: the generated gold) into an empty, migrated database."""
    now = utc_now()
    sentence_id = 0
    for chunk in _chunks(reports(count, seed=seed, categories=categories), 2000):
        report_rows: list[dict[str, Any]] = []
        sentence_rows: list[dict[str, Any]] = []
        span_rows: list[dict[str, Any]] = []
        for report in chunk:
            report_rows.append(
                {
                    "id": report.number,
                    "content_hash": content_hash(report.text, split=True),
                    "source": report.source,
                    "text": report.text,
                    "meta": {},
                    "n_sentences": len(report.sentences),
                    "created_at": now,
                }
            )
            for position, (sentence, (start, end)) in enumerate(
                zip(report.sentences, report.offsets, strict=True)
            ):
                sentence_id += 1
                sentence_rows.append(
                    {
                        "id": sentence_id,
                        "report_id": report.number,
                        "position": position,
                        "start_char": start,
                        "end_char": end,
                        "text": sentence.text,
                        "content_hash": hashlib.sha256(sentence.text.encode()).hexdigest(),
                        "n_annotations": 0,
                    }
                )
                if suggestions or gold:
                    span_rows.append(
                        {"id": sentence_id, "sentence_id": sentence_id, **sentence.rows()}
                    )
        with engine.begin() as connection:
            connection.execute(sa.insert(_table("report")), report_rows)
            connection.execute(sa.insert(_table("sentence")), sentence_rows)
            if suggestions:
                connection.execute(
                    sa.insert(_table("suggestion")),
                    [
                        {
                            **row,
                            "model_name": MODEL_NAME,
                            "model_version": MODEL_VERSION,
                            "created_at": now,
                        }
                        for row in span_rows
                    ],
                )
            if gold:
                # Through the one writer of gold, which also closes the sentences to routing.
                with Session(bind=connection) as session:
                    import_gold_rows(session=session, rows=span_rows)
                    session.flush()
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            # Ids were given explicitly: move the sequences past them, then gather statistics.
            for name in ("report", "sentence", "suggestion", "gold"):
                connection.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE((SELECT max(id) FROM {name}), 0) + 1, false)"
                    )
                )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE"))


def clear_decisions(engine: Engine) -> None:
    """Remove every annotation, its history, claim and gold, and reset the routing counts, so
    that a cached database starts each run as it was built."""
    with engine.begin() as connection:
        # The lexicon's votes go with the annotations; their tallies are cleared with them.
        for name in ("annotation_version", "annotation", "claim", "gold", "lexicon_tally"):
            connection.execute(sa.delete(_table(name)))
        sentence = _table("sentence")
        connection.execute(
            sa.update(sentence).where(sentence.c.n_annotations > 0).values(n_annotations=0)
        )
