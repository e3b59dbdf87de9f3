"""How every page and view shows an error: in ``st.error``, as plain text; and the one boundary
that turns whatever a page or a callback did not expect into a short message.

An error's message may carry what a user typed, a reviewer's name or a file's name; shown
through :func:`annotator.ui.render.markdown_literal`, none of it is read as Markdown. An
unexpected error's own text (SQL, parameters, report text) never reaches the screen: it goes to
the server's log with its traceback, and the reviewer reads :data:`BUSY` or :data:`BROKEN`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from annotator.errors import AnnotatorError
from annotator.ui import render

log = logging.getLogger(__name__)

# A failed statement is rolled back whole (annotator.db.session_scope): nothing was half-stored.
BUSY = "The database was busy; nothing was lost, try again."
BROKEN = "Something went wrong; reload the page."
# The message of a callback that failed, shown on the run that follows it.
PENDING = "errors_pending"

P = ParamSpec("P")


def show_error(error: BaseException | str) -> None:
    """Show an error (an exception's message, or a message) exactly as it is written."""
    st.error(render.markdown_literal(str(error)))


def message_for(error: Exception) -> str:
    """What the reviewer is told: a domain error's own words, else a short fixed sentence."""
    if isinstance(error, AnnotatorError):
        return str(error)
    if isinstance(error, SQLAlchemyError):
        return BUSY
    return BROKEN


@contextmanager
def boundary() -> Iterator[None]:
    """Run a page's body: an error it raises is logged with its traceback and shown short.

    Streamlit's own control flow (``st.stop``, ``st.rerun``, ``st.switch_page``) raises
    BaseExceptions, not Exceptions, and passes through.
    """
    show_pending()
    try:
        yield
    except Exception as error:
        log.exception("a page failed")
        show_error(message_for(error))


def guarded(callback: Callable[P, None]) -> Callable[P, None]:
    """A widget callback whose errors are logged and shown short on the next run.

    Streamlit runs callbacks before the page, outside :func:`boundary`, and would show a
    failing one's traceback.
    """

    @functools.wraps(callback)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            callback(*args, **kwargs)
        except Exception as error:
            log.exception("the callback %s failed", callback.__qualname__)
            st.session_state[PENDING] = message_for(error)

    return run


def show_pending() -> None:
    """Show, once, the message of a callback that failed before this run."""
    if message := st.session_state.pop(PENDING, None):
        show_error(message)
