"""Agreement: Krippendorff's alpha against the ``krippendorff`` package on the same ratings, and
span agreement against a plain set intersection over the same spans."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from annotator import agreement
from annotator.bench.context import BenchContext, BenchError
from annotator.bench.corpus import GoldSentence, second_reviewer, sentences
from annotator.bench.results import Row, Target, short_count, timed
from annotator.tokens import token_bounds

REVIEWERS = ("first", "second")
Spans = dict[int, dict[str, list[tuple[int, int, str]]]]


def best_seconds(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The fastest of ``repeats`` calls, and what the last one returned."""
    best, value = float("inf"), None
    for _ in range(max(1, repeats)):
        seconds, value = timed(run)
        best = min(best, seconds)
    return best, value


def best_in_turns(runs: Sequence[Callable[[], Any]], repeats: int) -> list[tuple[float, Any]]:
    """The fastest of ``repeats`` calls of each run, the runs called in turns (one of each, then
    again), so that a burst of load on a shared machine falls on all of them alike; and what
    each returned last."""
    best: list[tuple[float, Any]] = [(float("inf"), None) for _ in runs]
    for _ in range(max(1, repeats)):
        for index, run in enumerate(runs):
            seconds, value = timed(run)
            best[index] = (min(best[index][0], seconds), value)
    return best


def category_codes(
    stream: Sequence[GoldSentence], *, categories: Sequence[str], reviewers: int, seed: int
) -> np.ndarray:
    """(items, reviewers) codes: each sentence's first category (or none) as three reviewers
    gave it, each agreeing with the gold 80% of the time, 10% of ratings missing."""
    code_of = {name: index + 1 for index, name in enumerate(categories)}
    truth = np.array(
        [code_of[sentence.categories[0]] if sentence.categories else 0 for sentence in stream],
        dtype=np.int64,
    )
    rng = np.random.default_rng(seed)
    codes = np.repeat(truth[:, None], reviewers, axis=1)
    wrong = rng.random(codes.shape) < 0.2
    codes[wrong] = rng.integers(0, len(categories) + 1, size=int(wrong.sum()))
    codes[rng.random(codes.shape) < 0.1] = agreement.MISSING
    return codes


def plain_strict_f1(spans: Spans) -> float:
    """Strict span F1 between two reviewers with nothing but sets: the floor of any matching."""
    tp = fp = fn = 0
    for by_reviewer in spans.values():
        first, second = set(by_reviewer[REVIEWERS[0]]), set(by_reviewer[REVIEWERS[1]])
        shared = len(first & second)
        tp += shared
        fp += len(second) - shared
        fn += len(first) - shared
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def reviewer_spans(stream: Sequence[GoldSentence], *, seed: int) -> Spans:
    """Every sentence's entity spans as the gold reviewer and a perturbed second one marked
    them."""
    rng = random.Random(seed)
    found: Spans = {}
    for number, sentence in enumerate(stream):
        other = second_reviewer(sentence, rng=rng)
        found[number] = {
            REVIEWERS[0]: [(s.start_char, s.end_char, s.label) for s in sentence.entities],
            REVIEWERS[1]: [(s.start_char, s.end_char, s.label) for s in other.entities],
        }
    return found


def rows(context: BenchContext) -> list[Row]:
    """Alpha (time and value) and span agreement (strict F1, and the whole report against
    it: at most three times as long)."""
    try:
        import krippendorff
    except ImportError as error:
        raise BenchError(
            "the agreement rows compare with the krippendorff package: "
            "pip install -e '.[test]' (or pip install krippendorff)"
        ) from error
    sizes, repeats = context.sizes, context.sizes.repeats
    stream = list(
        sentences(
            max(sizes.alpha_items, sizes.span_items),
            seed=context.seed,
            categories=context.categories,
        )
    )
    codes = category_codes(
        stream[: sizes.alpha_items],
        categories=context.scheme.names("categories"),
        reviewers=3,
        seed=context.seed,
    )
    reliability = np.where(codes == agreement.MISSING, np.nan, codes).astype(float).T
    ours_s, ours = best_seconds(lambda: agreement.krippendorff_alpha(codes), repeats)
    theirs_s, theirs = best_seconds(
        lambda: krippendorff.alpha(reliability, level_of_measurement="nominal"), repeats
    )
    difference = abs(float(ours.value) - float(theirs))

    spans = reviewer_spans(stream[: sizes.span_items], seed=context.seed)
    bounds: Mapping[int, list[tuple[int, int]]] = {
        number: token_bounds(sentence.text)
        for number, sentence in enumerate(stream[: sizes.span_items])
    }
    labels = context.scheme.names("entities")
    (plain_s, plain), (strict_s, strict), (report_s, report) = best_in_turns(
        [
            lambda: plain_strict_f1(spans),
            lambda: agreement.span_agreement(spans, overlap=False).pairwise().figure.value,
            lambda: agreement.span_report(spans, bounds, labels=labels),
        ],
        repeats,
    )
    if strict is None or abs(strict - plain) > 1e-9:
        raise BenchError(f"span agreement F1 {strict} differs from the plain F1 {plain}")
    if report["pairwise_f1"]["value"] != strict:
        raise BenchError(f"the report's strict F1 {report['pairwise_f1']['value']} is not {strict}")
    context.note(
        f"agreement: alpha {ours.value:.4f} over {short_count(sizes.alpha_items)} items x 3 "
        f"reviewers (krippendorff package {theirs:.4f}); strict entity F1 {strict:.4f} over "
        f"{short_count(sizes.span_items)} sentences x 2 reviewers, the same by plain sets; "
        f"best of {repeats}, the three measured in turns"
    )
    alpha_items, span_items = short_count(sizes.alpha_items), short_count(sizes.span_items)
    return [
        Row(
            f"Krippendorff's alpha, {alpha_items} items x 3 reviewers vs the krippendorff package",
            ours_s * 1000,
            "ms",
            theirs_s * 1000,
            Target("<=", 1.0),
        ),
        Row(
            "Krippendorff's alpha, difference from the krippendorff package",
            difference,
            "",
            None,
            Target("<", 1e-9, on="value"),
        ),
        Row(
            f"span agreement, strict F1, {span_items} sentences x 2 reviewers vs plain set F1",
            strict_s * 1000,
            "ms",
            plain_s * 1000,
        ),
        Row(
            f"span agreement report (strict and overlap F1, token alpha, confusion), {span_items} "
            "sentences x 2 reviewers vs the strict F1 row",
            report_s * 1000,
            "ms",
            strict_s * 1000,
            Target("<=", 3),
        ),
    ]
