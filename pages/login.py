"""Log in: name and password, or the organisation's identity provider where one is set up."""

import streamlit as st

from annotator.ui import auth, resources
from annotator.ui.errors import show_error
from annotator.workflow import accounts

st.header("Log in")
if auth.oidc_configured():
    st.button("Log in with your organisation account", key="login_oidc", on_click=st.login)
with st.form("login_form"):
    name = st.text_input("Name", key="login_name")
    password = st.text_input("Password", type="password", key="login_password")
    submitted = st.form_submit_button("Log in", type="primary")
if submitted:
    reason = auth.log_in(name, password)
    if reason is None:
        st.rerun()
    show_error(reason)
st.caption(
    f"After {accounts.MAX_FAILURES} wrong passwords in a row an account is locked for a while "
    "(longer with each further one); an admin can unlock it on the Users page."
)

with resources.session() as session:
    ready = accounts.has_admin(session=session)
if ready:
    st.caption(
        "On the first start, `annotator serve` (or `annotator init`) created the account "
        "`admin` and printed its password in the console once."
    )
else:
    st.info(
        "No account can log in yet. Run `annotator init` (it creates `admin` and prints its "
        "password once) or `annotator users add NAME --role admin`."
    )
