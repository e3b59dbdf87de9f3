"""The agreement report shaped for reading: each figure's title and one sentence of guidance,
and the tables and CSV downloads of the agreement page (pandas; no Streamlit, no database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from annotator.formats.spreadsheet import escape_cell
from annotator.workflow.agreement import (
    SECTION_FIGURES,
    SECTIONS,
    PeriodAgreement,
    Section,
    figure_value,
)

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


def over_time_table(points: Sequence[PeriodAgreement]) -> pd.DataFrame:
    """Agreement over time, a row per period: period, sentences, entities F1, events F1,
    categories kappa (NaN where undefined)."""
    columns = ["period", "sentences", "entities F1", "events F1", "categories kappa"]
    records = [
        {
            "period": pd.Timestamp(point.period),
            "sentences": point.sentences,
            "entities F1": point.entities_f1,
            "events F1": point.events_f1,
            "categories kappa": point.categories_kappa,
        }
        for point in points
    ]
    return pd.DataFrame.from_records(records, columns=columns)


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
            "value": figure_value(report[section][name]),
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
            **{FIGURE_TITLES[name]: figure_value(figures[name]) for name in names},
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
                    "value": figure_value(pair),
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
    return safe_csv(pd.DataFrame.from_records(records, columns=columns))


def pairs_csv(report: Mapping[str, Any]) -> str:
    """Every pairwise figure as CSV (the columns of ``pair_table``)."""
    return safe_csv(pair_table(report))


def safe_csv(frame: pd.DataFrame) -> str:
    """A table as CSV that a spreadsheet opens without running any cell (a reviewer or label
    named ``=HYPERLINK(...)``) as a formula; numbers stay numbers."""
    escaped = frame.map(escape_cell).rename(columns=escape_cell)
    return str(escaped.to_csv(index=False))
