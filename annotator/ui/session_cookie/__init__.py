"""The login cookie: a components-v2 element that writes the browser's cookie of a login session
(Streamlit reads cookies, ``st.context.cookies``, but cannot set one), or clears an ended one.

The cookie holds the session's token and nothing else: 32 random bytes are not guessed, the
database keeps only their SHA-256, and every run looks the token up, so the server alone decides
whether it still logs anyone in (:mod:`annotator.workflow.accounts`). Signing it as well would
add a server secret to keep and rotate, and stop nothing the lookup does not.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

import streamlit as st

from annotator.workflow.accounts import SESSION_TOKEN

if TYPE_CHECKING:
    from streamlit.components.v2.types import ComponentRenderer

COOKIE = "annotator_session"
COMPONENT_NAME = "annotator_session_cookie"


@cache
def _renderer() -> ComponentRenderer:
    """Register the component once per process, on first use (not at import time)."""
    script = files(__package__).joinpath("cookie.js").read_text(encoding="utf-8")
    return st.components.v2.component(COMPONENT_NAME, js=script)


def sent_token() -> str | None:
    """The token the browser's cookie held when this browser session connected, if it is one."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and SESSION_TOKEN.fullmatch(value) else None


def write(token: str, *, max_age: int, key: str) -> None:
    """Have the browser keep ``token`` in its cookie for ``max_age`` seconds."""
    if not SESSION_TOKEN.fullmatch(token):
        raise ValueError("not a login session token")
    _renderer()(key=key, data={"name": COOKIE, "token": token, "max_age": max_age}, height=0)


def clear(ended: str, *, key: str) -> None:
    """Have the browser drop its cookie if it still holds the ``ended`` token."""
    _renderer()(key=key, data={"name": COOKIE, "ended": ended}, height=0)
