"""Users: every reviewer with their role, logins and work; add accounts and change them."""

import streamlit as st

from annotator.ui import auth, resources
from annotator.ui import users as view
from annotator.workflow import accounts

account = auth.require_page("users")
st.header("Users")
# The changes run in callbacks before this run, so the table below already shows their result.
with resources.session() as session:
    overview = accounts.users_overview(session=session)
rows = view.reviewer_rows(overview.reviewers, annotations=overview.annotations)
view.reviewer_table(rows)

add, change = st.columns(2, gap="large")
with add:
    st.subheader("Add an account")
    view.add_form(key="users_add")
with change:
    st.subheader("Change an account")
    view.account_actions(rows, acting_id=account.id, key="users_change")
