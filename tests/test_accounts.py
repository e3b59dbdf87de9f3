"""Accounts: hashing, logging in with a rate limit, roles, the first admin and `users add`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from annotator import repository
from annotator.cli import app
from annotator.db import make_engine, session_scope
from annotator.models import utc_now
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

    assert attempt(PASSWORD) == ana
    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(accounts.LoginFailed) as failed:
            attempt("wrong password")
        assert not isinstance(failed.value, accounts.LockedOut)
    with pytest.raises(accounts.LockedOut) as locked:
        attempt("wrong password")
    assert locked.value.until == now + timedelta(seconds=accounts.LOCK_SECONDS)
    with pytest.raises(accounts.LockedOut):
        attempt(PASSWORD)  # the right password waits too
    later = now + timedelta(seconds=accounts.LOCK_SECONDS + 1)
    with pytest.raises(accounts.LockedOut) as again:
        attempt("wrong password", later)
    assert again.value.until == later + timedelta(seconds=2 * accounts.LOCK_SECONDS)
    much_later = later + timedelta(seconds=2 * accounts.LOCK_SECONDS + 1)
    assert attempt(PASSWORD, much_later) == ana
    with session_scope(engine) as session:
        stored = repository.reviewer_named(session=session, name="ana")
        assert stored.failed_logins == 0 and stored.locked_until is None


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
