"""Prodigy JSONL: reading tasks with their decisions, every way a line can be wrong, writing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, RecordAnnotation
from annotator.formats.prodigy import ANSWERS, record_to_json, write_jsonl
from annotator.labels import LabelScheme
from annotator.spans import Span

SENTENCE = "Junta troops shelled Moebye on Monday."
GOOD = {"text": "Fighting continued near the border."}

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str | bytes], Path]


def line_of(**fields: Any) -> str:
    return json.dumps({"text": SENTENCE, **fields})


@pytest.fixture
def sample_tasks() -> list[dict[str, Any]]:
    return [
        record_to_json(
            SENTENCE,
            meta={"source": "Myanmar Now", "id": 7},
            entities=[Span(21, 27, "GPE"), Span(0, 12, "ARMED_GROUP"), Span(31, 37, "DATE")],
            events=[Span(13, 20, "SHELLING"), Span(13, 20, "ATTACK")],
            categories=["EXPLOSIONS", "BATTLES"],
            annotator="reviewer-1",
            status="accept",
        ),
        record_to_json(
            "Residents of Mandalay’s Chanmyathazi township protested.",
            meta={},
            entities=[Span(13, 21, "GPE")],
            events=[],
            categories=[],
            annotator=None,
            status="reject",
        ),
        record_to_json(
            "<script>alert(1)</script> was posted on Monday.",
            meta={"html": True},
            entities=[],
            events=[],
            categories=[],
            annotator="reviewer-2",
            status="skip",
        ),
    ]


def test_round_trip_gives_the_same_records(
    tmp_path: Path, read_all: Reader, sample_tasks: list[dict[str, Any]]
) -> None:
    path = tmp_path / "export.jsonl"
    assert write_jsonl(sample_tasks, path) == 3

    records, errors = read_all([path])

    assert errors == []
    assert [record.line for record in records] == [1, 2, 3]
    assert records[0] == Record(
        text=SENTENCE,
        source=str(path),
        line=1,
        meta={"source": "Myanmar Now", "id": 7},
        split=False,
        annotation=RecordAnnotation(
            entities=(Span(0, 12, "ARMED_GROUP"), Span(21, 27, "GPE"), Span(31, 37, "DATE")),
            events=(Span(13, 20, "ATTACK"), Span(13, 20, "SHELLING")),
            categories=("EXPLOSIONS", "BATTLES"),
            annotator="reviewer-1",
            status="accept",
        ),
    )
    assert [record.annotation.status for record in records if record.annotation] == [
        "accept",
        "reject",
        "skip",
    ]
    assert [_to_json(record) for record in records] == sample_tasks


@pytest.mark.parametrize("tokens", [False, True])
def test_write_of_read_is_the_file_unchanged(
    tmp_path: Path, read_all: Reader, sample_tasks: list[dict[str, Any]], tokens: bool
) -> None:
    first = tmp_path / "first.jsonl"
    second = tmp_path / "second.jsonl"
    write_jsonl([_retokenize(task, tokens=tokens) for task in sample_tasks], first)

    records, errors = read_all([first])
    write_jsonl((_to_json(record, tokens=tokens) for record in records), second)

    assert errors == []
    assert second.read_bytes() == first.read_bytes()


def test_tokens_are_prodigy_style(sample_tasks: list[dict[str, Any]]) -> None:
    task = record_to_json(
        SENTENCE,
        meta={},
        entities=[Span(0, 12, "ARMED_GROUP")],
        events=[],
        categories=[],
        annotator=None,
        status="accept",
        tokens=True,
    )

    assert task["tokens"][:2] == [
        {"text": "Junta", "start": 0, "end": 5, "id": 0, "ws": True},
        {"text": "troops", "start": 6, "end": 12, "id": 1, "ws": True},
    ]
    assert task["tokens"][-1] == {"text": ".", "start": 37, "end": 38, "id": 6, "ws": False}
    assert task["spans"] == [
        {
            "start": 0,
            "end": 12,
            "label": "ARMED_GROUP",
            "text": "Junta troops",
            "token_start": 0,
            "token_end": 1,
        }
    ]


def test_writer_writes_compact_lines_with_characters_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"

    write_jsonl([{"text": "Mandalay’s “curfew”", "n": 1}, {"text": "b"}], path)

    assert path.read_text(encoding="utf-8") == (
        '{"text":"Mandalay’s “curfew”","n":1}\n{"text":"b"}\n'
    )


def test_writer_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    path.write_text("old\n", encoding="utf-8")

    def records() -> Any:
        yield {"text": "new"}
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_jsonl(records(), path)

    assert path.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_plain_task_has_no_annotation_keeps_meta_and_is_split(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file("tasks.jsonl", line_of(meta={"url": "https://example.org/1"}) + "\n")

    records, errors = read_all([path])

    assert errors == []
    assert records == [
        Record(
            text=SENTENCE,
            source=str(path),
            line=1,
            meta={"url": "https://example.org/1"},
            split=True,
            annotation=None,
        )
    ]


def test_answer_alone_is_an_annotation_and_ignore_means_skip(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file("tasks.jsonl", line_of(answer="ignore", _annotator_id="ann-3") + "\n")

    records, _ = read_all([path])

    assert records[0].annotation == RecordAnnotation(
        entities=(), events=(), categories=(), annotator="ann-3", status="skip"
    )


def test_status_defaults_to_accept(read_all: Reader, write_file: Writer) -> None:
    path = write_file("tasks.jsonl", line_of(accept=["BATTLES"]) + "\n")

    records, _ = read_all([path])

    assert records[0].annotation is not None
    assert records[0].annotation.status == "accept"
    assert records[0].annotation.categories == ("BATTLES",)


def test_events_may_overlap_entities_and_each_other(read_all: Reader, write_file: Writer) -> None:
    content = line_of(
        spans=[{"start": 0, "end": 20, "label": "ARMED_GROUP"}],
        events=[
            {"start": 13, "end": 20, "label": "SHELLING"},
            {"start": 6, "end": 20, "label": "ATTACK"},
        ],
    )
    path = write_file("tasks.jsonl", content + "\n")

    records, errors = read_all([path])

    assert errors == []
    assert records[0].annotation is not None
    assert len(records[0].annotation.events) == 2


def test_blank_lines_are_skipped_but_counted(read_all: Reader, write_file: Writer) -> None:
    path = write_file("tasks.jsonl", "\n" + line_of() + "\n   \n" + line_of() + "\n")

    records, errors = read_all([path])

    assert errors == []
    assert [record.line for record in records] == [2, 4]


def test_html_is_kept_literally(read_all: Reader, write_file: Writer) -> None:
    text = '<script>alert("x")</script> <b>Shelling</b> &amp; more'
    path = write_file("tasks.jsonl", json.dumps({"text": text}) + "\n")

    records, errors = read_all([path])

    assert errors == []
    assert records[0].text == text


def test_byte_order_mark_is_ignored(read_all: Reader, write_file: Writer) -> None:
    path = write_file("tasks.jsonl", "\ufeff" + line_of() + "\n")

    records, errors = read_all([path])

    assert errors == []
    assert records[0].text == SENTENCE


def _span(start: int, end: int, label: str) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label}


BAD_LINES = {
    "invalid_json": (
        '{"text": "Shelling continued."',
        "invalid JSON: Expecting ',' delimiter at the end of the line",
    ),
    "invalid_json_inside": (
        '{"text": "Shelling", meta: {}}',
        "invalid JSON: Expecting property name enclosed in double quotes at column 22",
    ),
    "not_an_object": ('["Shelling continued."]', "a record must be a JSON object, got a list"),
    "missing_text": ('{"meta": {}}', "no \"text\" key (the keys are 'meta'); name the key"),
    "text_not_a_string": ('{"text": 42}', '"text" must be a string, got a number'),
    "text_null": ('{"text": null}', '"text" must be a string, got null'),
    "meta_not_an_object": (line_of(meta=["a"]), '"meta" must be an object, got a list'),
    "spans_not_a_list": (line_of(spans={"start": 0}), '"spans" must be a list, got an object'),
    "events_not_a_list": (line_of(events="SHELLING"), '"events" must be a list, got a string'),
    "span_not_an_object": (
        line_of(spans=[[0, 12, "ARMED_GROUP"]]),
        "spans[0]: span must be an object with start, end and label",
    ),
    "span_offsets_not_integers": (
        line_of(spans=[{"start": "0", "end": 12, "label": "ARMED_GROUP"}]),
        "spans[0]: span start and end must be integers, got '0' and 12",
    ),
    "span_without_label": (
        line_of(events=[{"start": 13, "end": 20}]),
        "events[0]: span label must be a non-empty string, got None",
    ),
    "span_out_of_range": (
        line_of(spans=[_span(21, 99, "GPE")]),
        "entity span 21-99 GPE is out of range (text has 38 characters)",
    ),
    "span_empty": (
        line_of(spans=[_span(21, 21, "GPE")]),
        "entity span 21-21 GPE is out of range",
    ),
    "span_off_token_boundaries": (
        line_of(spans=[_span(0, 3, "ARMED_GROUP")]),
        "entity span 0-3 ARMED_GROUP ('Jun') is not on token boundaries",
    ),
    "event_off_token_boundaries": (
        line_of(events=[_span(14, 20, "SHELLING")]),
        "event span 14-20 SHELLING ('helled') is not on token boundaries",
    ),
    "span_text_disagrees": (
        line_of(spans=[{**_span(21, 27, "GPE"), "text": "Mandalay"}]),
        "spans[0]: span 21-27 GPE says 'Mandalay' but the text there is 'Moebye'",
    ),
    "unknown_entity_label": (
        line_of(spans=[_span(13, 20, "SHELLING")]),
        "entity span 13-20 SHELLING: unknown entity label 'SHELLING'",
    ),
    "unknown_event_label": (
        line_of(events=[_span(21, 27, "GPE")]),
        "event span 21-27 GPE: unknown event label 'GPE'",
    ),
    "unknown_category_label": (
        line_of(accept=["BATTLES", "RIOTS"]),
        "unknown category label 'RIOTS': it is neither in the scheme nor in the label map",
    ),
    "overlapping_entities": (
        line_of(spans=[_span(0, 12, "ARMED_GROUP"), _span(6, 12, "PERSON")]),
        "entity spans 0-12 ARMED_GROUP and 6-12 PERSON overlap",
    ),
    "duplicate_events": (
        line_of(events=[_span(13, 20, "SHELLING"), _span(13, 20, "SHELLING")]),
        "duplicate event span",
    ),
    "accept_not_a_list": (
        line_of(accept="BATTLES"),
        "\"accept\" must be a list of category names, got 'BATTLES'",
    ),
    "accept_not_strings": (
        line_of(accept=[True]),
        '"accept" must be a list of category names, got [True]',
    ),
    "answer_unknown": (
        line_of(answer="maybe"),
        "\"answer\" must be one of accept, reject, ignore; got 'maybe'",
    ),
    "answer_null": (
        line_of(answer=None),
        '"answer" must be one of accept, reject, ignore; got None',
    ),
    "annotator_not_a_string": (
        line_of(_annotator_id=7),
        '"_annotator_id" must be a non-empty string, got 7',
    ),
}


@pytest.mark.parametrize(("content", "reason"), BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_line_is_reported_with_its_line_and_reason(
    read_all: Reader, write_file: Writer, content: str, reason: str
) -> None:
    path = write_file("tasks.jsonl", json.dumps(GOOD) + "\n" + content + "\n" + line_of() + "\n")

    records, errors = read_all([path])

    assert [record.line for record in records] == [1, 3]
    assert len(errors) == 1
    assert (errors[0].source, errors[0].line) == (str(path), 2)
    assert errors[0].reason.startswith(reason), errors[0].reason
    assert str(errors[0]) == f"{path}:2: {errors[0].reason}"


def test_invalid_utf8_names_the_line_and_column(read_all: Reader, write_file: Writer) -> None:
    content = json.dumps(GOOD).encode() + b'\n{"text": "caf\xe9"}\n'
    path = write_file("tasks.jsonl", content)

    records, errors = read_all([path])

    assert len(records) == 1
    assert [(error.line, error.reason) for error in errors] == [
        (2, "is not valid UTF-8 (byte 0xe9 at column 14)")
    ]


def test_more_than_one_category_when_exclusive(
    read_all: Reader, write_file: Writer, exclusive_scheme: LabelScheme
) -> None:
    path = write_file(
        "tasks.jsonl",
        line_of(accept=["BATTLES"]) + "\n" + line_of(accept=["BATTLES", "EXPLOSIONS"]) + "\n",
    )

    records, errors = read_all([path], scheme=exclusive_scheme)

    assert len(records) == 1
    assert [(error.line, error.reason) for error in errors] == [
        (
            2,
            "2 categories (BATTLES, EXPLOSIONS) but the scheme allows one per sentence",
        )
    ]


def _to_json(record: Record, *, tokens: bool = False) -> dict[str, Any]:
    annotation = record.annotation
    assert annotation is not None
    return record_to_json(
        record.text,
        meta=record.meta,
        entities=annotation.entities,
        events=annotation.events,
        categories=annotation.categories,
        annotator=annotation.annotator,
        status=annotation.status,
        tokens=tokens,
    )


def _retokenize(task: dict[str, Any], *, tokens: bool) -> dict[str, Any]:
    return record_to_json(
        task["text"],
        meta=task["meta"],
        entities=[Span.from_dict(span) for span in task["spans"]],
        events=[Span.from_dict(span) for span in task["events"]],
        categories=task["accept"],
        annotator=task.get("_annotator_id"),
        status=ANSWERS[task["answer"]],
        tokens=tokens,
    )


def test_gold_round_trip_through_the_cli(
    gold_db: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "gold.jsonl"
    cli("export", "--format", "jsonl", "--tokens", "--output", out, "--db", gold_db)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert [token["text"] for token in first["tokens"]][:3] == ["Police", "arrested", "Ko"]
    assert gold_of(copy) == gold_of(gold_db)


def test_every_reviewer_round_trips_with_their_answers(
    reviewer_db: str, cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "all.jsonl"
    cli("export", "--all-reviewers", "--output", out, "--db", reviewer_db)
    copy = new_db("copy")
    cli("import", "--no-suggest", "--db", copy, out)

    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {line["_annotator_id"] for line in lines} == {"alice", "bob"}
    assert [line["answer"] for line in lines].count("reject") == 1
    assert annotations_of(copy) == annotations_of(reviewer_db)


# --- a peer's Prodigy db-out through the import (issue 11) -----------------------------------

NOTE = "On 3 May, soldiers of the Tatmadaw shelled Mrauk-U town, Rakhine State."


def at(covered: str, label: str, *, text: str = NOTE, cut: int = 0) -> dict[str, Any]:
    """A Prodigy span over ``covered`` in ``text``, ``cut`` characters short at its end."""
    start = text.index(covered)
    return {"start": start, "end": start + len(covered) - cut, "label": label}


def db_out(path: Path, lines: list[dict[str, Any]]) -> Path:
    """Write what ``prodigy db-out`` writes: one task a line, with its hashes and answer."""
    hashed = [{"_input_hash": n, "_task_hash": -n, **line} for n, line in enumerate(lines, 1)]
    path.write_text("".join(json.dumps(line) + "\n" for line in hashed), encoding="utf-8")
    return path


def exported(cli: Any, url: str, out: Path, *extra: str) -> list[dict[str, Any]]:
    cli("export", "--format", "jsonl", "--output", out, "--db", url, *extra)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def offsets(spans: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(NOTE[span["start"] : span["end"]], span["label"]) for span in spans]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("map.yml", "Organization: ARMED_GROUP\nCity: GPE\n3: EXPLOSIONS_REMOTE_VIOLENCE\n"),
        (
            "map.json",
            '{"Organization": "ARMED_GROUP", "City": "GPE", "3": "EXPLOSIONS_REMOTE_VIOLENCE"}',
        ),
    ],
)
def test_a_peers_labels_and_choice_ids_import_through_a_label_map_and_round_trip(
    name: str, content: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    path = db_out(
        tmp_path / "peer.jsonl",
        [
            {
                "text": NOTE,
                "spans": [at("Tatmadaw", "Organization"), at("Mrauk-U", "City")],
                "options": [{"id": 3, "text": "Explosions"}, {"id": 4, "text": "Battles"}],
                "accept": [3],
                "answer": "accept",
            }
        ],
    )
    label_map = tmp_path / name
    label_map.write_text(content, encoding="utf-8")
    url = new_db("peer")

    refused = cli("import", "--gold", "--no-suggest", "--db", url, path, code=1)
    result = cli("import", "--gold", "--no-suggest", "--label-map", label_map, "--db", url, path)
    (task,) = exported(cli, url, tmp_path / "gold.jsonl")
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, tmp_path / "gold.jsonl")

    assert f"{path}:1: entity span 26-34 Organization: unknown entity label" in refused.stderr
    assert "--label-map" in refused.stderr and "Traceback" not in refused.output
    assert "1 gold" in result.stdout
    assert (
        "labels renamed by the label map: 3 -> EXPLOSIONS_REMOTE_VIOLENCE (1), City -> GPE (1), "
        "Organization -> ARMED_GROUP (1)"
    ) in result.stdout
    assert offsets(task["spans"]) == [("Tatmadaw", "ARMED_GROUP"), ("Mrauk-U", "GPE")]
    assert task["accept"] == ["EXPLOSIONS_REMOTE_VIOLENCE"]
    assert gold_of(copy) == gold_of(url)


@pytest.mark.parametrize(
    ("align", "place", "town"),
    [("expand", "Rakhine State", "Kyauktaw town"), ("contract", "Rakhine", "Kyauktaw")],
)
def test_spans_off_tokens_are_refused_naming_align_or_snapped_and_listed(
    align: str, place: str, town: str, cli: Any, new_db: Any, tmp_path: Path
) -> None:
    raided = "Troops raided Kyauktaw town."
    path = db_out(
        tmp_path / "peer.jsonl",
        [
            {"text": NOTE, "spans": [at("Rakhine State", "GPE", cut=1)], "answer": "accept"},
            {"text": raided, "spans": [at("Kyauktaw t", "GPE", text=raided)], "answer": "accept"},
        ],
    )
    url = new_db("peer")

    strict = cli("import", "--gold", "--no-suggest", "--db", url, path, code=1)
    result = cli("import", "--gold", "--no-suggest", "--align", align, "--db", url, path)
    tasks = exported(cli, url, tmp_path / "gold.jsonl")

    assert (
        f"{path}:1: entity span 57-69 GPE ('Rakhine Stat') is not on token boundaries; "
        "use --align expand or --align contract"
    ) in strict.stderr
    assert "2 gold" in result.stdout
    assert "2 span(s) aligned to token boundaries:" in result.stdout
    verb = f"{align}ed" if align == "expand" else "contracted"
    assert f"  {path}:1: entity span 57-69 GPE 'Rakhine Stat' {verb} to 57-" in result.stdout
    assert f"  {path}:2: entity span 14-24 GPE 'Kyauktaw t' {verb} to 14-" in result.stdout
    assert sorted(
        task["text"][span["start"] : span["end"]] for task in tasks for span in task["spans"]
    ) == sorted([place, town])


def test_an_unknown_align_mode_is_one_line(cli: Any, new_db: Any, tmp_path: Path) -> None:
    path = db_out(tmp_path / "peer.jsonl", [{"text": NOTE}])

    bad = cli("import", "--no-suggest", "--align", "loose", "--db", new_db("x"), path, code=1)

    assert bad.stderr == "error: --align must be one of strict, expand, contract, not 'loose'\n"


def test_a_gold_db_out_keeps_reject_and_ignore_as_the_reviewers_annotations(
    cli: Any, new_db: Any, gold_of: Any, annotations_of: Any, tmp_path: Path
) -> None:
    fired = "Police fired at protesters in Mandalay."
    beat = "Soldiers beat a farmer in Sagaing."
    lines = [
        {"text": NOTE, "spans": [at("Tatmadaw", "ARMED_GROUP")], "answer": "accept"},
        {"text": fired, "spans": [], "answer": "reject"},
        {"text": beat, "spans": [], "answer": "ignore"},
    ]
    path = db_out(
        tmp_path / "db-out.jsonl",
        [{**line, "_annotator_id": "ner-alice", "_session_id": "ner-alice"} for line in lines],
    )
    url = new_db("peer")

    result = cli("import", "--gold", "--no-suggest", "--db", url, path)
    everyone = exported(cli, url, tmp_path / "all.jsonl", "--all-reviewers")

    assert "1 gold" in result.stdout
    assert (
        "1 rejected and 1 skipped (ignored) answer(s) were stored as their reviewers' "
        "annotations, not gold"
    ) in result.stdout
    assert [text for text, *_ in gold_of(url)] == [NOTE]
    assert [(who, status, stored[0]) for who, status, stored in annotations_of(url)] == [
        ("ner-alice", "reject", fired),
        ("ner-alice", "skip", beat),
    ]
    assert sorted((task["text"], task["answer"], task["_annotator_id"]) for task in everyone) == [
        (fired, "reject", "ner-alice"),
        (beat, "ignore", "ner-alice"),
    ]


@pytest.mark.parametrize("key", ["notes", "body", "content"])
def test_text_column_names_the_key_of_the_text(
    key: str, cli: Any, new_db: Any, tmp_path: Path
) -> None:
    path = tmp_path / "notes.jsonl"
    rows = [
        {"id": "MMR-1", key: NOTE, "country": "Myanmar"},
        {"id": "MMR-2", key: "  ", "country": "Myanmar"},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    url = new_db("notes")

    missing = cli("import", "--no-suggest", "--db", url, path, code=1)
    unknown = cli("import", "--no-suggest", "--text-column", "summary", "--db", url, path, code=1)
    result = cli("import", "--no-suggest", "--text-column", key, "--db", url, path)

    assert f"{path}:1: no \"text\" key (the keys are 'id', '{key}', 'country')" in missing.stderr
    assert "--text-column" in missing.stderr
    assert (
        f"{path}:1: no \"summary\" key (--text-column summary); the keys are 'id', '{key}', "
        "'country'"
    ) in unknown.stderr
    assert result.stdout.startswith("imported 1 report(s), 1 sentence(s)")
    assert "1 record(s) with a blank text were skipped" in result.stdout
