"""Agreement between a team's reviewers on what is stored: annotations -> annotator.agreement.

Only accepted annotations count: a rejected sentence is one the reviewer found nothing to label
in (or unfit to label), and a skipped one was not decided, so neither has labels to compare.
Agreement rests on the sentences that two or more reviewers accepted; imported annotations
count as their ``_annotator_id``'s, like any reviewer's. The disagreement list compares every
decided (accepted or rejected) version, as the adjudication page does.

A filter (reports, reviewers, days) is applied in the query: only the annotations within it
are compared, so filtering by two reviewers gives the figures between those two.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlmodel import Session

from annotator import agreement, repository
from annotator.comparison import Version, compare
from annotator.errors import AnnotatorError
from annotator.labels import LabelScheme
from annotator.repository import DecidedRow
from annotator.spans import Draft, arguments_from_dicts
from annotator.tokens import token_bounds

Section = Literal["categories", "entities", "events", "arguments"]
SECTIONS: tuple[Section, ...] = ("categories", "entities", "events", "arguments")
Period = Literal["day", "week", "month"]
# The figures of each section of the report, in the order the page lists them.
SECTION_FIGURES: dict[Section, tuple[str, ...]] = {
    "categories": agreement.CATEGORY_FIGURES,
    "entities": ("pairwise_f1", "pairwise_f1_overlap", "token_krippendorff_alpha"),
    "events": ("pairwise_f1", "pairwise_f1_overlap", "token_krippendorff_alpha"),
    "arguments": ("pairwise_f1", "pairwise_f1_overlap"),
}


class FilterError(AnnotatorError, ValueError):
    """A filter that selects nothing by construction, such as a first day after the last."""


@dataclass(frozen=True)
class AgreementFilter:
    """Which annotations to compare: of these reports, by these reviewers (empty: any), last
    decided between these days (UTC, both included; None: open)."""

    report_ids: tuple[int, ...] = ()
    reviewer_ids: tuple[int, ...] = ()
    first_day: date | None = None
    last_day: date | None = None

    def __post_init__(self) -> None:
        if self.first_day and self.last_day and self.first_day > self.last_day:
            raise FilterError(
                f"The first day ({self.first_day:%Y-%m-%d}) is after the last "
                f"({self.last_day:%Y-%m-%d}); pick a first day on or before the last."
            )

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The first moment included and the first moment excluded, in UTC."""
        since = None if self.first_day is None else datetime.combine(self.first_day, time(), UTC)
        before = (
            None
            if self.last_day is None
            else datetime.combine(self.last_day + timedelta(days=1), time(), UTC)
        )
        return since, before


@dataclass(frozen=True)
class FilterOptions:
    """What the filters can choose from: (id, name) of reports and of reviewers."""

    reports: tuple[tuple[int, str], ...]
    reviewers: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Disagreement:
    """A sentence whose reviewers' versions differ, and by how much (adjudication's score)."""

    sentence_id: int
    report_id: int
    text: str
    reviewers: tuple[str, ...]
    score: float
    has_gold: bool


Decisions = Mapping[int, Sequence[DecidedRow]]


def filter_options(*, session: Session) -> FilterOptions:
    """The reports with a sentence two or more reviewers decided, and every reviewer."""
    reports = repository.reports_with_shared_sentences(session=session)
    reviewers = [
        (reviewer.id, reviewer.name)
        for reviewer in repository.list_reviewers(session=session)
        if reviewer.id is not None
    ]
    return FilterOptions(tuple(reports), tuple(reviewers))


def decisions(
    *, session: Session, filters: AgreementFilter | None = None
) -> dict[int, list[DecidedRow]]:
    """The decided annotations within the filter of each sentence two or more reviewers
    decided within it, by sentence id (ascending) and reviewer name."""
    filters = filters or AgreementFilter()
    since, before = filters.bounds()
    by_sentence: dict[int, list[DecidedRow]] = {}
    for row in repository.iter_decided_annotations(
        session=session,
        report_ids=filters.report_ids,
        reviewer_ids=filters.reviewer_ids,
        since=since,
        before=before,
    ):
        by_sentence.setdefault(row.sentence_id, []).append(row)
    return by_sentence


def accepted(decided: Decisions) -> dict[int, list[DecidedRow]]:
    """The accepted annotations of the sentences two or more reviewers accepted."""
    found = {
        sentence_id: [row for row in rows if row.status == "accept"]
        for sentence_id, rows in decided.items()
    }
    return {sentence_id: rows for sentence_id, rows in found.items() if len(rows) >= 2}


def categories_accepted_once(
    *, session: Session, filters: AgreementFilter | None = None
) -> dict[tuple[str, ...], int]:
    """How many sentences one reviewer alone accepted within the filter, by the sorted
    categories chosen: no pair compares them, but chance agreement counts them (Gwet's AC1)."""
    filters = filters or AgreementFilter()
    since, before = filters.bounds()
    counts: Counter[tuple[str, ...]] = Counter()
    for categories in repository.iter_categories_accepted_once(
        session=session,
        report_ids=filters.report_ids,
        reviewer_ids=filters.reviewer_ids,
        since=since,
        before=before,
    ):
        counts[tuple(sorted(set(categories)))] += 1
    return dict(counts)


def agreement_report(
    *, session: Session, scheme: LabelScheme, filters: AgreementFilter | None = None
) -> dict[str, Any]:
    """Every agreement figure on the accepted annotations within the filter, as JSON-ready
    ``categories``, ``entities`` and ``events`` sections."""
    return report_from(
        decisions(session=session, filters=filters),
        scheme=scheme,
        once=categories_accepted_once(session=session, filters=filters),
    )


def report_from(
    decided: Decisions,
    *,
    scheme: LabelScheme,
    once: Mapping[tuple[str, ...], int] | None = None,
) -> dict[str, Any]:
    """The agreement report on the accepted annotations among these decisions; ``once``
    (``categories_accepted_once``) adds the singly accepted sentences to chance agreement."""
    categories: dict[int, dict[str, list[str]]] = {}
    entities: dict[int, dict[str, list[agreement.LabelledSpan]]] = {}
    events: dict[int, dict[str, list[agreement.LabelledSpan]]] = {}
    arguments: dict[int, dict[str, list[agreement.ArgumentLink]]] = {}
    bounds: dict[int, list[tuple[int, int]]] = {}
    for sentence_id, rows in accepted(decided).items():
        bounds[sentence_id] = token_bounds(rows[0].text)
        for row in rows:
            categories.setdefault(sentence_id, {})[row.reviewer] = list(row.categories)
            entities.setdefault(sentence_id, {})[row.reviewer] = spans_of(row.entities)
            events.setdefault(sentence_id, {})[row.reviewer] = spans_of(row.events)
            arguments.setdefault(sentence_id, {})[row.reviewer] = links_of(row.arguments)
    return {
        "categories": agreement.category_report(
            categories,
            labels=scheme.names("categories"),
            exclusive=scheme.categories_exclusive,
            once=once,
        ),
        "entities": agreement.span_report(entities, bounds, labels=scheme.names("entities")),
        "events": agreement.span_report(events, bounds, labels=scheme.names("events")),
        "arguments": agreement.argument_report(arguments),
    }


def links_of(rows: list[Any]) -> list[agreement.ArgumentLink]:
    """Stored argument rows as (trigger start, trigger end, start, end, role)."""
    return [
        (argument.event.start_char, argument.event.end_char, *bounds, argument.role)
        for argument in arguments_from_dicts(rows)
        for bounds in [(argument.entity.start_char, argument.entity.end_char)]
    ]


def spans_of(rows: list[Any]) -> list[agreement.LabelledSpan]:
    """Stored ``{start, end, label}`` rows as (start_char, end_char, label)."""
    return [(int(row["start"]), int(row["end"]), str(row["label"])) for row in rows]


# --- over time and disagreements ------------------------------------------------------------


def period_start(moment: datetime, period: Period) -> date:
    """The first day (UTC) of the day, week (from Monday) or month ``moment`` falls in."""
    day = as_utc(moment).date()
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp in UTC; SQLite hands them back without their zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class PeriodAgreement:
    """The agreement of the sentences whose last accepted annotation falls in one period; NaN
    where a figure is undefined."""

    period: date
    sentences: int
    entities_f1: float
    events_f1: float
    categories_kappa: float


def agreement_over_time(
    decided: Decisions, *, scheme: LabelScheme, period: Period = "week"
) -> list[PeriodAgreement]:
    """Per period, the sentences two or more reviewers accepted whose last accepted annotation
    falls in it, and their strict pairwise F1 (entities, events) and categories' Cohen's kappa.
    One item per period with such sentences, oldest first."""
    by_period: dict[date, dict[int, list[DecidedRow]]] = {}
    for sentence_id, rows in accepted(decided).items():
        last = max(as_utc(row.updated_at) for row in rows)
        by_period.setdefault(period_start(last, period), {})[sentence_id] = rows
    points = []
    for start, sentences in sorted(by_period.items()):
        report = report_from(sentences, scheme=scheme)
        points.append(
            PeriodAgreement(
                period=start,
                sentences=len(sentences),
                entities_f1=figure_value(report["entities"]["pairwise_f1"]),
                events_f1=figure_value(report["events"]["pairwise_f1"]),
                categories_kappa=figure_value(report["categories"]["cohen_kappa"]),
            )
        )
    return points


def figure_value(figure: Mapping[str, Any]) -> float:
    """A figure of the report as a number, NaN where it is undefined."""
    value = figure["value"]
    return float("nan") if value is None else float(value)


def most_disagreed(decided: Decisions, *, limit: int = 10) -> list[Disagreement]:
    """Up to ``limit`` sentences whose decided versions differ, the most different first (by
    the adjudication queue's score; ties in sentence order)."""
    found = []
    for sentence_id, rows in decided.items():
        comparison = compare([version_of(row) for row in rows])
        if comparison.agreed:
            continue
        first = rows[0]
        found.append(
            Disagreement(
                sentence_id=sentence_id,
                report_id=first.report_id,
                text=first.text,
                reviewers=tuple(row.reviewer for row in rows),
                score=comparison.score,
                has_gold=first.has_gold,
            )
        )
    found.sort(key=lambda item: (-item.score, item.sentence_id))
    return found[:limit]


def version_of(row: DecidedRow) -> Version:
    """A decided annotation as the version adjudication compares."""
    return Version(
        annotation_id=row.annotation_id,
        reviewer_id=row.reviewer_id,
        reviewer=row.reviewer,
        status=row.status,
        draft=Draft.of(row),
    )
