"""The import and reports page's views: the upload form and its import, the reports with their
progress, and deleting and renaming reports.

Imports run when the button is pressed, through :func:`annotator.workflow.importing.
import_in_chunks` (everything checked first, then short transactions, so reviewers saving
meanwhile never wait); deleting and renaming run in widget callbacks through
:mod:`annotator.workflow.reports`, so the table that follows shows their result.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from annotator.formats import ImportFailed, read_records
from annotator.ui import render, resources
from annotator.ui.errors import guarded, show_error
from annotator.workflow import GoldPolicy, importing, reports, suggest_pending
from annotator.workflow.reports import ReportError, ReportProgress

# The bad records an import failure lists on the page; the CLI lists them all.
LISTED_PROBLEMS = 200


def import_form(*, key: str) -> None:
    """Upload files, import them all or nothing, then suggest for the new sentences."""
    uploads = st.file_uploader(
        "Reports: .txt (one report per file), .csv (a text column) or .jsonl "
        "(Prodigy-style records)",
        type=["txt", "csv", "jsonl"],
        accept_multiple_files=True,
        key=f"{key}_uploads",
    )
    keep_records = st.checkbox(
        "Keep each record whole (one sentence per JSONL line or CSV row, not split)",
        key=f"{key}_keep_records",
        help="Records with spans are never split: their offsets count from their start.",
    )
    suggest = st.checkbox("Suggest for the new sentences", value=True, key=f"{key}_suggest")
    if not uploads or not st.button("Import", type="primary", key=f"{key}_import"):
        return
    summary = _import(uploads, keep_records=keep_records)
    if summary is None:
        return
    st.success(
        f"Imported {summary.reports} report(s) with {summary.sentences} sentence(s); "
        f"{summary.duplicates} were already stored."
    )
    if suggest:
        _suggest()


def _import(uploads: Sequence[Any], *, keep_records: bool) -> importing.ImportSummary | None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for upload in uploads:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            paths.append(path)
        settings = resources.settings()
        # Store the uploaded file's own name, not the temporary folder's path.
        records = (
            replace(record, source=Path(record.source).name)
            for record in read_records(paths, scheme=resources.scheme(), keep_records=keep_records)
        )
        try:
            with st.spinner("Importing..."):
                return importing.import_in_chunks(
                    engine=resources.engine(),
                    records=records,
                    scheme=resources.scheme(),
                    policy=GoldPolicy.of(settings),
                    limits=importing.ImportLimits.of(settings),
                )
        except ImportFailed as failed:
            show_error(f"Nothing was imported: {len(failed.errors)} bad record(s).")
            st.code(
                "\n".join(
                    str(error).replace(folder + "/", "")
                    for error in failed.errors[:LISTED_PROBLEMS]
                )
            )
            return None


def _suggest() -> None:
    bar = st.progress(0.0, text="Suggesting...")
    failures: list[tuple[int, str]] = []

    def advance(done: int, total: int) -> None:
        bar.progress(done / total if total else 1.0, text=f"Suggested {done} / {total} sentences")

    suggest_pending(
        engine=resources.engine(),
        suggester=resources.suggester(),
        batch_size=resources.settings().batch_size,
        progress=advance,
        on_failure=lambda sentence_id, reason: failures.append((sentence_id, reason)),
    )
    bar.progress(1.0, text="Suggestions stored.")
    if failures:
        sentence_id, reason = failures[0]
        show_error(
            f"{len(failures)} sentence(s) could not be suggested and are left without "
            f"suggestions (sentence {sentence_id}: {reason[:200]}); the others were."
        )


def report_rows(found: Sequence[ReportProgress]) -> list[dict[str, Any]]:
    """One row per report for the table: its name, source, size and progress."""
    return [
        {
            "id": report.id,
            "name": reports.display_name(report),
            "source": report.source,
            "sentences": report.sentences,
            "annotated": f"{report.annotated} / {report.sentences}",
            "gold": f"{report.gold} / {report.sentences}",
            "imported": report.created_at,
        }
        for report in found
    ]


def reports_table(found: Sequence[ReportProgress]) -> None:
    """The reports with their progress, newest first."""
    st.dataframe(
        pd.DataFrame(
            report_rows(found),
            columns=["id", "name", "source", "sentences", "annotated", "gold", "imported"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "annotated": st.column_config.TextColumn(
                help="Sentences a reviewer accepted or rejected"
            ),
            "gold": st.column_config.TextColumn(help="Sentences with gold"),
        },
    )


def _outcome(key: str, ok: bool, message: str) -> None:
    st.session_state[f"{key}_outcome"] = (ok, message)


def outcome(*, key: str) -> None:
    """Show and forget the result of the last deletion or renaming made under ``key``."""
    result = st.session_state.pop(f"{key}_outcome", None)
    if result is None:
        return
    ok, message = result
    if ok:
        st.success(render.markdown_literal(message))  # it names reports
    else:
        show_error(message)


@guarded
def _delete(key: str) -> None:
    ids = [int(report_id) for report_id in st.session_state.get(f"{key}_ids") or []]
    if not ids:
        _outcome(key, False, "Choose the reports to delete first.")
        return
    if not st.session_state.get(f"{key}_confirm"):
        _outcome(key, False, "Tick the confirmation to delete; nothing was deleted.")
        return
    try:
        with resources.session() as session:
            deleted = reports.delete_reports(
                session=session,
                report_ids=ids,
                force=bool(st.session_state.get(f"{key}_gold")),
            )
    except ReportError as error:
        message = str(error).replace("--force", "tick 'Delete their gold too'")
        _outcome(key, False, message[:1].upper() + message[1:])
        return
    st.session_state[f"{key}_ids"] = []
    st.session_state[f"{key}_confirm"] = st.session_state[f"{key}_gold"] = False
    _outcome(
        key,
        True,
        f"Deleted {deleted.reports} report(s) with {deleted.sentences} sentence(s) and "
        f"{deleted.gold} gold, and every annotation of them.",
    )


def delete_form(found: Sequence[ReportProgress], *, key: str) -> None:
    """Choose reports and delete them with everything on them, after a confirmation; reports
    with gold need a second one."""
    names = {report.id: f"{report.id}: {reports.display_name(report)}" for report in found}
    st.multiselect(
        "Reports to delete", list(names), format_func=names.__getitem__, key=f"{key}_ids"
    )
    st.checkbox(
        "Yes, delete them with their sentences, suggestions and annotations",
        key=f"{key}_confirm",
    )
    st.checkbox("Delete their gold too (adjudicated and imported gold is lost)", key=f"{key}_gold")
    st.button("Delete", key=key, on_click=_delete, args=(key,))
    outcome(key=key)


@guarded
def _rename(key: str) -> None:
    report_id = st.session_state.get(f"{key}_id")
    if report_id is None:
        return
    name = str(st.session_state.get(f"{key}_name", ""))
    try:
        with resources.session() as session:
            stored = reports.rename_report(session=session, report_id=int(report_id), name=name)
    except ReportError as error:
        _outcome(key, False, str(error))
        return
    st.session_state[f"{key}_name"] = ""
    _outcome(
        key,
        True,
        f"Report {report_id} is now named {stored}."
        if stored
        else f"Report {report_id} is shown by its source again.",
    )


def rename_form(found: Sequence[ReportProgress], *, key: str) -> None:
    """Give a report the name the table shows (its source, and exports, stay as they are)."""
    names = {report.id: f"{report.id}: {reports.display_name(report)}" for report in found}
    st.selectbox("Report", list(names), format_func=names.__getitem__, index=None, key=f"{key}_id")
    st.text_input("New name (empty: its source)", key=f"{key}_name")
    st.button("Rename", key=key, on_click=_rename, args=(key,))
    outcome(key=key)
