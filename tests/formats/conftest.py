"""Fixtures for the format readers: a small label scheme and files written into tmp_path."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import ImportFailed, InvalidRecord, Record, read_records
from annotator.formats.records import ReadOptions
from annotator.labels import LabelScheme, load_scheme, parse_scheme


def _label(shortcut: str, **extra: str) -> dict[str, str]:
    return {
        "description": "A test label.",
        "colour": "#123456",
        "shortcut": shortcut,
        "guideline": "Mark it.",
        **extra,
    }


@pytest.fixture(scope="session")
def scheme() -> LabelScheme:
    return parse_scheme(
        {
            "entities": {
                "PERSON": _label("p"),
                "ARMED_GROUP": _label("g"),
                "GPE": _label("s"),
                "DATE": _label("d"),
            },
            "events": {
                "SHELLING": _label("e", category="EXPLOSIONS"),
                "ATTACK": _label("k", category="BATTLES"),
            },
            "roles": {"AGENT": _label("q")},
            "categories": {
                "exclusive": False,
                "labels": {"BATTLES": _label("b"), "EXPLOSIONS": _label("1")},
            },
        },
        path="test-scheme.yml",
    )


@pytest.fixture(scope="session")
def conflict() -> LabelScheme:
    """The project's own scheme (labels/conflict.yml), whose roles say what they accept."""
    return load_scheme(Path(__file__).resolve().parents[2] / "labels" / "conflict.yml")


@pytest.fixture(scope="session")
def exclusive_scheme(scheme: LabelScheme) -> LabelScheme:
    return dataclasses.replace(scheme, categories_exclusive=True)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write text (UTF-8) or raw bytes to tmp_path/name and return the path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return write


@pytest.fixture
def read_all(scheme: LabelScheme) -> Callable[..., tuple[list[Record], list[InvalidRecord]]]:
    """Consume read_records: the records it yielded and the errors ImportFailed carried."""

    def read(
        paths: Iterable[Path | str],
        *,
        scheme: LabelScheme = scheme,
        format: str | None = None,
        options: ReadOptions | None = None,
    ) -> tuple[list[Record], list[InvalidRecord]]:
        records: list[Record] = []
        try:
            for record in read_records(paths, scheme=scheme, format=format, options=options):
                records.append(record)
        except ImportFailed as failed:
            return records, failed.errors
        return records, []

    return read


# --- round trips through the command line and a real SQLite database ---------------------


def _task(
    text: str,
    spans: list[tuple[str, str]],
    events: list[tuple[str, str]],
    accept: list[str],
    **extra: Any,
) -> dict[str, Any]:
    """A Prodigy task whose spans are given by the text they cover (first occurrence)."""

    def located(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        found = []
        for covered, label in pairs:
            start = text.index(covered)
            found.append({"start": start, "end": start + len(covered), "label": label})
        return found

    return {
        "text": text,
        "spans": located(spans),
        "events": located(events),
        "accept": accept,
        **extra,
    }


GOLD_TASKS = [
    _task(
        "Police arrested Ko Aung in Yangon.",
        [("Ko Aung", "PERSON"), ("Yangon", "GPE")],
        [("arrested", "ARREST")],
        ["STRATEGIC_DEVELOPMENTS"],
        meta={"id": 1},
    ),
    _task(
        "Junta troops shelled Moebye  on Monday, killing 3 civilians.",
        [("Junta troops", "ARMED_GROUP"), ("Moebye", "GPE"), ("Monday", "DATE"), ("3", "CARDINAL")],
        [
            ("shelled", "REMOTE_VIOLENCE"),
            ("shelled", "ATTACK_ON_CIVILIANS"),
            ("killing", "CASUALTIES"),
        ],
        ["EXPLOSIONS_REMOTE_VIOLENCE", "VIOLENCE_AGAINST_CIVILIANS"],
    ),
    _task(
        "Residents of Mandalay’s Chanmyathazi township protested.",
        [("Mandalay", "GPE")],
        [("protested", "PROTEST")],
        ["PROTESTS"],
    ),
    _task(
        "The Arakan Army seized a base near Sittwe on 3 March.",
        [
            ("Arakan Army", "ARMED_GROUP"),
            ("a base near Sittwe", "FAC"),
            ("3 March", "DATE"),
        ],
        [("seized a base", "SEIZURE")],
        [],
    ),
    _task("Nothing of note happened there today.", [], [], []),
]


@pytest.fixture
def gold_tasks() -> list[dict[str, Any]]:
    """The Prodigy tasks gold_db holds as gold."""
    return [dict(task) for task in GOLD_TASKS]


@pytest.fixture
def cli() -> Callable[..., Any]:
    """Run the annotator command line; fail the test when it does not exit 0."""
    from typer.testing import CliRunner

    from annotator.cli import app

    runner = CliRunner()

    def run(*args: str, code: int = 0) -> Any:
        result = runner.invoke(app, [str(arg) for arg in args])
        assert result.exit_code == code, result.output
        return result

    return run


@pytest.fixture
def new_db(tmp_path: Path, sqlite_template: Path) -> Callable[[str], str]:
    """The URL of a new, migrated SQLite database under tmp_path (a copy of the template)."""

    def make(name: str) -> str:
        path = tmp_path / f"{name}.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"

    return make


@pytest.fixture
def gold_db(tmp_path: Path, cli: Callable[..., Any], new_db: Callable[[str], str]) -> str:
    """A database whose gold is GOLD_TASKS, imported with --gold."""
    path = tmp_path / "gold-in.jsonl"
    path.write_text("".join(json.dumps(task) + "\n" for task in GOLD_TASKS), encoding="utf-8")
    url = new_db("source")
    cli("import", "--gold", "--no-suggest", "--db", url, path)
    return url


@pytest.fixture
def reviewer_db(tmp_path: Path, cli: Callable[..., Any], new_db: Callable[[str], str]) -> str:
    """A database where alice decided every sentence and bob three of them, one a reject."""
    lines = [{**task, "_annotator_id": "alice"} for task in GOLD_TASKS]
    bob = [dict(task) for task in GOLD_TASKS[:3]]
    bob[0]["spans"] = bob[0]["spans"][:1]
    bob[1]["accept"] = ["BATTLES"]
    bob[2]["answer"] = "reject"
    lines += [{**task, "_annotator_id": "bob"} for task in bob]
    path = tmp_path / "reviewers-in.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    url = new_db("reviewers")
    cli("import", "--no-suggest", "--db", url, path)
    return url


Stored = tuple[str, tuple[Any, ...], tuple[Any, ...], tuple[str, ...]]


def stored_gold(url: str) -> list[Stored]:
    """(text, entities, events, categories) of every gold row, sorted."""
    from annotator import repository
    from annotator.db import make_engine, session_scope

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return sorted(
                (
                    sentence.text,
                    tuple((s["start"], s["end"], s["label"]) for s in gold.entities),
                    tuple((s["start"], s["end"], s["label"]) for s in gold.events),
                    tuple(sorted(gold.categories)),
                )
                for gold, sentence, _ in repository.iter_gold(session=session)
            )
    finally:
        engine.dispose()


def stored_annotations(url: str) -> list[tuple[str, str, Stored]]:
    """(reviewer, status, (text, entities, events, categories)) of every annotation, sorted."""
    from annotator import repository
    from annotator.db import make_engine, session_scope

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return sorted(
                (
                    reviewer.name,
                    annotation.status,
                    (
                        sentence.text,
                        tuple((s["start"], s["end"], s["label"]) for s in annotation.entities),
                        tuple((s["start"], s["end"], s["label"]) for s in annotation.events),
                        tuple(sorted(annotation.categories)),
                    ),
                )
                for annotation, reviewer, sentence, _ in repository.iter_annotations(
                    session=session
                )
            )
    finally:
        engine.dispose()


@pytest.fixture
def gold_of() -> Callable[[str], list[Stored]]:
    return stored_gold


Linked = tuple[str, tuple[tuple[str, str, str, str], ...]]


def stored_arguments(url: str, *, reviewers: bool = False) -> list[Linked]:
    """(text, ((trigger text, role, entity text, entity label), ...)) of every gold row, or of
    every annotation (then prefixed by its reviewer), sorted."""
    from annotator import repository
    from annotator.db import make_engine, session_scope

    def linked(text: str, rows: list[Any]) -> tuple[tuple[str, str, str, str], ...]:
        return tuple(
            sorted(
                (
                    text[row["event"]["start"] : row["event"]["end"]],
                    row["role"],
                    text[row["start"] : row["end"]],
                    row["label"],
                )
                for row in rows
            )
        )

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            if reviewers:
                return sorted(
                    (f"{who.name}: {sentence.text}", linked(sentence.text, annotation.arguments))
                    for annotation, who, sentence, _ in repository.iter_annotations(session=session)
                )
            return sorted(
                (sentence.text, linked(sentence.text, gold.arguments))
                for gold, sentence, _ in repository.iter_gold(session=session)
            )
    finally:
        engine.dispose()


@pytest.fixture
def arguments_of() -> Callable[..., list[Linked]]:
    return stored_arguments


@pytest.fixture
def annotations_of() -> Callable[[str], list[tuple[str, str, Stored]]]:
    return stored_annotations
