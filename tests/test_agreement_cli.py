"""``annotator agreement``: figures on annotations imported with two ``_annotator_id``s,
checked against values worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.config import DEFAULT_LABELS

runner = CliRunner()

POLICE = "Police arrested Ko Aung in Yangon."
TROOPS = "Troops shelled Moebye on Monday."
PROTEST = "Protesters marched in Mandalay."
CLASHES = "Clashes erupted in Lashio."


def record(text, reviewer, *, spans=(), events=(), accept=(), answer="accept"):
    return {
        "text": text,
        "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans],
        "events": [{"start": s, "end": e, "label": label} for s, e, label in events],
        "accept": list(accept),
        "answer": answer,
        "_annotator_id": reviewer,
    }


RECORDS = [
    record(
        POLICE,
        "alice",
        spans=[(16, 23, "PERSON"), (27, 33, "GPE")],
        events=[(7, 15, "ARREST")],
        accept=["STRATEGIC_DEVELOPMENTS"],
    ),
    record(
        POLICE,
        "bob",
        spans=[(16, 23, "PERSON"), (27, 33, "LOC")],
        events=[(7, 15, "ARREST")],
        accept=["STRATEGIC_DEVELOPMENTS"],
    ),
    record(
        TROOPS,
        "alice",
        spans=[(0, 6, "ARMED_GROUP")],
        events=[(7, 14, "REMOTE_VIOLENCE")],
        accept=["EXPLOSIONS_REMOTE_VIOLENCE"],
    ),
    record(TROOPS, "bob", spans=[(0, 6, "ARMED_GROUP"), (15, 21, "GPE")], accept=["BATTLES"]),
    record(PROTEST, "alice", spans=[(22, 30, "GPE")], accept=["PROTESTS"]),
    record(PROTEST, "bob", spans=[(22, 30, "GPE")], accept=["PROTESTS"]),
    # Rejected by bob: only alice accepted it, so it is not compared.
    record(CLASHES, "alice", spans=[(19, 25, "GPE")], accept=["BATTLES"]),
    record(CLASHES, "bob", answer="reject"),
]


@pytest.fixture
def exclusive_labels(tmp_path: Path) -> Path:
    """The default scheme with exclusive categories."""
    text = DEFAULT_LABELS.read_text(encoding="utf-8")
    assert "exclusive: false" in text
    path = tmp_path / "exclusive.yml"
    path.write_text(text.replace("exclusive: false", "exclusive: true"), encoding="utf-8")
    return path


def imported(db: str, tmp_path: Path, labels: Path, records: list[dict] = RECORDS) -> None:
    data = tmp_path / "two_reviewers.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    args = ["import", "--no-suggest", "--db", db, "--labels", str(labels), str(data)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


def agreement_json(db: str, labels: Path) -> dict:
    result = runner.invoke(app, ["agreement", "--json", "--db", db, "--labels", str(labels)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_agreement_json_on_two_imported_reviewers(db_url, tmp_path, exclusive_labels):
    imported(db_url, tmp_path, exclusive_labels)
    report = agreement_json(db_url, exclusive_labels)
    assert set(report) == {"categories", "entities", "events", "arguments"}

    categories = report["categories"]
    for key in (
        "observed_agreement",
        "cohen_kappa",
        "fleiss_kappa",
        "krippendorff_alpha",
        "gwet_ac1",
        "n_items",
        "n_annotators",
        "per_label",
    ):
        assert key in categories
    # Three sentences both accepted: alice SD, ERV, PROTESTS; bob SD, BATTLES, PROTESTS.
    assert (categories["n_items"], categories["n_annotators"]) == (3, 2)
    assert categories["observed_agreement"]["value"] == pytest.approx(2 / 3)
    # Cohen, in counts: n = 3, agreeing 2, chance sum of margin products 2: (6-2)/(9-2).
    assert categories["cohen_kappa"]["value"] == pytest.approx(4 / 7)
    assert categories["cohen_kappa"]["pairs"][0]["annotators"] == ["alice", "bob"]
    # Fleiss: P-bar 2/3, P-e (2² + 1 + 1 + 2²) / 6² = 10/36.
    assert categories["fleiss_kappa"]["value"] == pytest.approx((2 / 3 - 10 / 36) / (1 - 10 / 36))
    # Alpha: n 6 values, coincidences on the diagonal 4, margins 2, 1, 1, 2.
    assert categories["krippendorff_alpha"]["value"] == pytest.approx(1 - 5 * 2 / (36 - 10))
    # AC1: q = 6, the scheme's categories (nobody chose none). Chance rests on every unit rated:
    # the three pairs and the clash sentence only alice accepted (BATTLES; bob rejected it), so
    # pi = SD 1/4, ERV 1/8, PROTESTS 1/4, BATTLES (1/2 + 1)/4 and pe = sum pi(1-pi) / 5.
    assert categories["rated_once"] == 1
    pi = (1 / 4, 1 / 8, 1 / 4, 3 / 8)
    pe = sum(p * (1 - p) for p in pi) / 5
    assert categories["gwet_ac1"]["value"] == pytest.approx((2 / 3 - pe) / (1 - pe))
    protests = categories["per_label"]["PROTESTS"]["krippendorff_alpha"]
    assert protests == {"value": 1.0, "n_items": 3, "n_annotators": 2, "note": None}
    riots = categories["per_label"]["RIOTS"]["krippendorff_alpha"]
    assert riots == {"value": None, "n_items": 3, "n_annotators": 2, "note": "not enough data"}

    entities = report["entities"]
    for key in ("pairwise_f1", "pairwise_f1_overlap", "token_krippendorff_alpha", "per_label"):
        assert key in entities
    # alice as reference: PERSON, ARMED_GROUP and GPE (Mandalay) agree; GPE Yangon is LOC for
    # bob; bob's GPE Moebye is his alone. tp 3, fp 2, fn 1.
    pair = entities["pairwise_f1"]["pairs"][0]
    assert (pair["precision"], pair["recall"]) == (pytest.approx(3 / 5), pytest.approx(3 / 4))
    assert entities["pairwise_f1"]["value"] == pytest.approx(6 / 9)
    assert entities["pairwise_f1_overlap"]["value"] == pytest.approx(6 / 9)
    assert entities["per_label"]["GPE"]["pairwise_f1"]["value"] == pytest.approx(2 / 4)
    assert entities["per_label"]["ORG"]["pairwise_f1"]["value"] is None
    # Tokens: 7 + 6 + 5, two labels each: 36 values; O 25, PERSON 4, GPE 4, LOC 1,
    # ARMED_GROUP 2; 16 tokens agree, so the diagonal of the coincidences is 32.
    alpha = entities["token_krippendorff_alpha"]
    assert (alpha["n_items"], alpha["n_annotators"]) == (18, 2)
    assert alpha["value"] == pytest.approx(1 - 35 * (36 - 32) / (36**2 - 662))
    confusion = entities["confusion"]
    assert confusion["GPE"]["LOC"] == confusion["LOC"]["GPE"] == 1
    assert confusion["PERSON"]["PERSON"] == confusion["GPE"]["GPE"] == 1
    assert sum(sum(row.values()) for row in confusion.values()) == 5

    events = report["events"]
    assert events["pairwise_f1"]["value"] == pytest.approx(2 / 3)  # tp 1, fn 1
    # 36 values: O 33, ARREST 2, REMOTE_VIOLENCE 1; 17 tokens agree.
    expected = 1 - 35 * (36 - 34) / (36**2 - (33**2 + 2**2 + 1))
    assert events["token_krippendorff_alpha"]["value"] == pytest.approx(expected)


def test_agreement_on_an_empty_database_is_not_enough_data(sqlite_url, exclusive_labels):
    report = agreement_json(sqlite_url, exclusive_labels)
    assert report["categories"]["krippendorff_alpha"] == {
        "value": None,
        "n_items": 0,
        "n_annotators": 0,
        "note": "not enough data",
    }
    assert report["entities"]["pairwise_f1"]["value"] is None
    assert report["events"]["token_krippendorff_alpha"]["note"] == "not enough data"


def test_agreement_prints_tables_without_json(sqlite_url, tmp_path):
    imported(sqlite_url, tmp_path, DEFAULT_LABELS)
    result = runner.invoke(app, ["agreement", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "Categories (multi-label, mean over labels): 3 sentences, 2 reviewers" in result.stdout
    assert "Krippendorff's alpha, tokens" in result.stdout
    assert "labels on equal bounds" in result.stdout
    assert "-: not enough data" in result.stdout  # RIOTS was never chosen: its cells are -
