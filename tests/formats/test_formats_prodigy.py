"""Prodigy JSONL: reading tasks with their decisions, every way a line can be wrong, writing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, RecordAnnotation
from annotator.formats.prodigy import ANSWERS, record_to_json, write, write_jsonl
from annotator.labels import LabelScheme
from annotator.spans import Argument, Span

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


# --- event arguments and binary answers (issue 12) -------------------------------------------

CLASH = "On 3 May, KIA fighters and junta troops clashed near Lashio, killing seven soldiers."


def covering(covered: str, label: str, *, text: str = CLASH) -> Span:
    start = text.index(covered)
    return Span(start, start + len(covered), label)


KIA = covering("KIA fighters", "ARMED_GROUP")
JUNTA = covering("junta troops", "ARMED_GROUP")
LASHIO = covering("Lashio", "GPE")
MAY = covering("3 May", "DATE")
SEVEN = covering("seven", "CARDINAL")
CLASHED = covering("clashed", "ARMED_CLASH")
KILLING = covering("killing", "CASUALTIES")
CLASH_ARGUMENTS = (
    Argument(CLASHED, "ACTOR", KIA),
    Argument(CLASHED, "ACTOR", JUNTA),
    Argument(CLASHED, "LOCATION", LASHIO),
    Argument(CLASHED, "TIME", MAY),
    Argument(KILLING, "COUNT", SEVEN),
)


def read_one(path: Path, scheme: LabelScheme, **options: Any) -> Record:
    from annotator.formats import read_records
    from annotator.formats.records import ReadOptions

    (record,) = read_records([path], scheme=scheme, options=ReadOptions(**options))
    return record


def test_events_carry_args_and_relations_and_read_back(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    record = Record(
        text=CLASH,
        source="x",
        line=1,
        meta={},
        split=False,
        annotation=RecordAnnotation(
            entities=(MAY, KIA, JUNTA, LASHIO, SEVEN),
            events=(CLASHED, KILLING),
            categories=("BATTLES",),
            annotator="alice",
            status="accept",
            arguments=tuple(sorted(CLASH_ARGUMENTS)),
        ),
    )
    path = tmp_path / "out.jsonl"
    write([record], path)
    task = json.loads(path.read_text(encoding="utf-8"))

    back = read_one(path, conflict)

    clashed = task["events"][0]
    assert clashed["args"][0] == {"role": "ACTOR", **KIA.to_dict(), "text": "KIA fighters"}
    assert [arg["role"] for arg in clashed["args"]] == ["ACTOR", "ACTOR", "LOCATION", "TIME"]
    assert task["events"][1]["args"] == [
        {"role": "COUNT", "start": SEVEN.start_char, "end": SEVEN.end_char, "label": "CARDINAL",
         "text": "seven"}
    ]  # fmt: skip
    # rel.manual's relations: head the trigger, child the entity, each at its last token.
    assert task["relations"][0] == {
        "head": 9,
        "child": 5,
        "head_span": {**CLASHED.to_dict(), "token_start": 9, "token_end": 9},
        "child_span": {**KIA.to_dict(), "token_start": 4, "token_end": 5},
        "color": "#c5bdf4",
        "label": "ACTOR",
    }
    assert len(task["relations"]) == 5
    assert back.annotation == record.annotation


def test_a_rel_manual_answer_reads_its_relations_as_arguments(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    from annotator.tokens import blank_english

    doc = blank_english().make_doc(CLASH)
    tokens = [
        {
            "text": t.text,
            "start": t.idx,
            "end": t.idx + len(t),
            "id": t.i,
            "ws": bool(t.whitespace_),
        }
        for t in doc
    ]

    def span(found: Span, label: str) -> dict[str, Any]:
        piece = doc.char_span(found.start_char, found.end_char)
        assert piece is not None
        return {
            "start": found.start_char,
            "end": found.end_char,
            "token_start": piece.start,
            "token_end": piece.end - 1,
            "label": label,
        }

    def relation(head: dict[str, Any], child: dict[str, Any], label: str) -> dict[str, Any]:
        return {
            "head": head["token_end"],
            "child": child["token_end"],
            "head_span": head,
            "child_span": child,
            "color": "#ffd882",
            "label": label,
        }

    clashed, kia, junta = span(CLASHED, "Clash"), span(KIA, "Group"), span(JUNTA, "Group")
    lashio = span(LASHIO, "GPE")
    task = {
        "text": CLASH,
        "tokens": tokens,
        "spans": [kia, junta, clashed, lashio],
        "relations": [
            relation(clashed, kia, "Side"),
            relation(clashed, junta, "Side"),
            relation(clashed, lashio, "LOCATION"),
            # a relation between two groups, which is no event argument
            relation(kia, junta, "Side"),
            # given by its tokens only
            {"head": clashed["token_end"], "child": lashio["token_end"], "label": "LOCATION"},
        ],
        "_input_hash": 12,
        "_task_hash": 34,
        "_view_id": "relations",
        "answer": "accept",
        "_annotator_id": "rel-ana",
    }
    path = tmp_path / "rel.jsonl"
    path.write_text(json.dumps(task) + "\n", encoding="utf-8")
    label_map = {"Clash": "ARMED_CLASH", "Group": "ARMED_GROUP", "Side": "ACTOR"}

    record = read_one(path, conflict, label_map=label_map)

    assert record.annotation is not None
    assert record.annotation.events == (CLASHED,)
    assert record.annotation.arguments == tuple(sorted(CLASH_ARGUMENTS[:3]))
    assert [a.what for a in record.annotation.adjustments if a.kind == "left out"] == [
        f"relation Side from {KIA.start_char}-{KIA.end_char} 'KIA fighters' to "
        f"{JUNTA.start_char}-{JUNTA.end_char} 'junta troops' read but not kept: it joins no "
        "event trigger to an entity"
    ]


def test_the_suggest_shape_with_a_role_the_entity_cannot_play_is_refused(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    from annotator.formats import ImportFailed, read_records

    task = {
        "text": CLASH,
        "spans": [LASHIO.to_dict()],
        "events": [{**CLASHED.to_dict(), "args": [{"role": "ACTOR", **LASHIO.to_dict()}]}],
        "answer": "accept",
    }
    path = tmp_path / "suggested.jsonl"
    path.write_text(json.dumps(task) + "\n", encoding="utf-8")

    with pytest.raises(ImportFailed) as failed:
        list(read_records([path], scheme=conflict))

    (error,) = failed.value.errors
    assert error.line == 1
    assert "a GPE cannot be ACTOR (it takes ARMED_GROUP, ORG, PERSON)" in error.reason


TEACH = "Arakan Army fighters seized a police post in Maungdaw."


def teach(covered: str, label: str, answer: str, **extra: Any) -> dict[str, Any]:
    """A ner.teach answer as Prodigy's db-out writes it: one suggested span, its score."""
    start = TEACH.index(covered)
    span = {"start": start, "end": start + len(covered), "text": covered, "label": label,
            "score": 0.61}  # fmt: skip
    return {
        "text": TEACH,
        "spans": [span],
        "meta": {"score": 0.61},
        "_input_hash": -7041,
        "_task_hash": hash((covered, label)) % 10_000,
        "_view_id": "ner",
        "answer": answer,
        **extra,
    }


def test_ner_teach_answers_of_a_text_merge_into_one_annotation_holding_the_accepted_spans(
    cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    lines = [
        teach("Arakan Army fighters", "ARMED_GROUP", "accept"),
        teach("police post", "ORG", "reject"),
        teach("Maungdaw", "GPE", "accept"),
        teach("Arakan", "GPE", "reject"),
        teach("Maungdaw", "PERSON", "ignore"),
    ]
    path = tmp_path / "ner-teach.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    url = new_db("teach")

    result = cli("import", "--no-suggest", "--db", url, path)

    assert "1 annotation(s)" in result.stdout
    assert (
        "5 binary answer(s) (Prodigy's ner.teach, textcat.teach) were merged into 1 "
        "annotation(s), one per text and reviewer, holding the spans and labels they accepted"
    ) in result.stdout
    ((reviewer, status, (_, entities, _, _)),) = annotations_of(url)
    assert (reviewer, status) == ("imported", "accept")
    assert [(TEACH[start:end], label) for start, end, label in entities] == [
        ("Arakan Army fighters", "ARMED_GROUP"),
        ("Maungdaw", "GPE"),
    ]


def test_binary_answers_merge_per_reviewer_and_overlapping_accepts_are_named(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    from annotator.formats import read_records
    from annotator.formats.prodigy import merge_binary_answers

    lines = [
        teach("Arakan Army fighters", "ARMED_GROUP", "accept", _annotator_id="ana"),
        teach("Maungdaw", "GPE", "accept", _annotator_id="ben"),
        teach("Maungdaw", "GPE", "accept", _annotator_id="ana"),
        teach("Arakan", "GPE", "accept", _annotator_id="ben"),
        teach("Arakan Army", "ORG", "accept", _annotator_id="ben"),
    ]
    path = tmp_path / "teach.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    records = list(read_records([path], scheme=conflict))

    merged, (problem,) = merge_binary_answers(records, scheme=conflict)

    assert [(r.line, r.answers) for r in merged] == [(1, 2)]
    assert merged[0].annotation is not None
    assert len(merged[0].annotation.entities) == 2
    assert problem.line == 2
    assert problem.reason.startswith(
        "the binary answers of this text (lines 2, 4, 5) merged: entity spans 0-6 GPE and 0-11 "
        "ORG overlap"
    )


@pytest.mark.parametrize(("answer", "categories"), [("accept", ["BATTLES"]), ("reject", [])])
def test_a_textcat_teach_answer_is_its_label_or_the_annotation_without_it(
    answer: str, categories: list[str], read_all: Reader, write_file: Writer
) -> None:
    line = {
        "text": SENTENCE,
        "label": "BATTLES",
        # textcat.teach highlights its patterns' matches; they are no entities
        "spans": [{"start": 13, "end": 20, "label": "BATTLES"}],
        "meta": {"score": 0.42},
        "_input_hash": 5,
        "_task_hash": 6,
        "_view_id": "classification",
        "answer": answer,
    }
    path = write_file("textcat.jsonl", json.dumps(line) + "\n")

    (record,), errors = read_all([path])

    assert errors == []
    assert record.binary_answer
    assert record.annotation is not None
    assert (record.annotation.status, record.annotation.entities) == ("accept", ())
    assert list(record.annotation.categories) == categories


def test_textcat_teach_answers_about_several_labels_merge(
    cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    def answer(label: str, answer: str) -> dict[str, Any]:
        return {"text": CLASH, "label": label, "answer": answer, "_input_hash": 1,
                "_task_hash": len(label)}  # fmt: skip

    path = tmp_path / "insult.jsonl"
    lines = [answer("BATTLES", "accept"), answer("RIOTS", "reject"), answer("PROTESTS", "accept")]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    url = new_db("textcat")

    result = cli("import", "--no-suggest", "--db", url, path)

    assert "3 binary answer(s)" in result.stdout
    ((_, status, (_, _, _, categories)),) = annotations_of(url)
    assert (status, categories) == ("accept", ("BATTLES", "PROTESTS"))
