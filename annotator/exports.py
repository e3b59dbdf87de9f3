"""Exports as ``annotator export`` and the export page make them: what to export, checked, and
written with the format modules into a file or folder (zipped the same way every time).
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from annotator import workflow
from annotator.formats import brat, conll, doccano, prodigy, spacy_docbin, spans_csv
from annotator.formats.records import Record
from annotator.labels import LabelScheme


@dataclass(frozen=True)
class Format:
    """An export format as the page offers it."""

    title: str
    suffix: str
    mime: str
    folder: bool = False


# The formats of ``annotator export --format`` and of the export page, in this order.
FORMATS: dict[str, Format] = {
    "jsonl": Format("Prodigy JSONL", ".jsonl", "application/jsonl"),
    "spacy": Format(
        "spaCy DocBin (train.spacy + dev.spacy)", "-spacy.zip", "application/zip", True
    ),
    "doccano": Format("doccano JSONL (sequence labelling)", "-doccano.jsonl", "application/jsonl"),
    "conll": Format("CoNLL-2003 IOB (entities only)", ".conll", "text/plain"),
    "brat": Format("brat standoff (.txt + .ann)", "-brat.zip", "application/zip", True),
    "csv": Format("CSV (one row per span)", ".csv", "text/csv"),
}
# Every entry in a zip gets this time, so the same export always gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ExportFailed(ValueError):
    """An export that could not be written; nothing is offered for download."""


@dataclass(frozen=True)
class ExportChoice:
    """What to export, with the options of ``annotator export``."""

    format: str = "jsonl"
    reviewer: str | None = None
    all_reviewers: bool = False
    dev_share: float = 0.2
    seed: int = 0
    spans_key: str = spacy_docbin.SPANS_KEY
    tokens: bool = False

    @property
    def whose(self) -> str:
        """Whose annotations, as the command's messages say it."""
        if self.all_reviewers:
            return "every reviewer's"
        return "gold" if self.reviewer is None else f"{self.reviewer}'s"

    @property
    def file_name(self) -> str:
        """The name the browser saves the download under."""
        if self.all_reviewers:
            stem = "all-reviewers"
        elif self.reviewer is not None:
            stem = re.sub(r"[^\w.-]+", "_", self.reviewer).strip("._") or "reviewer"
        else:
            stem = "gold"
        return stem + FORMATS[self.format].suffix

    def problem(self) -> str | None:
        """Why this export cannot be made (the command refuses the same), or None."""
        if self.format not in FORMATS:
            return f"Unknown format {self.format!r}; available: {', '.join(FORMATS)}."
        if self.reviewer is not None and self.all_reviewers:
            return "Choose one reviewer or every reviewer, not both."
        if self.format == "spacy" and self.all_reviewers:
            return "A spaCy export takes the gold or one reviewer's annotations."
        if not 0.0 <= self.dev_share < 1.0:
            return f"The dev share must be at least 0 and below 1, got {self.dev_share}."
        if self.format == "spacy" and not self.spans_key.strip():
            return "The spans key for the event triggers cannot be empty."
        return None


def write_export(
    choice: ExportChoice,
    *,
    session: Session,
    scheme: LabelScheme,
    output: Path,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Write an export to ``output``; return what was written ("3 gold record(s)").

    ``progress`` hears how many records have been read so far. ExportFailed when the choice is
    refused or the data cannot be written in this format.
    """
    if problem := choice.problem():
        raise ExportFailed(problem)
    try:
        return _write(choice, session=session, scheme=scheme, output=output, progress=progress)
    except (workflow.ExportError, spacy_docbin.DocBinError, conll.ConllError, OSError) as error:
        raise ExportFailed(str(error)) from error


def _write(
    choice: ExportChoice,
    *,
    session: Session,
    scheme: LabelScheme,
    output: Path,
    progress: Callable[[int], None] | None,
) -> str:
    records: Iterable[Record] = workflow.export_records(
        session=session, reviewer=choice.reviewer, all_reviewers=choice.all_reviewers
    )
    if progress is not None:
        records = _counted(records, progress)
    if choice.format == "spacy":
        dev_reports = spacy_docbin.split_reports(
            workflow.export_report_keys(session=session, reviewer=choice.reviewer),
            dev_share=choice.dev_share,
            seed=choice.seed,
        )
        counts = spacy_docbin.write(
            records,
            output,
            categories=scheme.names("categories"),
            dev_reports=dev_reports,
            spans_key=choice.spans_key,
        )
        return f"{counts.train} train and {counts.dev} dev {choice.whose} sentence(s)"
    if choice.format == "brat":
        by_annotator = choice.reviewer is not None or choice.all_reviewers
        count = brat.write(records, output, scheme=scheme, by_annotator=by_annotator)
    elif choice.format == "doccano":
        count = doccano.write(records, output)
    elif choice.format == "conll":
        count = conll.write(records, output)
    elif choice.format == "csv":
        count = spans_csv.write(records, output)
    else:
        count = prodigy.write(records, output, tokens=choice.tokens)
    return f"{count} {choice.whose} record(s)"


def _counted(records: Iterable[Record], progress: Callable[[int], None]) -> Iterator[Record]:
    done = 0
    for record in records:
        yield record
        done += 1
        # Often enough to move the bar, rarely enough not to slow a large export down.
        if done % 100 == 0:
            progress(done)
    progress(done)


def zip_folder(folder: Path) -> bytes:
    """The files under ``folder`` as a zip, paths relative to it, the same bytes every time."""
    with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, path.read_bytes())
        buffer.seek(0)
        return buffer.read()
