"""The ``annotator`` command line, as users script it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from annotator.cli import app
from annotator.config import PROJECT_ROOT, Settings
from annotator.workflow import GoldPolicy

runner = CliRunner()

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_0cddb9383b0f6ff7.txt"
GOOD_RECORD = {
    "text": "Police arrested Ko Aung in Yangon.",
    "spans": [
        {"start": 16, "end": 23, "label": "PERSON"},
        {"start": 27, "end": 33, "label": "GPE"},
    ],
    "events": [{"start": 7, "end": 15, "label": "ARREST"}],
    "accept": ["STRATEGIC_DEVELOPMENTS"],
    "answer": "accept",
}


def run(*args: str) -> object:
    return runner.invoke(app, list(args))


def stats(db: str) -> dict[str, int]:
    result = run("stats", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_stats_json_counts_everything(sqlite_url):
    assert stats(sqlite_url) == {
        "reports": 0,
        "sentences": 0,
        "suggestions": 0,
        "annotations": 0,
        "gold": 0,
        "rejected": 0,
    }


def test_import_txt_csv_and_jsonl(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")  # one reviewer's accept is the gold
    table = tmp_path / "reports.csv"
    table.write_text(
        'id,text\n1,"Clashes erupted in Lashio. Two died."\n2,Protesters marched in Mandalay.\n',
        encoding="utf-8",
    )
    records = write_jsonl(tmp_path / "records.jsonl", [json.dumps(GOOD_RECORD)])
    result = run("import", "--db", sqlite_url, "--no-suggest", str(SEED), str(table), str(records))
    assert result.exit_code == 0, result.output
    counts = stats(sqlite_url)
    assert counts["reports"] == 4
    assert counts["sentences"] == 11 + 2 + 1 + 1
    assert (counts["annotations"], counts["gold"]) == (1, 1)
    again = run("import", "--db", sqlite_url, "--no-suggest", str(SEED), str(table), str(records))
    assert again.exit_code == 0 and stats(sqlite_url) == counts


BAD_LINES = {
    "invalid JSON": '{"text": ',
    "missing text": json.dumps({"meta": {}}),
    "non-string text": json.dumps({"text": 42}),
    "span out of range": json.dumps(
        {"text": "Troops fled.", "spans": [{"start": 0, "end": 40, "label": "ARMED_GROUP"}]}
    ),
    "not on token boundaries": json.dumps(
        {"text": "Troops fled.", "spans": [{"start": 0, "end": 3, "label": "ARMED_GROUP"}]}
    ),
    "overlapping entities": json.dumps(
        {
            "text": "Troops fled Bago.",
            "spans": [
                {"start": 0, "end": 11, "label": "ARMED_GROUP"},
                {"start": 7, "end": 16, "label": "GPE"},
            ],
        }
    ),
    "unknown label": json.dumps(
        {"text": "Troops fled.", "spans": [{"start": 0, "end": 6, "label": "SOLDIER"}]}
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_a_bad_record_aborts_the_import_naming_its_line(sqlite_url, tmp_path, case):
    run("import", "--db", sqlite_url, "--no-suggest", str(SEED))
    before = stats(sqlite_url)
    path = write_jsonl(tmp_path / "batch.jsonl", [json.dumps(GOOD_RECORD), BAD_LINES[case]])
    result = run("import", "--db", sqlite_url, "--no-suggest", str(path))
    assert result.exit_code == 1
    bad_lines = [line for line in result.stderr.splitlines() if line.startswith(str(path))]
    assert len(bad_lines) == 1 and bad_lines[0].startswith(f"{path}:2: ")
    assert "nothing was stored" in result.stderr
    assert stats(sqlite_url) == before


def test_invalid_utf8_names_the_line(sqlite_url, tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_bytes(json.dumps(GOOD_RECORD).encode() + b'\n{"text": "caf\xe9"}\n')
    result = run("import", "--db", sqlite_url, "--no-suggest", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: " in result.stderr and "UTF-8" in result.stderr
    assert stats(sqlite_url)["reports"] == 0


def test_every_bad_record_is_listed_one_per_line(sqlite_url, tmp_path):
    path = write_jsonl(
        tmp_path / "batch.jsonl",
        [
            BAD_LINES["invalid JSON"],
            json.dumps(GOOD_RECORD),
            BAD_LINES["missing text"],
            BAD_LINES["unknown label"],
        ],
    )
    result = run("import", "--db", sqlite_url, "--no-suggest", str(path))
    assert result.exit_code == 1
    named = [
        line.split(":")[1] for line in result.stderr.splitlines() if line.startswith(str(path))
    ]
    assert named == ["1", "3", "4"]


def test_export_writes_the_gold_as_prodigy_jsonl(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")  # one reviewer's accept is the gold
    rejected = {
        "text": "Police detained Ma Hla in Bago.",
        "answer": "reject",
        "spans": [{"start": 16, "end": 22, "label": "PERSON"}],
    }
    path = write_jsonl(tmp_path / "in.jsonl", [json.dumps(GOOD_RECORD), json.dumps(rejected)])
    assert run("import", "--db", sqlite_url, "--no-suggest", str(path)).exit_code == 0
    out = tmp_path / "gold.jsonl"
    result = run("export", "--format", "jsonl", "--output", str(out), "--db", sqlite_url)
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["text"] == GOOD_RECORD["text"]
    assert [(s["start"], s["end"], s["label"]) for s in record["spans"]] == [
        (16, 23, "PERSON"),
        (27, 33, "GPE"),
    ]
    assert [(s["start"], s["end"], s["label"]) for s in record["events"]] == [(7, 15, "ARREST")]
    assert record["accept"] == ["STRATEGIC_DEVELOPMENTS"] and record["answer"] == "accept"


def test_labels_option_picks_another_scheme(sqlite_url, tmp_path):
    bad = tmp_path / "scheme.yml"
    bad.write_text("entities: {}\n", encoding="utf-8")
    result = run("import", "--db", sqlite_url, "--labels", str(bad), "--no-suggest", str(SEED))
    assert result.exit_code == 1 and str(bad) in result.stderr


def test_unknown_export_format_is_an_error(sqlite_url, tmp_path):
    result = run("export", "--format", "xml", "--output", str(tmp_path / "x"), "--db", sqlite_url)
    assert result.exit_code == 1 and "Unknown format" in result.stderr


@pytest.mark.slow
def test_suggest_adds_spans_events_and_accept_without_a_database(tmp_path, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [
            json.dumps(
                {
                    "text": "Junta troops clashed with the Arakan Army near Sittwe.",
                    "meta": {"id": 7},
                }
            ),
            json.dumps({"text": "<script>alert(1)</script> Police arrested 12 protesters."}),
        ],
    )
    target = tmp_path / "out.jsonl"
    result = run("suggest", "--input", str(source), "--output", str(target))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert records[0]["meta"] == {"id": 7}
    assert {"start": 30, "end": 41, "label": "ARMED_GROUP", "text": "Arakan Army"} in records[0][
        "spans"
    ]
    assert any(e["label"] == "ARMED_CLASH" for e in records[0]["events"])
    assert "BATTLES" in records[0]["accept"]
    assert any(e["label"] == "ARREST" for e in records[1]["events"])
    assert not (tmp_path / "never.db").exists()


@pytest.mark.slow
def test_suggest_refuses_bad_input_and_writes_nothing(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [json.dumps({"text": "ok"}), "[1, 2]"])
    target = tmp_path / "out.jsonl"
    result = run("suggest", "--input", str(source), "--output", str(target))
    assert result.exit_code == 1 and f"{source}:2:" in result.stderr
    assert not target.exists()


def test_import_gold_stores_gold_without_a_reviewer_annotation(sqlite_url, tmp_path):
    path = write_jsonl(tmp_path / "gold.jsonl", [json.dumps(GOOD_RECORD)])
    result = run("import", "--gold", "--no-suggest", "--db", sqlite_url, str(path))
    assert result.exit_code == 0, result.output
    counts = stats(sqlite_url)
    assert (counts["annotations"], counts["gold"]) == (0, 1)


def test_import_gold_names_every_record_without_an_annotation(sqlite_url, tmp_path):
    rejected = {**GOOD_RECORD, "text": "Police detained Ma Hla.", "answer": "reject", "spans": []}
    path = write_jsonl(
        tmp_path / "gold.jsonl",
        [
            json.dumps(GOOD_RECORD),
            json.dumps({"text": "Nobody looked at this one."}),
            json.dumps(rejected),
        ],
    )
    result = run("import", "--gold", "--no-suggest", "--db", sqlite_url, str(path))
    assert result.exit_code == 1
    assert f"{path}:2: no annotation" in result.stderr
    # A rejected answer is its reviewer's annotation, never gold: not a problem (issue 11).
    assert f"{path}:3:" not in result.stderr
    assert stats(sqlite_url)["reports"] == 0


def test_imported_gold_is_not_replaced_by_a_reviewers_accept(sqlite_url, tmp_path):
    from annotator import repository
    from annotator.config import DEFAULT_LABELS
    from annotator.db import make_engine, session_scope
    from annotator.labels import load_scheme
    from annotator.spans import Draft
    from annotator.workflow import save_decision

    path = write_jsonl(tmp_path / "gold.jsonl", [json.dumps(GOOD_RECORD)])
    assert run("import", "--gold", "--no-suggest", "--db", sqlite_url, str(path)).exit_code == 0
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        reviewer = repository.ensure_reviewer(session=session, name="carol")
        save_decision(
            session=session,
            sentence_id=1,
            reviewer_id=reviewer.id,
            status="accept",
            draft=Draft(),
            scheme=load_scheme(DEFAULT_LABELS),
            policy=GoldPolicy.of(Settings.from_env()),
        )
    with session_scope(engine) as session:
        gold = repository.gold_of(session=session, sentence_id=1)
        assert gold.source == "imported" and len(gold.entities) == 2
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reviewer", "alice", "--all-reviewers"], "not both"),
        (["--reviewer", "nobody"], "no reviewer named 'nobody'"),
        (["--format", "spacy", "--all-reviewers"], "gold or one reviewer"),
        (["--format", "spacy", "--dev-share", "1.5"], "dev share must be at least 0 and below 1"),
    ],
)
def test_export_refuses_what_it_cannot_do(sqlite_url, tmp_path, args, message):
    out = tmp_path / "out"
    result = run("export", "--output", str(out), "--db", sqlite_url, *args)
    assert result.exit_code == 1 and message in result.stderr
    assert not out.exists()


def command_parameters(command: Any, path: str = "annotator") -> Iterator[tuple[str, Any]]:
    """(``annotator users add --role``, parameter) for every option and argument of every
    command, subcommands included."""
    for param in command.params:
        yield f"{path} {param.opts[0] if param.opts else param.name}", param
    for name, sub in getattr(command, "commands", {}).items():
        yield from command_parameters(sub, f"{path} {name}")


def test_no_command_default_points_into_the_tests():
    parameters = dict(command_parameters(typer.main.get_command(app)))
    assert "annotator users add --role" in parameters  # subcommands are walked too
    into_tests = [
        where
        for where, param in parameters.items()
        if isinstance(param.default, Path)
        and param.default.resolve().is_relative_to(PROJECT_ROOT / "tests")
    ]
    assert into_tests == []
