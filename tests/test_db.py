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


def test_upgrading_a_database_with_data_keeps_it_and_backfills_counts(db_url):
    from alembic import command

    from annotator.db import alembic_config

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO report (content_hash, source, text, meta, n_sentences, created_at)"
                " VALUES ('h', 'r.txt', 'Troops fled.', '{}', 1, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO sentence"
                " (report_id, position, start_char, end_char, text, content_hash)"
                " SELECT id, 0, 0, 12, 'Troops fled.', 'h' FROM report"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO reviewer (name, role, created_at)"
                " VALUES ('ana', 'annotator', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO annotation (sentence_id, reviewer_id, status, entities, events,"
                " categories, seconds, version, created_at, updated_at)"
                " SELECT s.id, r.id, 'accept', '[]', '[]', '[]', 1.0, 1, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP FROM sentence s, reviewer r"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO gold (sentence_id, source, entities, events, categories,"
                " created_at, updated_at)"
                " SELECT id, 'accepted', '[]', '[]', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
                " FROM sentence"
            )
        )
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT n_annotations FROM sentence")).scalar() == 1
        assert connection.execute(sa.text("SELECT version FROM gold")).scalar() == 1
        assert connection.execute(sa.text("SELECT active FROM reviewer")).scalar() in (True, 1)
    engine.dispose()
