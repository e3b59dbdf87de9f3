"""Users (placeholder while the page is built)."""

import streamlit as st

from annotator.ui import auth

auth.require_page("users")
st.header("Users")
st.info("This page is being built.")
