"""CoNLL-2003 IOB: entities round-trip exactly, files from elsewhere read, bad tags are named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, RecordAnnotation, conll
from annotator.labels import LabelScheme
from annotator.spans import Span

Reader = Callable[..., tuple[list[Record], list[Any]]]
Writer = Callable[[str, str], Path]


def test_entities_round_trip_through_the_cli(
    gold_db: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "gold.conll"
    cli("export", "--format", "conll", "--output", out, "--db", gold_db)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    entities_only = [(text, entities, (), ()) for text, entities, _, _ in gold_of(gold_db)]
    assert gold_of(copy) == entities_only


def test_whitespace_comes_back_character_for_character(scheme: LabelScheme, tmp_path: Path) -> None:
    text = "Junta troops\u00a0shelled  Moebye\ton Monday ."
    record = Record(
        text=text,
        source="x",
        line=1,
        meta={},
        split=False,
        annotation=RecordAnnotation(
            entities=(Span(0, 12, "ARMED_GROUP"), Span(22, 28, "GPE")),
            events=(),
            categories=(),
            annotator=None,
            status="accept",
        ),
    )
    path = tmp_path / "x.conll"
    assert conll.write([record], path) == 1

    (read,) = list(conll.read(path, str(path), scheme))

    assert isinstance(read, Record)
    assert read.text == text and read.annotation == record.annotation


def test_a_conll_2003_file_from_elsewhere_reads_with_single_spaces(
    read_all: Reader, write_file: Writer
) -> None:
    path = write_file(
        "eng.train",
        "-DOCSTART- -X- -X- O\n\n"
        "Junta NNP B-NP B-ARMED_GROUP\ntroops NNS I-NP I-ARMED_GROUP\n"
        "shelled VBD B-VP O\nMoebye NNP B-NP I-GPE\n. . O O\n\n"
        "Fighting O\ncontinued O\n",
    )

    records, errors = read_all([path], format="conll")

    assert errors == []
    assert [record.text for record in records] == [
        "Junta troops shelled Moebye .",
        "Fighting continued",
    ]
    assert records[0].annotation is not None
    assert records[0].annotation.entities == (Span(0, 12, "ARMED_GROUP"), Span(21, 27, "GPE"))
    assert [record.line for record in records] == [3, 9]


BAD = {
    "bad tag": ("Moebye -X- _ GPE\n", "bad tag 'GPE'"),
    "unknown label": ("Moebye -X- _ B-TOWN\n", "unknown entity label 'TOWN'"),
    "one column": ("Moebye\n", "expected a token and a tag"),
    "bad spacing": ("Moebye -X- SpacesAfter=\\q B-GPE\n", "bad escape"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_token_line_is_named(case: str, read_all: Reader, write_file: Writer) -> None:
    line, reason = BAD[case]
    path = write_file("x.conll", f"Fighting -X- _ O\n\nTroops -X- _ O\n{line}\nCalm -X- _ O\n")

    records, errors = read_all([path])

    assert [record.text for record in records] == ["Fighting", "Calm"]
    assert [error.line for error in errors] == [4]
    assert reason in errors[0].reason


# --- a peer's CoNLL-2003 file through the import (issue 11) ----------------------------------

CONLL_2003 = (
    "-DOCSTART- -X- -X- O\n\n"
    "Fighters NNS B-NP O\nof IN B-PP O\nthe DT B-NP O\nKachin NNP I-NP B-ORG\n"
    "Independence NNP I-NP I-ORG\nArmy NNP I-NP I-ORG\nattacked VBD B-VP O\n"
    "Bhamo NNP B-NP B-LOC\n. . O O\n\n"
    "U NNP B-NP B-PER\nTun NNP I-NP I-PER\nwas VBD B-VP O\nshot VBN I-VP O\n"
    "in IN B-PP O\nMyitkyina NNP B-NP B-LOC\n. . O O\n"
)


def test_conll_2003_tags_import_through_a_label_map_and_round_trip(
    cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    path = tmp_path / "eng.testa"
    path.write_text(CONLL_2003, encoding="utf-8")
    label_map = tmp_path / "conll2003.json"
    label_map.write_text('{"PER": "PERSON", "LOC": "GPE", "MISC": "ORG"}', encoding="utf-8")
    url = new_db("conll")

    refused = cli(
        "import", "--gold", "--no-suggest", "--format", "conll", "--db", url, path, code=1
    )
    result = cli(
        "import",
        "--gold",
        "--no-suggest",
        "--format",
        "conll",
        "--label-map",
        label_map,
        "--db",
        url,
        path,
    )
    out = tmp_path / "gold.conll"
    cli("export", "--format", "conll", "--output", out, "--db", url)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    # ORG and LOC are this scheme's labels too (the map takes LOC to GPE): PER is not.
    assert f"{path}:13: entity span 0-5 PER: unknown entity label 'PER'" in refused.stderr
    assert "2 gold" in result.stdout
    assert "labels renamed by the label map: LOC -> GPE (2), PER -> PERSON (1)" in result.stdout
    tags = [line.split()[-1] for line in out.read_text(encoding="utf-8").splitlines() if line]
    assert [tag for tag in tags if tag != "O"] == [
        "B-ORG", "I-ORG", "I-ORG", "B-GPE", "B-PERSON", "I-PERSON", "B-GPE",
    ]  # fmt: skip
    assert gold_of(copy) == gold_of(url)


def test_spacys_sentence_per_line_iob_imports_and_round_trips(
    cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    # spacy convert's "iob" input: a sentence a line, word|POS|TAG (or word|TAG), IOB or BILUO.
    path = tmp_path / "notes.iob"
    path.write_text(
        "Troops|NNS|O shelled|VBD|O Hpakant|NNP|B-GPE township|NN|I-GPE .|.|O\n"
        "The|O Kachin|B-ORG Independence|I-ORG Army|L-ORG retreated|O to|O Laiza|U-GPE .|O\n",
        encoding="utf-8",
    )
    url = new_db("iob")

    result = cli("import", "--gold", "--no-suggest", "--db", url, path)
    out = tmp_path / "gold.conll"
    cli("export", "--format", "conll", "--output", out, "--db", url)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    assert "2 gold" in result.stdout
    assert [(text, entities) for text, entities, _, _ in gold_of(url)] == [
        ("The Kachin Independence Army retreated to Laiza .", ((4, 28, "ORG"), (42, 47, "GPE"))),
        ("Troops shelled Hpakant township .", ((15, 31, "GPE"),)),
    ]
    assert gold_of(copy) == gold_of(url)
