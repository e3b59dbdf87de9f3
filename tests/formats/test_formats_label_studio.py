"""Label Studio JSON: tasks with every reviewer's annotation and a model's predictions, read
into records (spans by layer, choices as categories, cancelled as skips) and written back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, RecordAnnotation, label_studio
from annotator.formats.records import InvalidRecord, ReadOptions, RecordSuggestion
from annotator.labels import LabelScheme
from annotator.spans import Argument, Span

Writer = Callable[[str, str | bytes], Path]
Reader = Callable[..., tuple[list[Record], list[Any]]]

TEXT = "Junta troops shelled Moebye on Monday."
EMOJI = "🚨 Junta troops shelled Moebye on Monday."


def labels(start: int, end: int, label: str, *, text: str = TEXT, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"r{start}",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
        **extra,
    }


def choices(*names: str) -> dict[str, Any]:
    return {
        "id": "c",
        "from_name": "sentiment",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": list(names)},
    }


def task(*annotations: dict[str, Any], text: str = TEXT, **extra: Any) -> dict[str, Any]:
    return {"id": 7, "data": {"text": text}, "annotations": list(annotations), **extra}


def annotation(*results: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"id": 1, "completed_by": 1, "result": list(results), "was_cancelled": False, **extra}


@pytest.fixture
def read_tasks(
    scheme: LabelScheme, write_file: Writer
) -> Callable[..., tuple[list[Record], list[InvalidRecord]]]:
    """Write tasks as a Label Studio export and read it back with label_studio.read."""

    def read(
        tasks: Any, *, options: ReadOptions | None = None, raw: str | None = None
    ) -> tuple[list[Record], list[InvalidRecord]]:
        content = raw if raw is not None else json.dumps(tasks, ensure_ascii=False, indent=2)
        path = write_file("export.json", content)
        items = list(label_studio.read(path, str(path), scheme, options or ReadOptions()))
        return (
            [item for item in items if isinstance(item, Record)],
            [item for item in items if isinstance(item, InvalidRecord)],
        )

    return read


def test_write_then_read_gives_the_records_back(
    scheme: LabelScheme, tmp_path: Path, read_tasks: Any
) -> None:
    def record(line: int, annotation: RecordAnnotation | None, **extra: Any) -> Record:
        return Record(
            text=TEXT,
            source="in",
            line=line,
            meta={"desk": "north"},
            split=False,
            annotation=annotation,
            **extra,
        )

    spans = (Span(0, 12, "ARMED_GROUP"), Span(21, 27, "GPE"))
    alice = RecordAnnotation(spans, (Span(13, 20, "SHELLING"),), ("EXPLOSIONS",), "alice", "accept")
    bob = RecordAnnotation(spans[1:], (), (), "bob", "reject")
    carol = RecordAnnotation((), (), (), "carol", "skip")
    model = RecordSuggestion("label-studio", "ner-7", spans[:1], (), ("BATTLES",))
    out = tmp_path / "out.json"

    written = label_studio.write(
        [record(1, alice, suggestions=(model,)), record(1, bob), record(1, carol)], out
    )
    records, errors = read_tasks(None, raw=out.read_text(encoding="utf-8"))

    assert written == 1 and errors == []
    assert [r.annotation for r in records] == [alice, bob, carol]
    assert [r.suggestions for r in records] == [(model,), (), ()]
    assert {r.text for r in records} == {TEXT}
    assert [dict(r.meta) for r in records] == [{"desk": "north"}] * 3
    (exported,) = json.loads(out.read_text(encoding="utf-8"))
    assert exported["data"] == {"text": TEXT, "desk": "north"}
    assert [a["completed_by"] for a in exported["annotations"]] == [
        {"email": "alice"},
        {"email": "bob"},
        {"email": "carol"},
    ]
    assert [a["was_cancelled"] for a in exported["annotations"]] == [False, False, True]
    assert exported["predictions"][0]["model_version"] == "ner-7"


def test_the_gold_is_written_as_ground_truth_without_a_reviewer(tmp_path: Path) -> None:
    gold = RecordAnnotation((Span(21, 27, "GPE"),), (), (), None, "accept")
    record = Record(text=TEXT, source="db", line=0, meta={}, split=False, annotation=gold)
    out = tmp_path / "gold.json"

    label_studio.write([record], out)

    ((first,),) = [t["annotations"] for t in json.loads(out.read_text(encoding="utf-8"))]
    assert first["ground_truth"] is True and "completed_by" not in first
    assert first["result"][0]["value"] == {
        "start": 21,
        "end": 27,
        "text": "Moebye",
        "labels": ["GPE"],
    }


def test_each_annotation_is_its_reviewers_record(read_tasks: Any) -> None:
    first = annotation(labels(0, 12, "ARMED_GROUP"), labels(13, 20, "SHELLING"), choices("BATTLES"))
    second = annotation(
        labels(21, 27, "GPE"),
        completed_by={"id": 2, "email": "b@example.org", "first_name": "", "last_name": ""},
    )
    cancelled = annotation(completed_by=3, was_cancelled=True)

    records, errors = read_tasks([task(first, second, cancelled)])

    assert errors == []
    found = [r.annotation for r in records]
    assert [(a.annotator, a.status) for a in found if a] == [
        ("1", "accept"),
        ("b@example.org", "accept"),
        ("3", "skip"),
    ]
    assert found[0] is not None and found[0].entities == (Span(0, 12, "ARMED_GROUP"),)
    assert found[0].events == (Span(13, 20, "SHELLING"),)
    assert found[0].categories == ("BATTLES",)
    assert [r.split for r in records] == [False] * 3


def test_labels_are_read_through_the_label_map(read_tasks: Any) -> None:
    first = annotation(labels(21, 27, "Place"), labels(13, 20, "Shelling"), choices("Fighting"))
    options = ReadOptions(label_map={"Place": "GPE", "Shelling": "SHELLING", "Fighting": "BATTLES"})

    (record,), errors = read_tasks([task(first)], options=options)

    assert errors == []
    assert record.annotation is not None
    assert record.annotation.entities == (Span(21, 27, "GPE"),)
    assert record.annotation.events == (Span(13, 20, "SHELLING"),)
    assert record.annotation.categories == ("BATTLES",)


def test_predictions_are_suggestions_of_their_model_version(read_tasks: Any) -> None:
    predictions = [
        {"model_version": "ner-2024-03", "score": 0.8, "result": [labels(21, 27, "GPE")]},
        {"result": [labels(0, 12, "ARMED_GROUP")]},
    ]

    (record,), errors = read_tasks([task(predictions=predictions)])

    assert errors == []
    assert record.annotation is None
    # The predictions' offsets count from the start of the text: it is kept whole.
    assert record.split is False
    assert record.suggestions == (
        RecordSuggestion("label-studio", "ner-2024-03", (Span(21, 27, "GPE"),), (), ()),
        RecordSuggestion("label-studio", "unnamed", (Span(0, 12, "ARMED_GROUP"),), (), ()),
    )


def test_a_task_without_annotations_is_a_text_to_annotate(read_tasks: Any) -> None:
    (record,), errors = read_tasks([{"id": 3, "data": {"text": TEXT, "country": "Myanmar"}}])

    assert errors == []
    assert record.annotation is None and record.split is True
    assert dict(record.meta) == {"country": "Myanmar"}


def test_a_blank_text_is_read_for_the_import_to_skip(read_tasks: Any) -> None:
    (record,), errors = read_tasks([task(annotation(labels(0, 1, "GPE")), text=" ")])

    assert errors == []
    assert record.blank and record.annotation is None


def test_utf16_offsets_are_read_as_characters(read_tasks: Any) -> None:
    # The browser counts the emoji as two units: Moebye is at 24-30 there, 23-29 in Python.
    region = labels(23, 29, "GPE", text=EMOJI)
    region["value"].update(start=24, end=30)

    (record,), errors = read_tasks([task(annotation(region), text=EMOJI)])

    assert errors == []
    assert record.annotation is not None
    assert record.annotation.entities == (Span(23, 29, "GPE"),)


def test_offsets_counting_a_crlf_line_break_once_are_read_as_characters(read_tasks: Any) -> None:
    text = "Report from the desk.\r\nJunta troops shelled Moebye on Monday."
    start = text.index("Moebye")
    region = labels(start, start + 6, "GPE", text=text)
    region["value"].update(start=start - 1, end=start + 5)

    (record,), errors = read_tasks([task(annotation(region), text=text)])

    assert errors == []
    assert record.annotation is not None
    assert record.annotation.entities == (Span(start, start + 6, "GPE"),)


def test_relations_are_arguments_through_the_label_map_and_other_tools_are_counted(
    read_tasks: Any,
) -> None:
    relation = {"from_id": "r13", "to_id": "r0", "type": "relation", "labels": ["Attacker"]}
    unlabelled = {"from_id": "r13", "to_id": "r21", "type": "relation", "direction": "right"}
    note = {
        "id": "t",
        "from_name": "note",
        "to_name": "text",
        "type": "textarea",
        "value": {"text": ["check the place"]},
    }
    per_region = {
        "id": "r0",
        "from_name": "kind",
        "to_name": "text",
        "type": "choices",
        "value": {"start": 0, "end": 12, "choices": ["Regular army"]},
    }
    first = annotation(
        labels(0, 12, "ARMED_GROUP"),
        labels(13, 20, "SHELLING"),
        labels(21, 27, "GPE"),
        relation,
        unlabelled,
        note,
        per_region,
    )

    (kept,), errors = read_tasks(
        [task(first)], options=ReadOptions(label_map={"Attacker": "AGENT"})
    )
    (plain,), _ = read_tasks([task(first)])

    assert errors == []
    assert kept.annotation is not None and plain.annotation is not None
    assert kept.annotation.arguments == (
        Argument(Span(13, 20, "SHELLING"), "AGENT", Span(0, 12, "ARMED_GROUP")),
    )
    assert [a.what for a in kept.annotation.adjustments] == [
        "Attacker -> AGENT",
        "relation without a label from 13-20 'shelled' to 21-27 'Moebye' read but not kept: an "
        "argument needs a role",
        "2 result(s) of other tools (text areas, ratings...) left out",
    ]
    assert plain.annotation.arguments == ()
    assert [a.what for a in plain.annotation.adjustments][0] == (
        "relation Attacker from 13-20 'shelled' to 0-12 'Junta troops' read but not kept: "
        "'Attacker' is no role of the scheme (AGENT); name it in the label map (--label-map "
        "theirs -> ours)"
    )


def test_a_relation_drawn_from_the_entity_to_the_trigger_is_the_same_argument(
    read_tasks: Any,
) -> None:
    backwards = {"from_id": "r0", "to_id": "r13", "type": "relation", "labels": ["AGENT"]}
    first = annotation(labels(0, 12, "ARMED_GROUP"), labels(13, 20, "SHELLING"), backwards)

    (record,), errors = read_tasks([task(first)])

    assert errors == []
    assert record.annotation is not None
    assert record.annotation.arguments == (
        Argument(Span(13, 20, "SHELLING"), "AGENT", Span(0, 12, "ARMED_GROUP")),
    )


def test_arguments_and_predicted_arguments_round_trip_as_relations(
    scheme: LabelScheme, tmp_path: Path, read_tasks: Any
) -> None:
    shelled, troops, moebye = (
        Span(13, 20, "SHELLING"),
        Span(0, 12, "ARMED_GROUP"),
        Span(21, 27, "GPE"),
    )
    # AGENT is the test scheme's only role, and it does not repeat.
    arguments = (Argument(shelled, "AGENT", troops),)
    record = Record(
        text=TEXT,
        source="x",
        line=1,
        meta={},
        split=False,
        annotation=RecordAnnotation(
            entities=(troops, moebye),
            events=(shelled,),
            categories=(),
            annotator="alice",
            status="accept",
            arguments=arguments,
        ),
        suggestions=(RecordSuggestion("label-studio", "v1", (troops,), (shelled,), (), arguments),),
    )
    path = tmp_path / "tasks.json"
    label_studio.write([record], path)
    (written,) = json.loads(path.read_text(encoding="utf-8"))

    (back,), errors = read_tasks(None, raw=path.read_text(encoding="utf-8"))

    relations = [r for r in written["annotations"][0]["result"] if r["type"] == "relation"]
    assert relations == [
        {"from_id": "e3", "to_id": "l1", "type": "relation", "direction": "right",
         "labels": ["AGENT"]},
    ]  # fmt: skip
    assert errors == []
    assert back.annotation == record.annotation
    assert back.suggestions[0].arguments == arguments


def test_the_text_key_comes_from_text_column_or_the_only_string(read_tasks: Any) -> None:
    only = [{"data": {"note": TEXT, "id": 4}}]
    two = [{"data": {"note": TEXT, "title": "Moebye"}}]

    (record,), errors = read_tasks(only)
    (named,), named_errors = read_tasks(two, options=ReadOptions(text_column="note"))
    _, refused = read_tasks(two)

    assert errors == [] and named_errors == []
    assert record.text == named.text == TEXT
    assert dict(named.meta) == {"title": "Moebye"}
    assert "name the key of the text with --text-column" in refused[0].reason


def test_a_json_min_export_reads_as_its_tasks(read_tasks: Any) -> None:
    rows = [
        {
            "id": 7,
            "text": TEXT,
            "country": "Myanmar",
            "label": [{"start": 21, "end": 27, "text": "Moebye", "labels": ["GPE"]}],
            "event": [{"start": 13, "end": 20, "text": "shelled", "labels": ["SHELLING"]}],
            "type": {"choices": ["BATTLES", "EXPLOSIONS"]},
            "annotator": 2,
            "annotation_id": 31,
            "created_at": "2024-03-13T09:12:44.105231Z",
            "updated_at": "2024-03-13T09:12:44.105260Z",
            "lead_time": 12.4,
        }
    ]

    (record,), errors = read_tasks(rows)

    assert errors == []
    assert record.annotation is not None
    assert record.annotation.annotator == "2"
    assert record.annotation.entities == (Span(21, 27, "GPE"),)
    assert record.annotation.events == (Span(13, 20, "SHELLING"),)
    assert record.annotation.categories == ("BATTLES", "EXPLOSIONS")
    assert dict(record.meta) == {"country": "Myanmar"}


def test_a_json_list_of_doccano_and_prodigy_records_reads_too(read_tasks: Any) -> None:
    items = [
        {"text": TEXT, "label": [[21, 27, "GPE"]]},
        {"text": TEXT, "spans": [{"start": 21, "end": 27, "label": "GPE"}], "answer": "accept"},
    ]

    records, errors = read_tasks(items)

    assert errors == []
    assert [r.annotation.entities for r in records if r.annotation] == [(Span(21, 27, "GPE"),)] * 2


BAD_TASKS: dict[str, tuple[Any, str]] = {
    "not an object": ("text", "task 1: a task must be a JSON object, got a string"),
    "data not an object": ({"data": [TEXT], "annotations": []}, '"data": must be an object'),
    "text not a string": ({"data": {"text": 3}, "annotations": []}, "'text' must be a string"),
    "annotations not a list": (
        {"data": {"text": TEXT}, "annotations": {}},
        '"annotations": must be a list',
    ),
    "result not a list": (task(annotation() | {"result": {}}), 'annotations[0]: "result": must'),
    "start not an offset": (
        task(
            annotation(
                labels(0, 12, "GPE") | {"value": {"start": "0", "end": 12, "labels": ["GPE"]}}
            )
        ),
        'annotations[0].result[0]: "value.start" and "value.end" must be character offsets',
    ),
    "no labels": (
        task(annotation(labels(0, 12, "GPE") | {"value": {"start": 0, "end": 12, "labels": []}})),
        '"value.labels" must be a list of label names',
    ),
    "unknown label": (
        task(annotation(labels(21, 27, "Town"))),
        "unknown entity or event label 'Town'",
    ),
    "quote disagrees": (
        task(
            annotation(
                labels(21, 27, "GPE")
                | {"value": {"start": 21, "end": 27, "text": "Yangon", "labels": ["GPE"]}}
            )
        ),
        "the region 21-27 says 'Yangon' but the text there is 'Moebye'",
    ),
    "off tokens": (task(annotation(labels(21, 24, "GPE"))), "not on token boundaries"),
    "html regions": (
        task(annotation({"type": "hypertextlabels", "value": {"start": "/p[1]", "end": "/p[1]"}})),
        "hypertextlabels regions count in the page's structure",
    ),
    "relation to nothing": (
        task(
            annotation(labels(21, 27, "GPE"), {"type": "relation", "from_id": "r21", "to_id": "x"})
        ),
        "annotations[0]: a relation's \"to_id\" 'x' is not the id of a region",
    ),
    "bad cancelled": (
        task(annotation(was_cancelled="no")),
        '"was_cancelled" must be true or false',
    ),
    "bad reviewer": (task(annotation(completed_by=[1])), '"completed_by" must be a user id'),
    "bad prediction": (
        task(predictions=[{"model_version": "m", "result": [labels(21, 27, "Town")]}]),
        "predictions[0]: span 21-27 Town: unknown entity or event label 'Town'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TASKS))
def test_a_bad_task_is_named_by_its_index_id_and_key(case: str, read_tasks: Any) -> None:
    bad, reason = BAD_TASKS[case]
    good = task(annotation(labels(21, 27, "GPE")))

    records, errors = read_tasks([good, bad])

    assert len(records) == 1
    assert len(errors) == 1, errors
    assert reason in errors[0].reason
    # Each task starts on its own line of the indented file: the second one further down.
    assert errors[0].line > 1
    assert errors[0].reason.startswith("task 1")


def test_a_spacy_v2_training_file_is_named_with_how_to_convert_it(read_tasks: Any) -> None:
    document = {"id": 0, "paragraphs": [{"raw": TEXT, "sentences": []}]}

    records, errors = read_tasks([document])

    assert records == []
    assert "spaCy v2 training document" in errors[0].reason
    assert "python -m spacy convert" in errors[0].reason


def test_broken_json_is_named_by_its_line(read_tasks: Any) -> None:
    raw = '[\n  {"data": {"text": "Moebye was shelled."}},\n  {"data": {"text": }\n]\n'

    records, errors = read_tasks(None, raw=raw)

    assert len(records) == 1
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(3, "invalid JSON in task 1")]


def test_a_json_lines_file_of_tasks_reads_line_by_line(read_tasks: Any) -> None:
    lines = "\n".join(json.dumps(item) for item in [task(), {"data": {"text": 1}}]) + "\n"

    records, errors = read_tasks(None, raw=lines)

    assert len(records) == 1
    assert [e.line for e in errors] == [2]


# --- through the command line and a real SQLite database ----------------------------------


def test_gold_round_trip_through_the_cli(
    gold_db: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "label-studio.json"
    cli("export", "--format", "label-studio", "--output", out, "--db", gold_db)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    assert gold_of(copy) == gold_of(gold_db)


def test_every_reviewer_round_trips_through_the_cli(
    reviewer_db: str, cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "label-studio.json"
    cli(
        "export",
        "--format",
        "label-studio",
        "--all-reviewers",
        "--output",
        out,
        "--db",
        reviewer_db,
    )
    copy = new_db("copy")
    cli("import", "--no-suggest", "--db", copy, out, "--format", "label-studio")

    tasks = json.loads(out.read_text(encoding="utf-8"))
    # One task per sentence, with every reviewer's annotation of it.
    assert max(len(t["annotations"]) for t in tasks) == 2
    assert annotations_of(copy) == annotations_of(reviewer_db)


def test_predictions_are_stored_as_suggestions_once(
    cli: Any, new_db: Any, write_file: Writer
) -> None:
    predictions = [{"model_version": "ner-7", "result": [labels(21, 27, "GPE", id="p")]}]
    tasks = [task(annotation(labels(21, 27, "GPE")), predictions=predictions)]
    path = write_file("export.json", json.dumps(tasks))
    url = new_db("suggested")

    cli("import", "--no-suggest", "--db", url, path)
    cli("import", "--no-suggest", "--db", url, path)
    stats = json.loads(cli("stats", "--json", "--db", url).output)

    assert stats["suggestions"] == 1
    assert stats["annotations"] == 1
