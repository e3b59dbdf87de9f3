"""Conflict Annotator: the Streamlit entry point (navigation and the login gate only)."""

import streamlit as st

from annotator.ui import auth, errors
from annotator.workflow.accounts import can

st.set_page_config(page_title="Conflict Annotator", page_icon="📝", layout="wide")
# Each page checks the role again itself: leaving a page out here only tidies the menu.
pages = {
    "annotate": st.Page(
        "pages/annotate.py", title="Annotate", icon=":material/edit_note:", default=True
    ),
    "adjudicate": st.Page("pages/adjudicate.py", title="Adjudicate", icon=":material/gavel:"),
    "agreement": st.Page("pages/agreement.py", title="Agreement", icon=":material/groups:"),
    "export": st.Page("pages/export.py", title="Export", icon=":material/download:"),
    "events": st.Page("pages/events.py", title="Events", icon=":material/event_note:"),
    "reports": st.Page(
        "pages/reports.py", title="Import and reports", icon=":material/upload_file:"
    ),
    "models": st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    "users": st.Page("pages/users.py", title="Users", icon=":material/manage_accounts:"),
}
account = auth.current_account()
if account is None:
    # Every page's address opens the login form: after login the visitor is on the page (and at
    # the sentence) their link or their reload named.
    login = [st.Page("pages/login.py", title="Log in", icon=":material/login:", default=True)]
    login += [
        st.Page("pages/login.py", title="Log in", url_path=name, visibility="hidden")
        for name in pages
    ]
    with errors.boundary():
        st.navigation(login, position="hidden").run()
    auth.keep_cookie()
    st.stop()
allowed = [page for name, page in pages.items() if can(account.role, name)]
current = st.navigation(allowed, position="hidden")
# The menu is drawn here: Streamlit's own is off (.streamlit/config.toml), since on a fresh
# server's first run it lists the files of pages/ before app.py has said which pages exist.
if len(allowed) > 1:
    for page in allowed:
        st.sidebar.page_link(page)
auth.logout_button(account)
# Whatever a page did not expect becomes a short message; its traceback goes to the log.
with errors.boundary():
    current.run()
