"""The users page's views: the reviewer table, the form that adds an account, and the changes to
one account (role, password, deactivation, unlocking).

Every change runs in a widget callback, in its own session, through
:mod:`annotator.workflow.accounts` (which holds the rules: the last active admin stays, an admin
cannot lock themselves out); the page that follows shows the stored state and the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from annotator.models import Reviewer, utc_now
from annotator.ui import render, resources
from annotator.ui.errors import guarded, show_error
from annotator.workflow import accounts


def reviewer_rows(
    reviewers: Sequence[Reviewer], *, annotations: Mapping[str, int], now: datetime | None = None
) -> list[dict[str, Any]]:
    """One row per reviewer for the table: role, whether and when they can log in, their work."""
    now = now or utc_now()
    return [
        {
            "name": reviewer.name,
            "role": reviewer.role,
            "active": reviewer.active,
            "password": reviewer.password_hash is not None,
            "locked until": accounts.locked_until(reviewer, now=now),
            "failed logins": reviewer.failed_logins,
            "annotations": annotations.get(reviewer.name, 0),
        }
        for reviewer in reviewers
    ]


def reviewer_table(rows: list[dict[str, Any]]) -> None:
    """The reviewers as a table."""
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "password": st.column_config.CheckboxColumn(help="Without one, no login is possible"),
            "locked until": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        },
    )


def _outcome_key(key: str) -> str:
    return f"{key}_outcome"


def outcome(*, key: str) -> None:
    """Show and forget the result of the last change made through the view named ``key``."""
    result = st.session_state.pop(_outcome_key(key), None)
    if result is None:
        return
    ok, message = result
    if ok:
        st.success(render.markdown_literal(message))  # it names a reviewer
    else:
        show_error(message)


def _apply(key: str, change: Callable[[Session], str]) -> None:
    """Run one account change in its own session; remember its message or its error."""
    try:
        with resources.session() as session:
            message = change(session)
    except accounts.AccountError as error:
        # Raised before the session commits: nothing of the change is stored.
        reason = str(error)
        # Not str.capitalize(): it would lowercase the reviewer's name in the message.
        st.session_state[_outcome_key(key)] = (
            False,
            f"{reason[:1].upper()}{reason[1:]}; nothing changed.",
        )
        return
    st.session_state[_outcome_key(key)] = (True, message)


def _take_passwords(key: str) -> tuple[str, str]:
    """The password and its confirmation typed under ``key``, cleared from the form."""
    password = str(st.session_state.get(f"{key}_password", ""))
    confirm = str(st.session_state.get(f"{key}_confirm", ""))
    st.session_state[f"{key}_password"] = ""
    st.session_state[f"{key}_confirm"] = ""
    return password, confirm


def _passwords_differ(key: str, password: str, confirm: str) -> bool:
    if password == confirm:
        return False
    st.session_state[_outcome_key(key)] = (False, "The two passwords differ; nothing changed.")
    return True


def _password_fields(key: str, *, label: str = "Password") -> None:
    st.text_input(
        label,
        type="password",
        key=f"{key}_password",
        help=f"At least {accounts.MIN_PASSWORD_LENGTH} characters.",
    )
    st.text_input(f"Confirm the {label.lower()}", type="password", key=f"{key}_confirm")


@guarded
def _add(key: str) -> None:
    name = str(st.session_state.get(f"{key}_name", "")).strip()
    role = str(st.session_state.get(f"{key}_role", "annotator"))
    password, confirm = _take_passwords(key)
    if _passwords_differ(key, password, confirm):
        return

    def change(session: Session) -> str:
        account = accounts.create_reviewer(session=session, name=name, password=password, role=role)
        return f"Created {account.name} ({account.role})."

    _apply(key, change)
    if st.session_state[_outcome_key(key)][0]:
        st.session_state[f"{key}_name"] = ""


def add_form(*, key: str) -> None:
    """The form that creates an account (a reviewer known only from imports gets a login)."""
    with st.form(key):
        st.text_input("Name", key=f"{key}_name")
        st.selectbox("Role", accounts.ROLES, key=f"{key}_role")
        _password_fields(key)
        st.form_submit_button("Add the account", key=f"{key}_submit", on_click=_add, args=(key,))
    outcome(key=key)


@guarded
def _set_role(key: str, name: str, acting_id: int) -> None:
    role = str(st.session_state[f"{key}_role_{name}"])

    def change(session: Session) -> str:
        account = accounts.set_role(session=session, name=name, role=role, acting_id=acting_id)
        return f"{account.name} is now {account.role}."

    _apply(key, change)


@guarded
def _set_active(key: str, name: str, active: bool, acting_id: int) -> None:
    def change(session: Session) -> str:
        accounts.set_active(session=session, name=name, active=active, acting_id=acting_id)
        return f"{name} {'can log in again' if active else 'can no longer log in'}."

    _apply(key, change)


@guarded
def _unlock(key: str, name: str) -> None:
    def change(session: Session) -> str:
        accounts.unlock(session=session, name=name)
        return f"{name} is unlocked; their failed logins are forgotten."

    _apply(key, change)


@guarded
def _reset_password(key: str, name: str) -> None:
    password, confirm = _take_passwords(key)
    if _passwords_differ(key, password, confirm):
        return

    def change(session: Session) -> str:
        accounts.set_password(session=session, name=name, password=password)
        return f"The password of {name} is changed (and any lock lifted)."

    _apply(key, change)


def account_actions(rows: list[dict[str, Any]], *, acting_id: int, key: str) -> None:
    """Pick a reviewer, then change their role, password, activation or lock."""
    by_name = {row["name"]: row for row in rows}
    name = st.selectbox("Reviewer", list(by_name), key=f"{key}_reviewer")
    outcome(key=key)
    if name is None:
        return
    row = by_name[name]
    role_column, state_column = st.columns(2)
    with role_column:
        st.selectbox(
            "Role",
            accounts.ROLES,
            index=accounts.ROLES.index(row["role"]),
            key=f"{key}_role_{name}",
        )
        st.button(
            "Change the role",
            key=f"{key}_set_role",
            on_click=_set_role,
            args=(key, name, acting_id),
        )
    with state_column:
        active = bool(row["active"])
        st.button(
            "Deactivate" if active else "Reactivate",
            key=f"{key}_active",
            on_click=_set_active,
            args=(key, name, not active, acting_id),
            help="A deactivated reviewer cannot log in; their annotations stay.",
        )
        st.button(
            "Unlock",
            key=f"{key}_unlock",
            on_click=_unlock,
            args=(key, name),
            disabled=not row["failed logins"] and row["locked until"] is None,
            help="Forget the failed logins and lift the lock.",
        )
    with st.form(f"{key}_password_form"):
        _password_fields(key, label="New password")
        st.form_submit_button(
            "Set the password",
            key=f"{key}_set_password",
            on_click=_reset_password,
            args=(key, name),
        )
