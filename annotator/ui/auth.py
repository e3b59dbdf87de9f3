"""The login gate: who is logged in, and the checks every page runs before it shows anything.

A password login opens a login session (:func:`annotator.workflow.accounts.open_session`). Its
token is kept in this browser session's state and in a cookie (:mod:`annotator.ui.session_cookie`),
so that a reload, a second tab or a restarted server finds the login again; every run looks the
token up in the database, so that logging out in one tab, a deactivation or a new password ends
the login in every tab at its next run.

Where ``.streamlit/secrets.toml`` has an ``[auth]`` section, ``st.login`` (OpenID Connect) is
offered as well; Streamlit's own identity cookie keeps that login.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from annotator.config import PROJECT_ROOT
from annotator.ui import render, resources, session_cookie
from annotator.ui.errors import guarded, show_error
from annotator.workflow import accounts

# The token of this browser session's login.
SESSION = "auth_session"
# The reviewer the gate found on its last run, for callbacks (they run before the gate does).
ACCOUNT = "auth_reviewer_id"
# A token found ended: it is not looked up again, and the cookie still holding it is cleared.
ENDED = "auth_ended_session"
COOKIE_KEY = "auth_cookie"
APP = (PROJECT_ROOT / "app.py").resolve()


def oidc_configured() -> bool:
    """True when secrets.toml configures an identity provider for ``st.login``."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, OSError):
        return False
    except Exception:  # a secrets file that does not parse: no provider, log in by password
        return False


def _identity_name() -> str | None:
    """The email (or name) of a user logged in through the identity provider."""
    if not oidc_configured():
        return None
    user: Any = st.user
    if not user.get("is_logged_in"):
        return None
    value = user.get("email") or user.get("name")
    return str(value) if value else None


def _session_token() -> str | None:
    """This browser session's login token, else the one its cookie brought (unless ended)."""
    token = st.session_state.get(SESSION)
    if isinstance(token, str):
        return token
    sent = session_cookie.sent_token()
    return sent if sent is not None and sent != st.session_state.get(ENDED) else None


def current_account() -> accounts.Account | None:
    """The logged-in reviewer, read from the database on every run (so that logging out
    elsewhere, a role change or a deactivation applies at once); None when nobody is."""
    token = _session_token()
    if token is not None:
        with resources.session() as session:
            account = accounts.account_of_session(session=session, token=token)
        if account is not None:
            st.session_state[SESSION] = token
            st.session_state[ACCOUNT] = account.id
            return account
        _forget(token)
    name = _identity_name()
    if name is None:
        return None
    try:
        with resources.session() as session:
            account = accounts.identity_account(session=session, name=name)
    except accounts.LoginFailed as error:
        show_error(error)
        return None
    st.session_state[ACCOUNT] = account.id
    return account


def _forget(token: str) -> None:
    st.session_state.pop(SESSION, None)
    st.session_state.pop(ACCOUNT, None)
    st.session_state[ENDED] = token


def _run_through_the_gate() -> None:
    """Run app.py, and this page through its navigation, when Streamlit ran this page alone.

    Until app.py's ``st.navigation`` has run once in a server process, Streamlit takes pages/ for
    a multipage app of its first kind: the first visitors of a fresh server who ask for
    /adjudicate get pages/adjudicate.py run by itself, without the gate, its login form and its
    menu (AppTest starts every run that way). Switching that mode off, as ``st.navigation``
    does, and running app.py in this same run (as Streamlit runs it inside that mode at "/")
    sends the address, its query and any click through the gate; this run of the page ends.
    """
    if _ran_alone():
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()


def _ran_alone() -> bool:
    # Streamlit's navigation of pages/ lists the main script, app.py, as a page; app.py's own
    # never does. Asked of this run, not of the process: several sessions can start at once on
    # a fresh server, all of them that way.
    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    paths = (page.get("script_path") for page in ctx.pages_manager.get_pages().values())
    return any(path and Path(path).resolve() == APP for path in paths)


def require_login() -> accounts.Account:
    """The logged-in reviewer; stops the page for a visitor who is not logged in."""
    _run_through_the_gate()
    account = current_account()
    if account is None:
        show_error("Please log in first.")
        st.stop()
    assert account is not None
    return account


def require_role(*roles: str) -> accounts.Account:
    """The logged-in reviewer, if their role is one of ``roles``; otherwise the page stops."""
    account = require_login()
    if account.role not in roles:
        show_error(f"This page is not open to the {account.role} role.")
        st.stop()
    return account


def require_page(page: str) -> accounts.Account:
    """The logged-in reviewer, if their role may open ``page`` (see accounts.PERMISSIONS)."""
    return require_role(*accounts.PERMISSIONS.get(page, frozenset()))


def log_in(name: str, password: str) -> str | None:
    """Try a name and password and open a login session; None when logged in, else the reason
    to show."""
    with resources.session() as session:
        # Caught inside the session, so that the count of failed logins is committed.
        try:
            account = accounts.authenticate(session=session, name=name, password=password)
        except accounts.LoginFailed as error:
            reason = str(error)  # not str.capitalize(): it would lowercase names
            return f"{reason[:1].upper()}{reason[1:]}."
        token = accounts.open_session(
            session=session, reviewer_id=account.id, hours=resources.settings().session_hours
        )
    st.session_state[SESSION] = token
    st.session_state[ACCOUNT] = account.id
    st.session_state.pop(ENDED, None)
    return None


@guarded
def log_out() -> None:
    """End this login session everywhere, and forget every draft of this browser session."""
    token = st.session_state.get(SESSION)
    if isinstance(token, str):
        with resources.session() as session:
            accounts.end_session(session=session, token=token)
    st.session_state.clear()
    if isinstance(token, str):
        st.session_state[ENDED] = token
    if _identity_name() is not None:
        st.logout()


def logout_button(account: accounts.Account) -> None:
    """The logged-in name and role, and a button to log out, in the sidebar."""
    st.sidebar.caption(f"Logged in as **{render.markdown_literal(account.name)}** ({account.role})")
    st.sidebar.button("Log out", key="auth_logout", on_click=log_out, icon=":material/logout:")
    with st.sidebar:
        keep_cookie()


def keep_cookie() -> None:
    """Make the browser's cookie hold this session's login: write a token the browser did not
    send, or clear one that ended. Nothing is drawn, and nothing is sent when there is nothing
    to change."""
    token = st.session_state.get(SESSION)
    if isinstance(token, str):
        if session_cookie.sent_token() != token:
            seconds = round(resources.settings().session_hours * 3600)
            session_cookie.write(token, max_age=seconds, key=COOKIE_KEY)
        return
    ended = st.session_state.get(ENDED)
    if isinstance(ended, str):
        session_cookie.clear(ended, key=COOKIE_KEY)
