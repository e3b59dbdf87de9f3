"""Accounts: hashing, logging in with a rate limit, roles, the first admin and `users add`."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from annotator import repository
from annotator.cli import app
from annotator.db import make_engine, session_scope
from annotator.models import LoginSession, utc_now
from annotator.workflow import accounts

PASSWORD = "correct horse battery"


def test_a_hash_verifies_its_password_only():
    stored = accounts.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.verify_password(stored, PASSWORD)
    assert not accounts.verify_password(stored, "wrong password")
    assert not accounts.verify_password("not a hash", PASSWORD)


@pytest.mark.production_hashes
def test_passwords_are_hashed_with_argon2id_at_rfc_9106_low_memory_cost():
    stored = accounts.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts.verify_password(stored, PASSWORD)


def test_the_other_tests_hash_cheaply():
    assert accounts.hash_password(PASSWORD).startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_each_role_opens_its_pages():
    assert accounts.can("annotator", "annotate")
    for page in ("adjudicate", "export", "reports", "users", "models"):
        assert not accounts.can("annotator", page)
    assert accounts.can("adjudicator", "adjudicate") and not accounts.can("adjudicator", "users")
    assert all(accounts.can("admin", page) for page in accounts.PERMISSIONS)
    assert not accounts.can("admin", "a page nobody listed")


def test_login_and_lockout_with_doubling(engine):
    with session_scope(engine) as session:
        ana = accounts.create_reviewer(
            session=session, name="ana", password=PASSWORD, role="annotator"
        )
    now = utc_now()

    def attempt(password: str, at=now) -> accounts.Account:  # type: ignore[no-untyped-def]
        with session_scope(engine) as session:
            try:
                return accounts.authenticate(session=session, name="ana", password=password, now=at)
            except accounts.LoginFailed:
                session.commit()
                raise

    def locked_until():  # type: ignore[no-untyped-def]
        with session_scope(engine) as session:
            stored = repository.reviewer_named(session=session, name="ana")
            return stored.locked_until and stored.locked_until.replace(tzinfo=UTC)

    assert attempt(PASSWORD) == ana
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(accounts.LoginFailed) as failed:
            attempt("wrong password")
        assert not isinstance(failed.value, accounts.LockedOut)
    assert locked_until() is None
    with pytest.raises(accounts.LoginFailed):
        attempt("wrong password")
    assert locked_until() == now + timedelta(seconds=accounts.LOCK_SECONDS)
    with pytest.raises(accounts.LockedOut):
        attempt(PASSWORD)  # the right password waits too
    later = now + timedelta(seconds=accounts.LOCK_SECONDS + 1)
    with pytest.raises(accounts.LoginFailed):
        attempt("wrong password", later)
    assert locked_until() == later + timedelta(seconds=2 * accounts.LOCK_SECONDS)
    with pytest.raises(accounts.LockedOut):
        attempt(PASSWORD, later + timedelta(seconds=accounts.LOCK_SECONDS))
    much_later = later + timedelta(seconds=2 * accounts.LOCK_SECONDS + 1)
    assert attempt(PASSWORD, much_later) == ana
    with session_scope(engine) as session:
        stored = repository.reviewer_named(session=session, name="ana")
        assert stored.failed_logins == 0 and stored.locked_until is None


def test_the_lock_doubles_up_to_an_hour():
    assert accounts.lock_seconds(accounts.MAX_FAILURES) == accounts.LOCK_SECONDS
    assert accounts.lock_seconds(accounts.MAX_FAILURES + 2) == 4 * accounts.LOCK_SECONDS
    assert accounts.lock_seconds(accounts.MAX_FAILURES + 40) == accounts.MAX_LOCK_SECONDS


class CountingHasher(PasswordHasher):
    """The tests' cheap hasher, counting the guesses verified against one stored hash; each takes
    as long as a production hash (so that parallel attempts overlap as they would)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.watched: str | None = None
        self.guesses = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        if hash == self.watched:
            with self._lock:
                self.guesses += 1
        time.sleep(0.05)
        return super().verify(hash, password)


@pytest.fixture
def counting_hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "password_hasher", hasher)
    return hasher


def watch_guesses_on(engine: Engine, hasher: CountingHasher, name: str) -> None:
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name=name)
        assert reviewer is not None
        hasher.watched = reviewer.password_hash


def try_login(engine: Engine, name: str, password: str) -> accounts.Account | None:
    """One login attempt as the login page makes it: the failure count committed either way."""
    with session_scope(engine) as session:
        try:
            return accounts.authenticate(session=session, name=name, password=password)
        except accounts.LoginFailed:
            return None


def test_parallel_wrong_passwords_get_no_more_guesses_than_the_limit(engine, counting_hasher):
    with session_scope(engine) as session:
        accounts.create_reviewer(session=session, name="ana", password=PASSWORD, role="annotator")
    watch_guesses_on(engine, counting_hasher, "ana")
    start = threading.Barrier(20)

    def guess(number: int) -> None:
        start.wait()
        try_login(engine, "ana", f"wrong guess {number}")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counting_hasher.guesses == accounts.MAX_FAILURES
    with session_scope(engine) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        assert ana.failed_logins == accounts.MAX_FAILURES and ana.locked_until is not None


def test_a_locked_account_does_not_even_try_the_password(engine, counting_hasher):
    with session_scope(engine) as session:
        accounts.create_reviewer(session=session, name="ana", password=PASSWORD, role="annotator")
    watch_guesses_on(engine, counting_hasher, "ana")
    for _ in range(accounts.MAX_FAILURES):
        assert try_login(engine, "ana", "wrong password") is None
    assert counting_hasher.guesses == accounts.MAX_FAILURES
    assert try_login(engine, "ana", PASSWORD) is None
    assert try_login(engine, "ana", "another wrong password") is None
    assert counting_hasher.guesses == accounts.MAX_FAILURES


def test_unknown_locked_and_deactivated_names_get_one_message(engine):
    with session_scope(engine) as session:
        for name in ("ana", "ben", "cy"):
            accounts.create_reviewer(
                session=session, name=name, password=PASSWORD, role="annotator"
            )
        accounts.set_active(session=session, name="cy", active=False)
    for _ in range(accounts.MAX_FAILURES):
        try_login(engine, "ben", "wrong password")

    def message(name: str, password: str) -> str:
        with session_scope(engine) as session:
            with pytest.raises(accounts.LoginFailed) as failed:
                accounts.authenticate(session=session, name=name, password=password)
        return str(failed.value)

    answers = {
        "a wrong password": message("ana", "wrong password"),
        "an unknown name": message("nobody", PASSWORD),
        "a locked account, wrong password": message("ben", "wrong password"),
        "a locked account, right password": message("ben", PASSWORD),
        "a deactivated account": message("cy", PASSWORD),
    }
    assert set(answers.values()) == {"wrong name or password"}, answers


@pytest.mark.parametrize("password", [" " * 8, "\t" * 10, " \n \u3000 \u00a0    "])
def test_a_password_of_whitespace_is_refused(engine, password):
    with session_scope(engine) as session:
        with pytest.raises(accounts.AccountError, match="only spaces"):
            accounts.create_reviewer(session=session, name="ana", password=password, role="admin")
        accounts.create_reviewer(session=session, name="ben", password=PASSWORD, role="admin")
        with pytest.raises(accounts.AccountError, match="only spaces"):
            accounts.set_password(session=session, name="ben", password=password)
    # A password that has spaces, and something else, is a password.
    with session_scope(engine) as session:
        accounts.set_password(session=session, name="ben", password="  a b c d  ")


def add_ana(engine: Engine) -> int:
    with session_scope(engine) as session:
        return accounts.create_reviewer(
            session=session, name="ana", password=PASSWORD, role="annotator"
        ).id


def session_account(engine: Engine, token: str, at=None):  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        return accounts.account_of_session(session=session, token=token, now=at)


def test_a_login_session_opens_its_account_until_it_expires(engine):
    ana_id = add_ana(engine)
    start = utc_now()
    with session_scope(engine) as session:
        token = accounts.open_session(session=session, reviewer_id=ana_id, hours=12, now=start)
    assert len(token) == 43
    assert session_account(engine, token, start + timedelta(hours=11)).name == "ana"
    assert session_account(engine, token, start + timedelta(hours=12, seconds=1)) is None
    assert session_account(engine, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert session_account(engine, "not a token") is None
    # The database holds the token's hash, never the token a cookie carries.
    with session_scope(engine) as session:
        (row,) = session.exec(select(LoginSession)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token


def test_logging_out_ends_that_session_only(engine):
    ana_id = add_ana(engine)
    with session_scope(engine) as session:
        first = accounts.open_session(session=session, reviewer_id=ana_id, hours=12)
        second = accounts.open_session(session=session, reviewer_id=ana_id, hours=12)
    with session_scope(engine) as session:
        accounts.end_session(session=session, token=first)
    assert session_account(engine, first) is None
    assert session_account(engine, second).name == "ana"


def test_deactivating_an_account_or_a_new_password_ends_every_session(engine):
    ana_id = add_ana(engine)
    with session_scope(engine) as session:
        tokens = [
            accounts.open_session(session=session, reviewer_id=ana_id, hours=12) for _ in "ab"
        ]
    with session_scope(engine) as session:
        accounts.set_active(session=session, name="ana", active=False)
    assert [session_account(engine, token) for token in tokens] == [None, None]
    with session_scope(engine) as session:
        accounts.set_active(session=session, name="ana", active=True)
    # Coming back needs a new login: the old sessions stay ended.
    assert [session_account(engine, token) for token in tokens] == [None, None]
    with session_scope(engine) as session:
        token = accounts.open_session(session=session, reviewer_id=ana_id, hours=12)
    with session_scope(engine) as session:
        accounts.set_password(session=session, name="ana", password="a new password, long")
    assert session_account(engine, token) is None


def test_a_new_login_drops_the_sessions_that_ended(engine):
    ana_id = add_ana(engine)
    start = utc_now()
    with session_scope(engine) as session:
        old = accounts.open_session(session=session, reviewer_id=ana_id, hours=1, now=start)
        out = accounts.open_session(session=session, reviewer_id=ana_id, hours=12, now=start)
        accounts.end_session(session=session, token=out)
    with session_scope(engine) as session:
        live = accounts.open_session(
            session=session, reviewer_id=ana_id, hours=12, now=start + timedelta(hours=2)
        )
        kept = session.exec(select(LoginSession.token_hash)).all()
    assert kept == [hashlib.sha256(live.encode()).hexdigest()]
    assert session_account(engine, old, start) is None


def test_names_roles_and_passwords_are_checked(engine):
    with session_scope(engine) as session:
        accounts.create_reviewer(session=session, name="ana", password=PASSWORD, role="admin")
        with pytest.raises(accounts.AccountError, match="already exists"):
            accounts.create_reviewer(session=session, name="ana", password=PASSWORD, role="admin")
        with pytest.raises(accounts.AccountError, match="unknown role"):
            accounts.create_reviewer(session=session, name="ben", password=PASSWORD, role="root")
        with pytest.raises(accounts.AccountError, match="at least"):
            accounts.create_reviewer(
                session=session, name="ben", password="short", role="annotator"
            )
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(session=session, name="nobody", password=PASSWORD)


def test_the_first_admin_is_created_once(engine):
    with session_scope(engine) as session:
        password = accounts.ensure_admin(session=session)
        assert password and accounts.ensure_admin(session=session) is None
        admin = accounts.authenticate(session=session, name="admin", password=password)
    assert admin.role == "admin"


def test_identity_provider_users_become_annotators(engine):
    with session_scope(engine) as session:
        first = accounts.identity_account(session=session, name="ana@example.org")
        again = accounts.identity_account(session=session, name="ana@example.org")
    assert first == again and first.role == "annotator"


def test_users_add_reads_the_password_from_stdin_never_argv(sqlite_url):
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["users", "add", "ben", "--role", "adjudicator", "--db", sqlite_url],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        ben = accounts.authenticate(session=session, name="ben", password=PASSWORD)
    assert ben.role == "adjudicator"
    bad = runner.invoke(
        app, ["users", "add", "cy", "--role", "root", "--db", sqlite_url], input=PASSWORD + "\n"
    )
    assert bad.exit_code == 1 and "unknown role" in bad.output
    taken = runner.invoke(app, ["users", "add", "ben", "--db", sqlite_url], input=PASSWORD + "\n")
    assert taken.exit_code == 1 and "already exists" in taken.output
    listing = runner.invoke(app, ["users", "list", "--db", sqlite_url])
    assert "ben" in listing.output and "adjudicator" in listing.output
    engine.dispose()
