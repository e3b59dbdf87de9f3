"""Importing: store reports and their sentences, and any decisions the records carry.

An import is all or nothing, and checked before anything is stored: every record is read, and
what the readers cannot see is checked against the limits and the database (a record or a
sentence too long for the pipeline, gold that says otherwise than another record or than an
adjudicator); any problem aborts the import with every one of them listed and nothing written.

Nothing is merged silently. Blank texts are skipped and counted. Records of one text are one
report; each reviewer's annotation of it is kept as that reviewer's (so two reviewers' agree or
go to adjudication, by the gold policy); one reviewer's two different annotations of a text are
a problem unless ``force`` takes the last. In a gold import, accepted records are gold, except
where reviewers gave one text different gold: those stay their annotations, for adjudication;
rejected and skipped answers are their reviewers' annotations, never gold. A reviewer's binary
answers of one text (Prodigy's ner.teach, textcat.teach) are merged into one annotation holding
what they accepted. The events' arguments the records carry are stored with their annotations,
gold and suggestions. The summary says each of these, and every span the readers aligned, label
they renamed and relation they left out.
What passes is stored in the caller's transaction (``import_records``), or in a short transaction
per IMPORT_CHUNK records (``import_in_chunks``, for the CLI and the reports page) so that
reviewers saving meanwhile never wait on a long import; a failure midway deletes what that
import stored.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from itertools import islice
from typing import Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator import config, repository
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats.prodigy import merge_binary_answers
from annotator.formats.records import ImportFailed, InvalidRecord, Record, adjustments_of
from annotator.labels import LabelScheme
from annotator.spans import Draft, SpanError, check_draft
from annotator.tokens import split_reports
from annotator.workflow import reports
from annotator.workflow.annotating import save_decision
from annotator.workflow.gold import GoldConflict, GoldPolicy, import_conflict, import_gold

log = logging.getLogger(__name__)

IMPORTED_REVIEWER = "imported"
# Records per transaction: a chunk of reports takes a fraction of a second to store, so a
# reviewer's save waits at most that long for the write lock.
IMPORT_CHUNK = 500

Bounds = list[tuple[int, int]]


@dataclass(frozen=True)
class ImportLimits:
    """The longest record an import reads and the longest sentence it stores (characters)."""

    max_record_chars: int = config.DEFAULT_MAX_RECORD_CHARS
    max_sentence_chars: int = config.DEFAULT_MAX_SENTENCE_CHARS

    @classmethod
    def of(cls, settings: Settings) -> ImportLimits:
        """The limits the settings configure."""
        return cls(
            max_record_chars=settings.max_record_chars,
            max_sentence_chars=settings.max_sentence_chars,
        )


@dataclass
class ImportSummary:
    """What an import added: reports and sentences stored, reviewers' annotations saved, gold
    created or changed; duplicates are records whose content was already stored. The rest says
    what the import did that a reader of the files would not expect: ``notes``."""

    reports: int = 0
    duplicates: int = 0
    sentences: int = 0
    annotations: int = 0
    # A peer's predictions stored as suggestions (Label Studio), one per sentence and model.
    suggestions: int = 0
    # Records whose text is empty or only whitespace: skipped.
    blank: int = 0
    # Binary answers (Prodigy's ner.teach, textcat.teach) merged, and the annotations they made.
    merged_answers: int = 0
    merged_into: int = 0
    # The statuses of the annotations saved ("accept", "reject", "skip").
    statuses: Counter[str] = field(default_factory=Counter)
    # A gold import's rejected and skipped answers: their reviewers' annotations, not gold.
    not_gold: int = 0
    # Records with a decision whose text was stored or read before, kept as these reviewers'.
    kept: int = 0
    kept_reviewers: set[str] = field(default_factory=set)
    # Records repeating an earlier record's decision by the same reviewer: stored once.
    repeated: int = 0
    # Records of a gold import giving the same gold as an earlier record of the text: one gold.
    same_gold: int = 0
    # Records one reviewer gave another decision than a later record (--force: the last).
    overridden: int = 0
    # Texts of a gold import that reviewers gave different gold: their annotations, no gold.
    disputed: int = 0
    disputed_reviewers: set[str] = field(default_factory=set)
    # A reviewer's annotation, or imported or agreed gold, stored before and now replaced.
    replaced_annotations: int = 0
    replaced_gold: int = 0
    # What the readers changed: spans aligned to the tokens (FILE:LINE: what), labels renamed.
    aligned: list[str] = field(default_factory=list)
    renamed: Counter[str] = field(default_factory=Counter)
    # What the files hold that the readers read but this project does not keep (relations).
    left_out: list[str] = field(default_factory=list)
    # The reports this import stored, so that a failure midway can take them back.
    report_ids: list[int] = field(default_factory=list, repr=False)
    # The sentences whose gold this import created or changed (two records of one text: one).
    gold_sentence_ids: set[int] = field(default_factory=set, repr=False)

    @property
    def gold(self) -> int:
        """How many sentences' gold the import created or changed."""
        return len(self.gold_sentence_ids)

    def add(self, other: ImportSummary) -> None:
        """Count what ``other`` (a committed chunk) added as well."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, set):
                mine |= theirs
            elif isinstance(mine, list | Counter):
                mine += theirs
            else:
                setattr(self, item.name, mine + theirs)

    def notes(self) -> list[str]:
        """What the import did besides storing, one sentence each: skipped, merged, kept
        apart, replaced, renamed, left out, aligned (the last two one item per line)."""
        notes: list[str] = []
        if self.blank:
            notes.append(f"{self.blank} record(s) with a blank text were skipped")
        if self.merged_answers:
            notes.append(
                f"{self.merged_answers} binary answer(s) (Prodigy's ner.teach, textcat.teach) "
                f"were merged into {self.merged_into} annotation(s), one per text and reviewer, "
                "holding the spans and labels they accepted"
            )
        if self.kept:
            notes.append(
                f"{self.kept} record(s) repeat a text already imported: kept as the "
                f"annotations of {_names(self.kept_reviewers)}"
            )
        if self.repeated:
            notes.append(
                f"{self.repeated} record(s) repeat the decision of an earlier record for the "
                "same text and reviewer: stored once"
            )
        if self.same_gold:
            notes.append(
                f"{self.same_gold} record(s) give the same gold as an earlier record of their "
                "text: one gold"
            )
        if self.overridden:
            notes.append(
                f"{self.overridden} record(s) were replaced by a later record of the same text "
                "and reviewer that says otherwise (--force: the last is taken)"
            )
        if self.disputed:
            notes.append(
                f"{self.disputed} text(s) were given different gold by "
                f"{_names(self.disputed_reviewers)}: kept as their annotations, not gold, "
                "to agree or be adjudicated"
            )
        rejected, skipped = self.statuses["reject"], self.statuses["skip"]
        if self.not_gold:
            notes.append(
                f"{rejected} rejected and {skipped} skipped (ignored) answer(s) were stored as "
                "their reviewers' annotations, not gold"
            )
        elif rejected or skipped:
            notes.append(f"of the annotations, {rejected} are rejections and {skipped} skips")
        if self.replaced_annotations:
            notes.append(
                f"{self.replaced_annotations} annotation(s) replaced a different one the same "
                "reviewer had stored before (it stays in the history)"
            )
        if self.replaced_gold:
            notes.append(
                f"{self.replaced_gold} sentence(s) had gold that said otherwise: replaced by "
                "this import's"
            )
        if self.renamed:
            notes.append(
                "labels renamed by the label map: "
                + ", ".join(f"{what} ({n})" for what, n in sorted(self.renamed.items()))
            )
        if self.left_out:
            notes.append(f"{len(self.left_out)} item(s) read but not kept:")
            notes.extend(f"  {where}" for where in self.left_out)
        if self.aligned:
            notes.append(f"{len(self.aligned)} span(s) aligned to token boundaries:")
            notes.extend(f"  {where}" for where in self.aligned)
        return notes


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


# What an import does with a record: store its text only, make its annotation gold, save it as
# its reviewer's annotation, or nothing more (an earlier record of the import said the same).
Role = Literal["text", "gold", "annotation", "repeat"]


def content_hash(text: str, *, split: bool) -> str:
    """The identity of a report: its text, and whether it was split into sentences."""
    kind = b"report\0" if split else b"sentence\0"
    return hashlib.sha256(kind + text.encode("utf-8")).hexdigest()


def _stored_reports(*, session: Session, records: Sequence[Record]) -> dict[str, int]:
    """The stored report of each record's text, by the record's content hash (absent: new).

    That is the report stored the same way (split or kept whole), or else the same text stored
    the other way where it serves the record: any such report for a text to annotate (JSONL
    records were kept whole by default once: importing them again adds nothing), and for a
    record with a decision one whose single sentence is the whole text (its spans' offsets
    count from the start of the text).
    """
    own = [content_hash(record.text, split=record.split) for record in records]
    other = [content_hash(record.text, split=not record.split) for record in records]
    found = repository.report_ids_by_hashes(session=session, content_hashes={*own, *other})
    whole = repository.whole_sentence_reports(
        session=session,
        report_ids={
            found[theirs]
            for record, theirs in zip(records, other, strict=True)
            if record.annotation is not None and theirs in found
        },
    )
    stored: dict[str, int] = {}
    for record, mine, theirs in zip(records, own, other, strict=True):
        if mine in found:
            stored[mine] = found[mine]
        elif theirs in found and (record.annotation is None or found[theirs] in whole):
            stored[mine] = found[theirs]
    return stored


@dataclass
class _Checked:
    """The records of an import that passed every check, what to do with each, the sentences
    of the new ones, and what the reading and the plan found to say."""

    records: list[Record]
    roles: list[Role]
    bounds: dict[str, Bounds]
    summary: ImportSummary


def import_records(
    *,
    session: Session,
    records: Iterable[Record],
    scheme: LabelScheme,
    policy: GoldPolicy,
    progress: Callable[[Record], None] | None = None,
    gold: bool = False,
    force: bool = False,
    limits: ImportLimits | None = None,
) -> ImportSummary:
    """Check every record, then store the reports and their sentences (and any decisions they
    carry) in the caller's session; ImportFailed lists every problem, with nothing written.

    With ``gold`` each record's annotation becomes its sentence's gold (source "imported"),
    not a reviewer's decision; gold an adjudicator decided, or another record of the import
    gives, that says otherwise is a problem unless ``force`` (then the last record wins). A
    reviewer's decision makes gold by ``policy``. Re-importing the same content adds nothing.
    ``progress`` is called with each record read. The caller commits.
    """
    checked = _check(
        session=session,
        records=records,
        scheme=scheme,
        limits=limits or ImportLimits(),
        gold=gold,
        force=force,
        progress=progress,
    )
    summary = checked.summary
    for chunk, roles in _chunks(checked):
        summary.add(
            _store_chunk(
                session=session,
                chunk=chunk,
                roles=roles,
                bounds=checked.bounds,
                scheme=scheme,
                policy=policy,
                force=force,
            )
        )
    return summary


def import_in_chunks(
    *,
    engine: Engine,
    records: Iterable[Record],
    scheme: LabelScheme,
    policy: GoldPolicy,
    progress: Callable[[Record], None] | None = None,
    gold: bool = False,
    force: bool = False,
    limits: ImportLimits | None = None,
) -> ImportSummary:
    """``import_records`` in a transaction per IMPORT_CHUNK records, for imports of any size.

    Everything is checked first (ImportFailed, nothing written); then each chunk commits on
    its own, so the database's write lock is never held for more than a chunk. When a chunk
    fails (the database went away, gold was adjudicated meanwhile), the reports this import
    stored are deleted again, with their sentences and the decisions on them, and the error
    is raised. Decisions the records carried for sentences stored before stay saved.
    """
    with session_scope(engine) as session:
        checked = _check(
            session=session,
            records=records,
            scheme=scheme,
            limits=limits or ImportLimits(),
            gold=gold,
            force=force,
            progress=progress,
        )
    summary = checked.summary
    try:
        for chunk, roles in _chunks(checked):
            with session_scope(engine) as session:
                stored = _store_chunk(
                    session=session,
                    chunk=chunk,
                    roles=roles,
                    bounds=checked.bounds,
                    scheme=scheme,
                    policy=policy,
                    force=force,
                )
            # Counted once committed: the ids of a chunk rolled back may be another's by now.
            summary.add(stored)
    except BaseException:
        log.warning("import failed after storing %d report(s); deleting them", summary.reports)
        if summary.report_ids:
            with session_scope(engine) as session:
                reports.remove_reports(session=session, report_ids=summary.report_ids)
        raise
    return summary


def _chunks(checked: _Checked) -> Iterator[tuple[list[Record], list[Role]]]:
    records, roles = iter(checked.records), iter(checked.roles)
    while chunk := list(islice(records, IMPORT_CHUNK)):
        yield chunk, list(islice(roles, len(chunk)))


def _record_chunks(records: Sequence[Record]) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, IMPORT_CHUNK)):
        yield chunk


# --- the checks before anything is stored ---------------------------------------------------


def _check(
    *,
    session: Session,
    records: Iterable[Record],
    scheme: LabelScheme,
    limits: ImportLimits,
    gold: bool,
    force: bool,
    progress: Callable[[Record], None] | None,
) -> _Checked:
    """Read every record and check what the readers cannot; ImportFailed lists every problem
    (the readers' and these, in the order of the files)."""
    read: list[Record] = []
    errors: list[InvalidRecord] = []
    summary = ImportSummary()
    try:
        for record in records:
            if progress is not None:
                progress(record)
            if record.blank:
                summary.blank += 1
                continue
            read.append(record)
    except ImportFailed as failed:
        errors.extend(failed.errors)
    read, problems = merge_binary_answers(read, scheme=scheme)
    errors.extend(problems)
    for record in read:
        if record.answers > 1:
            summary.merged_answers += record.answers
            summary.merged_into += 1
        summary.aligned.extend(adjustments_of(record, kind="aligned"))
        summary.left_out.extend(adjustments_of(record, kind="left out"))
        if record.annotation is not None:
            summary.renamed.update(
                item.what for item in record.annotation.adjustments if item.kind == "renamed"
            )
    roles = _plan(read, gold=gold, force=force, summary=summary, errors=errors)
    bounds: dict[str, Bounds] = {}
    for chunk in _record_chunks(read):
        errors.extend(_check_chunk(session=session, chunk=chunk, limits=limits, bounds=bounds))
    if gold and not force:
        chosen = [record for record, role in zip(read, roles, strict=True) if role == "gold"]
        errors.extend(_gold_conflicts(session=session, records=chosen))
    if errors:
        raise ImportFailed(_in_file_order(errors, records=read))
    return _Checked(records=read, roles=roles, bounds=bounds, summary=summary)


def _plan(
    records: list[Record],
    *,
    gold: bool,
    force: bool,
    summary: ImportSummary,
    errors: list[InvalidRecord],
) -> list[Role]:
    """What to do with each record, by the records of each text: a reviewer's repeats stored
    once (a different one is a problem, or with ``force`` the last is taken); in a gold import
    the accepted ones gold when they agree, their reviewers' annotations when not."""
    roles: list[Role] = [
        "text" if record.annotation is None else "annotation" for record in records
    ]
    by_text: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        if record.annotation is None:
            if gold:
                errors.append(
                    InvalidRecord(
                        record.source,
                        record.line,
                        "no annotation; a gold import needs one on every record",
                    )
                )
            continue
        by_text.setdefault(content_hash(record.text, split=record.split), []).append(index)
    for indexes in by_text.values():
        standing: dict[str, int] = {}  # reviewer -> the index of their record that stands
        for index in indexes:
            record, reviewer = records[index], _reviewer(records[index])
            earlier = standing.get(reviewer)
            if earlier is None:
                standing[reviewer] = index
            elif _decision(records[earlier]) == _decision(record):
                roles[index] = "repeat"
                summary.repeated += 1
            elif force:
                roles[earlier] = "repeat"
                summary.overridden += 1
                standing[reviewer] = index
            else:
                first = records[earlier]
                what = "other gold" if gold and _status(record) == "accept" else "another decision"
                errors.append(
                    InvalidRecord(
                        record.source,
                        record.line,
                        f"gives {what} for the same text than {first.source}:{first.line}"
                        f" (both by {reviewer}); keep one of them, or import with --force to "
                        "take the last",
                    )
                )
        if gold:
            _plan_gold(records, sorted(standing.values()), roles=roles, summary=summary)
        elif len(standing) > 1:
            summary.kept_reviewers.update(standing)
    return roles


def _plan_gold(
    records: list[Record], standing: list[int], *, roles: list[Role], summary: ImportSummary
) -> None:
    """One text's records in a gold import, one per reviewer: the accepted ones are its gold
    when they agree, else they stay their reviewers' annotations (to be adjudicated)."""
    accepted = [index for index in standing if _status(records[index]) == "accept"]
    summary.not_gold += len(standing) - len(accepted)
    if len({_decision(records[index]) for index in accepted}) > 1:
        summary.disputed += 1
        summary.disputed_reviewers.update(_reviewer(records[index]) for index in accepted)
        summary.kept_reviewers.update(_reviewer(records[index]) for index in accepted)
        return
    for position, index in enumerate(accepted):
        roles[index] = "gold" if position == 0 else "repeat"
        summary.same_gold += position > 0


def _reviewer(record: Record) -> str:
    annotation = record.annotation
    assert annotation is not None
    return annotation.annotator or IMPORTED_REVIEWER


def _status(record: Record) -> str:
    annotation = record.annotation
    assert annotation is not None
    return annotation.status


def _decision(record: Record) -> tuple[str, str]:
    return _status(record), repr(_draft_of(record).rows())


def _check_chunk(
    *,
    session: Session,
    chunk: list[Record],
    limits: ImportLimits,
    bounds: dict[str, Bounds],
) -> Iterator[InvalidRecord]:
    """The problems of one chunk of records; the sentences of its new reports go to ``bounds``."""
    fits = [record for record in chunk if len(record.text) <= limits.max_record_chars]
    for record in chunk:
        if len(record.text) > limits.max_record_chars:
            yield InvalidRecord(
                record.source,
                record.line,
                f"the text has {len(record.text):,} characters, more than the "
                f"{limits.max_record_chars:,} a record may have (ANNOTATOR_MAX_RECORD_CHARS); "
                "split it into several records or files",
            )
    hashes: dict[str, Record] = {}
    for record in fits:  # the first record of a text is the one stored
        hashes.setdefault(content_hash(record.text, split=record.split), record)
    stored = _stored_reports(session=session, records=fits)
    new = [
        (report_hash, record)
        for report_hash, record in hashes.items()
        if report_hash not in stored and report_hash not in bounds
    ]
    to_split = [(report_hash, record) for report_hash, record in new if record.split]
    for (report_hash, _), found in zip(
        to_split, split_reports([record.text for _, record in to_split]), strict=True
    ):
        bounds[report_hash] = found
    for report_hash, record in new:
        if not record.split:
            bounds[report_hash] = [(0, len(record.text))]
        yield from _long_sentences(record, bounds[report_hash], limits=limits)


def _long_sentences(
    record: Record, bounds: Bounds, *, limits: ImportLimits
) -> Iterator[InvalidRecord]:
    for position, (start, end) in enumerate(bounds):
        if end - start <= limits.max_sentence_chars:
            continue
        line = record.line + (record.text.count("\n", 0, start) if record.text_lines else 0)
        which = "the text" if not record.split else f"sentence {position + 1} of the text"
        yield InvalidRecord(
            record.source,
            line,
            f"{which} has {end - start:,} characters, more than the "
            f"{limits.max_sentence_chars:,} a sentence may have "
            "(ANNOTATOR_MAX_SENTENCE_CHARS)"
            + (
                "; end its sentences with full stops or line breaks"
                if record.split
                else "; import it without --keep-records to split it into sentences"
                if record.annotation is None
                else ""
            ),
        )


def _draft_of(record: Record) -> Draft:
    annotation = record.annotation
    assert annotation is not None
    return Draft(
        annotation.entities, annotation.events, annotation.categories, annotation.arguments
    )


def _gold_conflicts(*, session: Session, records: list[Record]) -> Iterator[InvalidRecord]:
    """Records whose text already has gold an adjudicator decided that says otherwise."""
    stored = _stored_reports(session=session, records=records) if records else {}
    known = [
        (record, stored[report_hash])
        for record in records
        if record.annotation is not None
        and (report_hash := content_hash(record.text, split=record.split)) in stored
    ]
    golds = repository.gold_of_reports(session=session, report_ids=[i for _, i in known])
    for record, report_id in known:
        gold = golds.get(report_id)
        if gold is None:
            continue
        conflict = import_conflict(session=session, gold=gold, draft=_draft_of(record))
        if conflict is not None:
            yield InvalidRecord(record.source, record.line, conflict)


def _in_file_order(errors: list[InvalidRecord], *, records: list[Record]) -> list[InvalidRecord]:
    """The problems by file (in the order the files were read) and line."""
    rank: dict[str, int] = {}
    for source in [*(e.source for e in errors if e.line == 0), *(r.source for r in records)]:
        rank.setdefault(source, len(rank))
    for error in errors:
        rank.setdefault(error.source, len(rank))
    # Stable: the readers' own order stays within a file and line.
    return sorted(errors, key=lambda error: (rank[error.source], error.line))


# --- storing ----------------------------------------------------------------------------------


def _store_chunk(
    *,
    session: Session,
    chunk: list[Record],
    roles: list[Role],
    bounds: dict[str, Bounds],
    scheme: LabelScheme,
    policy: GoldPolicy,
    force: bool,
) -> ImportSummary:
    """Store one chunk of checked records, each as its role says; what it added."""
    summary = ImportSummary()
    report_ids, repeats = _store_reports(
        session=session, chunk=chunk, bounds=bounds, summary=summary
    )
    for record, role, report_id, repeat in zip(chunk, roles, report_ids, repeats, strict=True):
        if role == "gold":
            _import_gold(
                session=session,
                record=record,
                report_id=report_id,
                scheme=scheme,
                force=force,
                summary=summary,
            )
        elif role == "annotation":
            saved = _import_annotation(
                session=session,
                record=record,
                report_id=report_id,
                scheme=scheme,
                policy=policy,
                summary=summary,
            )
            if repeat and saved:
                summary.kept += 1
                summary.kept_reviewers.add(_reviewer(record))
        if record.suggestions:
            summary.suggestions += _import_suggestions(
                session=session, record=record, report_id=report_id
            )
    return summary


def _import_suggestions(*, session: Session, record: Record, report_id: int) -> int:
    """Store the record's suggestions (a peer's predictions) as its sentence's, each model
    version once; return how many were new."""
    sentence_id = _only_sentence(session=session, record=record, report_id=report_id)
    stored = repository.suggestion_models(session=session, sentence_id=sentence_id)
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for suggestion in record.suggestions:
        key = (suggestion.model_name, suggestion.model_version)
        if key in stored or key in rows:
            continue
        draft = Draft(
            suggestion.entities, suggestion.events, suggestion.categories, suggestion.arguments
        )
        rows[key] = {
            "sentence_id": sentence_id,
            "model_name": suggestion.model_name,
            "model_version": suggestion.model_version,
            **draft.rows(),
        }
    repository.insert_suggestions(session=session, rows=list(rows.values()))
    return len(rows)


def _store_reports(
    *, session: Session, chunk: list[Record], bounds: dict[str, Bounds], summary: ImportSummary
) -> tuple[list[int], list[bool]]:
    """Insert the reports of a chunk that are not stored yet, with their sentences; return the
    report id of every record (a duplicate gets the id of the report stored before) and
    whether its text was stored before (by an earlier import or record)."""
    hashes = [content_hash(record.text, split=record.split) for record in chunk]
    # Two queries find the reports already stored, one statement inserts the new ones, one
    # their sentences: a statement per report cost more than splitting the text.
    ids = _stored_reports(session=session, records=chunk)
    fresh: dict[str, Record] = {}
    repeats: list[bool] = []
    for record, report_hash in zip(chunk, hashes, strict=True):
        repeats.append(report_hash in ids or report_hash in fresh)
        if repeats[-1]:
            summary.duplicates += 1
        else:
            fresh[report_hash] = record
    # A report deleted since the checks has no sentences worked out yet.
    missing = [h for h, record in fresh.items() if h not in bounds and record.split]
    for report_hash, found in zip(
        missing, split_reports([fresh[h].text for h in missing]), strict=True
    ):
        bounds[report_hash] = found
    offsets = [
        bounds.get(report_hash, [(0, len(record.text))]) for report_hash, record in fresh.items()
    ]
    new_ids = repository.insert_reports(
        session=session,
        rows=[
            {
                "content_hash": report_hash,
                "source": record.source,
                "text": record.text,
                "meta": dict(record.meta),
                "n_sentences": len(found),
            }
            for (report_hash, record), found in zip(fresh.items(), offsets, strict=True)
        ],
    )
    ids.update(zip(fresh, new_ids, strict=True))
    rows = [
        {
            "report_id": report_id,
            "position": position,
            "start_char": start,
            "end_char": end,
            "text": record.text[start:end],
            "content_hash": hashlib.sha256(record.text[start:end].encode("utf-8")).hexdigest(),
        }
        for record, report_id, found in zip(fresh.values(), new_ids, offsets, strict=True)
        for position, (start, end) in enumerate(found)
    ]
    repository.insert_sentences(session=session, rows=rows)
    summary.reports += len(new_ids)
    summary.sentences += len(rows)
    summary.report_ids.extend(new_ids)
    return [ids[report_hash] for report_hash in hashes], repeats


def _only_sentence(*, session: Session, record: Record, report_id: int) -> int:
    """The one sentence of a record kept whole (a record with a decision always is)."""
    (sentence_id,) = repository.sentence_ids_of_report(session=session, report_id=report_id)
    return sentence_id


def _import_annotation(
    *,
    session: Session,
    record: Record,
    report_id: int,
    scheme: LabelScheme,
    policy: GoldPolicy,
    summary: ImportSummary,
) -> bool:
    """Save the record's annotation as its reviewer's; False when it is stored already."""
    annotation = record.annotation
    assert annotation is not None
    sentence_id = _only_sentence(session=session, record=record, report_id=report_id)
    reviewer = repository.ensure_reviewer(
        session=session, name=annotation.annotator or IMPORTED_REVIEWER
    )
    assert reviewer.id is not None
    draft = _draft_of(record)
    existing = repository.annotation_of(
        session=session, sentence_id=sentence_id, reviewer_id=reviewer.id
    )
    if (
        existing is not None
        and existing.status == annotation.status
        and Draft.of(existing).rows() == draft.rows()
    ):
        return False
    before = _gold_state(session=session, sentence_id=sentence_id)
    save_decision(
        session=session,
        sentence_id=sentence_id,
        reviewer_id=reviewer.id,
        status=annotation.status,
        draft=draft,
        scheme=scheme,
        policy=policy,
    )
    summary.annotations += 1
    summary.statuses[annotation.status] += 1
    summary.replaced_annotations += existing is not None
    # Gold is what the policy made of the decision, not every accepted record.
    after = _gold_state(session=session, sentence_id=sentence_id)
    if after is not None and after != before:
        summary.gold_sentence_ids.add(sentence_id)
    return True


def _gold_state(*, session: Session, sentence_id: int) -> tuple[int | None, int] | None:
    # Values, not the row: reading the gold again refreshes the same ORM object in place.
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    return None if gold is None else (gold.id, gold.version)


def _import_gold(
    *,
    session: Session,
    record: Record,
    report_id: int,
    scheme: LabelScheme,
    force: bool,
    summary: ImportSummary,
) -> None:
    if record.annotation is None:
        raise InvalidRecord(
            record.source, record.line, "no annotation; a gold import needs one on every record"
        )
    sentence_id = _only_sentence(session=session, record=record, report_id=report_id)
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    assert sentence is not None
    draft = _draft_of(record)
    try:
        check_draft(draft, text=sentence.text, scheme=scheme)
    except SpanError as error:
        raise InvalidRecord(record.source, record.line, str(error)) from error
    before = _gold_state(session=session, sentence_id=sentence_id)
    try:
        written = import_gold(session=session, sentence_id=sentence_id, draft=draft, force=force)
    except GoldConflict as conflict:  # adjudicated after the checks
        raise ImportFailed([InvalidRecord(record.source, record.line, str(conflict))]) from None
    if written:
        summary.gold_sentence_ids.add(sentence_id)
        summary.replaced_gold += before is not None


# --- what is stored ---------------------------------------------------------------------------


def stored_counts(*, session: Session) -> dict[str, int]:
    """How many reports, sentences, suggestions, annotations and gold rows are stored."""
    return repository.count_rows(session=session)
