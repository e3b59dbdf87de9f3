"""Exports as ``annotator export`` and the export page make them: what to export, checked, and
written with the format modules into a file or folder (zipped the same way every time).

A folder export (spacy, brat) is written whole into a temporary folder beside its target and
swapped in at the end (``formats.files.replacing_directory``): a reader sees the old export or
the new one, never a new ``train.spacy`` beside an old ``dev.spacy``. The folder is the
export's: one holding files an export did not write is refused, never replaced.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from annotator import config, repository
from annotator.errors import AnnotatorError
from annotator.formats import brat, conll, spacy_docbin
from annotator.formats.files import replacing_directory
from annotator.formats.prodigy import record_to_json
from annotator.formats.records import Record, RecordAnnotation
from annotator.formats.registry import write_records
from annotator.labels import LabelScheme
from annotator.models import Report, Sentence
from annotator.spans import Draft, Status


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
    "doccano": Format(
        "doccano JSONL (sequence labelling with relations)", "-doccano.jsonl", "application/jsonl"
    ),
    "conll": Format("CoNLL-2003 IOB (entities only)", ".conll", "text/plain"),
    "brat": Format("brat standoff (.txt + .ann)", "-brat.zip", "application/zip", True),
    "csv": Format("CSV (one row per span)", ".csv", "text/csv"),
    "label-studio": Format("Label Studio JSON (tasks)", "-label-studio.json", "application/json"),
}
# Every entry in a zip gets this time, so the same export always gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ExportFailed(AnnotatorError, ValueError):
    """An export that could not be written; nothing is offered for download."""


@dataclass(frozen=True)
class ExportChoice:
    """What to export, with the options of ``annotator export``."""

    format: str = "jsonl"
    reviewer: str | None = None
    all_reviewers: bool = False
    dev_share: float = config.DEFAULT_DEV_SHARE
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
        if not FORMATS[choice.format].folder:
            return _write(choice, session=session, scheme=scheme, output=output, progress=progress)
        output = output.resolve()
        if problem := _folder_problem(output, format=choice.format):
            raise ExportFailed(problem)
        with replacing_directory(output) as folder:
            return _write(choice, session=session, scheme=scheme, output=folder, progress=progress)
    except (ExportError, spacy_docbin.DocBinError, conll.ConllError, OSError) as error:
        raise ExportFailed(str(error)) from error


def _folder_problem(output: Path, *, format: str) -> str | None:
    """Why ``output`` cannot become this folder export (replacing it whole), or None."""
    if output == Path.cwd() or output in Path.cwd().parents:
        return f"{output} is the current folder or holds it; name a folder for the export"
    if not output.exists():
        return None
    if not output.is_dir():
        return f"{output} is a file; a {format} export is a folder"
    foreign = sorted(
        str(path.relative_to(output))
        for path in output.rglob("*")
        if not _written_by_export(path, folder=output, format=format)
    )
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        return (
            f"{output} holds files a {format} export does not write ({shown}); an export "
            "replaces its folder whole: name a new or empty folder"
        )
    return None


def _written_by_export(path: Path, *, folder: Path, format: str) -> bool:
    """Whether an export of this format into ``folder`` writes ``path``, a file or folder in it."""
    relative = path.relative_to(folder)
    if format == "spacy":
        return relative.as_posix() in (spacy_docbin.TRAIN, spacy_docbin.DEV)
    # brat: annotation.conf and a .txt/.ann pair per sentence, in a folder per reviewer or not.
    if path.is_dir():
        return len(relative.parts) == 1
    return len(relative.parts) <= 2 and (
        relative.name == brat.CONFIG or relative.suffix in (".txt", ".ann")
    )


def _write(
    choice: ExportChoice,
    *,
    session: Session,
    scheme: LabelScheme,
    output: Path,
    progress: Callable[[int], None] | None,
) -> str:
    records: Iterable[Record] = export_records(
        session=session, reviewer=choice.reviewer, all_reviewers=choice.all_reviewers
    )
    if progress is not None:
        records = _counted(records, progress)
    left_out = ""
    if choice.reviewer is None and not choice.all_reviewers:
        rejected = repository.count_gold(session=session, status="reject")
        left_out = f"; {rejected} rejected sentence(s) left out" if rejected else ""
    if choice.format == "spacy":
        dev_reports = spacy_docbin.split_reports(
            export_report_keys(session=session, reviewer=choice.reviewer),
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
        return f"{counts.train} train and {counts.dev} dev {choice.whose} sentence(s){left_out}"
    count = write_records(
        records,
        output,
        format=choice.format,
        scheme=scheme,
        by_annotator=choice.reviewer is not None or choice.all_reviewers,
        tokens=choice.tokens,
    )
    return f"{count} {choice.whose} record(s){left_out}"


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


# --- records from the database ---------------------------------------------------------


class ExportError(AnnotatorError, ValueError):
    """An export that cannot be made (an unknown reviewer...)."""


def _record_for(
    sentence: Sentence,
    report: Report,
    *,
    draft: Draft,
    annotator: str | None,
    status: Status,
) -> Record:
    meta = dict(report.meta)
    meta.update({"report": report.source, "sentence": sentence.position})
    return Record(
        text=sentence.text,
        source=report.source,
        line=sentence.position + 1,
        meta=meta,
        split=False,
        annotation=RecordAnnotation(
            entities=draft.entities,
            events=draft.events,
            categories=draft.categories,
            annotator=annotator,
            status=status,
            # An argument whose span is gone (a row stored before its checks) is not written.
            arguments=draft.without_dangling().arguments,
        ),
        report_key=report.content_hash,
        position=sentence.position,
    )


def _reviewer_id(*, session: Session, name: str) -> int:
    reviewer = repository.reviewer_named(session=session, name=name)
    if reviewer is None or reviewer.id is None:
        raise ExportError(f"no reviewer named {name!r}")
    return reviewer.id


def export_records(
    *, session: Session, reviewer: str | None = None, all_reviewers: bool = False
) -> Iterator[Record]:
    """The gold (by default; rejected sentences are left out), one reviewer's annotations, or
    every reviewer's, as records in sentence order, streamed from the database."""
    if reviewer is None and not all_reviewers:
        for gold, sentence, report in repository.iter_gold(session=session):
            yield _record_for(
                sentence, report, draft=Draft.of(gold), annotator=None, status="accept"
            )
        return
    reviewer_id = None if reviewer is None else _reviewer_id(session=session, name=reviewer)
    for annotation, who, sentence, report in repository.iter_annotations(
        session=session, reviewer_id=reviewer_id
    ):
        status: Status = annotation.status  # type: ignore[assignment]
        yield _record_for(
            sentence, report, draft=Draft.of(annotation), annotator=who.name, status=status
        )


def export_report_keys(*, session: Session, reviewer: str | None = None) -> list[str]:
    """The reports an export of the gold (or of one reviewer) draws on, for a train/dev split."""
    if reviewer is None:
        return repository.gold_report_keys(session=session)
    reviewer_id = _reviewer_id(session=session, name=reviewer)
    return repository.annotated_report_keys(session=session, reviewer_id=reviewer_id)


def gold_records(*, session: Session, tokens: bool = False) -> Iterator[dict[str, Any]]:
    """The gold as Prodigy-style records, in report order (rejected sentences left out)."""
    for gold, sentence, report in repository.iter_gold(session=session):
        meta = dict(report.meta)
        meta.update({"report": report.source, "sentence": sentence.position})
        draft = Draft.of(gold).without_dangling()
        yield record_to_json(
            sentence.text,
            meta=meta,
            entities=draft.entities,
            events=draft.events,
            categories=draft.categories,
            annotator=None,
            status="accept",
            tokens=tokens,
            arguments=draft.arguments,
        )


# --- what the export page shows -----------------------------------------------------------


@dataclass(frozen=True)
class ExportCounts:
    """What there is to export: the gold sentences, and each reviewer's annotations by name
    (0 for none, in name order); and the sentences an adjudicator rejected, which a gold
    export leaves out."""

    gold: int
    annotations: Mapping[str, int]
    rejected: int = 0

    @property
    def reviewers(self) -> list[str]:
        """The reviewers who annotated something, by name: those whose work can be exported."""
        return [name for name, count in self.annotations.items() if count]

    def records_of(self, choice: ExportChoice) -> int:
        """How many records this export reads (the length of its progress bar)."""
        if choice.all_reviewers:
            return sum(self.annotations.values())
        if choice.reviewer is not None:
            return self.annotations.get(choice.reviewer, 0)
        return self.gold


def export_counts(*, session: Session) -> ExportCounts:
    """The gold and every reviewer's annotations, counted."""
    return ExportCounts(
        gold=repository.count_gold(session=session),
        annotations=repository.annotation_counts(session=session),
        rejected=repository.count_gold(session=session, status="reject"),
    )
