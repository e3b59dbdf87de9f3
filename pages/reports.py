"""Import and reports: upload .txt, .csv, .jsonl, .json, .conll or .spacy files, with a peer's
label map, alignment and text column (suggestions follow with a progress bar); every report with
its progress; delete and rename reports."""

import streamlit as st

from annotator.ui import auth, resources
from annotator.ui import reports as view
from annotator.workflow import reports

auth.require_page("reports")
st.header("Import reports")
view.import_form(key="reports")

st.header("Reports")
# Deleting and renaming run in callbacks before this run: the table shows their result.
with resources.session() as session:
    overview = reports.reports_overview(session=session, limit=200)
st.caption(" · ".join(f"{value} {name}" for name, value in overview.counts.items()))
view.reports_table(overview.reports)

delete, rename = st.columns(2, gap="large")
with delete:
    st.subheader("Delete reports")
    view.delete_form(overview.reports, key="reports_delete")
with rename:
    st.subheader("Rename a report")
    view.rename_form(overview.reports, key="reports_rename")
