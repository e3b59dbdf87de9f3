"""Export (placeholder while the page is built)."""

import streamlit as st

from annotator.ui import auth

auth.require_page("export")
st.header("Export")
st.info("This page is being built.")
