"""Import and reports: upload .txt, .csv or .jsonl files; suggestions follow with a progress bar."""

import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import streamlit as st

from annotator import workflow
from annotator.formats import ImportFailed, read_records
from annotator.ui import auth, resources
from annotator.ui.errors import show_error
from annotator.workflow import reports

auth.require_page("reports")
scheme = resources.scheme()
st.header("Import reports")
uploads = st.file_uploader(
    "Reports: .txt (one report per file), .csv (a text column) or .jsonl (Prodigy-style records)",
    type=["txt", "csv", "jsonl"],
    accept_multiple_files=True,
    key="reports_uploads",
)
if uploads and st.button("Import", type="primary", key="reports_import"):
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for upload in uploads:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            paths.append(path)
        try:
            with st.spinner("Importing..."), resources.session() as session:
                # Store the uploaded file's own name, not the temporary folder's path.
                records = (
                    replace(record, source=Path(record.source).name)
                    for record in read_records(paths, scheme=scheme)
                )
                summary = workflow.import_records(
                    session=session,
                    records=records,
                    scheme=scheme,
                    policy=workflow.GoldPolicy.of(resources.settings()),
                )
        except ImportFailed as failed:
            show_error(f"Nothing was imported: {len(failed.errors)} bad record(s).")
            st.code(
                "\n".join(str(error).replace(folder + "/", "") for error in failed.errors[:200])
            )
            st.stop()
    st.success(
        f"Imported {summary.reports} report(s) with {summary.sentences} sentence(s); "
        f"{summary.duplicates} were already stored."
    )
    bar = st.progress(0.0, text="Suggesting...")
    workflow.suggest_pending(
        engine=resources.engine(),
        suggester=resources.suggester(),
        batch_size=resources.settings().batch_size,
        progress=lambda done, total: bar.progress(
            done / total if total else 1.0, text=f"Suggested {done} / {total} sentences"
        ),
    )
    bar.progress(1.0, text="Suggestions stored.")

st.header("Reports")
with resources.session() as session:
    overview = reports.reports_overview(session=session, limit=200)
st.caption(" · ".join(f"{value} {name}" for name, value in overview.counts.items()))
st.dataframe(
    pd.DataFrame(
        [
            {"id": r.id, "source": r.source, "sentences": r.sentences, "imported": r.created_at}
            for r in overview.reports
        ]
    ),
    hide_index=True,
    width="stretch",
)
