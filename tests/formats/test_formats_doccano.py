"""doccano sequence-labelling JSONL: round trips, and telling it from Prodigy in one .jsonl."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, doccano
from annotator.labels import LabelScheme
from annotator.spans import Span

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str], Path]
TEXT = "Junta troops shelled Moebye on Monday."


def test_gold_round_trip_through_the_cli(
    gold_db: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "doccano.jsonl"
    cli("export", "--format", "doccano", "--output", out, "--db", gold_db)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert first["label"] == [[7, 15, "ARREST"], [16, 23, "PERSON"], [27, 33, "GPE"]]
    assert gold_of(copy) == gold_of(gold_db)


def test_every_reviewer_round_trips(
    reviewer_db: str, cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "doccano.jsonl"
    cli("export", "--format", "doccano", "--all-reviewers", "--output", out, "--db", reviewer_db)
    copy = new_db("copy")
    cli("import", "--no-suggest", "--db", copy, out, "--format", "doccano")

    assert annotations_of(copy) == annotations_of(reviewer_db)


def test_spans_go_back_to_their_layer(scheme: LabelScheme, write_file: Writer) -> None:
    line = {"text": TEXT, "label": [[13, 20, "SHELLING"], [21, 27, "GPE"]], "cats": ["BATTLES"]}
    path = write_file("d.jsonl", json.dumps(line) + "\n")

    (record,) = list(doccano.read(path, str(path), scheme))

    assert isinstance(record, Record) and record.annotation is not None
    assert record.annotation.entities == (Span(21, 27, "GPE"),)
    assert record.annotation.events == (Span(13, 20, "SHELLING"),)
    assert record.annotation.categories == ("BATTLES",)
    assert doccano.line_of(record)["label"] == line["label"]


def test_one_jsonl_may_mix_doccano_and_prodigy_lines(read_all: Reader, write_file: Writer) -> None:
    path = write_file(
        "mixed.jsonl",
        json.dumps({"text": TEXT, "label": [[21, 27, "GPE"]]})
        + "\n"
        + json.dumps({"text": TEXT, "spans": [{"start": 21, "end": 27, "label": "GPE"}]})
        + "\n",
    )

    records, errors = read_all([path])

    assert errors == []
    assert [r.annotation.entities for r in records if r.annotation] == [(Span(21, 27, "GPE"),)] * 2


BAD_LINES = {
    "span not a triple": ({"text": TEXT, "label": [[21, 27]]}, "label[0] must be [start, end"),
    "unknown label": (
        {"text": TEXT, "label": [[21, 27, "TOWN"]]},
        "unknown entity or event label 'TOWN'",
    ),
    "off tokens": ({"text": TEXT, "label": [[21, 24, "GPE"]]}, "not on token boundaries"),
    "bad cats": ({"text": TEXT, "label": [], "cats": "BATTLES"}, '"cats" must be a list'),
    "unknown category": ({"text": TEXT, "label": [], "cats": ["WAR"]}, "unknown category"),
    "bad status": ({"text": TEXT, "label": [], "status": "maybe"}, '"status" must be'),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_bad_line_is_named(case: str, read_all: Reader, write_file: Writer) -> None:
    data, reason = BAD_LINES[case]
    good = json.dumps({"text": TEXT, "label": [[21, 27, "GPE"]]})
    path = write_file("d.jsonl", good + "\n" + json.dumps(data) + "\n")

    records, errors = read_all([path], format="doccano")

    assert len(records) == 1
    assert [error.line for error in errors] == [2]
    assert reason in errors[0].reason
