"""The span report computes its figures over columns (annotator.agreement._span_columns): on
thousands of random span sets it gives exactly what the per-item functions give, and what a
straightforward reference computes here, figure by figure. Argument agreement too: exactly what
matching item by item (match_arguments) gives."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations
from typing import Any

import pytest

from annotator.agreement import (
    MISSING,
    SpanAgreement,
    SpanCounts,
    argument_report,
    boundary_confusion,
    krippendorff_alpha,
    match_arguments,
    span_agreement,
    span_report,
    token_ratings,
)

Spans = dict[int, dict[str, list[tuple[int, int, str]]]]
Bounds = dict[int, list[tuple[int, int]]]


def per_item_report(spans: Spans, bounds: Bounds, *, labels: list[str]) -> dict[str, Any]:
    """The report as the per-item functions make it (what span_report returned before)."""
    strict = span_agreement(spans, overlap=False)
    loose = span_agreement(spans, overlap=True)
    tokens = token_ratings(spans, bounds, labels=labels)
    confusion = boundary_confusion(spans, labels=labels)
    rated = (tokens.codes != MISSING).sum(axis=1) >= 2
    figure = krippendorff_alpha(tokens.codes, len(tokens.values))
    return {
        "pairwise_f1": strict.pairwise().to_dict(),
        "pairwise_f1_overlap": loose.pairwise().to_dict(),
        "token_krippendorff_alpha": figure.to_dict(),
        "n_items": strict.n_items,
        "n_annotators": int((tokens.codes[rated] != MISSING).any(axis=0).sum()),
        "per_label": {
            label: {
                "pairwise_f1": strict.pairwise(label).to_dict(),
                "pairwise_f1_overlap": loose.pairwise(label).to_dict(),
                "token_krippendorff_alpha": krippendorff_alpha(tokens.binary(label), 2).to_dict(),
            }
            for label in (*labels, *[label for label in tokens.labels if label not in labels])
        },
        "confusion": {
            str(x): {str(y): int(count) for y, count in row.items()}
            for x, row in confusion.to_dict(orient="index").items()
        },
    }


# --- a straightforward reference ----------------------------------------------------------


def matching(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> int:
    """The largest number of disjoint pairs of overlapping spans, by trying every way."""
    if not first:
        return 0
    (start, end), rest = first[0], first[1:]
    best = matching(rest, second)
    for index, (s, e) in enumerate(second):
        if start < e and s < end:
            best = max(best, 1 + matching(rest, second[:index] + second[index + 1 :]))
    return best


def f1(tp: int, fp: int, fn: int) -> float | None:
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None


def nominal_alpha(units: list[list[str]]) -> float | None:
    """Krippendorff's alpha from the coincidence matrix, unit by unit."""
    coincidences: Counter[tuple[str, str]] = Counter()
    for values in units:
        if len(values) < 2:
            continue
        for i, j in combinations(range(len(values)), 2):
            coincidences[values[i], values[j]] += 1 / (len(values) - 1)
            coincidences[values[j], values[i]] += 1 / (len(values) - 1)
    margins: Counter[str] = Counter()
    for (value, _), weight in coincidences.items():
        margins[value] += weight
    n = sum(margins.values())
    observed = sum(weight for (x, y), weight in coincidences.items() if x != y)
    expected = sum(margins[x] * margins[y] for x in margins for y in margins if x != y)
    if n < 2 or expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def reference_report(spans: Spans, bounds: Bounds, *, labels: list[str]) -> dict[str, Any]:
    """Pooled F1 (strict, overlap), token alpha (overall, per label) and confusion, the long
    way: every item, every pair of its reviewers, every token."""
    shared = {item: by for item, by in spans.items() if len(by) >= 2}
    seen = {label for by in spans.values() for found in by.values() for *_, label in found}
    order = [*labels, *sorted(seen - set(labels))]
    totals = {kind: Counter[str]() for kind in ("strict", "overlap")}
    confusion: Counter[tuple[str, str]] = Counter()
    for by in shared.values():
        for one, other in combinations(sorted(by), 2):
            ours, theirs = set(by[one]), set(by[other])
            for label in {label for *_, label in ours | theirs}:
                a = sorted((s, e) for s, e, x in ours if x == label)
                b = sorted((s, e) for s, e, x in theirs if x == label)
                same = len(set(a) & set(b))
                meet = matching(a, b)
                for kind, tp in (("strict", same), ("overlap", meet)):
                    totals[kind][label, "tp"] += tp
                    totals[kind][label, "fp"] += len(b) - tp
                    totals[kind][label, "fn"] += len(a) - tp
            for where in {(s, e) for s, e, _ in ours} & {(s, e) for s, e, _ in theirs}:
                a = sorted({x for s, e, x in ours if (s, e) == where})
                b = sorted({x for s, e, x in theirs if (s, e) == where})
                both = sorted(set(a) & set(b))
                pairs = [(x, x) for x in both] + list(
                    zip(
                        [x for x in a if x not in both],
                        [x for x in b if x not in both],
                        strict=False,
                    )
                )
                for x, y in pairs:
                    confusion[x, y] += 1
                    if x != y:
                        confusion[y, x] += 1

    def pooled(kind: str, label: str | None) -> float | None:
        chosen = order if label is None else [label]
        return f1(*(sum(totals[kind][x, part] for x in chosen) for part in ("tp", "fp", "fn")))

    def token_units(label: str | None) -> list[list[str]]:
        units = []
        for item, by in shared.items():
            for start, end in bounds[item]:
                values = []
                for found in by.values():
                    under = {x for s, e, x in found if s < end and start < e}
                    if label is None:
                        codes = sorted(order.index(x) for x in under)
                        values.append("+".join(order[c] for c in codes) or "O")
                    else:
                        values.append(str(label in under))
                units.append(values)
        return units

    return {
        "f1": pooled("strict", None),
        "f1_overlap": pooled("overlap", None),
        "alpha": nominal_alpha(token_units(None)),
        "per_label": {
            label: (
                pooled("strict", label),
                pooled("overlap", label),
                nominal_alpha(token_units(label)),
            )
            for label in order
        },
        "confusion": {pair: count for pair, count in confusion.items() if count},
    }


# --- random span sets ---------------------------------------------------------------------


def random_case(rng: random.Random) -> tuple[Spans, Bounds]:
    """A few items: tokens (none, some, with gaps), up to four reviewers (one may be missing,
    or all but one), spans that overlap, nest, repeat, share bounds, or fall between tokens."""
    spans: Spans = {}
    bounds: Bounds = {}
    reviewers = ["ann", "bob", "cat", "dan"][: rng.randint(1, 4)]
    for item in range(rng.randint(0, 5)):
        position, tokens = 0, []
        for _ in range(rng.choice([0, 1, 3, 6, 9])):
            position += rng.randint(0, 2)
            length = rng.randint(1, 4)
            tokens.append((position, position + length))
            position += length
        bounds[item] = tokens
        by: dict[str, list[tuple[int, int, str]]] = {}
        for name in reviewers:
            if rng.random() < 0.2:
                continue  # this reviewer did not rate the item
            found: list[tuple[int, int, str]] = []
            for _ in range(rng.choice([0, 1, 2, 4, 6])):
                start = rng.randint(0, max(position, 1))
                found.append((start, start + rng.randint(1, 7), rng.choice("ABCD")))
            if found and rng.random() < 0.3:
                found.append(found[0])  # the same span twice
            if found and rng.random() < 0.3:
                start, end, _ = rng.choice(found)
                found.append((start, end, rng.choice("ABCD")))  # same bounds, another label
            by[name] = found
        spans[item] = by
    return spans, bounds


def reference_of(report: dict[str, Any]) -> dict[str, Any]:
    """The figures of a span report in the reference's shape."""
    return {
        "f1": report["pairwise_f1"]["value"],
        "f1_overlap": report["pairwise_f1_overlap"]["value"],
        "alpha": report["token_krippendorff_alpha"]["value"],
        "per_label": {
            label: tuple(
                figures[name]["value"]
                for name in ("pairwise_f1", "pairwise_f1_overlap", "token_krippendorff_alpha")
            )
            for label, figures in report["per_label"].items()
        },
        "confusion": {
            (x, y): count
            for x, row in report["confusion"].items()
            for y, count in row.items()
            if count
        },
    }


def close(found: Any, expected: Any) -> bool:
    if isinstance(expected, dict):
        return found.keys() == expected.keys() and all(
            close(found[k], expected[k]) for k in expected
        )
    if isinstance(expected, tuple):
        return len(found) == len(expected) and all(map(close, found, expected))
    if expected is None or found is None:
        return found is expected
    return found == pytest.approx(expected, abs=1e-9)


def test_span_report_equals_the_per_item_functions_and_the_reference_on_random_span_sets():
    rng = random.Random(14)
    met = Counter[str]()
    for case in range(2000):
        spans, bounds = random_case(rng)
        labels = rng.choice([[], ["B"], ["C", "A", "E"]])
        report = span_report(spans, bounds, labels=labels)
        assert report == per_item_report(spans, bounds, labels=labels), case
        expected = reference_report(spans, bounds, labels=labels)
        assert close(reference_of(report), expected), (case, spans, bounds, labels)
        met["defined alpha"] += expected["alpha"] is not None
        met["undefined alpha"] += expected["alpha"] is None
        met["overlap beyond strict"] += (expected["f1_overlap"] or 0) > (expected["f1"] or 0)
        met["one rater only"] += any(len(by) == 1 for by in spans.values())
        met["labels on a token"] += any(
            len({x for s, e, x in found if s < end and start < e}) > 1
            for item, by in spans.items()
            for found in by.values()
            for start, end in bounds[item]
        )
        met["relabelled bounds"] += any(x != y for x, y in expected["confusion"])
    # The random sets reach every case the columns treat apart.
    assert min(met.values()) >= 100, met


def test_offsets_too_wide_to_pack_into_one_key_give_the_same_report():
    # Offsets from 0 to past 2**40 leave no room to pack item, reviewer, bounds and label into
    # one int64: the columns sort on each part instead, with the same figures.
    rng = random.Random(41)
    for case in range(200):
        spans, bounds = random_case(rng)
        shift = {item: (item % 2) * 2**40 for item in spans}
        moved = {
            item: {
                name: [(s + shift[item], e + shift[item], x) for s, e, x in found]
                for name, found in by.items()
            }
            for item, by in spans.items()
        }
        moved_bounds = {
            item: [(s + shift[item], e + shift[item]) for s, e in found]
            for item, found in bounds.items()
        }
        report = span_report(moved, moved_bounds, labels=["B"])
        assert report == span_report(spans, bounds, labels=["B"]), case
        assert report == per_item_report(moved, moved_bounds, labels=["B"]), case


# --- arguments ----------------------------------------------------------------------------


def per_item_arguments(
    arguments: dict[int, dict[str, list[Any]]], *, overlap: bool
) -> SpanAgreement:
    """match_arguments for every pair of reviewers on every item both rated, summed."""
    counts: dict[tuple[str, str], dict[str, SpanCounts]] = {}
    items: Counter[tuple[str, str]] = Counter()
    for by in arguments.values():
        if len(by) < 2:
            continue
        for one, other in combinations(sorted(by), 2):
            items[one, other] += 1
            pair = counts.setdefault((one, other), {})
            for role, found in match_arguments(by[one], by[other], overlap=overlap).items():
                pair[role] = pair.get(role, SpanCounts()) + found
    ordered = {names: dict(sorted(counts[names].items())) for names in sorted(items)}
    return SpanAgreement(
        counts=ordered,
        items=dict(items),
        n_items=sum(len(by) >= 2 for by in arguments.values()),
        labels=tuple(sorted({role for by in ordered.values() for role in by})),
    )


def test_argument_report_equals_matching_item_by_item_on_random_links():
    rng = random.Random(12)
    for case in range(1500):
        arguments: dict[int, dict[str, list[Any]]] = {}
        for item in range(rng.randint(0, 5)):
            by: dict[str, list[Any]] = {}
            for name in ["ann", "bob", "cat", "dan"][: rng.randint(1, 4)]:
                if rng.random() < 0.2:
                    continue
                links = []
                for _ in range(rng.choice([0, 1, 2, 4, 6])):
                    trigger, start = rng.randint(0, 20), rng.randint(0, 20)
                    links.append(
                        (
                            trigger,
                            trigger + rng.randint(1, 6),
                            start,
                            start + rng.randint(1, 6),
                            rng.choice(["ACTOR", "TIME", "LOCATION"]),
                        )
                    )
                if links and rng.random() < 0.3:
                    links.append(links[0])
                by[name] = links
            arguments[item] = by
        strict = per_item_arguments(arguments, overlap=False)
        loose = per_item_arguments(arguments, overlap=True)
        assert argument_report(arguments) == {
            "pairwise_f1": strict.pairwise().to_dict(),
            "pairwise_f1_overlap": loose.pairwise().to_dict(),
            "n_items": strict.n_items,
            "n_annotators": len({n for by in arguments.values() if len(by) >= 2 for n in by}),
            "per_label": {
                role: {
                    "pairwise_f1": strict.pairwise(role).to_dict(),
                    "pairwise_f1_overlap": loose.pairwise(role).to_dict(),
                }
                for role in sorted({*strict.labels, *loose.labels})
            },
        }, case
