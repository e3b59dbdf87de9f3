"""db.retrying: a transaction that meets a busy database is run again, a wrong one is not."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from annotator.db import is_busy, make_engine, retrying


class Orig(Exception):
    """A driver error carrying a SQLSTATE, as psycopg's do."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def driver_error(sqlstate: str) -> sa.exc.DBAPIError:
    return sa.exc.OperationalError("UPDATE ...", {}, Orig(sqlstate))


@pytest.mark.parametrize(("sqlstate", "busy"), [("40001", True), ("40P01", True), ("23505", False)])
def test_postgres_serialization_failures_and_deadlocks_are_busy(sqlstate, busy):
    assert is_busy(driver_error(sqlstate)) is busy


def test_a_busy_transaction_runs_again_until_it_goes_through(migrated_sqlite_url):
    engine = make_engine(migrated_sqlite_url)
    calls: list[int] = []

    def work(session: Session) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise driver_error("40001")
        return "saved"

    assert retrying(engine, work, first_pause=0.01) == "saved"
    assert len(calls) == 3
    engine.dispose()


def test_an_error_that_is_not_busy_is_raised_at_once(migrated_sqlite_url):
    engine = make_engine(migrated_sqlite_url)
    calls: list[int] = []

    def work(session: Session) -> None:
        calls.append(1)
        raise driver_error("23505")

    with pytest.raises(sa.exc.OperationalError):
        retrying(engine, work, first_pause=0.01)
    assert len(calls) == 1
    engine.dispose()


def test_a_save_that_meets_a_locked_sqlite_database_waits_and_is_stored(migrated_sqlite_url):
    engine = make_engine(migrated_sqlite_url)
    holder = make_engine(migrated_sqlite_url)
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        with holder.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            locked.set()
            release.wait(10)
            connection.exec_driver_sql("ROLLBACK")

    thread = threading.Thread(target=hold_the_write_lock)
    thread.start()
    locked.wait(10)
    threading.Timer(0.5, release.set).start()
    attempts: list[float] = []

    def save(session: Session) -> None:
        attempts.append(time.monotonic())
        # A short busy timeout stands in for the 30 s one: the lock outlasts it.
        session.connection().exec_driver_sql("PRAGMA busy_timeout = 50")
        session.connection().exec_driver_sql(
            "INSERT INTO reviewer (name, role, active, failed_logins, created_at) "
            "VALUES ('ana', 'annotator', 1, 0, CURRENT_TIMESTAMP)"
        )

    retrying(engine, save, first_pause=0.1, attempts=8)
    thread.join()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM reviewer").scalars().all() == ["ana"]
    assert len(attempts) >= 2
    engine.dispose()
    holder.dispose()
