"""Alembic environment: runs migrations on the engine handed over by annotator.db."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from annotator import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from annotator.db import make_engine

target_metadata = SQLModel.metadata
config = context.config


def run_migrations_online() -> None:
    """Run against the engine in config.attributes, or one made from sqlalchemy.url."""
    engine = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite migrations copy tables to alter them; with foreign keys on, dropping the old
            # copy would cascade-delete the rows that point at it. Off for the migration only.
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with broken references: {broken[:5]}")
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them on a database")
run_migrations_online()
