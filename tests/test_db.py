"""The database: migrations match the models, SQLite is configured, constraints hold."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from annotator.db import is_current, make_engine, migrate


def test_migrations_create_exactly_the_models_schema(engine):
    assert is_current(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrate_is_idempotent(engine):
    migrate(engine)
    assert is_current(engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_refuses_bad_rows(engine):
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO sentence"
                " (report_id, position, start_char, end_char, text, content_hash)"
                " VALUES (12345, 0, 0, 5, 'x', 'h')"
            )
        )
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO report (content_hash, source, text, meta, n_sentences, created_at)"
                " VALUES ('h', 's', 't', '{}', 1, CURRENT_TIMESTAMP)"
            )
        )
        report_id = connection.execute(sa.text("SELECT id FROM report")).scalar()
        connection.execute(
            sa.text(
                "INSERT INTO sentence"
                " (report_id, position, start_char, end_char, text, content_hash)"
                f" VALUES ({report_id}, 0, 5, 5, 'x', 'h')"
            )
        )


def test_postgres_url_without_driver_uses_psycopg():
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/postgres")
    assert engine.url.drivername == "postgresql+psycopg"
