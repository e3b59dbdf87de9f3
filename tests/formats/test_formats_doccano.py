"""doccano JSONL: round trips (relations as event arguments), telling it from Prodigy in one
.jsonl."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import InvalidRecord, Record, doccano
from annotator.formats.records import ReadOptions
from annotator.labels import LabelScheme
from annotator.spans import Argument, Span

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
    # The scheme has roles: the relation layout, which carries the events' arguments.
    assert first["entities"] == [
        {"id": 1, "label": "ARREST", "start_offset": 7, "end_offset": 15},
        {"id": 2, "label": "PERSON", "start_offset": 16, "end_offset": 23},
        {"id": 3, "label": "GPE", "start_offset": 27, "end_offset": 33},
    ]
    assert first["relations"] == []
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


# --- the layouts doccano itself writes ------------------------------------------------------

SHELLING = "Soldiers shelled Moebye on Monday."


def read_lines(scheme: LabelScheme, write_file: Writer, *lines: Any, **options: Any) -> Any:
    path = write_file("d.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    items = list(doccano.read(path, str(path), scheme, ReadOptions(**options)))
    return (
        [item for item in items if isinstance(item, Record)],
        [item for item in items if isinstance(item, InvalidRecord)],
    )


def test_entities_and_relations_are_read_and_relations_that_are_no_role_listed(
    scheme: LabelScheme, write_file: Writer
) -> None:
    line = {
        "id": 41,
        "text": SHELLING,
        "entities": [
            {"id": 7, "label": "ARMED_GROUP", "start_offset": 0, "end_offset": 8},
            {"id": 8, "label": "SHELLING", "start_offset": 9, "end_offset": 16},
            {"id": 9, "label": "GPE", "start_offset": 17, "end_offset": 23},
        ],
        "relations": [{"id": 1, "from_id": 8, "to_id": 7, "type": "ACTOR"}],
        "Comments": [],
    }

    (record,), errors = read_lines(scheme, write_file, line)

    assert errors == []
    assert record.annotation is not None
    assert record.annotation.entities == (Span(0, 8, "ARMED_GROUP"), Span(17, 23, "GPE"))
    assert record.annotation.events == (Span(9, 16, "SHELLING"),)
    assert record.annotation.arguments == ()
    assert [(a.kind, a.what) for a in record.annotation.adjustments] == [
        (
            "left out",
            "relation ACTOR from 9-16 'shelled' to 0-8 'Soldiers' read but not kept: 'ACTOR' is "
            "no role of the scheme (AGENT); name it in the label map (--label-map theirs -> ours)",
        )
    ]
    # doccano's own keys are the sentence's context; an empty comment list is nothing.
    assert dict(record.meta) == {"id": 41}


def test_relations_are_event_arguments_and_round_trip_in_the_relation_layout(
    conflict: LabelScheme, write_file: Writer, tmp_path: Path
) -> None:
    text = "Soldiers shelled Moebye on Monday."
    line = {
        "id": 41,
        "text": text,
        "entities": [
            {"id": 7, "label": "Army", "start_offset": 0, "end_offset": 8},
            {"id": 8, "label": "REMOTE_VIOLENCE", "start_offset": 9, "end_offset": 16},
            {"id": 9, "label": "GPE", "start_offset": 17, "end_offset": 23},
            {"id": 10, "label": "DATE", "start_offset": 24, "end_offset": 33},
        ],
        "relations": [
            {"id": 1, "from_id": 8, "to_id": 7, "type": "agent"},
            # drawn from the place to the trigger: the same argument
            {"id": 2, "from_id": 9, "to_id": 8, "type": "LOCATION"},
            {"id": 3, "from_id": 8, "to_id": 10, "type": "TIME"},
            {"id": 4, "from_id": 7, "to_id": 9, "type": "based_in"},
        ],
    }
    label_map = {"Army": "ARMED_GROUP", "agent": "ACTOR"}

    (record,), errors = read_lines(conflict, write_file, line, label_map=label_map)
    out = tmp_path / "out.jsonl"
    doccano.write([record], out, relations=True)
    written = json.loads(out.read_text(encoding="utf-8"))
    (again,), _ = read_lines(conflict, write_file, written)

    assert errors == []
    assert record.annotation is not None
    shelled = Span(9, 16, "REMOTE_VIOLENCE")
    assert record.annotation.arguments == (
        Argument(shelled, "ACTOR", Span(0, 8, "ARMED_GROUP")),
        Argument(shelled, "LOCATION", Span(17, 23, "GPE")),
        Argument(shelled, "TIME", Span(24, 33, "DATE")),
    )
    assert [a.what for a in record.annotation.adjustments if a.kind == "left out"] == [
        "relation based_in from 0-8 'Soldiers' to 17-23 'Moebye' read but not kept: it joins no "
        "event trigger to an entity"
    ]
    assert written["relations"] == [
        {"id": 1, "from_id": 2, "to_id": 1, "type": "ACTOR"},
        {"id": 2, "from_id": 2, "to_id": 3, "type": "LOCATION"},
        {"id": 3, "from_id": 2, "to_id": 4, "type": "TIME"},
    ]
    assert again.annotation is not None
    assert again.annotation.arguments == record.annotation.arguments


def test_a_relation_in_a_role_that_does_not_take_the_entity_is_refused(
    conflict: LabelScheme, write_file: Writer
) -> None:
    text = "Soldiers shelled Moebye on Monday."
    line = {
        "text": text,
        "entities": [
            {"id": 1, "label": "REMOTE_VIOLENCE", "start_offset": 9, "end_offset": 16},
            {"id": 2, "label": "GPE", "start_offset": 17, "end_offset": 23},
        ],
        "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "ACTOR"}],
    }

    records, (error,) = read_lines(conflict, write_file, line)

    assert records == []
    assert error.line == 1
    assert "a GPE cannot be ACTOR (it takes ARMED_GROUP, ORG, PERSON)" in error.reason


def test_doccano_1_0_annotations_are_each_users_record_with_the_label_map(
    scheme: LabelScheme, write_file: Writer
) -> None:
    line = {
        "id": 1,
        "text": SHELLING,
        "annotations": [
            {"label": 3, "start_offset": 17, "end_offset": 23, "user": 1},
            {"label": 1, "start_offset": 0, "end_offset": 8, "user": 1},
            {"label": 3, "start_offset": 17, "end_offset": 23, "user": 2},
            {"label": 9, "user": 2},
        ],
        "meta": {"desk": "north"},
        "annotation_approver": "admin",
    }
    label_map = {"1": "ARMED_GROUP", "3": "GPE", "9": "EXPLOSIONS"}

    records, errors = read_lines(scheme, write_file, line, label_map=label_map)

    assert errors == []
    found = [
        (r.annotation.annotator, r.annotation.entities, r.annotation.categories)
        for r in records
        if r.annotation
    ]
    assert found == [
        ("1", (Span(0, 8, "ARMED_GROUP"), Span(17, 23, "GPE")), ()),
        ("2", (Span(17, 23, "GPE"),), ("EXPLOSIONS",)),
    ]
    assert dict(records[0].meta) == {"desk": "north", "id": 1, "annotation_approver": "admin"}


def test_doccano_1_0_without_a_label_map_names_the_id(
    scheme: LabelScheme, write_file: Writer
) -> None:
    line = {"text": SHELLING, "annotations": [{"label": 3, "start_offset": 17, "end_offset": 23}]}

    records, errors = read_lines(scheme, write_file, line)

    assert records == []
    assert "unknown entity or event label '3'" in errors[0].reason
    assert "--label-map" in errors[0].reason


def test_a_text_classification_label_list_is_the_categories(
    scheme: LabelScheme, write_file: Writer
) -> None:
    line = {"id": 5, "text": SHELLING, "label": ["Explosions"], "Comments": []}

    (record,), errors = read_lines(scheme, write_file, line, label_map={"Explosions": "EXPLOSIONS"})

    assert errors == []
    assert record.annotation is not None
    assert record.annotation.categories == ("EXPLOSIONS",)
    assert record.annotation.entities == record.annotation.events == ()


def test_a_blank_text_is_read_for_the_import_to_skip(
    scheme: LabelScheme, write_file: Writer
) -> None:
    (record,), errors = read_lines(scheme, write_file, {"text": "  ", "label": [[0, 1, "GPE"]]})

    assert errors == []
    assert record.blank and record.annotation is None


def test_the_text_key_comes_from_text_column(scheme: LabelScheme, write_file: Writer) -> None:
    line = {"notes": SHELLING, "label": [[17, 23, "GPE"]]}

    (record,), errors = read_lines(scheme, write_file, line, text_column="notes")
    _, refused = read_lines(scheme, write_file, line)

    assert errors == [] and record.text == SHELLING
    assert "missing \"text\" (the line has 'notes', 'label')" in refused[0].reason
    assert "--text-column" in refused[0].reason


def test_write_of_read_gives_the_same_records_for_every_layout(
    scheme: LabelScheme, write_file: Writer, tmp_path: Path
) -> None:
    lines = [
        {"text": SHELLING, "label": [[0, 8, "ARMED_GROUP"], [9, 16, "SHELLING"]], "cats": []},
        {
            "text": SHELLING,
            "entities": [{"id": 1, "label": "GPE", "start_offset": 17, "end_offset": 23}],
            "relations": [],
        },
        {
            "text": SHELLING,
            "annotations": [{"label": "GPE", "start_offset": 17, "end_offset": 23, "user": "ana"}],
        },
        {"text": SHELLING, "label": [], "status": "reject", "annotator": "bob"},
    ]
    first, errors = read_lines(scheme, write_file, *lines)
    out = tmp_path / "out.jsonl"

    doccano.write(first, out)
    again = [r for r in doccano.read(out, str(out), scheme) if isinstance(r, Record)]

    assert errors == []
    assert [(r.text, r.annotation, dict(r.meta)) for r in again] == [
        (r.text, r.annotation, dict(r.meta)) for r in first
    ]


BAD_DOCCANO = {
    "entity offsets": (
        {"text": SHELLING, "entities": [{"id": 1, "label": "GPE", "start_offset": "17"}]},
        'entities[0]: "start_offset" and "end_offset" must be integers',
    ),
    "relation to nothing": (
        {
            "text": SHELLING,
            "entities": [{"id": 1, "label": "GPE", "start_offset": 17, "end_offset": 23}],
            "relations": [{"from_id": 1, "to_id": 2, "type": "LOCATION"}],
        },
        'relations[0]: "to_id" 2 is not the id of one of the entities',
    ),
    "annotations not a list": ({"text": SHELLING, "annotations": "GPE"}, "must be a list"),
    "annotation without label": (
        {"text": SHELLING, "annotations": [{"start_offset": 17, "end_offset": 23}]},
        'annotations[0]: "label" must be a label name or id',
    ),
    "text not a string": ({"text": 3, "label": []}, '"text" must be a string'),
}


@pytest.mark.parametrize("case", sorted(BAD_DOCCANO))
def test_a_bad_doccano_line_names_its_key(
    case: str, scheme: LabelScheme, write_file: Writer
) -> None:
    bad, reason = BAD_DOCCANO[case]
    good = {"text": SHELLING, "label": [[17, 23, "GPE"]]}

    records, errors = read_lines(scheme, write_file, good, bad)

    assert len(records) == 1
    assert [e.line for e in errors] == [2]
    assert reason in errors[0].reason


def test_objects_written_over_several_lines_read_by_their_first_line(
    read_all: Reader, write_file: Writer
) -> None:
    # doccano's own relation example is one pretty-printed object after a blank line.
    first = {
        "text": SHELLING,
        "entities": [{"id": 0, "start_offset": 17, "end_offset": 23, "label": "GPE"}],
        "relations": [],
    }
    second = {"text": SHELLING, "label": [[0, 8, "ARMED_GROUP"]]}
    path = write_file(
        "example.jsonl", "\n" + json.dumps(first, indent=4) + "\n" + json.dumps(second, indent=2)
    )

    records, errors = read_all([path])

    assert errors == []
    assert [r.line for r in records] == [2, 2 + json.dumps(first, indent=4).count("\n") + 1]
    assert [r.annotation.entities for r in records if r.annotation] == [
        (Span(17, 23, "GPE"),),
        (Span(0, 8, "ARMED_GROUP"),),
    ]


def test_a_broken_first_line_is_still_named_by_its_line(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file(
        "d.jsonl", '{"text": "Moebye", "label": [\n' + json.dumps({"text": TEXT}) + "\n"
    )

    records, errors = read_all([path], format="doccano")

    assert len(records) == 1
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(1, "invalid JSON")]
