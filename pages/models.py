"""Models (placeholder while the page is built)."""

import streamlit as st

from annotator.ui import auth

auth.require_page("models")
st.header("Models")
st.info("This page is being built.")
