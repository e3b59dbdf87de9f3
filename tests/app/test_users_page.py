"""The users page: admins add accounts and change them; the rules keep someone able to manage
them, and nobody else gets the page."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from annotator import repository
from annotator.cli import app
from annotator.db import session_scope
from annotator.models import utc_now
from annotator.workflow import accounts

PASSWORD = "correct horse battery"


@pytest.fixture
def engine(app_database):
    """A database with one account per role: ana (annotator), judy (adjudicator), root (admin)."""
    app_database.add_accounts(
        {"ana": "annotator", "judy": "adjudicator", "root": "admin"}, password=PASSWORD
    )
    return app_database.engine


@pytest.fixture
def open_page(run_page):
    """The users page, logged in as ``name``."""

    def open_users(name: str = "root") -> AppTest:
        return run_page("pages/users.py", name)

    return open_users


def stored(engine, name: str):
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name=name)
        assert reviewer is not None
        session.expunge(reviewer)
    return reviewer


def log_in(engine, name: str, password: str) -> accounts.Account:
    with session_scope(engine) as session:
        return accounts.authenticate(session=session, name=name, password=password)


def table(at: AppTest) -> dict[str, dict[str, object]]:
    frame = at.dataframe[0].value
    return {row["name"]: row for row in frame.to_dict("records")}


def add(at: AppTest, name: str, role: str, password: str, confirm: str | None = None) -> AppTest:
    at.text_input(key="users_add_name").input(name)
    at.selectbox(key="users_add_role").set_value(role)
    at.text_input(key="users_add_password").input(password)
    at.text_input(key="users_add_confirm").input(password if confirm is None else confirm)
    at.button(key="users_add_submit").click().run()
    assert not at.exception
    return at


def pick(at: AppTest, name: str) -> AppTest:
    return at.selectbox(key="users_change_reviewer").set_value(name).run()


def test_an_added_account_stores_an_argon2_hash_that_logs_in(engine, open_page):
    at = add(open_page(), "ben", "adjudicator", "a long enough password")
    assert [s.value for s in at.success] == ["Created ben (adjudicator)."]
    assert not at.error
    ben = stored(engine, "ben")
    assert ben.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in ben.password_hash
    assert log_in(engine, "ben", "a long enough password").role == "adjudicator"
    assert table(at)["ben"]["role"] == "adjudicator"
    # The form forgets what was typed, so the password does not linger in the page.
    assert at.text_input(key="users_add_password").value == ""


def test_a_short_password_is_refused_and_nothing_is_stored(engine, open_page):
    at = add(open_page(), "ben", "annotator", "short")
    assert [e.value for e in at.error] == [
        f"A password needs at least {accounts.MIN_PASSWORD_LENGTH} characters; nothing changed."
    ]
    with session_scope(engine) as session:
        assert repository.reviewer_named(session=session, name="ben") is None
    assert "ben" not in table(at)


def test_a_mistyped_confirmation_is_refused(engine, open_page):
    at = add(open_page(), "ben", "annotator", "a long enough password", "a long enough pass")
    assert [e.value for e in at.error] == ["The two passwords differ; nothing changed."]
    with session_scope(engine) as session:
        assert repository.reviewer_named(session=session, name="ben") is None


def test_a_taken_name_is_refused(engine, open_page):
    at = add(open_page(), "Ben", "annotator", "a long enough password")
    at = add(at, "Ben", "admin", "another long password")
    assert [e.value for e in at.error] == ["Reviewer 'Ben' already exists; nothing changed."]
    assert stored(engine, "Ben").role == "annotator"
    assert log_in(engine, "Ben", "a long enough password").name == "Ben"


def test_demoting_the_last_admin_is_refused(engine, open_page):
    at = pick(open_page(), "root")
    at.selectbox(key="users_change_role_root").set_value("annotator")
    at.button(key="users_change_set_role").click().run()
    assert not at.exception
    (error,) = at.error
    assert "'root' is the last active admin and cannot be demoted" in error.value
    assert stored(engine, "root").role == "admin"
    at.button(key="users_change_active").click().run()
    assert "'root' is the last active admin and cannot be deactivated" in at.error[0].value
    assert stored(engine, "root").active


def test_an_admin_cannot_lock_themselves_out_but_can_remove_another_admin(engine, open_page):
    at = add(open_page(), "ada", "admin", "a long enough password")
    pick(at, "root")
    at.selectbox(key="users_change_role_root").set_value("adjudicator")
    at.button(key="users_change_set_role").click().run()
    assert [e.value for e in at.error] == [
        "You cannot demote your own account (ask another admin); nothing changed."
    ]
    assert stored(engine, "root").role == "admin"
    pick(at, "ada")
    at.button(key="users_change_active").click().run()
    assert [s.value for s in at.success] == ["ada can no longer log in."]
    with pytest.raises(accounts.LoginFailed):
        log_in(engine, "ada", "a long enough password")
    assert table(at)["ada"]["active"] is False
    # Now root is the last admin: the label follows, and reactivating works.
    assert at.button(key="users_change_active").label == "Reactivate"
    at.button(key="users_change_active").click().run()
    assert log_in(engine, "ada", "a long enough password").role == "admin"


def test_a_role_change_applies_at_once(engine, open_page):
    at = pick(open_page(), "ana")
    at.selectbox(key="users_change_role_ana").set_value("adjudicator")
    at.button(key="users_change_set_role").click().run()
    assert [s.value for s in at.success] == ["ana is now adjudicator."]
    assert table(at)["ana"]["role"] == "adjudicator"
    assert log_in(engine, "ana", PASSWORD).role == "adjudicator"


def test_unlocking_forgets_failed_logins(engine, open_page):
    with session_scope(engine) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        for _ in range(accounts.MAX_FAILURES):
            repository.count_login_attempt(session=session, reviewer_id=ana.id, now=utc_now())
        repository.lock_reviewer(
            session=session, reviewer_id=ana.id, until=utc_now() + timedelta(minutes=5)
        )
    at = pick(open_page(), "ana")
    row = table(at)["ana"]
    assert row["failed logins"] == accounts.MAX_FAILURES and row["locked until"] is not None
    with pytest.raises(accounts.LockedOut):
        log_in(engine, "ana", PASSWORD)
    assert not at.button(key="users_change_unlock").disabled
    at.button(key="users_change_unlock").click().run()
    assert [s.value for s in at.success] == ["ana is unlocked; their failed logins are forgotten."]
    row = table(at)["ana"]
    assert row["failed logins"] == 0 and row["locked until"] is None
    assert log_in(engine, "ana", PASSWORD).name == "ana"


def test_a_reset_password_replaces_the_old_one(engine, open_page):
    at = pick(open_page(), "judy")
    at.text_input(key="users_change_password").input("a brand new password")
    at.text_input(key="users_change_confirm").input("a brand new password")
    at.button(key="users_change_set_password").click().run()
    assert [s.value for s in at.success] == [
        "The password of judy is changed (and any lock lifted)."
    ]
    assert log_in(engine, "judy", "a brand new password").name == "judy"
    with pytest.raises(accounts.LoginFailed):
        log_in(engine, "judy", PASSWORD)


def test_the_table_counts_each_reviewers_annotations(engine, tmp_path, open_page):
    lines = [
        {"text": text, "answer": "accept", "_annotator_id": "ana"}
        for text in ("Troops fled Bago.", "Police arrested 12 students.")
    ]
    path = tmp_path / "annotations.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    url = os.environ["ANNOTATOR_DATABASE_URL"]
    result = CliRunner().invoke(app, ["import", "--db", url, "--no-suggest", str(path)])
    assert result.exit_code == 0, result.output
    rows = table(open_page())
    assert {name: row["annotations"] for name, row in rows.items()} == {
        "ana": 2,
        "judy": 0,
        "root": 0,
    }


@pytest.mark.parametrize("name", ["ana", "judy"])
def test_only_admins_get_the_page(engine, name, open_page):
    at = open_page(name)
    assert not at.exception
    role = stored(engine, name).role
    assert [e.value for e in at.error] == [f"This page is not open to the {role} role."]
    assert not at.header and not at.dataframe and not at.text_input and not at.button
