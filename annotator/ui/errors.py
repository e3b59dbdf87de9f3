"""How every page and view shows an error: in ``st.error``, as plain text.

An error's message may carry what a user typed, a reviewer's name or a file's name; shown
through :func:`annotator.ui.render.markdown_literal`, none of it is read as Markdown.
"""

from __future__ import annotations

import streamlit as st

from annotator.ui import render


def show_error(error: BaseException | str) -> None:
    """Show an error (an exception's message, or a message) exactly as it is written."""
    st.error(render.markdown_literal(str(error)))
