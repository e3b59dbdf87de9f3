"""Agreement (placeholder while the page is built)."""

import streamlit as st

from annotator.ui import auth

auth.require_page("agreement")
st.header("Agreement")
st.info("This page is being built.")
