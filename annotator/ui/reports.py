"""The import and reports page's views: the upload form and its import, the reports with their
progress, and deleting and renaming reports.

Imports run when the button is pressed, through :func:`annotator.workflow.importing.
import_in_chunks` (everything checked first, then short transactions, so reviewers saving
meanwhile never wait); deleting and renaming run in widget callbacks through
:mod:`annotator.workflow.reports`, so the table that follows shows their result.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from annotator.formats import ImportFailed, read_records
from annotator.formats.checks import LabelMapError, read_label_map
from annotator.formats.records import ALIGNS, Align, ReadOptions
from annotator.ui import render, resources
from annotator.ui.errors import guarded, show_error
from annotator.workflow import GoldPolicy, importing, reports, suggest_pending
from annotator.workflow.reports import ReportError, ReportProgress

# The bad records an import failure lists on the page; the CLI lists them all.
LISTED_PROBLEMS = 200
# What the core's messages call the command line's options, as this form names them.
_OPTION_NAMES = (
    (re.compile(r"--align (expand|contract|strict)"), r'Align "\1"'),
    (re.compile(r"--label-map( theirs -> ours)?"), "Label map"),
    (re.compile(r"--text-column( \S+)?"), "Text column"),
)
_ALIGN_HELP = (
    "Spans off this project's token boundaries (a peer's tokenizer, an annotator's slip): "
    "strict refuses them, expand widens them to the tokens they touch, contract narrows them to "
    "the tokens they cover whole. Every change is listed after the import."
)


def import_form(*, key: str) -> None:
    """Upload files, import them all or nothing, then suggest for the new sentences."""
    uploads = st.file_uploader(
        "Reports: .txt (one report per file), .csv (a text column), .jsonl (Prodigy or "
        "doccano), .json (Label Studio), .conll or .spacy",
        type=["txt", "csv", "jsonl", "json", "conll", "iob", "spacy"],
        accept_multiple_files=True,
        key=f"{key}_uploads",
    )
    keep_records = st.checkbox(
        "Keep each record whole (one sentence per JSONL line or CSV row, not split)",
        key=f"{key}_keep_records",
        help="Records with spans are never split: their offsets count from their start.",
    )
    with st.expander("A peer's files: labels, tokens, text column"):
        label_map = st.file_uploader(
            "Label map: YAML or JSON of their labels -> this scheme's (Organization: ORG, 3: GPE)",
            type=["yml", "yaml", "json"],
            key=f"{key}_label_map",
        )
        align: Align = st.selectbox(
            "Align spans to tokens", ALIGNS, key=f"{key}_align", help=_ALIGN_HELP
        )
        text_column = st.text_input(
            "Text column (CSV) or key (JSONL)",
            key=f"{key}_text_column",
            placeholder="text",
            help="The column or key that holds the text, when it is not 'text': notes, body...",
        ).strip()
    suggest = st.checkbox("Suggest for the new sentences", value=True, key=f"{key}_suggest")
    if not uploads or not st.button("Import", type="primary", key=f"{key}_import"):
        return
    try:
        options = ReadOptions(
            label_map=_label_map_of(label_map),
            align=align,
            text_column=text_column or None,
        )
    except LabelMapError as error:
        show_error(_for_the_form(str(error)))
        return
    summary = _import(uploads, keep_records=keep_records, options=options)
    if summary is None:
        return
    st.success(
        f"Imported {summary.reports} report(s) with {summary.sentences} sentence(s), "
        f"{summary.annotations} annotation(s) and {summary.gold} gold"
        + (f", {summary.suggestions} suggestion(s)" if summary.suggestions else "")
        + f"; {summary.duplicates} were already stored."
    )
    notes = summary.notes()
    if notes:
        st.code(_for_the_form("\n".join(notes)), language=None)
    if suggest:
        _suggest()


def _label_map_of(upload: Any) -> dict[str, str]:
    if upload is None:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        # The loader reads JSON or YAML by the suffix, and names the file by its own name.
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            return read_label_map(path, scheme=resources.scheme())
        except LabelMapError as error:
            raise LabelMapError(str(error).replace(folder + "/", "")) from None


def _for_the_form(message: str) -> str:
    """A message of the core with the command line's options named as this form names them."""
    for pattern, name in _OPTION_NAMES:
        message = pattern.sub(name, message)
    return message


def _import(
    uploads: Sequence[Any], *, keep_records: bool, options: ReadOptions
) -> importing.ImportSummary | None:
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
            for record in read_records(
                paths, scheme=resources.scheme(), keep_records=keep_records, options=options
            )
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
                _for_the_form(
                    "\n".join(
                        str(error).replace(folder + "/", "")
                        for error in failed.errors[:LISTED_PROBLEMS]
                    )
                ),
                language=None,
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
        uncertainty=resources.settings().routing == "uncertain",
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
