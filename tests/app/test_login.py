"""The login gate, through the whole app (app.py): who sees which page, rate limiting, and
login sessions (logging out, deactivating, a new password; a link that opens after login).

AppTest cannot send cookies (``st.context.cookies`` is always empty under it): a second tab is
a second AppTest holding the same token; the cookie itself is tested in the browser
(tests/e2e/test_sessions_in_browser.py)."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from annotator import repository
from annotator.db import session_scope
from annotator.models import LoginSession, utc_now
from annotator.ui import auth
from annotator.workflow import accounts

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture
def database(app_database):
    """No reports yet; ana (annotator) and root (admin) can log in."""
    app_database.add_accounts({"ana": "annotator", "root": "admin"}, password=PASSWORD)
    return app_database.engine


def open_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()


def log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    (button,) = [b for b in at.button if b.label == "Log in"]
    return button.click().run()


def reload(at: AppTest) -> AppTest:
    """Open the app's address again in the same browser session.

    After a rerun AppTest serves the page it finished on; asking for app.py runs the entry point
    with its navigation, as a browser does.
    """
    return at.switch_page("app.py").run()


def headers(at: AppTest) -> list[str]:
    return [h.value for h in at.header]


def test_a_visitor_sees_only_the_login_page(database):
    at = open_app()
    assert not at.exception
    assert headers(at) == ["Log in"]
    assert not at.get("bidi_component") and not at.get("file_uploader")
    # The navigation holds the login page (at every page's address) and nothing else: no other
    # page can be switched to.
    with pytest.raises(
        ValueError, match=r"Known pages: \['[^']*pages/login.py'(, '[^']*pages/login.py')*\]"
    ):
        at.switch_page("pages/reports.py")


def test_login_opens_the_app_and_logout_closes_it(database):
    at = log_in(open_app(), "ana", PASSWORD)
    assert not at.exception and not at.error
    assert isinstance(at.session_state["auth_reviewer_id"], int)
    assert isinstance(at.session_state[auth.SESSION], str)
    reload(at)
    assert not at.exception and headers(at) != ["Log in"]
    assert [s.value for s in at.success] == ["No reports yet: import some first."]
    assert any("Logged in as **ana** (annotator)" in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="auth_logout").click().run()
    assert "auth_reviewer_id" not in at.session_state
    assert headers(at) == ["Log in"]


def test_a_wrong_password_is_rejected_and_repeated_failures_lock_the_account(database):
    at = open_app()
    for _ in range(accounts.MAX_FAILURES - 1):
        log_in(at, "ana", "wrong password")
        assert [e.value for e in at.error] == ["Wrong name or password."]
        assert headers(at) == ["Log in"]
    log_in(at, "ana", "wrong password")
    # The lock says nothing of itself: a locked name reads like an unknown one.
    assert [e.value for e in at.error] == ["Wrong name or password."]
    log_in(at, "ana", PASSWORD)  # even the right password waits until the lock ends
    assert [e.value for e in at.error] == ["Wrong name or password."]
    assert headers(at) == ["Log in"]
    with session_scope(database) as session:
        ana = repository.reviewer_named(session=session, name="ana")
        assert ana.failed_logins == accounts.MAX_FAILURES and ana.locked_until is not None


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(database):
    at = log_in(open_app(), "nobody", PASSWORD)
    assert [e.value for e in at.error] == ["Wrong name or password."]


def test_an_annotator_cannot_open_the_import_page_even_by_its_path(database):
    at = log_in(open_app(), "ana", PASSWORD)
    page = AppTest.from_file(str(ROOT / "pages" / "reports.py"), default_timeout=60)
    page.session_state[auth.SESSION] = at.session_state[auth.SESSION]
    page.run()
    assert not page.exception
    assert [e.value for e in page.error] == ["This page is not open to the annotator role."]
    assert not page.get("file_uploader")


def test_an_admin_can_open_the_import_page(database):
    at = reload(log_in(open_app(), "root", PASSWORD))
    at.switch_page("pages/reports.py").run()
    assert not at.exception and at.get("file_uploader")


def second_tab(first: AppTest) -> AppTest:
    """Another browser session holding the same login, as a second tab (or a reload) gets it
    from the cookie."""
    tab = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    tab.session_state[auth.SESSION] = first.session_state[auth.SESSION]
    return tab.run()


def logged_in(at: AppTest) -> bool:
    return any("Logged in as" in c.value for c in at.sidebar.caption)


def test_logging_out_in_one_tab_logs_the_other_out_at_its_next_run(database):
    first = reload(log_in(open_app(), "ana", PASSWORD))
    other = second_tab(first)
    assert logged_in(first) and logged_in(other)
    first.sidebar.button(key="auth_logout").click().run()
    assert headers(first) == ["Log in"]
    other.run()
    assert headers(other) == ["Log in"] and not logged_in(other)
    assert auth.SESSION not in other.session_state


@pytest.mark.parametrize("change", ["deactivated and reactivated", "given a new password"])
def test_an_account_changed_by_an_admin_is_logged_out_at_its_next_run(database, change):
    at = reload(log_in(open_app(), "ana", PASSWORD))
    assert logged_in(at)
    with session_scope(database) as session:
        if change == "given a new password":
            accounts.set_password(session=session, name="ana", password="a new password, long")
        else:
            accounts.set_active(session=session, name="ana", active=False)
            accounts.set_active(session=session, name="ana", active=True)
    at.run()
    assert headers(at) == ["Log in"] and not logged_in(at)


def test_a_login_lasts_the_configured_hours(database, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_SESSION_HOURS", "2")
    before = utc_now()
    log_in(open_app(), "ana", PASSWORD)
    with session_scope(database) as session:
        (login,) = session.exec(select(LoginSession)).all()
    lasts = login.expires_at.replace(tzinfo=UTC) - before
    assert timedelta(hours=2) <= lasts < timedelta(hours=2, minutes=1)


REPORT = "Troops shelled Moebye on Monday. Residents fled to Loikaw."


def test_a_link_to_a_sentence_opens_there_after_login(database, app_database, tmp_path, scheme):
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["sentence"] = "2"
    # A new tab at /adjudicate?sentence=2. Every AppTest run is a fresh server's first, where
    # Streamlit runs pages/adjudicate.py by itself ("Please log in first.", no form).
    at.switch_page("pages/adjudicate.py").run()
    assert not at.exception and not at.error
    assert headers(at) == ["Log in"]
    log_in(at, "root", PASSWORD)
    assert not at.exception and not at.error
    assert headers(at) == ["Adjudicate"]
    assert at.query_params["sentence"] == "2"
    # Sentence 2 is open (not the empty queue's nothing): nobody has decided it yet.
    assert "No reviewer has decided this sentence yet: there is nothing to adjudicate." in [
        i.value for i in at.info
    ]


OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a long random string kept out of git",
    "client_id": "conflict-annotator",
    "client_secret": "not a real secret",
    "server_metadata_url": "https://id.example.org/.well-known/openid-configuration",
}


def with_identity_provider(user: dict[str, object] | None = None) -> AppTest:
    """The app as run where secrets.toml configures an identity provider for st.login."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = OIDC
    at.user = user if user is not None else {"is_logged_in": False}
    return at.run()


def test_an_identity_provider_in_the_secrets_adds_its_login_button(database):
    at = with_identity_provider()
    assert headers(at) == ["Log in"]
    assert [b.label for b in at.button] == ["Log in with your organisation account", "Log in"]
    # Without a provider only the password form is offered.
    assert [b.label for b in open_app().button] == ["Log in"]


def test_a_provider_login_opens_the_app_as_an_annotator_account(database):
    at = with_identity_provider({"is_logged_in": True, "email": "kyaw@example.org"})
    assert not at.exception and headers(at) != ["Log in"]
    assert any("**kyaw@example.org** (annotator)" in c.value for c in at.sidebar.caption)
    with session_scope(database) as session:
        kyaw = repository.reviewer_named(session=session, name="kyaw@example.org")
        assert kyaw.role == "annotator" and kyaw.password_hash is None
    with pytest.raises(ValueError, match="Known pages"):
        at.switch_page("pages/reports.py")


def test_a_deactivated_provider_account_is_refused(database):
    with session_scope(database) as session:
        accounts.identity_account(session=session, name="kyaw@example.org")
        repository.reviewer_named(session=session, name="kyaw@example.org").active = False
    at = with_identity_provider({"is_logged_in": True, "email": "kyaw@example.org"})
    assert headers(at) == ["Log in"]
    assert [e.value for e in at.error] == ["the account 'kyaw@example.org' is deactivated"]
