"""Event arguments in and out of every format that can carry them, through the command line.

Gold with arguments (imported from JSONL in the shape ``annotator suggest`` writes) is exported
in each format, imported into another database, and gives the same arguments back; reviewers'
exports keep each reviewer's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Linked = list[tuple[str, tuple[tuple[str, str, str, str], ...]]]


def _span(text: str, covered: str, label: str) -> dict[str, Any]:
    start = text.index(covered)
    return {"start": start, "end": start + len(covered), "label": label, "text": covered}


def suggested(
    text: str,
    spans: list[tuple[str, str]],
    events: list[tuple[str, str, list[tuple[str, str]]]],
    accept: list[str],
) -> dict[str, Any]:
    """A record as ``annotator suggest`` writes it: events with ``args`` naming their entities
    by the text they cover."""
    entities = {covered: _span(text, covered, label) for covered, label in spans}
    return {
        "text": text,
        "spans": list(entities.values()),
        "events": [
            {
                **_span(text, trigger, label),
                "args": [{"role": role, **entities[covered]} for role, covered in args],
            }
            for trigger, label, args in events
        ],
        "accept": accept,
        "answer": "accept",
    }


SHELLED = "On 3 May, soldiers shelled Moebye town, killing three civilians."
CLASHED = "KIA fighters and junta troops clashed near Lashio."
ARRESTED = "Police arrested two students in Mandalay."
QUIET = "Nothing happened in Sittwe."

ARGUMENT_TASKS = [
    suggested(
        SHELLED,
        [
            ("3 May", "DATE"),
            ("soldiers", "ARMED_GROUP"),
            ("Moebye town", "GPE"),
            ("three", "CARDINAL"),
        ],
        [
            (
                "shelled",
                "REMOTE_VIOLENCE",
                [("ACTOR", "soldiers"), ("LOCATION", "Moebye town"), ("TIME", "3 May")],
            ),
            ("killing", "CASUALTIES", [("COUNT", "three")]),
        ],
        ["EXPLOSIONS_REMOTE_VIOLENCE"],
    ),
    suggested(
        CLASHED,
        [("KIA fighters", "ARMED_GROUP"), ("junta troops", "ARMED_GROUP"), ("Lashio", "GPE")],
        [
            (
                "clashed",
                "ARMED_CLASH",
                [("ACTOR", "KIA fighters"), ("ACTOR", "junta troops"), ("LOCATION", "Lashio")],
            )
        ],
        ["BATTLES"],
    ),
    suggested(
        ARRESTED,
        [("Police", "ARMED_GROUP"), ("two", "CARDINAL"), ("Mandalay", "GPE")],
        [
            (
                "arrested",
                "ARREST",
                [("ACTOR", "Police"), ("COUNT", "two"), ("LOCATION", "Mandalay")],
            )
        ],
        ["STRATEGIC_DEVELOPMENTS"],
    ),
    suggested(QUIET, [("Sittwe", "GPE")], [], []),
]

EXPECTED: Linked = sorted(
    [
        (ARRESTED, (("arrested", "ACTOR", "Police", "ARMED_GROUP"),
                    ("arrested", "COUNT", "two", "CARDINAL"),
                    ("arrested", "LOCATION", "Mandalay", "GPE"))),
        (CLASHED, (("clashed", "ACTOR", "KIA fighters", "ARMED_GROUP"),
                   ("clashed", "ACTOR", "junta troops", "ARMED_GROUP"),
                   ("clashed", "LOCATION", "Lashio", "GPE"))),
        (QUIET, ()),
        (SHELLED, (("killing", "COUNT", "three", "CARDINAL"),
                   ("shelled", "ACTOR", "soldiers", "ARMED_GROUP"),
                   ("shelled", "LOCATION", "Moebye town", "GPE"),
                   ("shelled", "TIME", "3 May", "DATE"))),
    ]
)  # fmt: skip


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def argument_db(tmp_path: Path, cli: Callable[..., Any], new_db: Callable[[str], str]) -> str:
    """A database whose gold is ARGUMENT_TASKS, with their arguments."""
    url = new_db("arguments")
    path = write_lines(tmp_path / "suggested.jsonl", ARGUMENT_TASKS)
    cli("import", "--gold", "--no-suggest", "--db", url, path)
    return url


def test_the_suggest_shape_imports_with_its_arguments(argument_db: str, arguments_of: Any) -> None:
    assert arguments_of(argument_db) == EXPECTED


@pytest.mark.parametrize(
    ("format", "name"),
    [
        ("jsonl", "gold.jsonl"),
        ("doccano", "gold-doccano.jsonl"),
        ("brat", "gold-brat"),
        ("label-studio", "gold.json"),
        ("spacy", "gold-spacy"),
    ],
)
def test_gold_arguments_round_trip_through_every_format(
    format: str,
    name: str,
    argument_db: str,
    cli: Any,
    new_db: Any,
    gold_of: Any,
    arguments_of: Any,
    tmp_path: Path,
) -> None:
    out = tmp_path / name
    cli("export", "--format", format, "--output", out, "--db", argument_db, "--dev-share", "0")
    copy = new_db("copy")
    paths = [out / "train.spacy"] if format == "spacy" else [out]
    cli("import", "--gold", "--no-suggest", "--db", copy, *paths)

    assert arguments_of(copy) == EXPECTED
    assert gold_of(copy) == gold_of(argument_db)


@pytest.mark.parametrize(
    ("format", "name"), [("jsonl", "all.jsonl"), ("brat", "all-brat"), ("label-studio", "all.json")]
)
def test_each_reviewers_arguments_round_trip(
    format: str,
    name: str,
    cli: Any,
    new_db: Any,
    arguments_of: Any,
    tmp_path: Path,
) -> None:
    alice = [{**task, "_annotator_id": "alice"} for task in ARGUMENT_TASKS[:2]]
    bob = {**ARGUMENT_TASKS[1], "_annotator_id": "bob"}
    # bob saw one side of the clash only
    bob["events"] = [{**bob["events"][0], "args": bob["events"][0]["args"][1:]}]
    url = new_db("reviewers")
    cli("import", "--no-suggest", "--db", url, write_lines(tmp_path / "in.jsonl", [*alice, bob]))
    out = tmp_path / name

    cli("export", "--format", format, "--all-reviewers", "--output", out, "--db", url)
    copy = new_db("copy")
    cli("import", "--no-suggest", "--db", copy, out)

    stored = arguments_of(copy, reviewers=True)
    assert stored == arguments_of(url, reviewers=True)
    assert [len(links) for _, links in stored] == [3, 4, 2]
