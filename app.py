"""Conflict Annotator: the Streamlit entry point (navigation only)."""

import streamlit as st

st.set_page_config(page_title="Conflict Annotator", page_icon="📝", layout="wide")
st.navigation(
    [
        st.Page("pages/annotate.py", title="Annotate", icon=":material/edit_note:", default=True),
        st.Page("pages/reports.py", title="Import and reports", icon=":material/upload_file:"),
    ]
).run()
