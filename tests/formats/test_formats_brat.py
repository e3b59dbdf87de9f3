"""brat standoff: gold and per-reviewer exports come back unchanged; bratiaa reads the layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, RecordAnnotation, brat
from annotator.labels import LabelScheme
from annotator.spans import Span

Reader = Callable[..., tuple[list[Record], list[Any]]]

TEXT = "Junta troops shelled Moebye on Monday."


def test_gold_round_trip_through_the_cli(
    gold_db: str, cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "brat"
    cli("export", "--format", "brat", "--output", out, "--db", gold_db)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    assert (out / "annotation.conf").exists()
    assert len(list(out.glob("*.ann"))) == len(list(out.glob("*.txt"))) == 5
    assert gold_of(copy) == gold_of(gold_db)


def test_every_reviewer_round_trips_from_a_folder_each(
    reviewer_db: str, cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    out = tmp_path / "agreement"
    cli("export", "--format", "brat", "--all-reviewers", "--output", out, "--db", reviewer_db)
    copy = new_db("copy")
    cli("import", "--no-suggest", "--db", copy, out)

    assert sorted(path.name for path in out.iterdir()) == ["alice", "annotation.conf", "bob"]
    bob = {path.name for path in (out / "bob").iterdir()}
    assert bob < {path.name for path in (out / "alice").iterdir()}
    assert annotations_of(copy) == annotations_of(reviewer_db)


def test_one_reviewer_goes_to_a_folder_named_after_them(
    reviewer_db: str, cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "bob-only"
    cli("export", "--format", "brat", "--reviewer", "bob", "--output", out, "--db", reviewer_db)

    assert sorted(path.name for path in out.iterdir()) == ["annotation.conf", "bob"]
    assert len(list((out / "bob").glob("*.ann"))) == 3


def test_bratiaa_reads_a_per_reviewer_export(reviewer_db: str, cli: Any, tmp_path: Path) -> None:
    from bratiaa import compute_f1_agreement

    out = tmp_path / "iaa"
    cli("export", "--format", "brat", "--all-reviewers", "--output", out, "--db", reviewer_db)

    agreement = compute_f1_agreement(str(out))

    assert agreement.annotators == ["alice", "bob"]
    assert len(agreement.documents) == 3  # the sentences both decided
    mean, _ = agreement.mean_sd_total()
    # Entities and triggers alike: alice marked 12 T spans there, bob 11, all of them alice's.
    assert float(mean) == pytest.approx(2 * 11 / (12 + 11))


def test_write_then_read_gives_the_same_record(scheme: LabelScheme, tmp_path: Path) -> None:
    record = Record(
        text=TEXT,
        source="x",
        line=1,
        meta={},
        split=False,
        annotation=RecordAnnotation(
            entities=(Span(0, 12, "ARMED_GROUP"), Span(21, 27, "GPE"), Span(31, 37, "DATE")),
            events=(Span(13, 20, "ATTACK"), Span(13, 20, "SHELLING")),
            categories=("EXPLOSIONS", "BATTLES"),
            annotator=None,
            status="accept",
        ),
        report_key="abc",
        position=0,
    )
    assert brat.write([record], tmp_path / "out", scheme=scheme) == 1

    (read,) = list(brat.read(tmp_path / "out", str(tmp_path / "out"), scheme))

    assert isinstance(read, Record)
    assert read.text == record.text and read.annotation == record.annotation


BAD_ANN = {
    "unknown label": ("T1\tSOLDIER 0 5\tJunta\n", 1, "unknown entity or event label"),
    "off token boundaries": ("T1\tARMED_GROUP 0 3\tJun\n", 1, "not on token boundaries"),
    "wrong quoted text": ("T1\tGPE 21 27\tYangon\n", 1, "says 'Yangon'"),
    "discontinuous": ("T1\tGPE 21 24;25 27\tMoe bye\n", 1, "discontinuous"),
    "event without its trigger": ("T1\tGPE 21 27\tMoebye\nE1\tSHELLING:T9\n", 2, "T9"),
    "trigger of another type": ("T1\tGPE 21 27\tMoebye\nE1\tSHELLING:T1\n", 2, "type GPE"),
    "not brat": ("T1\tGPE 21 27\tMoebye\n\nhello\n", 3, "not a brat annotation line"),
    "bad status": ("#1\tStatus document\tmaybe\n", 1, "status must be"),
}


@pytest.mark.parametrize("case", sorted(BAD_ANN))
def test_a_bad_ann_line_is_named(
    case: str, read_all: Reader, write_file: Callable[[str, str], Path]
) -> None:
    content, line, reason = BAD_ANN[case]
    write_file("doc.txt", TEXT)
    good = write_file("good.ann", "T1\tGPE 21 27\tMoebye\n")
    write_file("good.txt", TEXT)
    bad = write_file("doc.ann", content)

    records, errors = read_all([good, bad])

    assert len(records) == 1
    assert [(error.source, error.line) for error in errors] == [(str(bad), line)]
    assert reason in errors[0].reason


def test_an_ann_without_its_text_is_an_error(
    read_all: Reader, write_file: Callable[[str, str], Path]
) -> None:
    bad = write_file("lonely.ann", "T1\tGPE 21 27\tMoebye\n")

    _, errors = read_all([bad])

    assert [(error.line, "lonely.txt" in error.reason) for error in errors] == [(0, True)]
