"""Export: the gold (or reviewers' annotations) in every format of ``annotator export``."""

import streamlit as st

from annotator.ui import auth, resources
from annotator.ui import export as view
from annotator.ui.errors import show_error
from annotator.workflow import exporting

auth.require_page("export")
scheme = resources.scheme()
st.header("Export")
with resources.session() as session:
    counts = exporting.export_counts(session=session)
view.counts(counts)

choice = view.choose(reviewers=counts.reviewers, key="export")
if choice is None:
    st.stop()
if problem := choice.problem():
    show_error(problem)
    st.stop()
total = counts.records_of(choice)
if not total:
    st.info("There is nothing to export yet: the file would be empty.")
if st.button("Prepare the file", type="primary", key="export_prepare"):
    bar = st.progress(0.0, text="Writing the export...")
    try:
        with st.spinner("Writing the export..."):
            export = view.build_export(
                choice,
                scheme=scheme,
                progress=lambda done: bar.progress(
                    min(done / total, 1.0) if total else 1.0, text=f"{done} / {total} records"
                ),
            )
    except view.ExportFailed as error:
        show_error(f"Export failed: {error}")
        st.stop()
    bar.progress(1.0, text=f"Wrote {export.summary}.")
    # "ignore": downloading must not rerun the page, or the prepared file would be gone.
    st.download_button(
        f"Download {export.name}",
        data=export.data,
        file_name=export.name,
        mime=export.mime,
        on_click="ignore",
        type="primary",
        icon=":material/download:",
        key="export_download",
    )
