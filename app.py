"""Conflict Annotator: the Streamlit entry point (navigation and the login gate only)."""

import streamlit as st

from annotator.ui import auth, errors
from annotator.workflow.accounts import can

st.set_page_config(page_title="Conflict Annotator", page_icon="📝", layout="wide")
account = auth.current_account()
if account is None:
    with errors.boundary():
        st.navigation([st.Page("pages/login.py", title="Log in", icon=":material/login:")]).run()
    st.stop()
auth.logout_button(account)
# Each page checks the role again itself: leaving a page out here only tidies the menu.
pages = {
    "annotate": st.Page(
        "pages/annotate.py", title="Annotate", icon=":material/edit_note:", default=True
    ),
    "adjudicate": st.Page("pages/adjudicate.py", title="Adjudicate", icon=":material/gavel:"),
    "agreement": st.Page("pages/agreement.py", title="Agreement", icon=":material/groups:"),
    "export": st.Page("pages/export.py", title="Export", icon=":material/download:"),
    "reports": st.Page(
        "pages/reports.py", title="Import and reports", icon=":material/upload_file:"
    ),
    "models": st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    "users": st.Page("pages/users.py", title="Users", icon=":material/manage_accounts:"),
}
# Whatever a page did not expect becomes a short message; its traceback goes to the log.
with errors.boundary():
    st.navigation([page for name, page in pages.items() if can(account.role, name)]).run()
