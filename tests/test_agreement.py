"""Agreement figures against published values, against scikit-learn, statsmodels and the
``krippendorff`` package on random data with missing ratings, and on spans built by hand."""

from __future__ import annotations

import subprocess
import sys
import time

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from annotator.agreement import (
    MISSING,
    NO_CATEGORY,
    NOT_ENOUGH_DATA,
    OUTSIDE,
    Figure,
    boundary_confusion,
    category_report,
    cohen_kappa,
    fleiss_kappa,
    fleiss_kappa_table,
    gwet_ac1,
    krippendorff_alpha,
    match_spans,
    observed_agreement,
    pairwise_cohen_kappa,
    span_agreement,
    span_report,
    token_ratings,
    value_counts,
)

nan = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with missing
# values: observers A-D (rows) by units 1-12 (columns); nominal alpha = 0.743. Unit 12 has one
# value, so alpha rests on 11 units.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)

# Fleiss (1971), the table of the Wikipedia "Fleiss' kappa" worked example: 10 subjects, 14
# raters each, 5 categories; P-bar = 0.378, P-bar-e = 0.213, kappa = 0.210.
FLEISS_1971 = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def codes_from_reliability(data: np.ndarray) -> np.ndarray:
    """The package's (reviewers, units) floats with NaN as our (items, reviewers) codes."""
    return np.where(np.isnan(data), MISSING, data - np.nanmin(data)).astype(np.int64).T


def reliability_from_codes(codes: np.ndarray) -> np.ndarray:
    """Our (items, reviewers) codes as the package's (reviewers, units) floats with NaN."""
    return np.where(codes == MISSING, nan, codes).astype(float).T


def codes_from_table(table: np.ndarray) -> np.ndarray:
    """One row per subject, each rater's category; who rated what does not matter to Fleiss."""
    return np.array([np.repeat(np.arange(table.shape[1]), row) for row in table])


def random_ratings(seed: int, *, n_items: int = 400, missing: float = 0.3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n_annotators = int(rng.integers(2, 6))
    n_values = int(rng.integers(2, 7))
    # Skewed towards some values, as real categories are.
    weights = rng.dirichlet(np.ones(n_values))
    codes = rng.choice(n_values, size=(n_items, n_annotators), p=weights)
    codes[rng.random(codes.shape) < missing] = MISSING
    return codes.astype(np.int64)


SEEDS = range(8)


# --- published values ---------------------------------------------------------------------


def test_krippendorff_2011_example():
    figure = krippendorff_alpha(codes_from_reliability(KRIPPENDORFF_2011))
    assert figure.value == pytest.approx(0.743, abs=5e-4)
    assert (figure.n_items, figure.n_annotators, figure.note) == (11, 4, None)


def test_gwet_ac1_on_the_same_example_matches_gwet_2014():
    # Gwet, Handbook of Inter-Rater Reliability (2014), and his irrCAC package, use these data
    # (12 units, 4 raters, values 1-5): AC1 = 0.77544, with pa = 0.81818 and pe = 0.19032.
    figure = gwet_ac1(codes_from_reliability(KRIPPENDORFF_2011), n_values=5)
    assert figure.value == pytest.approx(0.77544, abs=5e-6)


def test_fleiss_1971_table():
    figure = fleiss_kappa_table(FLEISS_1971)
    assert figure.value == pytest.approx(0.210, abs=5e-4)
    assert (figure.n_items, figure.n_annotators) == (10, 14)


def test_fleiss_1971_from_ratings_and_its_observed_agreement():
    codes = codes_from_table(FLEISS_1971)
    assert fleiss_kappa(codes).value == pytest.approx(0.210, abs=5e-4)
    # With the same number of ratings per item, the share of agreeing pairs is Fleiss' P-bar.
    assert observed_agreement(codes).value == pytest.approx(0.378, abs=5e-4)


# --- against scikit-learn, statsmodels and krippendorff -----------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_krippendorff_alpha_equals_the_package_with_missing_values(seed):
    codes = random_ratings(seed)
    expected = krippendorff.alpha(reliability_from_codes(codes), level_of_measurement="nominal")
    assert krippendorff_alpha(codes).value == pytest.approx(expected, abs=1e-9)


def test_unused_values_do_not_change_nominal_alpha():
    codes = random_ratings(3)
    assert krippendorff_alpha(codes, n_values=12).value == pytest.approx(
        krippendorff_alpha(codes).value, abs=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_cohen_kappa_equals_scikit_learn_on_every_pair(seed):
    codes = random_ratings(seed)
    annotators = [f"r{index}" for index in range(codes.shape[1])]
    pairwise = pairwise_cohen_kappa(codes, annotators)
    assert len(pairwise.pairs) == codes.shape[1] * (codes.shape[1] - 1) // 2
    expected = []
    for pair in pairwise.pairs:
        i, j = (annotators.index(name) for name in pair.annotators)
        both = (codes[:, i] >= 0) & (codes[:, j] >= 0)
        kappa = cohen_kappa_score(codes[both, i], codes[both, j])
        assert pair.figure.value == pytest.approx(kappa, abs=1e-9)
        assert pair.figure.n_items == both.sum()
        expected.append(kappa)
    assert pairwise.figure.value == pytest.approx(np.mean(expected), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_observed_agreement_of_two_reviewers_is_their_accuracy(seed):
    codes = random_ratings(seed)[:, :2]
    both = (codes >= 0).all(axis=1)
    expected = accuracy_score(codes[both, 0], codes[both, 1])
    assert observed_agreement(codes).value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_kappa_equals_statsmodels_on_complete_data(seed):
    codes = random_ratings(seed, missing=0.0)
    table, _ = aggregate_raters(codes)
    assert fleiss_kappa(codes).value == pytest.approx(statsmodels_fleiss_kappa(table), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_kappa_with_missing_values_uses_the_items_with_the_most_common_count(seed):
    codes = random_ratings(seed, missing=0.1)
    rated = (codes >= 0).sum(axis=1)
    full = rated == codes.shape[1]
    assert full.sum() > (rated == codes.shape[1] - 1).sum()  # most items have every rating
    table, _ = aggregate_raters(codes[full])
    figure = fleiss_kappa(codes)
    assert figure.value == pytest.approx(statsmodels_fleiss_kappa(table), abs=1e-9)
    assert figure.n_items == full.sum()
    assert figure.note == (
        f"on the {full.sum()} of {(rated >= 2).sum()} items with {codes.shape[1]} ratings"
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_gwet_ac1_of_two_reviewers_follows_gwet_2008(seed):
    # Gwet (2008): pe = sum_k pi_k (1 - pi_k) / (q - 1), pi_k the mean of the two margins.
    codes = random_ratings(seed, missing=0.0)[:, :2]
    q = int(codes.max()) + 1
    table = np.zeros((q, q))
    np.add.at(table, (codes[:, 0], codes[:, 1]), 1)
    table /= table.sum()
    pa = np.trace(table)
    pi = (table.sum(axis=0) + table.sum(axis=1)) / 2
    pe = (pi * (1 - pi)).sum() / (q - 1)
    assert gwet_ac1(codes, n_values=q).value == pytest.approx((pa - pe) / (1 - pe), abs=1e-9)


def test_alpha_is_no_slower_than_the_package_on_100k_items_by_3_reviewers():
    rng = np.random.default_rng(11)
    codes = rng.integers(0, 5, size=(100_000, 3))
    codes[rng.random(codes.shape) < 0.2] = MISSING
    data = reliability_from_codes(codes)

    def fastest(run) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    ours = fastest(lambda: krippendorff_alpha(codes))
    theirs = fastest(lambda: krippendorff.alpha(data, level_of_measurement="nominal"))
    assert krippendorff_alpha(codes).value == pytest.approx(
        krippendorff.alpha(data, level_of_measurement="nominal"), abs=1e-9
    )
    assert ours <= theirs, f"ours {ours:.4f}s, krippendorff {theirs:.4f}s"


# --- undefined figures --------------------------------------------------------------------


def test_undefined_figure_serialises_as_null_with_a_note():
    assert Figure.undefined(n_items=3, n_annotators=2).to_dict() == {
        "value": None,
        "n_items": 3,
        "n_annotators": 2,
        "note": NOT_ENOUGH_DATA,
    }
    assert Figure(0.5, 4, 2).to_dict() == {
        "value": 0.5,
        "n_items": 4,
        "n_annotators": 2,
        "note": None,
    }


ONE_REVIEWER_PER_ITEM = np.array([[0, MISSING], [MISSING, 1], [1, MISSING]])
ALL_THE_SAME = np.array([[1, 1, MISSING], [1, 1, 1], [MISSING, 1, 1]])


@pytest.mark.parametrize(
    "compute", [observed_agreement, fleiss_kappa, krippendorff_alpha, gwet_ac1]
)
def test_no_item_rated_twice_is_not_enough_data(compute):
    figure = compute(ONE_REVIEWER_PER_ITEM)
    assert figure.value is None and figure.note == NOT_ENOUGH_DATA
    assert figure.n_items == 0


@pytest.mark.parametrize("compute", [fleiss_kappa, krippendorff_alpha])
def test_one_value_everywhere_leaves_kappa_and_alpha_undefined(compute):
    figure = compute(ALL_THE_SAME)
    assert figure.value is None and figure.note == NOT_ENOUGH_DATA
    assert figure.n_items > 0 and figure.n_annotators == 3


def test_one_value_everywhere_is_full_observed_agreement_and_ac1():
    assert observed_agreement(ALL_THE_SAME).value == 1.0
    assert gwet_ac1(ALL_THE_SAME, n_values=2).value == 1.0


def test_cohen_kappa_without_common_items_or_with_one_value_is_undefined():
    assert cohen_kappa([0, MISSING], [MISSING, 1]) == Figure.undefined(n_annotators=2)
    assert cohen_kappa([1, 1, 1], [1, 1, 1]) == Figure.undefined(n_items=3, n_annotators=2)
    pairwise = pairwise_cohen_kappa(ONE_REVIEWER_PER_ITEM, ["alice", "bob"])
    assert pairwise.pairs == () and pairwise.figure.value is None


def test_empty_ratings_are_not_enough_data():
    empty = np.zeros((0, 3), dtype=np.int64)
    for compute in (observed_agreement, fleiss_kappa, krippendorff_alpha, gwet_ac1):
        assert compute(empty).value is None
    assert fleiss_kappa_table(np.zeros((0, 4))).value is None


def test_ratings_must_be_integer_codes():
    with pytest.raises(ValueError, match="integer codes"):
        krippendorff_alpha(np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="outside"):
        value_counts(np.array([[0, 3]]), n_values=2)
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss_kappa_table(np.array([[2, 0], [1, 2]]))


# --- spans --------------------------------------------------------------------------------


def test_strict_match_needs_same_bounds_and_label_overlap_needs_a_shared_character():
    reference = [(0, 6, "ORG"), (10, 20, "GPE")]
    other = [(0, 6, "ORG"), (12, 20, "GPE"), (30, 35, "DATE")]
    strict = match_spans(reference, other, overlap=False)
    loose = match_spans(reference, other, overlap=True)
    assert (strict["ORG"].tp, strict["GPE"].tp, strict["GPE"].fp, strict["GPE"].fn) == (1, 0, 1, 1)
    assert (loose["GPE"].tp, loose["GPE"].fp, loose["GPE"].fn) == (1, 0, 0)
    assert (loose["DATE"].tp, loose["DATE"].fp) == (0, 1)


def test_overlap_match_never_counts_one_span_twice():
    counts = match_spans([(0, 20, "GPE")], [(0, 5, "GPE"), (6, 20, "GPE")], overlap=True)
    assert (counts["GPE"].tp, counts["GPE"].fp, counts["GPE"].fn) == (1, 1, 0)


def test_overlap_match_is_a_maximum_matching():
    # Greedy would pair (0, 10) with (2, 9) and leave (8, 20) alone; both can be paired.
    counts = match_spans([(0, 10, "X"), (8, 20, "X")], [(2, 9, "X"), (3, 5, "X")], overlap=True)
    assert counts["X"].tp == 2


def test_overlapping_spans_with_different_labels_do_not_match():
    counts = match_spans([(0, 6, "ORG")], [(0, 6, "ARMED_GROUP")], overlap=True)
    assert counts["ORG"].fn == 1 and counts["ARMED_GROUP"].fp == 1
    assert counts["ORG"].tp == counts["ARMED_GROUP"].tp == 0


SPANS = {
    1: {
        "alice": [(0, 6, "ORG"), (10, 20, "GPE")],
        "bob": [(0, 6, "ORG"), (12, 20, "GPE")],
        "carol": [(0, 6, "ARMED_GROUP")],
    },
    2: {"alice": [], "bob": []},  # both rated it and marked nothing: an item, no spans
    3: {"alice": [(0, 4, "GPE")]},  # one reviewer: nothing to compare
}


def test_pairwise_precision_recall_and_f1_strict_and_overlap():
    strict = span_agreement(SPANS, overlap=False).pairwise()
    pairs = {pair.annotators: pair for pair in strict.pairs}
    ab = pairs["alice", "bob"]
    assert (ab.figure.value, ab.detail["precision"], ab.detail["recall"]) == (0.5, 0.5, 0.5)
    assert ab.figure.n_items == 2
    ac = pairs["alice", "carol"]
    assert (ac.figure.value, ac.detail["precision"], ac.detail["recall"]) == (0.0, 0.0, 0.0)
    assert ac.figure.n_items == 1
    # Pooled over the three pairs: tp 1, fp 3, fn 5.
    assert strict.figure.value == pytest.approx(2 / 10)
    assert (strict.figure.n_items, strict.figure.n_annotators) == (2, 3)
    loose = span_agreement(SPANS, overlap=True).pairwise()
    assert {pair.annotators: pair.figure.value for pair in loose.pairs}["alice", "bob"] == 1.0
    assert loose.figure.value == pytest.approx(4 / 10)  # tp 2, fp 2, fn 4


def test_pairwise_f1_per_label():
    strict = span_agreement(SPANS, overlap=False)
    assert strict.pairwise("ORG").figure.value == pytest.approx(2 / 4)  # tp 1, fn 2
    assert strict.pairwise("ARMED_GROUP").figure.value == 0.0
    nobody = strict.pairwise("DATE").figure
    assert nobody.value is None and nobody.note == NOT_ENOUGH_DATA


def test_no_spans_at_all_is_not_enough_data():
    figure = span_agreement({1: {"alice": [], "bob": []}}, overlap=False).pairwise().figure
    assert figure == Figure.undefined(n_items=1, n_annotators=2)


def test_confusion_matrix_of_labels_on_equal_bounds_is_symmetric():
    spans = {
        1: {
            "alice": [(0, 6, "ORG"), (10, 20, "GPE")],
            "bob": [(0, 6, "ARMED_GROUP"), (10, 20, "GPE"), (30, 35, "DATE")],
        },
        2: {"alice": [(0, 4, "ORG")], "bob": [(0, 5, "ORG")]},  # bounds differ: left out
    }
    matrix = boundary_confusion(spans, labels=["PERSON", "ORG", "ARMED_GROUP", "GPE", "DATE"])
    assert list(matrix.index) == ["PERSON", "ORG", "ARMED_GROUP", "GPE", "DATE"]
    assert matrix.loc["ORG", "ARMED_GROUP"] == matrix.loc["ARMED_GROUP", "ORG"] == 1
    assert matrix.loc["GPE", "GPE"] == 1
    assert matrix.loc["ORG", "ORG"] == 0
    assert matrix.to_numpy().sum() == 3
    assert (matrix.to_numpy() == matrix.to_numpy().T).all()


# --- tokens -------------------------------------------------------------------------------

# "Troops shelled Moebye ." and "Police fled ."
BOUNDS = {1: [(0, 6), (7, 14), (15, 21), (21, 22)], 2: [(0, 6), (7, 11), (11, 12)]}
TOKEN_SPANS = {
    1: {"alice": [(0, 6, "ARMED_GROUP"), (15, 21, "GPE")], "bob": [(0, 14, "ARMED_GROUP")]},
    2: {"alice": [], "bob": [(0, 6, "ARMED_GROUP")], "carol": [(0, 6, "ORG")]},
}


def test_token_ratings_label_every_token_per_reviewer():
    ratings = token_ratings(TOKEN_SPANS, BOUNDS, labels=["ORG", "ARMED_GROUP", "GPE"])
    assert ratings.annotators == ("alice", "bob", "carol")
    shown = [
        [ratings.values[code] if code != MISSING else None for code in row] for row in ratings.codes
    ]
    assert shown == [
        ["ARMED_GROUP", "ARMED_GROUP", None],
        [OUTSIDE, "ARMED_GROUP", None],
        ["GPE", OUTSIDE, None],
        [OUTSIDE, OUTSIDE, None],
        [OUTSIDE, "ARMED_GROUP", "ORG"],
        [OUTSIDE, OUTSIDE, OUTSIDE],
        [OUTSIDE, OUTSIDE, OUTSIDE],
    ]
    assert ratings.binary("ARMED_GROUP").tolist() == [
        [1, 1, MISSING],
        [0, 1, MISSING],
        [0, 0, MISSING],
        [0, 0, MISSING],
        [0, 1, 0],
        [0, 0, 0],
        [0, 0, 0],
    ]


def test_token_alpha_equals_the_package_on_the_token_labels():
    ratings = token_ratings(TOKEN_SPANS, BOUNDS, labels=["ORG", "ARMED_GROUP", "GPE"])
    report = span_report(TOKEN_SPANS, BOUNDS, labels=["ORG", "ARMED_GROUP", "GPE"])
    expected = krippendorff.alpha(
        reliability_from_codes(ratings.codes), level_of_measurement="nominal"
    )
    assert report["token_krippendorff_alpha"]["value"] == pytest.approx(expected, abs=1e-9)
    assert report["token_krippendorff_alpha"]["n_items"] == 7
    binary = krippendorff.alpha(
        reliability_from_codes(ratings.binary("ARMED_GROUP")), level_of_measurement="nominal"
    )
    per_label = report["per_label"]["ARMED_GROUP"]["token_krippendorff_alpha"]["value"]
    assert per_label == pytest.approx(binary, abs=1e-9)


def test_a_token_under_two_events_of_one_reviewer_has_both_labels():
    spans = {1: {"alice": [(0, 14, "ARMED_CLASH"), (7, 14, "ATTACK")], "bob": [(7, 14, "ATTACK")]}}
    ratings = token_ratings(spans, BOUNDS, labels=["ARMED_CLASH", "ATTACK"])
    assert ratings.values[ratings.codes[1, 0]] == "ARMED_CLASH+ATTACK"
    assert ratings.values[ratings.codes[1, 1]] == "ATTACK"
    assert ratings.binary("ATTACK")[:, 0].tolist() == [0, 1, 0, 0]


def test_span_report_shape():
    report = span_report(
        SPANS, {1: [(0, 6), (7, 9), (10, 12), (12, 20)], 2: [(0, 3)]}, labels=["ORG", "GPE"]
    )
    assert set(report) == {
        "pairwise_f1",
        "pairwise_f1_overlap",
        "token_krippendorff_alpha",
        "n_items",
        "n_annotators",
        "per_label",
        "confusion",
    }
    assert list(report["per_label"]) == ["ORG", "GPE", "ARMED_GROUP"]
    assert set(report["per_label"]["ORG"]) == {
        "pairwise_f1",
        "pairwise_f1_overlap",
        "token_krippendorff_alpha",
    }
    assert (report["n_items"], report["n_annotators"]) == (2, 3)


# --- categories ---------------------------------------------------------------------------

CHOICES = {
    1: {"alice": ["BATTLES"], "bob": ["BATTLES"], "carol": ["RIOTS"]},
    2: {"alice": ["RIOTS"], "bob": []},
    3: {"alice": [], "bob": [], "carol": []},
    4: {"alice": ["BATTLES"], "carol": ["BATTLES"]},
    5: {"bob": ["RIOTS"]},
}
# Exclusive codes: 0 (none), 1 BATTLES, 2 RIOTS, 3 PROTESTS (never chosen); alice, bob, carol.
CHOICE_CODES = np.array(
    [[1, 1, 2], [2, 0, MISSING], [0, 0, 0], [1, MISSING, 1], [MISSING, 2, MISSING]]
)


def test_exclusive_categories_rate_no_category_as_a_value():
    report = category_report(CHOICES, labels=["BATTLES", "RIOTS", "PROTESTS"], exclusive=True)
    assert report["exclusive"] is True
    assert report["krippendorff_alpha"]["value"] == pytest.approx(
        krippendorff_alpha(CHOICE_CODES).value, abs=1e-12
    )
    assert report["gwet_ac1"]["value"] == pytest.approx(
        gwet_ac1(CHOICE_CODES, n_values=4).value, abs=1e-12
    )
    assert report["observed_agreement"]["value"] == pytest.approx(10 / 16)
    assert (report["n_items"], report["n_annotators"]) == (4, 3)
    pairs = {tuple(pair["annotators"]): pair for pair in report["cohen_kappa"]["pairs"]}
    assert set(pairs) == {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}
    assert NO_CATEGORY not in report["per_label"]


def test_multi_label_categories_are_binary_per_label_and_averaged():
    choices = {
        1: {"alice": ["BATTLES", "RIOTS"], "bob": ["BATTLES"]},
        2: {"alice": ["RIOTS"], "bob": ["RIOTS"]},
        3: {"alice": [], "bob": ["BATTLES"]},
    }
    report = category_report(choices, labels=["BATTLES", "RIOTS", "PROTESTS"], exclusive=False)
    battles = np.array([[1, 1], [0, 0], [0, 1]])
    riots = np.array([[1, 0], [1, 1], [0, 0]])
    for name, compute in [("krippendorff_alpha", krippendorff_alpha), ("gwet_ac1", gwet_ac1)]:
        assert report["per_label"]["BATTLES"][name]["value"] == pytest.approx(
            compute(battles).value
        )
    assert report["per_label"]["RIOTS"]["cohen_kappa"]["value"] == pytest.approx(
        cohen_kappa_score(riots[:, 0], riots[:, 1])
    )
    # PROTESTS was never chosen: kappa and alpha are undefined there and left out of the mean.
    assert report["per_label"]["PROTESTS"]["krippendorff_alpha"]["value"] is None
    mean = np.mean([krippendorff_alpha(battles).value, krippendorff_alpha(riots).value])
    assert report["krippendorff_alpha"]["value"] == pytest.approx(mean)
    assert report["krippendorff_alpha"]["note"] == "mean over 2 labels"
    assert report["gwet_ac1"]["note"] == "mean over 3 labels"


# --- purity -------------------------------------------------------------------------------


def test_agreement_imports_neither_the_database_nor_streamlit():
    code = (
        "import sys, annotator.agreement; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'streamlit', 'sqlmodel', 'sqlalchemy', 'spacy'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- event arguments ---------------------------------------------------------------------------

# (trigger start, trigger end, argument start, argument end, role)
SHOT_BY_TROOPS = (23, 27, 10, 22, "ACTOR")
SHOT_IN_KANBALU = (23, 27, 45, 61, "LOCATION")


def test_argument_agreement_is_strict_on_trigger_role_and_span():
    from annotator.agreement import argument_report

    report = argument_report(
        {
            1: {"ana": [SHOT_BY_TROOPS, SHOT_IN_KANBALU], "ben": [SHOT_BY_TROOPS]},
            2: {"ana": [(0, 4, 10, 20, "TARGET")], "ben": [(0, 4, 10, 20, "ACTOR")]},
        }
    )
    # Pooled: 1 argument in common, ana 3, ben 2: F1 = 2 * 1 / (3 + 2).
    assert report["pairwise_f1"]["value"] == pytest.approx(2 / 5)
    assert (report["n_items"], report["n_annotators"]) == (2, 2)
    per_role = report["per_label"]
    assert per_role["ACTOR"]["pairwise_f1"]["value"] == pytest.approx(2 / 3)
    assert per_role["LOCATION"]["pairwise_f1"]["value"] == 0.0
    assert per_role["TARGET"]["pairwise_f1"]["value"] == 0.0


def test_argument_agreement_with_overlap_pairs_overlapping_triggers_and_spans_once():
    from annotator.agreement import argument_report

    ana = [(23, 27, 10, 22, "ACTOR"), (23, 27, 0, 9, "ACTOR")]
    # "troops" for "junta troops" on a trigger one character longer: overlap, not strict; the
    # second ACTOR overlaps ana's first argument only, which is already paired.
    ben = [(23, 28, 16, 22, "ACTOR"), (23, 28, 12, 14, "ACTOR")]
    report = argument_report({1: {"ana": ana, "ben": ben}})
    assert report["pairwise_f1"]["value"] == 0.0
    assert report["pairwise_f1_overlap"]["value"] == pytest.approx(2 * 1 / 4)


def test_argument_agreement_without_arguments_is_not_enough_data():
    from annotator.agreement import argument_report

    report = argument_report({1: {"ana": [], "ben": []}, 2: {"ana": [SHOT_BY_TROOPS]}})
    assert report["pairwise_f1"]["value"] is None
    assert report["pairwise_f1"]["note"] == "not enough data"
    assert report["n_items"] == 1
