"""The export page's views: counts, the choice of export, and the file to download, written by
:mod:`annotator.workflow.exporting` exactly as ``annotator export`` writes it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import streamlit as st

from annotator import config
from annotator.formats import spacy_docbin
from annotator.labels import LabelScheme
from annotator.ui import resources
from annotator.workflow.exporting import (
    FORMATS,
    ExportChoice,
    ExportCounts,
    ExportFailed,
    write_export,
    zip_folder,
)

__all__ = ["FORMATS", "ExportChoice", "ExportFailed", "ExportFile", "build_export"]

WHOSE = ("The gold", "One reviewer", "Every reviewer")


@dataclass(frozen=True)
class ExportFile:
    """A finished export: what to download, and what it holds."""

    name: str
    mime: str
    data: bytes
    summary: str


def build_export(
    choice: ExportChoice,
    *,
    scheme: LabelScheme,
    progress: Callable[[int], None] | None = None,
) -> ExportFile:
    """The export as one downloadable file; ExportFailed with the reason otherwise."""
    spec = FORMATS[choice.format]
    with tempfile.TemporaryDirectory(prefix="annotator-export-") as folder:
        output = Path(folder) / "export"
        with resources.session() as session:
            summary = write_export(
                choice, session=session, scheme=scheme, output=output, progress=progress
            )
        data = zip_folder(output) if spec.folder else output.read_bytes()
    return ExportFile(name=choice.file_name, mime=spec.mime, data=data, summary=summary)


def counts(counts: ExportCounts) -> None:
    """The gold sentences and each reviewer's annotations."""
    st.metric("Gold sentences", counts.gold)
    if counts.rejected:
        st.caption(f"{counts.rejected} rejected sentence(s) are left out of the gold.")
    working = {name: count for name, count in counts.annotations.items() if count}
    if working:
        st.dataframe(
            pd.DataFrame({"reviewer": list(working), "annotations": list(working.values())}),
            hide_index=True,
        )
    else:
        st.caption("No reviewer has annotated anything yet.")


def choose(*, reviewers: list[str], key: str) -> ExportChoice | None:
    """The format, whose annotations, and the format's options; None until a choice is whole."""
    format = st.selectbox(
        "Format", list(FORMATS), format_func=lambda name: FORMATS[name].title, key=f"{key}_format"
    )
    whose = st.radio(
        "Whose annotations",
        WHOSE,
        horizontal=True,
        key=f"{key}_whose",
        help="A reviewer's own annotations are for external agreement tools (brat: a folder "
        "per reviewer).",
    )
    choice = ExportChoice(format=format, all_reviewers=whose == WHOSE[2])
    if whose == WHOSE[1]:
        reviewer = st.selectbox("Reviewer", reviewers, key=f"{key}_reviewer")
        if reviewer is None:
            st.info("No reviewer has annotated anything yet.")
            return None
        choice = replace(choice, reviewer=reviewer)
    if format == "spacy":
        share, seed, spans_key = st.columns(3)
        return replace(
            choice,
            dev_share=share.number_input(
                "Dev share (of reports)",
                min_value=0.0,
                max_value=0.95,
                value=config.DEFAULT_DEV_SHARE,
                step=0.05,
                key=f"{key}_dev_share",
            ),
            seed=int(seed.number_input("Split seed", value=0, step=1, key=f"{key}_seed")),
            spans_key=spans_key.text_input(
                "doc.spans key of the events", value=spacy_docbin.SPANS_KEY, key=f"{key}_spans_key"
            ),
        )
    if format == "jsonl":
        return replace(choice, tokens=st.checkbox("Include Prodigy's tokens", key=f"{key}_tokens"))
    return choice
