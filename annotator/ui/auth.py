"""The login gate: who is logged in (an id in the server-side session state), and the checks
every page runs before it shows anything.

Password logins go through :func:`annotator.workflow.accounts.authenticate`; where ``.streamlit/
secrets.toml`` has an ``[auth]`` section, ``st.login`` (OpenID Connect) is offered as well.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from annotator.ui import resources
from annotator.ui.errors import show_error
from annotator.workflow import accounts

ACCOUNT = "auth_reviewer_id"


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


def current_account() -> accounts.Account | None:
    """The logged-in reviewer, read from the database on every run (so that a role change or a
    deactivation applies at once); None when nobody is logged in."""
    reviewer_id = st.session_state.get(ACCOUNT)
    if isinstance(reviewer_id, int):
        with resources.session() as session:
            account = accounts.active_account(session=session, reviewer_id=reviewer_id)
        if account is None:
            st.session_state.pop(ACCOUNT, None)
        return account
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


def require_login() -> accounts.Account:
    """The logged-in reviewer; stops the page for a visitor who is not logged in."""
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
    """Try a name and password; None when logged in, else the reason to show."""
    with resources.session() as session:
        # Caught inside the session, so that the count of failed logins is committed.
        try:
            account = accounts.authenticate(session=session, name=name, password=password)
        except accounts.LoginFailed as error:
            reason = str(error)  # not str.capitalize(): it would lowercase names and "UTC"
            return f"{reason[:1].upper()}{reason[1:]}."
    st.session_state[ACCOUNT] = account.id
    return None


def log_out() -> None:
    """Forget who is logged in, and every draft of this browser session."""
    st.session_state.clear()
    if _identity_name() is not None:
        st.logout()


def logout_button(account: accounts.Account) -> None:
    """The logged-in name and role, and a button to log out, in the sidebar."""
    st.sidebar.caption(f"Logged in as **{account.name}** ({account.role})")
    st.sidebar.button("Log out", key="auth_logout", on_click=log_out, icon=":material/logout:")
