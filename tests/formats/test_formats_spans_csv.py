"""The CSV of spans: round trips, pandas reads it, and every bad row is named by its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from annotator.formats import Record
from annotator.formats.spans_csv import COLUMNS

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str], Path]
TEXT = "Junta troops shelled Moebye on Monday."
HEADER = ",".join(COLUMNS) + "\n"


def test_gold_round_trip_through_the_cli(
    gold_db: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "spans.csv"
    cli("export", "--format", "csv", "--output", out, "--db", gold_db)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    assert gold_of(copy) == gold_of(gold_db)


def test_every_reviewer_round_trips(
    reviewer_db: str, cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "spans.csv"
    cli("export", "--format", "csv", "--all-reviewers", "--output", out, "--db", reviewer_db)
    copy = new_db("copy")
    cli("import", "--no-suggest", "--db", copy, out)

    assert annotations_of(copy) == annotations_of(reviewer_db)


def test_pandas_reads_one_row_per_span(gold_db: str, cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "spans.csv"
    cli("export", "--format", "csv", "--output", out, "--db", gold_db)

    frame = pd.read_csv(out, keep_default_na=False)

    assert list(frame.columns) == list(COLUMNS)
    assert frame.groupby("sentence").ngroups == 5
    assert (frame["layer"] == "entity").sum() == 10 and (frame["layer"] == "event").sum() == 6
    row = frame[frame["label"] == "PERSON"].iloc[0]
    start, end = int(row["start_char"]), int(row["end_char"])
    assert row["text"][start:end] == row["span_text"] == "Ko Aung"


def test_a_reports_csv_is_still_a_reports_csv(read_all: Reader, write_file: Writer) -> None:
    path = write_file("reports.csv", "id,text\n1,Clashes erupted. Two died.\n")

    records, errors = read_all([path])

    assert errors == [] and records[0].split and records[0].annotation is None


def row(**values: str) -> str:
    base = {"sentence": "s1", "text": TEXT, "status": "accept", "layer": "", "label": ""}
    base.update(values)
    return ",".join(base.get(column, "") for column in COLUMNS) + "\n"


BAD_ROWS = {
    "unknown label": row(layer="entity", label="TOWN", start_char="21", end_char="27"),
    "wrong layer": row(layer="entity", label="SHELLING", start_char="13", end_char="20"),
    "not a number": row(layer="entity", label="GPE", start_char="x", end_char="27"),
    "bad layer": row(layer="thing", label="GPE", start_char="21", end_char="27"),
    "wrong span text": row(
        layer="entity", label="GPE", start_char="21", end_char="27", span_text="Yangon"
    ),
    "bad status": row(status="maybe"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_is_named(case: str, read_all: Reader, write_file: Writer) -> None:
    good = row(sentence="s0", layer="entity", label="GPE", start_char="21", end_char="27")
    path = write_file("spans.csv", HEADER + good + BAD_ROWS[case])

    records, errors = read_all([path])

    assert len(records) == 1
    assert [error.line for error in errors] == [3]


def test_a_sentence_split_apart_is_an_error(read_all: Reader, write_file: Writer) -> None:
    path = write_file(
        "spans.csv", HEADER + row(sentence="a") + row(sentence="b") + row(sentence="a")
    )

    records, errors = read_all([path])

    assert len(records) == 2
    assert [
        (error.line, "keep a sentence's rows together" in error.reason) for error in errors
    ] == [(4, True)]


# --- a peer's spans table through the import (issue 11) --------------------------------------


def test_a_peers_span_table_with_its_own_text_column_and_labels_round_trips(
    cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    note = "Junta troops shelled Moebye on Monday."
    columns = "sentence,annotator,status,notes,categories,layer,label,start_char,end_char\n"
    path = tmp_path / "peer.csv"
    path.write_text(
        columns
        + f"n1,,accept,{note},Explosions,entity,Military,0,12\n"
        + f"n1,,accept,{note},Explosions,entity,City,21,26\n"
        + f"n1,,accept,{note},Explosions,event,Shelling,13,20\n"
        + "n2,,accept,,,,,,\n",
        encoding="utf-8",
    )
    label_map = tmp_path / "map.yml"
    label_map.write_text(
        "Military: ARMED_GROUP\nCity: GPE\nShelling: REMOTE_VIOLENCE\n"
        "Explosions: EXPLOSIONS_REMOTE_VIOLENCE\n",
        encoding="utf-8",
    )
    url = new_db("peer")
    options = ("--text-column", "notes", "--label-map", label_map)

    refused = cli("import", "--gold", "--no-suggest", "--db", url, path, code=1)
    off = cli("import", "--gold", "--no-suggest", *options, "--db", url, path, code=1)
    result = cli(
        "import", "--gold", "--no-suggest", *options, "--align", "expand", "--db", url, path
    )
    out = tmp_path / "spans.csv"
    cli("export", "--format", "csv", "--output", out, "--db", url)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    assert f"{path}:1: the header lacks text" in refused.stderr
    assert f"{path}:3: entity span 21-26 GPE ('Moeby') is not on token boundaries" in off.stderr
    assert "1 gold" in result.stdout
    assert "1 record(s) with a blank text were skipped" in result.stdout
    assert f"  {path}:3: entity span 21-26 GPE 'Moeby' expanded to 21-27 'Moebye'" in result.stdout
    frame = pd.read_csv(out, keep_default_na=False)
    assert sorted(zip(frame["label"], frame["span_text"], strict=True)) == [
        ("ARMED_GROUP", "Junta troops"),
        ("GPE", "Moebye"),
        ("REMOTE_VIOLENCE", "shelled"),
    ]
    assert set(frame["categories"]) == {"EXPLOSIONS_REMOTE_VIOLENCE"}
    assert gold_of(copy) == gold_of(url)
