"""Agreement between a team's reviewers on what is stored: annotations -> annotator.agreement,
and the figures shaped as tables for the agreement page and its CSV downloads.

Only accepted annotations count: a rejected sentence is one the reviewer found nothing to label
in (or unfit to label), and a skipped one was not decided, so neither has labels to compare.
Agreement rests on the sentences that two or more reviewers accepted; imported annotations
count as their ``_annotator_id``'s, like any reviewer's. The disagreement list compares every
decided (accepted or rejected) version, as the adjudication page does.

A filter (reports, reviewers, days) is applied in the query: only the annotations within it
are compared, so filtering by two reviewers gives the figures between those two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import pandas as pd
from sqlmodel import Session

from annotator import agreement, repository
from annotator.adjudication import Version, compare
from annotator.labels import LabelScheme
from annotator.nlp.text import token_bounds
from annotator.repository import DecidedRow
from annotator.workflow import Draft

Section = Literal["categories", "entities", "events"]
SECTIONS: tuple[Section, ...] = ("categories", "entities", "events")
Period = Literal["day", "week", "month"]
OVERALL = "(all labels)"

FIGURE_TITLES: dict[str, str] = {
    "observed_agreement": "Observed agreement",
    "cohen_kappa": "Cohen's kappa (mean of pairs)",
    "fleiss_kappa": "Fleiss' kappa",
    "krippendorff_alpha": "Krippendorff's alpha",
    "gwet_ac1": "Gwet's AC1",
    "pairwise_f1": "Pairwise F1, strict",
    "pairwise_f1_overlap": "Pairwise F1, overlap",
    "token_krippendorff_alpha": "Krippendorff's alpha over tokens",
}
SECTION_FIGURES: dict[Section, tuple[str, ...]] = {
    "categories": agreement.CATEGORY_FIGURES,
    "entities": ("pairwise_f1", "pairwise_f1_overlap", "token_krippendorff_alpha"),
    "events": ("pairwise_f1", "pairwise_f1_overlap", "token_krippendorff_alpha"),
}
# The figures with a value for every pair of reviewers: what the reviewer-by-reviewer view shows.
PAIRWISE: tuple[tuple[Section, str], ...] = (
    ("entities", "pairwise_f1"),
    ("entities", "pairwise_f1_overlap"),
    ("events", "pairwise_f1"),
    ("events", "pairwise_f1_overlap"),
    ("categories", "cohen_kappa"),
)
GUIDANCE: dict[str, str] = {
    "observed_agreement": (
        "The share of pairs of ratings of the same sentence that agree: easy to read, but "
        "inflated by chance when one category is common, so read it next to a chance-corrected "
        "coefficient."
    ),
    "cohen_kappa": (
        "Agreement between two reviewers corrected for the agreement their own label "
        "frequencies would reach by chance, averaged over every pair: 1 is perfect, 0 is chance "
        "level, below 0 worse than chance; above 0.8 is usually read as strong."
    ),
    "fleiss_kappa": (
        "Kappa for any number of reviewers with chance taken from everyone's pooled label "
        "frequencies, on the sentences with the most common number of ratings; read it like "
        "Cohen's kappa."
    ),
    "krippendorff_alpha": (
        "One minus observed over expected disagreement, for any number of reviewers and missing "
        "ratings: Krippendorff advises relying on data at 0.8 or above and drawing only "
        "tentative conclusions between 0.667 and 0.8."
    ),
    "gwet_ac1": (
        "A chance-corrected coefficient that stays stable when one label dominates, where kappa "
        "and alpha can fall low despite high raw agreement; read it on the same scale as kappa."
    ),
    "pairwise_f1": (
        "How far two reviewers mark the same spans with the same bounds and label (harmonic "
        "mean of precision and recall, pooled over every pair): 1 means identical spans; chance "
        "agreement on spans is negligible, so F1 is the usual stand-in for kappa here."
    ),
    "pairwise_f1_overlap": (
        "The same, counting two spans as matching when they share a character and a label: its "
        "gap to the strict F1 is disagreement on boundaries alone."
    ),
    "token_krippendorff_alpha": (
        "Krippendorff's alpha with each token's label (or none) as a rating, which credits "
        "partly overlapping spans and corrects for chance; read it on the 0.667 / 0.8 thresholds."
    ),
}


class FilterError(ValueError):
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


def agreement_report(
    *, session: Session, scheme: LabelScheme, filters: AgreementFilter | None = None
) -> dict[str, Any]:
    """Every agreement figure on the accepted annotations within the filter, as JSON-ready
    ``categories``, ``entities`` and ``events`` sections."""
    return report_from(decisions(session=session, filters=filters), scheme=scheme)


def report_from(decided: Decisions, *, scheme: LabelScheme) -> dict[str, Any]:
    """The agreement report on the accepted annotations among these decisions."""
    categories: dict[int, dict[str, list[str]]] = {}
    entities: dict[int, dict[str, list[agreement.LabelledSpan]]] = {}
    events: dict[int, dict[str, list[agreement.LabelledSpan]]] = {}
    bounds: dict[int, list[tuple[int, int]]] = {}
    for sentence_id, rows in accepted(decided).items():
        bounds[sentence_id] = token_bounds(rows[0].text)
        for row in rows:
            categories.setdefault(sentence_id, {})[row.reviewer] = list(row.categories)
            entities.setdefault(sentence_id, {})[row.reviewer] = spans_of(row.entities)
            events.setdefault(sentence_id, {})[row.reviewer] = spans_of(row.events)
    return {
        "categories": agreement.category_report(
            categories,
            labels=scheme.names("categories"),
            exclusive=scheme.categories_exclusive,
        ),
        "entities": agreement.span_report(entities, bounds, labels=scheme.names("entities")),
        "events": agreement.span_report(events, bounds, labels=scheme.names("events")),
    }


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


def agreement_over_time(
    decided: Decisions, *, scheme: LabelScheme, period: Period = "week"
) -> pd.DataFrame:
    """Per period, the sentences two or more reviewers accepted whose last accepted annotation
    falls in it, and their strict pairwise F1 (entities, events) and categories' Cohen's kappa;
    NaN where undefined. One row per period with such sentences, oldest first."""
    by_period: dict[date, dict[int, list[DecidedRow]]] = {}
    for sentence_id, rows in accepted(decided).items():
        last = max(as_utc(row.updated_at) for row in rows)
        by_period.setdefault(period_start(last, period), {})[sentence_id] = rows
    records = []
    for start, sentences in sorted(by_period.items()):
        report = report_from(sentences, scheme=scheme)
        records.append(
            {
                "period": pd.Timestamp(start),
                "sentences": len(sentences),
                "entities F1": _value(report["entities"]["pairwise_f1"]),
                "events F1": _value(report["events"]["pairwise_f1"]),
                "categories kappa": _value(report["categories"]["cohen_kappa"]),
            }
        )
    columns = ["period", "sentences", "entities F1", "events F1", "categories kappa"]
    return pd.DataFrame.from_records(records, columns=columns)


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
        draft=Draft.from_rows(row.entities, row.events, row.categories),
    )


# --- tables ---------------------------------------------------------------------------------


def _value(figure: Mapping[str, Any]) -> float:
    value = figure["value"]
    return float("nan") if value is None else float(value)


def _note(figure: Mapping[str, Any]) -> str:
    return str(figure["note"] or "")


def figure_table(report: Mapping[str, Any]) -> pd.DataFrame:
    """The overall figures: section, figure, value (NaN where undefined), how many items
    (sentences; tokens for the alpha over tokens) and reviewers each rests on, and its note
    ("not enough data" where undefined)."""
    records = [
        {
            "section": section,
            "figure": FIGURE_TITLES[name],
            "value": _value(report[section][name]),
            "items": int(report[section][name]["n_items"]),
            "reviewers": int(report[section][name]["n_annotators"]),
            "note": _note(report[section][name]),
        }
        for section in SECTIONS
        for name in SECTION_FIGURES[section]
    ]
    return pd.DataFrame.from_records(
        records, columns=["section", "figure", "value", "items", "reviewers", "note"]
    )


def label_table(report: Mapping[str, Any], section: Section) -> pd.DataFrame:
    """Per label of one section, each figure's value (NaN where undefined) and the sentences
    the first figure rests on."""
    names = SECTION_FIGURES[section]
    records = [
        {
            "label": label,
            **{FIGURE_TITLES[name]: _value(figures[name]) for name in names},
            "sentences": int(figures[names[0]]["n_items"]),
        }
        for label, figures in report[section]["per_label"].items()
    ]
    columns = ["label", *(FIGURE_TITLES[name] for name in names), "sentences"]
    return pd.DataFrame.from_records(records, columns=columns)


def pair_table(report: Mapping[str, Any]) -> pd.DataFrame:
    """Every pairwise figure between two reviewers: section, figure (its key in the JSON
    report), the two reviewers, value
    (NaN where undefined), sentences both decided, precision and recall (spans) and note."""
    records = []
    for section, name in PAIRWISE:
        for pair in report[section][name]["pairs"]:
            first, second = pair["annotators"]
            records.append(
                {
                    "section": section,
                    "figure": name,
                    "reviewer": first,
                    "other reviewer": second,
                    "value": _value(pair),
                    "sentences": int(pair["n_items"]),
                    "precision": _optional(pair.get("precision")),
                    "recall": _optional(pair.get("recall")),
                    "note": _note(pair),
                }
            )
    columns = [
        "section",
        "figure",
        "reviewer",
        "other reviewer",
        "value",
        "sentences",
        "precision",
        "recall",
        "note",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def _optional(value: Any) -> float:
    return float("nan") if value is None else float(value)


def pair_matrix(pairs: pd.DataFrame, *, section: Section, figure: str) -> pd.DataFrame:
    """One pairwise figure as a symmetric reviewer-by-reviewer matrix (NaN on the diagonal and
    for pairs with no figure); ``figure`` is a key of FIGURE_TITLES."""
    chosen = pairs[(pairs["section"] == section) & (pairs["figure"] == figure)]
    names = sorted(set(chosen["reviewer"]) | set(chosen["other reviewer"]))
    matrix = pd.DataFrame(float("nan"), index=pd.Index(names), columns=pd.Index(names))
    for first, second, value in zip(
        chosen["reviewer"], chosen["other reviewer"], chosen["value"], strict=True
    ):
        matrix.loc[first, second] = value
        matrix.loc[second, first] = value
    return matrix


def confusion_table(report: Mapping[str, Any], section: Section) -> pd.DataFrame:
    """The labels two reviewers gave spans with equal bounds (rows: one reviewer, columns: the
    other), limited to the labels that occur; empty when no bounds are shared."""
    confusion: Mapping[str, Mapping[str, int]] = report[section]["confusion"]
    labels = [label for label, row in confusion.items() if any(row.values())]
    return pd.DataFrame(
        [[int(confusion[x][y]) for y in labels] for x in labels],
        index=pd.Index(labels),
        columns=pd.Index(labels),
        dtype="int64",
    )


def figures_csv(report: Mapping[str, Any]) -> str:
    """Every figure, overall and per label, as CSV: section, label, figure (its key in the JSON
    report), value (empty where undefined), items, reviewers, note."""
    records = []
    for section in SECTIONS:
        scopes: Iterable[tuple[str, Mapping[str, Any]]] = [
            (OVERALL, report[section]),
            *report[section]["per_label"].items(),
        ]
        for label, figures in scopes:
            for name in SECTION_FIGURES[section]:
                figure = figures[name]
                records.append(
                    {
                        "section": section,
                        "label": label,
                        "figure": name,
                        "value": figure["value"],
                        "items": figure["n_items"],
                        "reviewers": figure["n_annotators"],
                        "note": _note(figure),
                    }
                )
    columns = ["section", "label", "figure", "value", "items", "reviewers", "note"]
    return str(pd.DataFrame.from_records(records, columns=columns).to_csv(index=False))


def pairs_csv(report: Mapping[str, Any]) -> str:
    """Every pairwise figure as CSV (the columns of ``pair_table``)."""
    return str(pair_table(report).to_csv(index=False))
