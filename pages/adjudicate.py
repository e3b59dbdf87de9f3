"""Adjudicate (placeholder while the page is built)."""

import streamlit as st

from annotator.ui import auth

auth.require_page("adjudicate")
st.header("Adjudicate")
st.info("This page is being built.")
