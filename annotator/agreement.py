"""Agreement between reviewers: pure functions, arrays and mappings in, figures out.

Two shapes of data come in:

* Ratings, of sentence categories or of tokens: a 2-D integer array with one row per item and one
  column per reviewer, holding the code (0 .. k-1) of the value the reviewer gave the item, or
  ``MISSING`` where the reviewer did not rate it. (The ``krippendorff`` package takes the
  transpose, reviewers by units.)
* Spans, of entities or events: for every item (a sentence), the spans each reviewer who rated it
  marked, as ``(start_char, end_char, label)``; a reviewer who rated an item and marked nothing
  maps to an empty collection.

Every figure says how many items and reviewers it rests on, and where it is undefined (nothing to
compare, or every rating the same so that chance agreement is total) its value is ``None`` with
the note "not enough data". Krippendorff's alpha is nominal throughout.

No database and no Streamlit here; ``annotator.workflow.agreement`` turns stored annotations
into these inputs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, combinations
from operator import itemgetter
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

MISSING = -1
NOT_ENOUGH_DATA = "not enough data"
# The value of a sentence no category was given to (exclusive categories), and of a token outside
# every span: a reviewer choosing nothing is a rating like any other.
NO_CATEGORY = "(none)"
OUTSIDE = "O"

Codes = npt.NDArray[np.int64]
LabelledSpan = tuple[int, int, str]
# An event argument: its trigger's bounds, the argument span's bounds and its role.
ArgumentLink = tuple[int, int, int, int, str]
Item = TypeVar("Item", bound=Hashable)
SpansByItem = Mapping[Item, Mapping[str, Collection[LabelledSpan]]]
ChoicesByItem = Mapping[Item, Mapping[str, Collection[str]]]
ArgumentsByItem = Mapping[Item, Mapping[str, Collection[ArgumentLink]]]
BoundsByItem = Mapping[Item, Sequence[tuple[int, int]]]

CATEGORY_FIGURES = (
    "observed_agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "gwet_ac1",
)


# --- figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One agreement figure and what it rests on; ``value`` is None where it is undefined."""

    value: float | None
    n_items: int
    n_annotators: int
    note: str | None = None

    @classmethod
    def undefined(cls, *, n_items: int = 0, n_annotators: int = 0) -> Figure:
        """A figure that cannot be computed from what there is."""
        return cls(None, n_items, n_annotators, NOT_ENOUGH_DATA)

    def to_dict(self) -> dict[str, Any]:
        """``{value, n_items, n_annotators, note}``; value null where undefined."""
        return {
            "value": None if self.value is None else float(self.value),
            "n_items": int(self.n_items),
            "n_annotators": int(self.n_annotators),
            "note": self.note,
        }


@dataclass(frozen=True)
class Pair:
    """A figure between two reviewers; ``detail`` holds precision and recall for spans."""

    annotators: tuple[str, str]
    figure: Figure
    detail: Mapping[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{annotators, value, n_items, n_annotators, note, ...detail}``."""
        return {"annotators": list(self.annotators), **self.figure.to_dict(), **self.detail}


@dataclass(frozen=True)
class Pairwise:
    """A figure over every pair of reviewers, and each pair's own."""

    figure: Figure
    pairs: tuple[Pair, ...]

    def to_dict(self) -> dict[str, Any]:
        """The overall figure's keys and ``pairs``."""
        return {**self.figure.to_dict(), "pairs": [pair.to_dict() for pair in self.pairs]}


# --- ratings: categories and tokens -------------------------------------------------------


def check_codes(codes: npt.ArrayLike) -> Codes:
    """Ratings as an (items, reviewers) int64 array; raise ValueError on another shape."""
    array = np.asarray(codes)
    if array.ndim != 2:
        raise ValueError(f"ratings must be a 2-D (items, reviewers) array, got {array.ndim}-D")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"ratings must be integer codes, got {array.dtype}")
    array = array.astype(np.int64, copy=False)
    if array.size and array.min() < MISSING:
        raise ValueError(f"rating codes are >= 0, or {MISSING} for missing")
    return array


def value_counts(codes: npt.ArrayLike, n_values: int | None = None) -> Codes:
    """How many reviewers gave each value to each item: an (items, values) array."""
    array = check_codes(codes)
    highest = int(array.max()) if array.size else MISSING
    k = highest + 1 if n_values is None else n_values
    if highest >= k:
        raise ValueError(f"rating code {highest} is outside the {k} values")
    n_items = array.shape[0]
    if k == 0:
        return np.zeros((n_items, 0), dtype=np.int64)
    rated = array >= 0
    index = (np.arange(n_items, dtype=np.int64)[:, None] * k + array)[rated]
    return np.bincount(index, minlength=n_items * k).reshape(n_items, k).astype(np.int64)


def _rated_by(codes: Codes, rows: npt.NDArray[np.bool_]) -> int:
    """How many reviewers rated at least one of these items."""
    return int((codes[rows] >= 0).any(axis=0).sum())


def observed_agreement(codes: npt.ArrayLike, n_values: int | None = None) -> Figure:
    """The share of agreeing pairs among all pairs of ratings given to the same item."""
    array = check_codes(codes)
    counts = value_counts(array, n_values)
    m = counts.sum(axis=1)
    pairable = m >= 2
    n_items, n_annotators = int(pairable.sum()), _rated_by(array, pairable)
    pairs = int((m[pairable] * (m[pairable] - 1)).sum())
    if pairs == 0:
        return Figure.undefined(n_items=n_items, n_annotators=n_annotators)
    agreeing = int((counts[pairable] * (counts[pairable] - 1)).sum())
    return Figure(agreeing / pairs, n_items, n_annotators)


def cohen_kappa(first: npt.ArrayLike, second: npt.ArrayLike) -> Figure:
    """Cohen's kappa between two reviewers, on the items both rated."""
    a, b = np.asarray(first, dtype=np.int64), np.asarray(second, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("Cohen's kappa needs two 1-D rating arrays of the same length")
    both = (a >= 0) & (b >= 0)
    n = int(both.sum())
    if n == 0:
        return Figure.undefined(n_annotators=2)
    a, b = a[both], b[both]
    k = int(max(a.max(), b.max())) + 1
    table = np.bincount(a * k + b, minlength=k * k).reshape(k, k)
    agreeing = int(np.trace(table))
    # In counts rather than shares, so that "chance agreement is total" is an exact test.
    chance = int(table.sum(axis=1) @ table.sum(axis=0))
    if chance == n * n:
        return Figure.undefined(n_items=n, n_annotators=2)
    return Figure((n * agreeing - chance) / (n * n - chance), n, 2)


def pairwise_cohen_kappa(codes: npt.ArrayLike, annotators: Sequence[str]) -> Pairwise:
    """Cohen's kappa for every pair of reviewers with items in common, and their mean."""
    array = check_codes(codes)
    _check_annotators(array, annotators)
    pairs = tuple(
        Pair((annotators[i], annotators[j]), figure)
        for i, j in combinations(range(array.shape[1]), 2)
        if (figure := cohen_kappa(array[:, i], array[:, j])).n_items > 0
    )
    pairable = (array >= 0).sum(axis=1) >= 2
    overall = _mean(
        [pair.figure for pair in pairs],
        n_items=int(pairable.sum()),
        n_annotators=_rated_by(array, pairable),
    )
    return Pairwise(overall, pairs)


def fleiss_kappa_table(table: npt.ArrayLike) -> Figure:
    """Fleiss' kappa from an (items, values) table of counts, the same number of ratings per item.

    ``n_annotators`` is the number of ratings per item: a table does not say who gave them.
    """
    counts = np.asarray(table, dtype=np.int64)
    if counts.ndim != 2:
        raise ValueError("Fleiss' kappa needs a 2-D (items, values) table of counts")
    m = counts.sum(axis=1)
    if counts.shape[0] == 0:
        return Figure.undefined()
    if (m != m[0]).any():
        raise ValueError("Fleiss' kappa needs the same number of ratings for every item")
    n_items, per_item = counts.shape[0], int(m[0])
    if per_item < 2:
        return Figure.undefined(n_items=n_items, n_annotators=per_item)
    totals = counts.sum(axis=0)
    all_ratings = n_items * per_item
    if int(totals @ totals) == all_ratings * all_ratings:
        return Figure.undefined(n_items=n_items, n_annotators=per_item)
    observed = float(((counts * counts).sum(axis=1) - per_item).mean()) / (
        per_item * (per_item - 1)
    )
    shares = totals / all_ratings
    chance = float(shares @ shares)
    return Figure((observed - chance) / (1 - chance), n_items, per_item)


def fleiss_kappa(codes: npt.ArrayLike, n_values: int | None = None) -> Figure:
    """Fleiss' kappa on the items with the most common number of ratings (two or more).

    Fleiss' kappa needs the same number of ratings per item; when items have different numbers,
    the most common one is used (the larger on a tie) and the note says how many items that is.
    """
    array = check_codes(codes)
    counts = value_counts(array, n_values)
    m = counts.sum(axis=1)
    pairable = m >= 2
    if not pairable.any():
        return Figure.undefined(n_items=0, n_annotators=_rated_by(array, pairable))
    sizes, frequencies = np.unique(m[pairable], return_counts=True)
    size = int(sizes[len(sizes) - 1 - int(np.argmax(frequencies[::-1]))])
    rows = m == size
    figure = fleiss_kappa_table(counts[rows])
    note = figure.note
    if note is None and rows.sum() < pairable.sum():
        note = f"on the {int(rows.sum())} of {int(pairable.sum())} items with {size} ratings"
    return Figure(figure.value, int(rows.sum()), _rated_by(array, rows), note)


def krippendorff_alpha(codes: npt.ArrayLike, n_values: int | None = None) -> Figure:
    """Krippendorff's alpha, nominal, any number of reviewers, missing ratings allowed.

    From the coincidence matrix, without building it: nominal alpha needs only its diagonal,
    sum over items of (sum of squared value counts - m) / (m - 1), and its margins, the value
    counts over pairable items. Vectorised: one bincount and a few array sums, no loop over items.
    """
    array = check_codes(codes)
    counts = value_counts(array, n_values)
    m = counts.sum(axis=1)
    pairable = m >= 2
    n_items, n_annotators = int(pairable.sum()), _rated_by(array, pairable)
    counts, m = counts[pairable], m[pairable]
    margins = counts.sum(axis=0)
    n = int(margins.sum())
    expected = n * n - int(margins @ margins)
    if n < 2 or expected == 0:
        return Figure.undefined(n_items=n_items, n_annotators=n_annotators)
    agreeing = float((((counts * counts).sum(axis=1) - m) / (m - 1)).sum())
    return Figure(1 - (n - 1) * (n - agreeing) / expected, n_items, n_annotators)


def gwet_ac1(
    codes: npt.ArrayLike, n_values: int | None = None, *, once: npt.ArrayLike | None = None
) -> Figure:
    """Gwet's AC1 for any number of reviewers, missing ratings allowed (Gwet 2014).

    ``n_values`` is the number of values a reviewer could choose from (default: the highest code
    plus one); chance agreement depends on it. Chance agreement rests on every unit rated at
    least once: the rows of ``codes`` with a rating, and ``once``, how many further units a single
    reviewer gave each value (kept as counts, so that a million singly rated sentences cost no
    more than their values). Observed agreement rests on the units rated twice or more.
    """
    array = check_codes(codes)
    counts = value_counts(array, n_values)
    q = counts.shape[1]
    extra = np.zeros(q, dtype=np.int64) if once is None else np.asarray(once, dtype=np.int64)
    if extra.shape != (q,):
        raise ValueError(f"once must hold a count for each of the {q} values")
    m = counts.sum(axis=1)
    pairable = m >= 2
    n_items, n_annotators = int(pairable.sum()), _rated_by(array, pairable)
    if n_items == 0 or q < 2:
        return Figure.undefined(n_items=n_items, n_annotators=n_annotators)
    paired, mp = counts[pairable], m[pairable]
    observed = float((((paired * (paired - 1)).sum(axis=1)) / (mp * (mp - 1))).mean())
    rated = m >= 1
    share_sums = (counts[rated] / m[rated][:, None]).sum(axis=0) + extra
    shares = share_sums / (int(rated.sum()) + int(extra.sum()))
    chance = float((shares * (1 - shares)).sum()) / (q - 1)
    return Figure((observed - chance) / (1 - chance), n_items, n_annotators)


def _check_annotators(codes: Codes, annotators: Sequence[str]) -> None:
    if len(annotators) != codes.shape[1]:
        raise ValueError(f"{codes.shape[1]} rating columns but {len(annotators)} reviewer names")


def _mean(figures: Sequence[Figure], *, n_items: int, n_annotators: int) -> Figure:
    values = [figure.value for figure in figures if figure.value is not None]
    if not values:
        return Figure.undefined(n_items=n_items, n_annotators=n_annotators)
    return Figure(float(np.mean(values)), n_items, n_annotators)


def category_figures(
    codes: npt.ArrayLike,
    annotators: Sequence[str],
    *,
    n_values: int | None = None,
    once: npt.ArrayLike | None = None,
) -> dict[str, Figure | Pairwise]:
    """Observed agreement, Cohen's (every pair), Fleiss', Krippendorff's and Gwet's figures;
    ``once`` (value counts of units a single reviewer rated) enters Gwet's chance agreement."""
    array = check_codes(codes)
    return {
        "observed_agreement": observed_agreement(array, n_values),
        "cohen_kappa": pairwise_cohen_kappa(array, annotators),
        "fleiss_kappa": fleiss_kappa(array, n_values),
        "krippendorff_alpha": krippendorff_alpha(array, n_values),
        "gwet_ac1": gwet_ac1(array, n_values, once=once),
    }


def mean_over_labels(per_label: Sequence[Mapping[str, Figure | Pairwise]]) -> dict[str, Any]:
    """Each figure (and each pair's) averaged over the labels where it is defined."""
    result: dict[str, Figure | Pairwise] = {}
    for name in CATEGORY_FIGURES:
        figures = [figures[name] for figures in per_label]
        overall = _mean_noted([_figure_of(figure) for figure in figures])
        if figures and all(isinstance(figure, Pairwise) for figure in figures):
            by_pair: dict[tuple[str, str], list[Figure]] = defaultdict(list)
            for figure in figures:
                assert isinstance(figure, Pairwise)
                for pair in figure.pairs:
                    by_pair[pair.annotators].append(pair.figure)
            pairs = tuple(Pair(names, _mean_noted(found)) for names, found in by_pair.items())
            result[name] = Pairwise(overall, pairs)
        else:
            result[name] = overall
    return result


def _figure_of(figure: Figure | Pairwise) -> Figure:
    return figure.figure if isinstance(figure, Pairwise) else figure


def _mean_noted(figures: Sequence[Figure]) -> Figure:
    """The mean over labels, rested on the most items and reviewers any label's figure has."""
    n_items = max((figure.n_items for figure in figures), default=0)
    n_annotators = max((figure.n_annotators for figure in figures), default=0)
    mean = _mean(figures, n_items=n_items, n_annotators=n_annotators)
    if mean.value is None:
        return mean
    defined = sum(figure.value is not None for figure in figures)
    return Figure(mean.value, n_items, n_annotators, f"mean over {defined} labels")


# --- spans: entities and events -----------------------------------------------------------


@dataclass(frozen=True)
class SpanCounts:
    """Spans one reviewer (the reference) and another marked, and how many of them pair up."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        """The share of the other reviewer's spans that the reference has too."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """The share of the reference's spans that the other reviewer has too."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """Symmetric in the two reviewers; None when neither marked a span."""
        marked = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / marked if marked else None


def match_spans(
    reference: Collection[LabelledSpan], other: Collection[LabelledSpan], *, overlap: bool
) -> dict[str, SpanCounts]:
    """Per label, how many spans of two reviewers pair up one to one.

    Strict: same bounds and label. Overlap: same label and at least one shared character, paired
    by a maximum matching so that one span never counts for two.
    """
    if not overlap:
        return {
            label: SpanCounts(tp, fp, fn)
            for label, (tp, fp, fn) in sorted(_strict_counts(reference, other).items())
        }
    ours, theirs = _by_label(reference), _by_label(other)
    counts: dict[str, SpanCounts] = {}
    for label in sorted(ours.keys() | theirs.keys()):
        first, second = ours.get(label, []), theirs.get(label, [])
        if overlap:
            tp = _maximum_matching(first, second)
        else:
            tp = len(set(first) & set(second))
        counts[label] = SpanCounts(tp, len(second) - tp, len(first) - tp)
    return counts


def _strict_counts(
    reference: Collection[tuple[Any, ...]], other: Collection[tuple[Any, ...]]
) -> dict[str, list[int]]:
    """Per label (the last field: a span's label, an argument's role) [tp, fp, fn] of the
    exact matches: one set intersection, no sorting."""
    ours, theirs = set(reference), set(other)
    counts: dict[str, list[int]] = {}
    for *_, label in ours & theirs:
        counts.setdefault(label, [0, 0, 0])[0] += 1
    for *_, label in theirs:
        counts.setdefault(label, [0, 0, 0])[1] += 1
    for *_, label in ours:
        counts.setdefault(label, [0, 0, 0])[2] += 1
    for found in counts.values():
        found[1] -= found[0]
        found[2] -= found[0]
    return counts


def _by_label(spans: Collection[LabelledSpan]) -> dict[str, list[tuple[int, int]]]:
    grouped: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for start, end, label in spans:
        grouped[label].add((start, end))
    return {label: sorted(bounds) for label, bounds in grouped.items()}


def _maximum_matching(first: Sequence[tuple[int, int]], second: Sequence[tuple[int, int]]) -> int:
    """The size of a maximum matching of overlapping spans (augmenting paths; spans are few)."""
    reachable = [
        [j for j, (start, end) in enumerate(second) if s < end and start < e] for s, e in first
    ]
    return _matching_size(reachable, len(second))


def _matching_size(reachable: Sequence[Sequence[int]], n_second: int) -> int:
    """The size of a maximum matching where ``reachable[i]`` lists what first[i] may pair with."""
    partner = [-1] * n_second

    def augment(i: int, seen: set[int]) -> bool:
        for j in reachable[i]:
            if j not in seen:
                seen.add(j)
                if partner[j] == -1 or augment(partner[j], seen):
                    partner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(reachable)))


@dataclass(frozen=True)
class SpanAgreement:
    """Span counts for every pair of reviewers (the earlier name is the reference), per label."""

    counts: Mapping[tuple[str, str], Mapping[str, SpanCounts]]
    items: Mapping[tuple[str, str], int]
    n_items: int
    labels: tuple[str, ...]

    def pairwise(self, label: str | None = None) -> Pairwise:
        """Pairwise precision, recall and F1, over all labels or one; F1 pooled over pairs."""
        pairs: list[Pair] = []
        pooled = SpanCounts()
        for names, by_label in self.counts.items():
            counts = _sum_counts(
                by_label.values() if label is None else [by_label.get(label, SpanCounts())]
            )
            pooled += counts
            pairs.append(
                Pair(
                    names,
                    _f1_figure(counts, n_items=self.items[names], n_annotators=2),
                    {"precision": counts.precision, "recall": counts.recall},
                )
            )
        reviewers = {name for names in self.counts for name in names}
        overall = _f1_figure(pooled, n_items=self.n_items, n_annotators=len(reviewers))
        return Pairwise(overall, tuple(pairs))


def _sum_counts(counts: Collection[SpanCounts]) -> SpanCounts:
    total = SpanCounts()
    for each in counts:
        total += each
    return total


def _f1_figure(counts: SpanCounts, *, n_items: int, n_annotators: int) -> Figure:
    f1 = counts.f1
    if f1 is None:
        return Figure.undefined(n_items=n_items, n_annotators=n_annotators)
    return Figure(f1, n_items, n_annotators)


def span_agreement(spans_by_item: SpansByItem[Item], *, overlap: bool) -> SpanAgreement:
    """Match every pair of reviewers' spans on every item both rated."""
    # Plain [tp, fp, fn] lists while counting: a SpanCounts per label and item cost more than
    # the matching itself.
    totals: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(dict)
    items: Counter[tuple[str, str]] = Counter()
    n_items = 0
    for by_annotator in spans_by_item.values():
        if len(by_annotator) < 2:
            continue
        n_items += 1
        for first, second in combinations(sorted(by_annotator), 2):
            items[first, second] += 1
            pair_totals = totals[first, second]
            if overlap:
                matched = {
                    label: [found.tp, found.fp, found.fn]
                    for label, found in match_spans(
                        by_annotator[first], by_annotator[second], overlap=True
                    ).items()
                }
            else:
                matched = _strict_counts(by_annotator[first], by_annotator[second])
            for label, (tp, fp, fn) in matched.items():
                total = pair_totals.setdefault(label, [0, 0, 0])
                total[0] += tp
                total[1] += fp
                total[2] += fn
    counts = {
        names: {label: SpanCounts(*totals[names][label]) for label in sorted(totals[names])}
        for names in sorted(items)
    }
    labels = {label for by_label in counts.values() for label in by_label}
    return SpanAgreement(
        counts=counts,
        items=dict(items),
        n_items=n_items,
        labels=tuple(sorted(labels)),
    )


def match_arguments(
    reference: Collection[ArgumentLink], other: Collection[ArgumentLink], *, overlap: bool
) -> dict[str, SpanCounts]:
    """Per role, how many event arguments of two reviewers pair up one to one.

    Strict: the same trigger bounds, role and argument bounds. Overlap: the same role, triggers
    that share a character and arguments that share a character, paired by a maximum matching.
    """
    if not overlap:
        return {
            role: SpanCounts(tp, fp, fn)
            for role, (tp, fp, fn) in sorted(_strict_counts(reference, other).items())
        }
    counts: dict[str, SpanCounts] = {}
    for role in sorted({link[4] for link in (*reference, *other)}):
        first = sorted({link for link in reference if link[4] == role})
        second = sorted({link for link in other if link[4] == role})
        reachable = [
            [
                j
                for j, (ts, te, s, e, _) in enumerate(second)
                if ts < t_end and t_start < te and s < end and start < e
            ]
            for t_start, t_end, start, end, _ in first
        ]
        tp = _matching_size(reachable, len(second))
        counts[role] = SpanCounts(tp, len(second) - tp, len(first) - tp)
    return counts


def argument_report(arguments_by_item: ArgumentsByItem[Item]) -> dict[str, Any]:
    """Event-argument agreement as JSON-ready figures: pairwise F1, strict and overlap, over
    the items two or more reviewers rated, overall and per role (``per_label``, as the span
    sections name their labels)."""
    strict, loose = _argument_agreements(arguments_by_item)
    reviewers = {name for by in arguments_by_item.values() if len(by) >= 2 for name in by}
    return {
        "pairwise_f1": strict.pairwise().to_dict(),
        "pairwise_f1_overlap": loose.pairwise().to_dict(),
        "n_items": strict.n_items,
        "n_annotators": len(reviewers),
        "per_label": {
            role: {
                "pairwise_f1": strict.pairwise(role).to_dict(),
                "pairwise_f1_overlap": loose.pairwise(role).to_dict(),
            }
            for role in sorted({*strict.labels, *loose.labels})
        },
    }


@dataclass(frozen=True)
class TokenRatings:
    """Each token's label per reviewer, for Krippendorff's alpha over tokens.

    ``codes`` index ``values``: ``OUTSIDE`` (0), a label, or labels joined by "+" where one
    reviewer's overlapping spans (events) give a token several. ``cover`` lists (row, column,
    label code) for every token a reviewer's span of that label covers, so that each label can be
    rated as a binary decision too.
    """

    codes: Codes
    values: tuple[str, ...]
    annotators: tuple[str, ...]
    labels: tuple[str, ...]
    cover: Codes

    def binary(self, label: str) -> Codes:
        """1 where the reviewer's spans of this label cover the token, 0 where they do not."""
        binary = np.where(self.codes == MISSING, MISSING, 0).astype(np.int64)
        if label in self.labels:
            chosen = self.cover[self.cover[:, 2] == self.labels.index(label)]
            binary[chosen[:, 0], chosen[:, 1]] = 1
        return binary


def token_ratings(
    spans_by_item: SpansByItem[Item],
    bounds_by_item: BoundsByItem[Item],
    *,
    labels: Sequence[str] = (),
) -> TokenRatings:
    """The tokens of every item two or more reviewers rated, as ratings of their labels."""
    annotators = tuple(sorted({name for by in spans_by_item.values() for name in by}))
    column = {name: index for index, name in enumerate(annotators)}
    seen_labels = {label for by in spans_by_item.values() for s in by.values() for *_, label in s}
    all_labels = (*labels, *sorted(seen_labels - set(labels)))
    label_code = {label: index for index, label in enumerate(all_labels)}
    rated: list[tuple[int, int, int]] = []  # (first row, rows, column)
    covered: list[tuple[int, int, int, int]] = []  # (first row, rows, column, label)
    offset = 0
    for item, by_annotator in spans_by_item.items():
        if len(by_annotator) < 2:
            continue
        bounds = bounds_by_item[item]
        starts = [start for start, _ in bounds]
        ends = [end for _, end in bounds]
        for name, spans in by_annotator.items():
            rated.append((offset, len(bounds), column[name]))
            for start, end, label in spans:
                # The tokens that end after the span starts and start before it ends.
                first, stop = bisect_right(ends, start), bisect_left(starts, end)
                if stop > first:
                    covered.append((offset + first, stop - first, column[name], label_code[label]))
        offset += len(bounds)

    codes = np.full((offset, len(annotators)), MISSING, dtype=np.int64)
    rows, columns = _expand(rated)
    codes[rows, columns] = 0
    cover_rows, cover_columns = _expand([(s, n, c) for s, n, c, _ in covered])
    cover_labels = np.repeat(
        np.array([label for *_, label in covered], dtype=np.int64),
        np.array([n for _, n, _, _ in covered], dtype=np.int64),
    )
    cover = np.stack([cover_rows, cover_columns, cover_labels], axis=1).astype(np.int64)
    cover = np.unique(cover, axis=0) if len(cover) else cover.reshape(0, 3)

    values = [OUTSIDE, *all_labels]
    key = cover[:, 0] * max(len(annotators), 1) + cover[:, 1]
    unique_keys, inverse, repeats = np.unique(key, return_inverse=True, return_counts=True)
    single = repeats[inverse] == 1
    codes[cover[single, 0], cover[single, 1]] = cover[single, 2] + 1
    if not single.all():
        several = pd.DataFrame(
            {"row": cover[~single, 0], "column": cover[~single, 1], "label": cover[~single, 2]}
        )
        joined = several.groupby(["row", "column"])["label"].agg(
            lambda found: "+".join(all_labels[code] for code in sorted(found))
        )
        value_code = {value: index for index, value in enumerate(values)}
        for (row, col), value in joined.items():
            if value not in value_code:
                value_code[value] = len(values)
                values.append(value)
            codes[row, col] = value_code[value]
    return TokenRatings(codes, tuple(values), annotators, all_labels, cover)


def _expand(ranges: Sequence[tuple[int, int, int]]) -> tuple[Codes, Codes]:
    """Rows and columns of every cell in runs of (first row, rows, column)."""
    if not ranges:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    first, lengths, columns = (np.array(part, dtype=np.int64) for part in zip(*ranges, strict=True))
    run_starts = np.cumsum(lengths) - lengths
    rows = np.repeat(first - run_starts, lengths) + np.arange(int(lengths.sum()))
    return rows.astype(np.int64), np.repeat(columns, lengths)


def boundary_confusion(
    spans_by_item: SpansByItem[Item], *, labels: Sequence[str] = ()
) -> pd.DataFrame:
    """Labels two reviewers gave spans with the same bounds, as a symmetric matrix of counts.

    Cell (x, y) counts the pairs of spans with the same bounds that one reviewer labelled x and
    the other y; the diagonal counts agreements. Spans whose bounds the other reviewer did not
    mark are left out: boundary disagreement is what the overlap F1 shows.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for by_annotator in spans_by_item.values():
        for first, second in combinations(sorted(by_annotator), 2):
            ours, theirs = _by_bounds(by_annotator[first]), _by_bounds(by_annotator[second])
            for bounds in ours.keys() & theirs.keys():
                for x, y in _pair_labels(ours[bounds], theirs[bounds]):
                    counts[x, y] += 1
                    if x != y:
                        counts[y, x] += 1
    return _confusion_matrix(counts, labels=labels)


def _confusion_matrix(
    counts: Mapping[tuple[str, str], int], *, labels: Sequence[str]
) -> pd.DataFrame:
    """The counts of label pairs as a matrix: the scheme's labels first, then any other."""
    seen = {label for pair in counts for label in pair}
    order = [*labels, *sorted(seen - set(labels))]
    matrix = pd.DataFrame(0, index=pd.Index(order), columns=pd.Index(order), dtype="int64")
    for (x, y), count in counts.items():
        matrix.loc[x, y] = count
    return matrix


def _by_bounds(spans: Collection[LabelledSpan]) -> dict[tuple[int, int], list[str]]:
    grouped: dict[tuple[int, int], set[str]] = defaultdict(set)
    for start, end, label in spans:
        grouped[start, end].add(label)
    return {bounds: sorted(found) for bounds, found in grouped.items()}


def _pair_labels(ours: Sequence[str], theirs: Sequence[str]) -> list[tuple[str, str]]:
    """Same labels pair first; events that share bounds pair the rest in label order."""
    common = sorted(set(ours) & set(theirs))
    rest = zip(
        [label for label in ours if label not in common],
        [label for label in theirs if label not in common],
        strict=False,
    )
    return [(label, label) for label in common] + list(rest)


# --- the span report over columns ---------------------------------------------------------
#
# The report holds a hundred thousand sentences and more: it reads every span once into arrays
# (item, reviewer, bounds, label) and computes its figures from them. The per-item functions
# above (span_agreement, token_ratings, boundary_confusion) define what it computes; the
# columns give the same figures. Only what is rare goes back to Python, item by item: a label's
# spans where one span overlaps two of the other reviewer's (a maximum matching), bounds one
# reviewer gave several labels, a token under two spans of one reviewer.


@dataclass(frozen=True)
class _SpanColumns:
    """The spans of the items two or more reviewers rated, one array a field, each (item,
    reviewer, start, end, label) once, sorted; who rated which item; the label codes."""

    annotators: tuple[str, ...]
    labels: tuple[str, ...]
    label_code: Mapping[str, int]
    keys: list[Any]
    item: Codes
    column: Codes
    start: Codes
    end: Codes
    label: Codes
    rated: npt.NDArray[np.bool_]  # (items, annotators)

    @property
    def n_labels(self) -> int:
        """How many label codes there are (at least one, so that codes can be combined)."""
        return max(len(self.labels), 1)

    def rows_of(self, column: int) -> Codes:
        """The rows of one reviewer's spans, in item order."""
        return np.flatnonzero(self.column == column)


def _span_columns(spans_by_item: SpansByItem[Item], *, labels: Sequence[str]) -> _SpanColumns:
    annotators = tuple(sorted({name for by in spans_by_item.values() for name in by}))
    column_of = {name: index for index, name in enumerate(annotators)}
    keys: list[Any] = []
    flat: list[LabelledSpan] = []
    lengths: list[int] = []
    rated_items: list[int] = []
    rated_columns: list[int] = []
    seen: set[str] = set()
    for key, by_annotator in spans_by_item.items():
        if len(by_annotator) < 2:
            for spans in by_annotator.values():
                seen.update(label for *_, label in spans)
            continue
        index = len(keys)
        keys.append(key)
        for name, spans in by_annotator.items():
            rated_items.append(index)
            rated_columns.append(column_of[name])
            before = len(flat)
            flat.extend(spans)
            lengths.append(len(flat) - before)
    # itemgetter, not zip(*flat): unpacking a million arguments costs seconds.
    names = list(map(itemgetter(2), flat))
    seen.update(names)
    all_labels = (*labels, *sorted(seen - set(labels)))
    label_code = {label: index for index, label in enumerate(all_labels)}
    count = len(flat)
    run = np.array(lengths, dtype=np.int64)
    item = np.repeat(np.array(rated_items, dtype=np.int64), run)
    column = np.repeat(np.array(rated_columns, dtype=np.int64), run)
    start = np.fromiter(map(itemgetter(0), flat), dtype=np.int64, count=count)
    end = np.fromiter(map(itemgetter(1), flat), dtype=np.int64, count=count)
    label = np.fromiter(map(label_code.__getitem__, names), dtype=np.int64, count=count)
    fields = [item, column, start, end, label]
    if count:
        order, differs = _sorted_distinct(fields)
        fields = [part[order][differs] for part in fields]
    rated = np.zeros((len(keys), len(annotators)), dtype=bool)
    rated[rated_items, rated_columns] = True
    item, column, start, end, label = fields
    return _SpanColumns(
        annotators=annotators,
        labels=all_labels,
        label_code=label_code,
        keys=keys,
        item=item,
        column=column,
        start=start,
        end=end,
        label=label,
        rated=rated,
    )


def _group_ids(*parts: Codes) -> tuple[Codes, int]:
    """A number for each distinct combination of the parts (rows with equal parts share it),
    and how many there are."""
    if not len(parts[0]):
        return np.zeros(0, dtype=np.int64), 0
    order, changes = _sorted_distinct(parts)
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.cumsum(changes) - 1
    return ids, int(changes.sum())


def _sorted_distinct(parts: Sequence[Codes]) -> tuple[Codes, npt.NDArray[np.bool_]]:
    """The order that sorts rows by the parts (the first the most significant), and in that
    order whether each row differs from the one before (the first does). One int64 key when
    the parts' ranges fit in it, else a sort on each part."""
    key = _combined(parts)
    changes = np.ones(len(parts[0]), dtype=bool)
    if key is not None:
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        changes[1:] = ordered[1:] != ordered[:-1]
        return order, changes
    order = np.lexsort(parts[::-1])
    changes[1:] = np.logical_or.reduce([part[order][1:] != part[order][:-1] for part in parts])
    return order, changes


def _combined(parts: Sequence[Codes]) -> Codes | None:
    """The parts packed into one int64 that orders rows as they do, or None when their
    ranges need more than 62 bits."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    bits = 0
    for part in parts:
        low = int(part.min())
        width = (int(part.max()) - low).bit_length()
        bits += width
        if bits > 62:
            return None
        key = (key << width) | (part - low)
    return key


def _distinct(keys: Codes) -> Codes:
    """The distinct keys, sorted (np.unique without counts hashes, and is slower here)."""
    ordered = np.sort(keys)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    return ordered[keep]


def _within_groups(first: Codes, second: Codes) -> tuple[Codes, Codes]:
    """Every pair (i, j) of positions with first[i] == second[j]; both arrays sorted."""
    low = np.searchsorted(second, first, side="left")
    high = np.searchsorted(second, first, side="right")
    counts = high - low
    i = np.repeat(np.arange(len(first)), counts)
    runs = np.cumsum(counts) - counts
    j = np.repeat(low, counts) + (np.arange(int(counts.sum())) - np.repeat(runs, counts))
    return i, j


@dataclass
class _PairCounts:
    """What the report counts for every pair of reviewers: per label [tp, fp, fn] strict and
    with overlap, the items they share, and the labels on equal bounds."""

    strict: dict[tuple[str, str], dict[str, SpanCounts]] = field(default_factory=dict)
    loose: dict[tuple[str, str], dict[str, SpanCounts]] = field(default_factory=dict)
    items: dict[tuple[str, str], int] = field(default_factory=dict)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)


def _pair_counts(columns: _SpanColumns) -> _PairCounts:
    found = _PairCounts()
    n_labels, names = columns.n_labels, columns.labels
    bounds, n_bounds = _group_ids(columns.item, columns.start, columns.end)
    exact = bounds * n_labels + columns.label
    group = columns.item * n_labels + columns.label
    confusion = np.zeros((n_labels, n_labels), dtype=np.int64)
    rows = [columns.rows_of(index) for index in range(len(columns.annotators))]
    for a, b in combinations(range(len(columns.annotators)), 2):
        both = columns.rated[:, a] & columns.rated[:, b]
        shared = int(both.sum())
        if not shared:
            continue
        pair = (columns.annotators[a], columns.annotators[b])
        found.items[pair] = shared
        ours, theirs = rows[a][both[columns.item[rows[a]]]], rows[b][both[columns.item[rows[b]]]]
        marked_ours = np.bincount(columns.label[ours], minlength=n_labels)
        marked_theirs = np.bincount(columns.label[theirs], minlength=n_labels)
        common = np.intersect1d(exact[ours], exact[theirs], assume_unique=True)
        tp = np.bincount(common % n_labels, minlength=n_labels)
        loose = _overlap_matches(columns, group, ours, theirs)
        found.strict[pair] = _by_label_name(names, tp, marked_ours, marked_theirs)
        found.loose[pair] = _by_label_name(names, loose, marked_ours, marked_theirs)
        _equal_bounds(columns, bounds[ours], bounds[theirs], ours, theirs, n_bounds, confusion)
    for x, y in zip(*np.nonzero(confusion), strict=True):
        found.confusion[names[x], names[y]] += int(confusion[x, y])
    return found


def _by_label_name(
    names: Sequence[str], tp: Codes, marked_ours: Codes, marked_theirs: Codes
) -> dict[str, SpanCounts]:
    """Counts by label name (sorted) of the labels either reviewer marked."""
    present = sorted(np.flatnonzero(marked_ours + marked_theirs).tolist(), key=names.__getitem__)
    return {
        names[code]: SpanCounts(
            int(tp[code]), int(marked_theirs[code] - tp[code]), int(marked_ours[code] - tp[code])
        )
        for code in present
    }


def _overlap_matches(columns: _SpanColumns, group: Codes, ours: Codes, theirs: Codes) -> Codes:
    """Per label code, how many spans of two reviewers a maximum matching of overlapping spans
    of one label and item pairs up, summed over the items."""
    n_labels = columns.n_labels
    ours = ours[np.argsort(group[ours], kind="stable")]
    theirs = theirs[np.argsort(group[theirs], kind="stable")]
    i, j = _within_groups(group[ours], group[theirs])
    start, end = columns.start, columns.end
    meets = (start[ours[i]] < end[theirs[j]]) & (start[theirs[j]] < end[ours[i]])
    i, j = i[meets], j[meets]
    # Where every span meets at most one of the other reviewer's, each meeting is a match.
    tangled = np.union1d(
        group[ours][np.bincount(i, minlength=len(ours)) > 1],
        group[theirs][np.bincount(j, minlength=len(theirs)) > 1],
    )
    plain = ~np.isin(group[ours[i]], tangled)
    matched = np.bincount(columns.label[ours[i[plain]]], minlength=n_labels)
    for value in tangled:
        first, second = (_bounds_in(columns, rows, group[rows], value) for rows in (ours, theirs))
        matched[int(value) % n_labels] += _maximum_matching(first, second)
    return matched


def _bounds_in(
    columns: _SpanColumns, rows: Codes, groups: Codes, value: int
) -> list[tuple[int, int]]:
    """The sorted bounds of the ``rows`` (sorted by ``groups``) whose group is ``value``."""
    begin, stop = np.searchsorted(groups, [value, value + 1])
    chosen = rows[begin:stop]
    return sorted(zip(columns.start[chosen].tolist(), columns.end[chosen].tolist(), strict=True))


def _equal_bounds(
    columns: _SpanColumns,
    our_bounds: Codes,
    their_bounds: Codes,
    ours: Codes,
    theirs: Codes,
    n_bounds: int,
    confusion: Codes,
) -> None:
    """Add to ``confusion`` the labels two reviewers gave spans with the same bounds."""
    our_count = np.bincount(our_bounds, minlength=n_bounds)
    their_count = np.bincount(their_bounds, minlength=n_bounds)
    shared = (our_count > 0) & (their_count > 0)
    single = shared & (our_count == 1) & (their_count == 1)
    our_label = np.full(n_bounds, -1, dtype=np.int64)
    their_label = np.full(n_bounds, -1, dtype=np.int64)
    our_label[our_bounds] = columns.label[ours]
    their_label[their_bounds] = columns.label[theirs]
    x, y = our_label[single], their_label[single]
    np.add.at(confusion, (x, y), 1)
    differ = x != y
    np.add.at(confusion, (y[differ], x[differ]), 1)
    code = columns.label_code
    several = np.flatnonzero(shared & ~single)
    if not len(several):
        return
    ours_by_bounds = _sorted_by(ours, our_bounds)
    theirs_by_bounds = _sorted_by(theirs, their_bounds)
    for bound in several.tolist():
        first = _names_at(columns, *ours_by_bounds, bound)
        second = _names_at(columns, *theirs_by_bounds, bound)
        for one, other in _pair_labels(first, second):
            confusion[code[one], code[other]] += 1
            if one != other:
                confusion[code[other], code[one]] += 1


def _sorted_by(rows: Codes, keys: Codes) -> tuple[Codes, Codes]:
    order = np.argsort(keys, kind="stable")
    return rows[order], keys[order]


def _names_at(columns: _SpanColumns, rows: Codes, keys: Codes, key: int) -> list[str]:
    """The sorted label names of the ``rows`` (sorted by ``keys``) whose key is ``key``."""
    begin, stop = np.searchsorted(keys, [key, key + 1])
    return sorted({columns.labels[code] for code in columns.label[rows[begin:stop]].tolist()})


@dataclass(frozen=True)
class _TokenAlphas:
    """Krippendorff's alpha over tokens: of the token labels, and of each label as a binary
    decision."""

    overall: Figure
    per_label: Mapping[str, Figure]


def _token_alphas(columns: _SpanColumns, bounds_by_item: BoundsByItem[Any]) -> _TokenAlphas:
    """The figures ``krippendorff_alpha`` gives on ``token_ratings`` and its ``binary`` ones,
    from the tokens the spans cover: a token no span covers adds what it always adds."""
    token_bounds = [bounds_by_item[key] for key in columns.keys]
    n_tokens = np.fromiter(map(len, token_bounds), dtype=np.int64, count=len(token_bounds))
    flat = np.fromiter(
        chain.from_iterable(chain.from_iterable(token_bounds)),
        dtype=np.int64,
        count=2 * int(n_tokens.sum()),
    )
    token_start, token_end = flat[0::2], flat[1::2]
    token_item = np.repeat(np.arange(len(token_bounds), dtype=np.int64), n_tokens)
    raters = columns.rated.sum(axis=1)
    m = raters[token_item]
    n_rows = len(m)
    by_tokens = columns.rated[n_tokens > 0]
    n_annotators = int(by_tokens.any(axis=0).sum())
    undefined = Figure.undefined(n_items=n_rows, n_annotators=n_annotators)
    if n_rows == 0:
        return _TokenAlphas(undefined, dict.fromkeys(columns.labels, undefined))

    # Each span's tokens: those that end after it starts and start before it ends, found in
    # one sorted key per token (item, then offset), as bisect finds them item by item.
    span_bounds = [part for part in (columns.start, columns.end) if len(part)]
    low = min([0, int(token_start.min()), *(int(part.min()) for part in span_bounds)])
    high = max([int(token_end.max()), *(int(part.max()) for part in span_bounds)])
    width = high - low + 1
    span_item = columns.item * width - low
    first = np.searchsorted(
        token_item * width + token_end - low, span_item + columns.start, "right"
    )
    stop = np.searchsorted(token_item * width + token_start - low, span_item + columns.end, "left")
    covered = np.maximum(stop - first, 0)
    runs = np.cumsum(covered) - covered
    row = np.repeat(first, covered) + (np.arange(int(covered.sum())) - np.repeat(runs, covered))
    n_columns, n_labels = max(len(columns.annotators), 1), columns.n_labels
    cover = _distinct(
        (row * n_columns + np.repeat(columns.column, covered)) * n_labels
        + np.repeat(columns.label, covered)
    )
    cell, cover_label = cover // n_labels, cover % n_labels
    cover_row = cell // n_columns

    # The overall figure: a token's value is its reviewer's label, or labels joined by "+".
    cells, cell_first, labels_in_cell = np.unique(cell, return_index=True, return_counts=True)
    value = cover_label[cell_first] + 1
    values = [OUTSIDE, *columns.labels]
    value_code = {name: index for index, name in enumerate(values)}
    for position in np.flatnonzero(labels_in_cell > 1):
        begin = int(cell_first[position])
        codes = sorted(cover_label[begin : begin + int(labels_in_cell[position])].tolist())
        joined = "+".join(columns.labels[code] for code in codes)
        if joined not in value_code:
            value_code[joined] = len(values)
            values.append(joined)
        value[position] = value_code[joined]
    rows_of_cells = cells // n_columns
    n = int(m.sum())
    pairs, pair_counts = np.unique(rows_of_cells * len(values) + value, return_counts=True)
    margins = np.bincount(pairs % len(values), weights=pair_counts, minlength=len(values))
    margins = margins.astype(np.int64)
    margins[0] = n - len(cells)
    squares = np.bincount(pairs // len(values), weights=pair_counts**2, minlength=n_rows)
    marked = np.bincount(rows_of_cells, minlength=n_rows)
    touched = np.flatnonzero(marked)
    overall = _alpha_from(
        m, touched, squares[touched].astype(np.int64) + (m - marked)[touched] ** 2, margins
    )

    # Each label as a binary decision: c of a token's m reviewers cover it with the label.
    by_label = cover_label * n_rows + cover_row
    found, c = np.unique(by_label, return_counts=True)
    bounds = np.searchsorted(found, np.arange(n_labels + 1) * n_rows)
    per_label: dict[str, Figure] = {}
    for code, name in enumerate(columns.labels):
        rows = found[bounds[code] : bounds[code + 1]] - code * n_rows
        counts = c[bounds[code] : bounds[code + 1]]
        total = int(counts.sum())
        per_label[name] = _alpha_from(
            m, rows, (m[rows] - counts) ** 2 + counts**2, np.array([n - total, total])
        )
    return _TokenAlphas(
        _with_counts(overall, n_rows, n_annotators),
        {name: _with_counts(figure, n_rows, n_annotators) for name, figure in per_label.items()},
    )


def _alpha_from(m: Codes, rows: Codes, squares: Codes, margins: Codes) -> Figure:
    """Nominal alpha as ``krippendorff_alpha`` computes it, from each token's number of
    ratings ``m``, the summed squared value counts of the ``rows`` some span covers (every
    other token has one value: m squared) and the value margins."""
    n = int(margins.sum())
    expected = n * n - int(margins @ margins)
    if n < 2 or expected == 0:
        return Figure.undefined()
    agreeing_rows = m.astype(np.float64)  # (m * m - m) / (m - 1), a row with one value
    agreeing_rows[rows] = (squares - m[rows]) / (m[rows] - 1)
    agreeing = float(agreeing_rows.sum())
    return Figure(1 - (n - 1) * (n - agreeing) / expected, 0, 0)


def _with_counts(figure: Figure, n_items: int, n_annotators: int) -> Figure:
    return Figure(figure.value, n_items, n_annotators, figure.note)


# --- argument agreement over columns -------------------------------------------------------


def _argument_agreements(
    arguments_by_item: ArgumentsByItem[Item],
) -> tuple[SpanAgreement, SpanAgreement]:
    """Strict and overlap argument agreement: ``match_arguments`` for every pair of reviewers on
    every item both rated, summed; from every link read once into arrays (item, reviewer,
    trigger bounds, argument bounds, role)."""
    annotators = tuple(sorted({name for by in arguments_by_item.values() for name in by}))
    column_of = {name: index for index, name in enumerate(annotators)}
    keys: list[Any] = []
    flat: list[ArgumentLink] = []
    lengths: list[int] = []
    rated_items: list[int] = []
    rated_columns: list[int] = []
    for key, by_annotator in arguments_by_item.items():
        if len(by_annotator) < 2:
            continue
        index = len(keys)
        keys.append(key)
        for name, links in by_annotator.items():
            rated_items.append(index)
            rated_columns.append(column_of[name])
            before = len(flat)
            flat.extend(links)
            lengths.append(len(flat) - before)
    count = len(flat)
    roles = sorted(set(map(itemgetter(4), flat)))
    role_code = {role: index for index, role in enumerate(roles)}
    run = np.array(lengths, dtype=np.int64)
    fields = [
        np.repeat(np.array(rated_items, dtype=np.int64), run),
        np.repeat(np.array(rated_columns, dtype=np.int64), run),
        *(np.fromiter(map(itemgetter(i), flat), dtype=np.int64, count=count) for i in range(4)),
        np.fromiter(map(role_code.__getitem__, map(itemgetter(4), flat)), np.int64, count),
    ]
    if count:
        order, differs = _sorted_distinct(fields)
        fields = [part[order][differs] for part in fields]
    item, column, t_start, t_end, start, end, role = fields
    rated = np.zeros((len(keys), len(annotators)), dtype=bool)
    rated[rated_items, rated_columns] = True
    exact, n_exact = _group_ids(item, t_start, t_end, start, end, role)
    # The links of an exact group are equal, their role too.
    role_of_exact = np.zeros(n_exact, dtype=np.int64)
    role_of_exact[exact] = role
    n_roles = max(len(roles), 1)
    group = item * n_roles + role
    strict: dict[tuple[str, str], dict[str, SpanCounts]] = {}
    loose: dict[tuple[str, str], dict[str, SpanCounts]] = {}
    items: dict[tuple[str, str], int] = {}
    rows = [np.flatnonzero(column == index) for index in range(len(annotators))]
    for a, b in combinations(range(len(annotators)), 2):
        both = rated[:, a] & rated[:, b]
        if not both.any():
            continue
        pair = (annotators[a], annotators[b])
        items[pair] = int(both.sum())
        ours, theirs = rows[a][both[item[rows[a]]]], rows[b][both[item[rows[b]]]]
        marked_ours = np.bincount(role[ours], minlength=n_roles)
        marked_theirs = np.bincount(role[theirs], minlength=n_roles)
        common = np.intersect1d(exact[ours], exact[theirs], assume_unique=True)
        tp = np.bincount(role_of_exact[common], minlength=n_roles)
        strict[pair] = _by_label_name(roles, tp, marked_ours, marked_theirs)
        matched = _link_matches(fields, group, ours, theirs, n_roles)
        loose[pair] = _by_label_name(roles, matched, marked_ours, marked_theirs)
    return _agreement_of(strict, items, len(keys)), _agreement_of(loose, items, len(keys))


def _agreement_of(
    counts: dict[tuple[str, str], dict[str, SpanCounts]], items: dict[tuple[str, str], int], n: int
) -> SpanAgreement:
    """Counts per pair and label, with the labels any pair has."""
    labels = tuple(sorted({label for by_label in counts.values() for label in by_label}))
    return SpanAgreement(counts=counts, items=items, n_items=n, labels=labels)


def _link_matches(
    fields: Sequence[Codes], group: Codes, ours: Codes, theirs: Codes, n_roles: int
) -> Codes:
    """Per role code, how many links of two reviewers a maximum matching pairs up, links of one
    role and item whose triggers share a character and whose arguments do."""
    _, _, t_start, t_end, start, end, role = fields
    ours = ours[np.argsort(group[ours], kind="stable")]
    theirs = theirs[np.argsort(group[theirs], kind="stable")]
    i, j = _within_groups(group[ours], group[theirs])
    a, b = ours[i], theirs[j]
    meets = (
        (t_start[a] < t_end[b])
        & (t_start[b] < t_end[a])
        & (start[a] < end[b])
        & (start[b] < end[a])
    )
    i, j = i[meets], j[meets]
    tangled = np.union1d(
        group[ours][np.bincount(i, minlength=len(ours)) > 1],
        group[theirs][np.bincount(j, minlength=len(theirs)) > 1],
    )
    plain = ~np.isin(group[ours[i]], tangled)
    matched = np.bincount(role[ours[i[plain]]], minlength=n_roles)
    for value in tangled.tolist():
        first, second = (_links_in(fields, rows, group[rows], value) for rows in (ours, theirs))
        reachable = [
            [
                k
                for k, (ts, te, s, e) in enumerate(second)
                if ts < t_end_ and t_start_ < te and s < end_ and start_ < e
            ]
            for t_start_, t_end_, start_, end_ in first
        ]
        matched[value % n_roles] += _matching_size(reachable, len(second))
    return matched


def _links_in(
    fields: Sequence[Codes], rows: Codes, groups: Codes, value: int
) -> list[tuple[int, int, int, int]]:
    """The sorted bounds of the links among ``rows`` (sorted by ``groups``) in group ``value``."""
    begin, stop = np.searchsorted(groups, [value, value + 1])
    chosen = rows[begin:stop]
    _, _, t_start, t_end, start, end, _ = fields
    return sorted(
        zip(
            t_start[chosen].tolist(),
            t_end[chosen].tolist(),
            start[chosen].tolist(),
            end[chosen].tolist(),
            strict=True,
        )
    )


# --- reports ------------------------------------------------------------------------------


def category_report(
    choices_by_item: ChoicesByItem[Item],
    *,
    labels: Sequence[str],
    exclusive: bool,
    once: Mapping[tuple[str, ...], int] | None = None,
) -> dict[str, Any]:
    """Category agreement as JSON-ready figures: overall and per label as a binary decision.

    Exclusive categories are one nominal rating per sentence from the scheme's ``labels`` (the
    scale's size, whatever was used of it), plus ``NO_CATEGORY`` and any label outside the
    scheme where a reviewer gave one. Multi-label categories are rated label by label; the
    overall figures are then the mean over the labels where they are defined. ``once`` counts
    the sentences a single reviewer rated, by the sorted categories chosen: no pair compares
    them, but Gwet's chance agreement rests on every rated unit (Gwet 2014).
    """
    once = once or {}
    annotators = tuple(sorted({name for by in choices_by_item.values() for name in by}))
    column = {name: index for index, name in enumerate(annotators)}
    seen = {label for by in choices_by_item.values() for chosen in by.values() for label in chosen}
    seen |= {label for chosen in once for label in chosen}
    all_labels = (*labels, *sorted(seen - set(labels)))
    label_index = {label: index for index, label in enumerate(all_labels)}
    values = list(all_labels)
    value_code = {value: index for index, value in enumerate(values)}

    def code_of(categories: Collection[str]) -> int:
        unique = sorted(set(categories))
        value = "+".join(unique) if unique else NO_CATEGORY
        if value not in value_code:
            value_code[value] = len(values)
            values.append(value)
        return value_code[value]

    n_items = len(choices_by_item)
    codes = np.full((n_items, len(annotators)), MISSING, dtype=np.int64)
    chosen = np.zeros((n_items, len(annotators), len(all_labels)), dtype=bool)
    for row, by_annotator in enumerate(choices_by_item.values()):
        for name, categories in by_annotator.items():
            for label in set(categories):
                chosen[row, column[name], label_index[label]] = True
            codes[row, column[name]] = code_of(categories)
    once_codes = {code_of(categories): count for categories, count in once.items()}
    once_values = np.zeros(len(values), dtype=np.int64)
    for code, count in once_codes.items():
        once_values[code] += count

    def once_binary(label: str) -> Codes:
        with_label = sum(count for categories, count in once.items() if label in categories)
        return np.array([sum(once.values()) - with_label, with_label], dtype=np.int64)

    per_label = {
        label: category_figures(
            np.where(codes == MISSING, MISSING, chosen[:, :, index]).astype(np.int64),
            annotators,
            n_values=2,
            once=once_binary(label),
        )
        for index, label in enumerate(all_labels)
    }
    overall: Mapping[str, Figure | Pairwise]
    if exclusive:
        overall = category_figures(codes, annotators, n_values=len(values), once=once_values)
    else:
        overall = mean_over_labels(list(per_label.values()))
    pairable = (codes != MISSING).sum(axis=1) >= 2
    return {
        "exclusive": exclusive,
        **{name: figure.to_dict() for name, figure in overall.items()},
        "n_items": int(pairable.sum()),
        "n_annotators": _rated_by(codes, pairable),
        "rated_once": int(sum(once.values())),
        "per_label": {
            label: {name: figure.to_dict() for name, figure in figures.items()}
            for label, figures in per_label.items()
        },
    }


def span_report(
    spans_by_item: SpansByItem[Item],
    bounds_by_item: BoundsByItem[Item],
    *,
    labels: Sequence[str],
) -> dict[str, Any]:
    """Span agreement as JSON-ready figures: pairwise F1 (strict and overlap), alpha over
    tokens, each overall and per label, and the confusion matrix of labels on equal bounds."""
    columns = _span_columns(spans_by_item, labels=labels)
    pairs = _pair_counts(columns)
    n_items = len(columns.keys)
    strict = _agreement_of(pairs.strict, pairs.items, n_items)
    loose = _agreement_of(pairs.loose, pairs.items, n_items)
    tokens = _token_alphas(columns, bounds_by_item)
    confusion = _confusion_matrix(pairs.confusion, labels=labels)
    all_labels = (*labels, *[label for label in columns.labels if label not in labels])
    return {
        "pairwise_f1": strict.pairwise().to_dict(),
        "pairwise_f1_overlap": loose.pairwise().to_dict(),
        "token_krippendorff_alpha": tokens.overall.to_dict(),
        "n_items": n_items,
        "n_annotators": tokens.overall.n_annotators,
        "per_label": {
            label: {
                "pairwise_f1": strict.pairwise(label).to_dict(),
                "pairwise_f1_overlap": loose.pairwise(label).to_dict(),
                "token_krippendorff_alpha": tokens.per_label[label].to_dict(),
            }
            for label in all_labels
        },
        "confusion": {
            str(x): {str(y): int(count) for y, count in row.items()}
            for x, row in confusion.to_dict(orient="index").items()
        },
    }


# --- text ---------------------------------------------------------------------------------


def format_report(report: Mapping[str, Any]) -> str:
    """The agreement report as plain-text tables."""
    lines: list[str] = []
    categories = report["categories"]
    kind = "exclusive" if categories["exclusive"] else "multi-label, mean over labels"
    lines += _heading(f"Categories ({kind})", categories)
    lines += _figure_table(
        categories,
        [
            ("observed agreement", "observed_agreement"),
            ("Cohen's kappa (mean of pairs)", "cohen_kappa"),
            ("Fleiss' kappa", "fleiss_kappa"),
            ("Krippendorff's alpha", "krippendorff_alpha"),
            ("Gwet's AC1", "gwet_ac1"),
        ],
    )
    lines += _label_table(
        categories["per_label"],
        [
            ("observed", "observed_agreement"),
            ("Cohen", "cohen_kappa"),
            ("Fleiss", "fleiss_kappa"),
            ("alpha", "krippendorff_alpha"),
            ("AC1", "gwet_ac1"),
        ],
    )
    for layer in ("entities", "events"):
        spans = report[layer]
        lines += _heading(layer.capitalize(), spans)
        lines += _figure_table(
            spans,
            [
                ("pairwise F1, strict", "pairwise_f1"),
                ("pairwise F1, overlap", "pairwise_f1_overlap"),
                ("Krippendorff's alpha, tokens", "token_krippendorff_alpha"),
            ],
        )
        lines += _label_table(
            spans["per_label"],
            [
                ("F1 strict", "pairwise_f1"),
                ("F1 overlap", "pairwise_f1_overlap"),
                ("token alpha", "token_krippendorff_alpha"),
            ],
        )
        lines += _confusion_table(spans["confusion"])
    lines.append("-: not enough data")
    return "\n".join(lines)


def _heading(title: str, section: Mapping[str, Any]) -> list[str]:
    return [
        "",
        f"{title}: {section['n_items']} sentences, {section['n_annotators']} reviewers",
        "=" * 72,
    ]


def _shown(value: float | None, *, width: int, undefined: str = "-") -> str:
    return f"{value:>{width}.3f}" if value is not None else f"{undefined:>{width}}"


def _figure_table(section: Mapping[str, Any], rows: Sequence[tuple[str, str]]) -> list[str]:
    lines = [f"{'figure':<32}{'value':>16}{'items':>10}{'reviewers':>11}"]
    for title, key in rows:
        figure = section[key]
        shown = _shown(figure["value"], width=16, undefined=NOT_ENOUGH_DATA)
        lines.append(f"{title:<32}{shown}{figure['n_items']:>10}{figure['n_annotators']:>11}")
    return lines


def _label_table(
    per_label: Mapping[str, Mapping[str, Any]], columns: Sequence[tuple[str, str]]
) -> list[str]:
    if not per_label:
        return []
    width = max(12, *(len(title) + 2 for title, _ in columns))
    name_width = max(len("label"), *(len(label) for label in per_label)) + 2
    lines = ["", f"{'label':<{name_width}}" + "".join(f"{t:>{width}}" for t, _ in columns)]
    for label, figures in per_label.items():
        cells = "".join(_shown(figures[key]["value"], width=width) for _, key in columns)
        lines.append(f"{label:<{name_width}}{cells}")
    return lines


def _confusion_table(confusion: Mapping[str, Mapping[str, int]]) -> list[str]:
    labels = [label for label, row in confusion.items() if any(row.values())]
    if not labels:
        return ["", "labels on equal bounds: no span has the same bounds for two reviewers"]
    width = max(len(label) for label in labels) + 2
    lines = ["", "labels on equal bounds (one reviewer by the other)"]
    lines.append(" " * width + "".join(f"{label:>{width}}" for label in labels))
    for x in labels:
        lines.append(f"{x:<{width}}" + "".join(f"{confusion[x][y]:>{width}}" for y in labels))
    return lines
