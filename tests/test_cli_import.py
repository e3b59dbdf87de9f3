"""``annotator import`` and ``annotator reports`` as users script them: junk refused by name,
records split or kept whole, gold conflicts listed by line, suggestion failures reported in one
line, reports listed, renamed and deleted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from typer.testing import CliRunner

from annotator import cli
from annotator.cli import app
from annotator.nlp.suggest import Suggestion

runner = CliRunner()
POLICE = "Police arrested Ko Aung in Yangon."


def run(*args: str) -> object:
    return runner.invoke(app, [str(arg) for arg in args])


def stats(db: str) -> dict[str, int]:
    result = run("stats", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_a_record_over_a_million_characters_is_refused_by_its_line(sqlite_url, tmp_path):
    path = write_jsonl(tmp_path / "huge.jsonl", [{"text": "Troops fled. " * 80_000}])

    result = run("import", "--db", sqlite_url, "--no-suggest", path)

    assert result.exit_code == 1
    assert f"{path}:1: " in result.stderr and "ANNOTATOR_MAX_RECORD_CHARS" in result.stderr
    assert "nothing was stored" in result.stderr
    assert stats(sqlite_url)["reports"] == 0


def test_a_pdf_is_refused_by_name(sqlite_url, tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n5 0 obj\n<</Length 6 0 R>>\nstream\n\x00\x01")

    result = run("import", "--db", sqlite_url, "--no-suggest", path)

    assert result.exit_code == 1
    assert f"{path}:0: is a PDF" in result.stderr
    assert stats(sqlite_url)["reports"] == 0


def test_keep_records_stores_each_jsonl_record_as_one_sentence(sqlite_url, tmp_path):
    path = write_jsonl(tmp_path / "records.jsonl", [{"text": "One. Two."}, {"text": "Three."}])

    kept = run("import", "--db", sqlite_url, "--no-suggest", "--keep-records", path)

    assert kept.exit_code == 0, kept.output
    assert (stats(sqlite_url)["reports"], stats(sqlite_url)["sentences"]) == (2, 2)


def test_records_are_split_by_default(sqlite_url, tmp_path):
    path = write_jsonl(tmp_path / "records.jsonl", [{"text": "One. Two."}, {"text": "Three."}])

    result = run("import", "--db", sqlite_url, "--no-suggest", path)

    assert result.exit_code == 0, result.output
    assert (stats(sqlite_url)["reports"], stats(sqlite_url)["sentences"]) == (2, 3)


def test_conflicting_gold_is_listed_by_line_and_force_takes_the_last(sqlite_url, tmp_path):
    person = {"text": POLICE, "spans": [{"start": 16, "end": 23, "label": "PERSON"}]}
    place = {"text": POLICE, "spans": [{"start": 27, "end": 33, "label": "GPE"}]}
    path = write_jsonl(tmp_path / "gold.jsonl", [person, place])

    refused = run("import", "--gold", "--db", sqlite_url, "--no-suggest", path)

    assert refused.exit_code == 1
    assert f"{path}:2: " in refused.stderr and f"{path}:1" in refused.stderr
    assert "--force" in refused.stderr and stats(sqlite_url)["gold"] == 0

    forced = run("import", "--gold", "--force", "--db", sqlite_url, "--no-suggest", path)

    assert forced.exit_code == 0, forced.output
    assert "1 gold" in forced.stdout and stats(sqlite_url)["gold"] == 1


class PoisonedSuggester:
    """A suggester whose pipeline fails on any text that says POISON (as spaCy's E088 does on a
    text over nlp.max_length), and suggests nothing for the others."""

    model_name = "poisoned"
    model_version = "1"

    def suggest(self, texts: Iterable[str], *, batch_size: int = 64) -> Iterator[Suggestion]:
        for text in texts:
            yield self.suggest_one(text)

    def suggest_one(self, text: str) -> Suggestion:
        if "POISON" in text:
            raise ValueError("[E088] Text of length 1000001 exceeds maximum of 1000000.")
        return Suggestion(entities=(), events=(), categories=())


def test_a_sentence_the_pipeline_fails_on_is_reported_and_the_others_are_suggested(
    sqlite_url, tmp_path, monkeypatch
):
    monkeypatch.setattr(cli, "open_suggester", lambda settings, scheme: PoisonedSuggester())
    path = tmp_path / "report.txt"
    path.write_text("Troops fled.\nPOISON here.\nResidents hid.\n", encoding="utf-8")

    result = run("import", "--db", sqlite_url, "--model", "poisoned", path)

    assert result.exit_code == 0, result.output
    assert "1 sentence(s) could not be suggested" in result.stdout
    assert stats(sqlite_url)["suggestions"] == 3
    again = run("init", "--db", sqlite_url, "--model", "poisoned", "--seeds", tmp_path / "none")
    assert again.exit_code == 0, again.output
    assert "could not be suggested" not in again.stdout


# --- annotator reports ------------------------------------------------------------------------


def import_reports(db: str, folder: Path) -> None:
    troops = folder / "troops.txt"
    troops.write_text("Troops shelled Moebye. Residents fled.\n", encoding="utf-8")
    gold = write_jsonl(
        folder / "gold.jsonl",
        [{"text": POLICE, "spans": [{"start": 16, "end": 23, "label": "PERSON"}]}],
    )
    assert run("import", "--db", db, "--no-suggest", troops).exit_code == 0
    assert run("import", "--gold", "--db", db, "--no-suggest", gold).exit_code == 0


def listed(db: str) -> list[dict]:
    result = run("reports", "list", "--json", "--db", db)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_reports_list_shows_each_report_with_its_progress(sqlite_url, tmp_path):
    import_reports(sqlite_url, tmp_path)

    reports = listed(sqlite_url)
    table = run("reports", "list", "--db", sqlite_url)

    assert [(r["id"], r["sentences"], r["annotated"], r["gold"]) for r in reports] == [
        (2, 1, 0, 1),
        (1, 2, 0, 0),
    ]
    assert reports[1]["name"].endswith("troops.txt")
    assert table.exit_code == 0 and "troops.txt" in table.stdout and "1/1" in table.stdout


def test_reports_rename_gives_a_report_a_display_name(sqlite_url, tmp_path):
    import_reports(sqlite_url, tmp_path)

    result = run("reports", "rename", "1", "Moebye, 3 March", "--db", sqlite_url)

    assert result.exit_code == 0, result.output
    assert listed(sqlite_url)[1]["name"] == "Moebye, 3 March"
    assert listed(sqlite_url)[1]["source"].endswith("troops.txt")
    missing = run("reports", "rename", "9", "x", "--db", sqlite_url)
    assert missing.exit_code == 1 and missing.stderr.startswith("error: no report with id 9")


def test_reports_delete_takes_everything_but_gold_needs_force(sqlite_url, tmp_path):
    import_reports(sqlite_url, tmp_path)

    deleted = run("reports", "delete", "1", "--db", sqlite_url)
    assert deleted.exit_code == 0, deleted.output
    assert stats(sqlite_url)["reports"] == 1 and stats(sqlite_url)["sentences"] == 1

    refused = run("reports", "delete", "2", "--db", sqlite_url)
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert stats(sqlite_url)["gold"] == 1

    forced = run("reports", "delete", "2", "--force", "--db", sqlite_url)
    assert forced.exit_code == 0, forced.output
    left = stats(sqlite_url)
    assert [left[name] for name in ("reports", "sentences", "annotations", "gold")] == [0] * 4


def test_reports_delete_of_an_unknown_id_deletes_nothing(sqlite_url, tmp_path):
    import_reports(sqlite_url, tmp_path)

    result = run("reports", "delete", "1", "7", "--db", sqlite_url)

    assert result.exit_code == 1 and "7" in result.stderr
    assert stats(sqlite_url)["reports"] == 2


# --- a peer's files as they are (issue 11) ----------------------------------------------------

NOTE = "On 3 May, soldiers shelled Mrauk-U town. Two civilians were killed."


def test_text_column_names_the_csv_column_that_holds_the_text(sqlite_url, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        f'event_id,country,notes\nMMR1,Myanmar,"{NOTE}"\nMMR2,Myanmar,\nMMR3,Myanmar,Calm.\n',
        encoding="utf-8",
    )

    missing = run("import", "--db", sqlite_url, "--no-suggest", path)
    unknown = run("import", "--db", sqlite_url, "--no-suggest", "--text-column", "note", path)
    result = run("import", "--db", sqlite_url, "--no-suggest", "--text-column", "notes", path)

    assert missing.exit_code == 1 and "Traceback" not in missing.output
    assert (
        f"{path}:1: no \"text\" column (the columns are 'event_id', 'country', 'notes'); "
        "name the column that holds the text with --text-column"
    ) in missing.stderr
    assert unknown.exit_code == 1
    assert (
        f"{path}:1: no \"note\" column (--text-column note); the columns are 'event_id', "
        "'country', 'notes'"
    ) in unknown.stderr
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "imported 2 report(s), 3 sentence(s), 0 annotation(s), 0 gold; 0 already stored",
        "1 record(s) with a blank text were skipped",
    ]
    assert (stats(sqlite_url)["reports"], stats(sqlite_url)["sentences"]) == (2, 3)


def test_blank_texts_are_skipped_and_counted_in_every_file(sqlite_url, tmp_path):
    blank_txt = tmp_path / "empty.txt"
    blank_txt.write_text(" \n", encoding="utf-8")
    report = tmp_path / "report.txt"
    report.write_text(NOTE, encoding="utf-8")
    records = write_jsonl(
        tmp_path / "records.jsonl",
        [{"text": ""}, {"text": "\t", "spans": [], "answer": "accept"}, {"text": "Calm."}],
    )
    table = tmp_path / "reports.csv"
    table.write_text('text\n""\nQuiet.\n', encoding="utf-8")

    result = run("import", "--db", sqlite_url, "--no-suggest", blank_txt, report, records, table)

    assert result.exit_code == 0, result.output
    assert "imported 3 report(s), 4 sentence(s)" in result.stdout
    assert "4 record(s) with a blank text were skipped" in result.stdout


def test_two_reviewers_of_one_text_are_two_annotations_and_one_reviewer_twice_is_refused(
    sqlite_url, tmp_path
):
    person = {"text": POLICE, "spans": [{"start": 16, "end": 23, "label": "PERSON"}]}
    place = {"text": POLICE, "spans": [{"start": 27, "end": 33, "label": "GPE"}]}
    both = write_jsonl(
        tmp_path / "both.jsonl",
        [{**person, "_annotator_id": "alice"}, {**place, "_annotator_id": "bob"}],
    )
    twice = write_jsonl(
        tmp_path / "twice.jsonl",
        [{**person, "_annotator_id": "carol"}, {**place, "_annotator_id": "carol"}],
    )

    kept = run("import", "--db", sqlite_url, "--no-suggest", both)
    refused = run("import", "--db", sqlite_url, "--no-suggest", twice)
    forced = run("import", "--db", sqlite_url, "--no-suggest", "--force", twice)

    assert kept.exit_code == 0, kept.output
    assert "2 annotation(s), 0 gold" in kept.stdout
    assert (
        "1 record(s) repeat a text already imported: kept as the annotations of alice, bob"
    ) in kept.stdout
    assert refused.exit_code == 1
    assert (
        f"{twice}:2: gives another decision for the same text than {twice}:1 (both by carol)"
    ) in refused.stderr
    assert forced.exit_code == 0, forced.output
    assert (
        "1 record(s) were replaced by a later record of the same text and reviewer that says "
        "otherwise (--force: the last is taken)"
    ) in forced.stdout
    assert stats(sqlite_url)["annotations"] == 3


def test_two_reviewers_gold_of_one_text_that_differs_goes_to_adjudication(sqlite_url, tmp_path):
    from annotator.db import make_engine, session_scope
    from annotator.workflow.adjudicating import disagreement_queue

    person = {"text": POLICE, "spans": [{"start": 16, "end": 23, "label": "PERSON"}]}
    place = {"text": POLICE, "spans": [{"start": 27, "end": 33, "label": "GPE"}]}
    same = {"text": "Troops fled.", "spans": []}
    path = write_jsonl(
        tmp_path / "gold.jsonl",
        [
            {**person, "_annotator_id": "alice"},
            {**place, "_annotator_id": "bob"},
            {**same, "_annotator_id": "alice"},
            {**same, "_annotator_id": "bob"},
        ],
    )

    result = run("import", "--gold", "--db", sqlite_url, "--no-suggest", path)
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        queue = disagreement_queue(session=session)
    engine.dispose()

    assert result.exit_code == 0, result.output
    assert "2 annotation(s), 1 gold" in result.stdout
    assert (
        "1 text(s) were given different gold by alice, bob: kept as their annotations, not "
        "gold, to agree or be adjudicated"
    ) in result.stdout
    assert "1 record(s) give the same gold as an earlier record of their text: one gold" in (
        result.stdout
    )
    assert [item.text for item in queue] == [POLICE]


def test_a_bad_label_map_is_one_line_without_a_traceback(sqlite_url, tmp_path):
    path = write_jsonl(tmp_path / "records.jsonl", [{"text": POLICE}])
    label_map = tmp_path / "map.yml"
    label_map.write_text("Organization: ORGANISATION\n", encoding="utf-8")

    result = run("import", "--db", sqlite_url, "--no-suggest", "--label-map", label_map, path)
    missing = run("import", "--db", sqlite_url, "--no-suggest", "--label-map", "nope.yml", path)

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {label_map}: Organization -> ORGANISATION: ")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: nope.yml: cannot be read")


def test_what_a_file_holds_but_is_not_kept_is_listed(sqlite_url, tmp_path):
    start, end = POLICE.index("Ko Aung"), POLICE.index("Yangon")
    line = {
        "text": POLICE,
        "entities": [
            {"id": 1, "start_offset": start, "end_offset": start + 7, "label": "PERSON"},
            {"id": 2, "start_offset": end, "end_offset": end + 6, "label": "GPE"},
        ],
        "relations": [{"id": 9, "from_id": 1, "to_id": 2, "type": "arrested_in"}],
    }
    path = write_jsonl(tmp_path / "doccano.jsonl", [line])

    result = run("import", "--db", sqlite_url, "--no-suggest", path)

    assert result.exit_code == 0, result.output
    notes = result.stdout.splitlines()
    at = notes.index("1 item(s) read but not kept:")
    assert notes[at + 1].startswith(f"  {path}:1: relation arrested_in")


def test_a_textcat_teach_dataset_imports_its_labels_through_the_label_map(sqlite_url, tmp_path):
    # prodigy-recipes' textcat.teach example: one label, asked about text after text.
    insult = "Rioters pelted the police with stones in Kano."
    calm = "Traders reopened the market in Kano."
    path = write_jsonl(
        tmp_path / "insult.jsonl",
        [
            {"text": insult, "label": "INSULT", "answer": "accept", "_input_hash": 1,
             "_task_hash": 11, "_view_id": "classification", "meta": {"score": 0.71}},
            {"text": calm, "label": "INSULT", "answer": "reject", "_input_hash": 2,
             "_task_hash": 21, "_view_id": "classification", "meta": {"score": 0.52}},
        ],
    )  # fmt: skip
    label_map = tmp_path / "map.yml"
    label_map.write_text("INSULT: RIOTS\n", encoding="utf-8")

    refused = run("import", "--db", sqlite_url, "--no-suggest", path)
    result = run("import", "--db", sqlite_url, "--no-suggest", "--label-map", label_map, path)
    exported = tmp_path / "out.jsonl"
    run("export", "--format", "jsonl", "--all-reviewers", "--output", exported, "--db", sqlite_url)

    assert refused.exit_code == 1
    assert f"{path}:1: unknown category label 'INSULT'" in refused.stderr
    assert result.exit_code == 0, result.output
    assert "2 annotation(s)" in result.stdout
    tasks = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
    assert sorted((task["text"], task["accept"], task["answer"]) for task in tasks) == [
        (insult, ["RIOTS"], "accept"),
        (calm, [], "accept"),
    ]


def test_arguments_that_are_no_role_are_listed_with_their_place(sqlite_url, tmp_path):
    start = POLICE.index("arrested")
    line = {
        "text": POLICE,
        "spans": [{"start": 0, "end": 6, "label": "ARMED_GROUP"}],
        "events": [
            {"start": start, "end": start + 8, "label": "ARREST",
             "args": [{"role": "Agent", "start": 0, "end": 6, "label": "ARMED_GROUP"}]},
        ],
        "answer": "accept",
    }  # fmt: skip
    path = write_jsonl(tmp_path / "args.jsonl", [line])
    label_map = tmp_path / "map.yml"
    label_map.write_text("Agent: ACTOR\n", encoding="utf-8")

    listed = run("import", "--db", sqlite_url, "--no-suggest", path)
    mapped = run("import", "--db", sqlite_url, "--no-suggest", "--label-map", label_map, path)

    assert listed.exit_code == 0, listed.output
    notes = listed.stdout.splitlines()
    at = notes.index("1 item(s) read but not kept:")
    assert notes[at + 1] == (
        f"  {path}:1: argument Agent from 7-15 'arrested' to 0-6 'Police' read but not kept: "
        "'Agent' is no role of the scheme (ACTOR, TARGET, LOCATION, TIME, COUNT); name it in the "
        "label map (--label-map theirs -> ours)"
    )
    assert mapped.exit_code == 0, mapped.output
    assert "labels renamed by the label map: Agent -> ACTOR (1)" in mapped.stdout
    assert "read but not kept" not in mapped.stdout
