"""brat standoff: gold and per-reviewer exports come back unchanged; bratiaa reads the layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import Record, RecordAnnotation, brat
from annotator.labels import LabelScheme
from annotator.spans import Argument, Span

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


# --- a peer's brat project through the import (issue 11) -------------------------------------

NOTE = "On 3 May, soldiers of the Tatmadaw shelled Mrauk-U town, Rakhine State."
PEER_CONF = "[entities]\nOrganization\nCity\nMerge-org\n[relations]\n[events]\nShelling\n"


def t_line(number: int, label: str, covered: str, *, cut: int = 0) -> str:
    """A T line over ``covered`` in NOTE, ``cut`` characters short at its end (a slip)."""
    start = NOTE.index(covered)
    end = start + len(covered) - cut
    return f"T{number}\t{label} {start} {end}\t{NOTE[start:end]}\n"


def peer_project(root: Path, documents: dict[str, str]) -> Path:
    """A brat project as brat and bratiaa keep one: annotation.conf, then a folder per
    annotator (or the root itself, for "") with a .txt and its .ann per document."""
    root.mkdir()
    (root / "annotation.conf").write_text(PEER_CONF, encoding="utf-8")
    for folder, ann in documents.items():
        (root / folder).mkdir(exist_ok=True)
        (root / folder / "note-1.txt").write_text(NOTE, encoding="utf-8")
        (root / folder / "note-1.ann").write_text(ann, encoding="utf-8")
    return root


def ann_of(folder: Path) -> list[str]:
    (path,) = folder.glob("*.ann")
    return path.read_text(encoding="utf-8").splitlines()


def test_a_peers_labels_and_slips_import_through_the_label_map_and_align(
    cli: Any, new_db: Any, gold_of: Any, tmp_path: Path
) -> None:
    project = peer_project(
        tmp_path / "peer",
        {
            "": t_line(1, "Merge-org", "Tatmadaw")
            + t_line(2, "Shelling", "shelled")
            + "E1\tShelling:T2\n"
            + t_line(3, "City", "Rakhine State", cut=2),
        },
    )
    label_map = tmp_path / "map.yml"
    label_map.write_text(
        "Merge-org: ARMED_GROUP\nCity: GPE\nShelling: REMOTE_VIOLENCE\n", encoding="utf-8"
    )
    url = new_db("peer")

    refused = cli(
        "import", "--gold", "--no-suggest", "--label-map", label_map, "--db", url, project, code=1
    )
    result = cli(
        "import",
        "--gold",
        "--no-suggest",
        "--label-map",
        label_map,
        "--align",
        "expand",
        "--db",
        url,
        project,
    )
    out = tmp_path / "out"
    cli("export", "--format", "brat", "--output", out, "--db", url)
    copy = new_db("copy")
    cli("import", "--gold", "--no-suggest", "--db", copy, out)

    ann = project / "note-1.ann"
    assert f"{ann}:4: entity span 57-68 GPE ('Rakhine Sta') is not on token boundaries" in (
        refused.stderr
    )
    assert f"  {ann}:4: entity span 57-68 GPE 'Rakhine Sta' expanded to 57-70 'Rakhine State'" in (
        result.stdout
    )
    assert ann_of(out) == [
        "T1\tARMED_GROUP 26 34\tTatmadaw",
        "T2\tGPE 57 70\tRakhine State",
        "T3\tREMOTE_VIOLENCE 35 42\tshelled",
        "E1\tREMOTE_VIOLENCE:T3",
    ]
    assert gold_of(copy) == gold_of(url)


def test_two_annotators_of_one_document_are_kept_as_two_annotations(
    cli: Any, new_db: Any, annotations_of: Any, tmp_path: Path
) -> None:
    from annotator.db import make_engine, session_scope
    from annotator.workflow.adjudicating import disagreement_queue

    project = peer_project(
        tmp_path / "iaa",
        {
            "alice": t_line(1, "ARMED_GROUP", "Tatmadaw") + t_line(2, "GPE", "Mrauk-U"),
            "bob": t_line(1, "ARMED_GROUP", "Tatmadaw"),
        },
    )
    url = new_db("iaa")

    result = cli("import", "--no-suggest", "--db", url, project)
    out = tmp_path / "out"
    cli("export", "--format", "brat", "--all-reviewers", "--output", out, "--db", url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        queue = disagreement_queue(session=session)
    engine.dispose()

    assert "imported 1 report(s), 1 sentence(s), 2 annotation(s), 0 gold" in result.stdout
    assert "1 record(s) repeat a text already imported: kept as the annotations of alice, bob" in (
        result.stdout
    )
    assert [who for who, _, _ in annotations_of(url)] == ["alice", "bob"]
    assert [(item.text, item.n_reviewers) for item in queue] == [(NOTE, 2)]
    assert ann_of(out / "alice") == [
        "T1\tARMED_GROUP 26 34\tTatmadaw",
        "T2\tGPE 43 50\tMrauk-U",
    ]
    assert ann_of(out / "bob") == ["T1\tARMED_GROUP 26 34\tTatmadaw"]


def test_a_blank_document_is_skipped_and_counted(cli: Any, new_db: Any, tmp_path: Path) -> None:
    project = peer_project(tmp_path / "peer", {"": t_line(1, "GPE", "Mrauk-U")})
    (project / "empty.txt").write_text("\n", encoding="utf-8")
    (project / "empty.ann").write_text("", encoding="utf-8")

    result = cli("import", "--gold", "--no-suggest", "--db", new_db("peer"), project)

    assert "1 gold" in result.stdout
    assert "1 record(s) with a blank text were skipped" in result.stdout


def test_relations_attributes_and_event_arguments_are_read_and_said_left_out(
    read_all: Reader, scheme: LabelScheme, tmp_path: Path
) -> None:
    from annotator.formats.records import adjustments_of

    (tmp_path / "doc.txt").write_text(TEXT, encoding="utf-8")
    ann = tmp_path / "doc.ann"
    ann.write_text(
        "T1\tARMED_GROUP 0 12\tJunta troops\nT2\tSHELLING 13 20\tshelled\nT3\tGPE 21 27\tMoebye\n"
        "E1\tSHELLING:T2 Agent:T1 Place:T3\nR1\tLocated Arg1:T1 Arg2:T3\nA1\tNegated E1\n",
        encoding="utf-8",
    )

    (record,), errors = read_all([ann])

    assert errors == []
    assert record.annotation is not None and record.annotation.arguments == ()
    no_role = (
        "is no role of the scheme (AGENT); name it in the label map (--label-map theirs -> ours)"
    )
    assert adjustments_of(record, kind="left out") == [
        f"{ann}:4: argument Agent from 13-20 'shelled' to 0-12 'Junta troops' read but not kept: "
        f"'Agent' {no_role}",
        f"{ann}:4: argument Place from 13-20 'shelled' to 21-27 'Moebye' read but not kept: "
        f"'Place' {no_role}",
        f"{ann}:5: relation Located from 0-12 'Junta troops' to 21-27 'Moebye' read but not "
        "kept: it joins no event trigger to an entity",
        f"{ann}:1: 1 attribute line(s) (line 6) read but not kept",
    ]


# --- event arguments (issue 12) ----------------------------------------------------------------

PROTEST = (
    "Students protested in Hakha after the Arakan Army (AA) and the Chin Brotherhood attacked "
    "junta troops in Paletwa, killing four soldiers."
)
# brat's own tutorial types and roles for such a document, as a team maps them.
TUTORIAL_MAP = {
    "Organization": "ARMED_GROUP",
    "GPE": "GPE",
    "Number": "CARDINAL",
    "Protest": "PROTEST",
    "Attack": "ARMED_CLASH",
    "Die": "CASUALTIES",
    "Attacker-Arg": "ACTOR",
    "Target-Arg": "TARGET",
    "Place-Arg": "LOCATION",
    "Victim-Count": "COUNT",
}


def tutorial_ann(text: str) -> str:
    """A document in the layout of brat's tutorial on event structures (its
    090-event_structures.ann): an event whose argument is another event, E lines before the T
    lines they name, numbered roles (Attacker-Arg2), a relation with brat's trailing tab, an
    equivalence and an attribute."""

    def t(number: int, label: str, covered: str) -> str:
        start = text.index(covered)
        return f"T{number}\t{label} {start} {start + len(covered)}\t{covered}\n"

    return "".join(
        [
            t(1, "Protest", "protested"),
            t(2, "GPE", "Hakha"),
            "E1\tProtest:T1 Place-Arg:T2 Cause-Arg:E2\n",
            t(3, "Organization", "Arakan Army"),
            t(4, "Organization", "AA"),
            t(5, "Attack", "attacked"),
            "E2\tAttack:T5 Attacker-Arg:T3 Attacker-Arg2:T6 Target-Arg:T7 Place-Arg:T8\n",
            t(6, "Organization", "Chin Brotherhood"),
            t(7, "Organization", "junta troops"),
            t(8, "GPE", "Paletwa"),
            t(9, "Number", "four"),
            t(10, "Die", "killing"),
            "E3\tDie:T10 Victim-Count:T9\n",
            "R1\tLocated Arg1:T3 Arg2:T8\t\n",
            "*\tAlias T3 T4\n",
            "A1\tConfidence E2 High\n",
        ]
    )


def test_a_document_in_the_layout_of_brats_event_tutorial_imports_with_its_arguments(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    from annotator.formats import read_records
    from annotator.formats.records import ReadOptions, adjustments_of

    (tmp_path / "doc.txt").write_text(PROTEST, encoding="utf-8")
    ann = tmp_path / "doc.ann"
    ann.write_text(tutorial_ann(PROTEST), encoding="utf-8")

    (record,) = read_records([ann], scheme=conflict, options=ReadOptions(label_map=TUTORIAL_MAP))

    assert record.annotation is not None
    linked = sorted(
        (a.event.text_in(PROTEST), a.role, a.entity.text_in(PROTEST))
        for a in record.annotation.arguments
    )
    assert linked == [
        ("attacked", "ACTOR", "Arakan Army"),
        ("attacked", "ACTOR", "Chin Brotherhood"),
        ("attacked", "LOCATION", "Paletwa"),
        ("attacked", "TARGET", "junta troops"),
        ("killing", "COUNT", "four"),
        ("protested", "LOCATION", "Hakha"),
    ]
    renamed = {a.what for a in record.annotation.adjustments if a.kind == "renamed"}
    assert {"Attacker-Arg -> ACTOR", "Attacker-Arg2 -> ACTOR"} <= renamed
    army, paletwa = PROTEST.index("Arakan Army"), PROTEST.index("Paletwa")
    assert adjustments_of(record, kind="left out") == [
        f"{ann}:14: relation Located from {army}-{army + 11} 'Arakan Army' to "
        f"{paletwa}-{paletwa + 7} 'Paletwa' read but not kept: it joins no event trigger to an "
        "entity",
        f"{ann}:3: argument Cause-Arg:E2 of E1 read but not kept: an event as an argument of "
        "another event has no room in the scheme",
        f"{ann}:1: 1 equivalence line(s) (line 15) read but not kept",
        f"{ann}:1: 1 attribute line(s) (line 16) read but not kept",
    ]


def test_the_tutorial_layout_through_the_command_line_lists_what_it_leaves_out(
    cli: Any, new_db: Any, tmp_path: Path
) -> None:
    import yaml

    from tests.formats.conftest import stored_arguments

    (tmp_path / "doc.txt").write_text(PROTEST, encoding="utf-8")
    (tmp_path / "doc.ann").write_text(tutorial_ann(PROTEST), encoding="utf-8")
    label_map = tmp_path / "labels.yml"
    label_map.write_text(yaml.safe_dump(TUTORIAL_MAP), encoding="utf-8")
    url = new_db("tutorial")

    result = cli(
        "import",
        "--gold",
        "--no-suggest",
        "--label-map",
        label_map,
        "--db",
        url,
        tmp_path / "doc.ann",
    )

    assert "1 gold" in result.stdout
    assert "Attacker-Arg2 -> ACTOR (1)" in result.stdout
    assert "4 item(s) read but not kept:" in result.stdout
    ((_, links),) = stored_arguments(url)
    assert len(links) == 6


def test_a_relation_line_in_a_role_is_an_argument_either_way_round(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    from annotator.formats import read_records

    text = "Police arrested two students in Mandalay."
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    ann = tmp_path / "doc.ann"
    ann.write_text(
        "T1\tARMED_GROUP 0 6\tPolice\nT2\tARREST 7 15\tarrested\nT3\tCARDINAL 16 19\ttwo\n"
        "T4\tGPE 32 40\tMandalay\n"
        "R1\tACTOR Arg1:T2 Arg2:T1\nR2\tCOUNT Arg1:T3 Arg2:T2\t\nE1\tARREST:T2 LOCATION:T4\n",
        encoding="utf-8",
    )

    (record,) = read_records([ann], scheme=conflict)

    assert record.annotation is not None
    arrested = Span(7, 15, "ARREST")
    assert record.annotation.arguments == (
        Argument(arrested, "ACTOR", Span(0, 6, "ARMED_GROUP")),
        Argument(arrested, "COUNT", Span(16, 19, "CARDINAL")),
        Argument(arrested, "LOCATION", Span(32, 40, "GPE")),
    )
    assert record.annotation.adjustments == ()


def test_events_are_written_as_e_lines_with_numbered_roles_and_read_back(
    conflict: LabelScheme, tmp_path: Path
) -> None:
    text = "KIA fighters and junta troops clashed near Lashio."
    kia, junta, lashio = (
        Span(0, 12, "ARMED_GROUP"),
        Span(17, 29, "ARMED_GROUP"),
        Span(43, 49, "GPE"),
    )
    clashed = Span(30, 37, "ARMED_CLASH")
    record = Record(
        text=text,
        source="x",
        line=1,
        meta={},
        split=False,
        annotation=RecordAnnotation(
            entities=(kia, junta, lashio),
            events=(clashed,),
            categories=("BATTLES",),
            annotator=None,
            status="accept",
            arguments=(
                Argument(clashed, "ACTOR", kia),
                Argument(clashed, "ACTOR", junta),
                Argument(clashed, "LOCATION", lashio),
            ),
        ),
        report_key="abc",
        position=0,
    )
    out = tmp_path / "out"

    brat.write([record], out, scheme=conflict)
    (read,) = list(brat.read(out, str(out), conflict))

    (ann,) = out.glob("*.ann")
    assert "E1\tARMED_CLASH:T4 ACTOR:T1 ACTOR2:T2 LOCATION:T3\n" in ann.read_text(encoding="utf-8")
    conf = (out / "annotation.conf").read_text(encoding="utf-8")
    assert (
        "ARMED_CLASH\tACTOR*:ARMED_GROUP|ORG|PERSON, TARGET*:ARMED_GROUP|ORG|PERSON, "
        "LOCATION*:GPE|LOC|FAC, TIME?:DATE, COUNT*:CARDINAL\n"
    ) in conf
    assert isinstance(read, Record) and read.annotation == record.annotation
