"""Files as the peers' own tools write them import as they are.

Each file under tests/data/peers/ was written here, with our own sentences, in the layout of the
tool it is named after, as that tool's exports and examples have it: doccano's sequence
labelling, relation and text classification exports and the doccano 1.0 export with numeric
label ids; a Label Studio JSON export with two reviewers, a skipped annotation, a relation,
choices and a model's predictions; Prodigy ``db-out`` of ``ner.manual`` (tokens, hashes, every
answer) and of a choice interface; a brat document with events, a relation, an attribute and a
note; a bratiaa project (a folder per annotator, one slip); spaCy's token-per-line IOB example
layout. A tool's own label names are mapped with the label map next to its files, as a team
would write one, and nothing else is changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from annotator.formats import ImportFailed, Record, read_records
from annotator.formats.records import ReadOptions, adjustments_of
from annotator.labels import LabelScheme, load_scheme
from annotator.spans import Span

PEERS = Path(__file__).resolve().parents[1] / "data" / "peers"
SCHEME = Path(__file__).resolve().parents[2] / "labels" / "conflict.yml"


@pytest.fixture(scope="module")
def conflict() -> LabelScheme:
    return load_scheme(SCHEME)


def label_map(name: str) -> dict[str, str]:
    """A label map file as a team writes one (YAML, theirs -> ours; ids may be numbers)."""
    data = yaml.safe_load((PEERS / name).read_text(encoding="utf-8"))
    return {str(theirs): ours for theirs, ours in data.items()}


Read = Callable[..., list[Record]]


@pytest.fixture
def read(conflict: LabelScheme) -> Read:
    """Every record of a peer file; the test fails with the reader's problems if any."""

    def run(name: str, *, format: str | None = None, **options: Any) -> list[Record]:
        try:
            return list(
                read_records(
                    [PEERS / name], scheme=conflict, format=format, options=ReadOptions(**options)
                )
            )
        except ImportFailed as failed:
            pytest.fail(f"{name} does not import as written:\n{failed}")

    return run


def spans(record: Record, text: str | None = None) -> list[tuple[str, str]]:
    """(covered text, label) of a record's entities and event triggers."""
    assert record.annotation is not None
    both = [*record.annotation.entities, *record.annotation.events]
    return sorted((span.text_in(record.text), span.label) for span in both)


def arguments(record: Record) -> list[tuple[str, str, str]]:
    """(trigger text, role, entity text) of a record's event arguments."""
    assert record.annotation is not None
    return sorted(
        (a.event.text_in(record.text), a.role, a.entity.text_in(record.text))
        for a in record.annotation.arguments
    )


def decisions(records: list[Record]) -> list[tuple[str | None, str]]:
    return [
        (r.annotation.annotator, r.annotation.status) for r in records if r.annotation is not None
    ]


def test_doccano_sequence_labelling_export(read: Read) -> None:
    records = read("doccano/sequence_labeling.jsonl")

    assert len(records) == 3
    assert spans(records[0]) == [
        ("4 June 2023", "DATE"),
        ("Hpakant town", "GPE"),
        ("Kachin State", "GPE"),
        ("shelled", "REMOTE_VIOLENCE"),
        ("soldiers", "ARMED_GROUP"),
    ]
    # doccano spreads an example's metadata over the line; it is the sentence's context here.
    assert dict(records[1].meta) == {
        "id": 32,
        "source": "desk-notes-june",
        "Comments": ["check the date"],
    }
    assert spans(records[2]) == []


def test_doccano_relation_export(read: Read) -> None:
    first, second = read("doccano/relation_extraction.jsonl")

    assert spans(first) == [
        ("4 June 2023", "DATE"),
        ("Hpakant town", "GPE"),
        ("shelled", "REMOTE_VIOLENCE"),
        ("soldiers", "ARMED_GROUP"),
    ]
    # Its relations are the scheme's roles, from each trigger: the events' arguments.
    assert arguments(first) == [
        ("shelled", "ACTOR", "soldiers"),
        ("shelled", "LOCATION", "Hpakant town"),
        ("shelled", "TIME", "4 June 2023"),
    ]
    assert arguments(second) == [("arrested", "ACTOR", "Police"), ("arrested", "COUNT", "two")]
    assert adjustments_of(first, kind="left out") == adjustments_of(second, kind="left out") == []


def test_doccano_1_0_export_with_its_label_ids(read: Read) -> None:
    records = read(
        "doccano/doccano_1.0.jsonl",
        format="doccano",
        label_map=label_map("doccano/doccano_1.0_labels.yml"),
    )

    # Both users annotated the first example: two reviewers' records, neither replacing the other.
    assert decisions(records) == [("1", "accept"), ("2", "accept"), ("1", "accept")]
    assert spans(records[1]) == [
        ("4 June 2023", "DATE"),
        ("Hpakant town", "GPE"),
        ("Kachin State", "GPE"),
        ("shelled", "REMOTE_VIOLENCE"),
        ("soldiers", "ARMED_GROUP"),
    ]
    assert records[3].annotation is None
    assert dict(records[0].meta) == {"desk": "north", "id": 1, "annotation_approver": "admin"}


def test_doccano_text_classification_export(read: Read) -> None:
    records = read("doccano/text_classification.jsonl", format="doccano")

    assert [r.annotation.categories for r in records if r.annotation] == [
        ("PROTESTS",),
        ("EXPLOSIONS_REMOTE_VIOLENCE",),
    ]


def test_label_studio_export(read: Read) -> None:
    records = read(
        "label-studio/project-3-at-2024-03-14.json", label_map=label_map("label-studio/labels.yml")
    )

    assert decisions(records) == [
        ("1", "accept"),
        ("coder.b@example.org", "accept"),
        ("1", "accept"),
        ("coder.b@example.org", "skip"),
    ]
    first = records[0]
    assert spans(first) == [
        ("12 March 2024", "DATE"),
        ("14", "CARDINAL"),
        ("Chikun LGA", "GPE"),
        ("Kaduna-Abuja road", "LOC"),
        ("abducted", "ATTACK_ON_CIVILIANS"),
        ("gunmen", "ARMED_GROUP"),
    ]
    assert first.annotation is not None
    assert first.annotation.categories == ("VIOLENCE_AGAINST_CIVILIANS",)
    assert dict(first.meta) == {"country": "Nigeria", "note_id": "NG-2024-0312"}
    assert arguments(first) == [("abducted", "ACTOR", "gunmen")]
    assert adjustments_of(first, kind="left out") == []
    (model,) = first.suggestions
    assert (model.model_name, model.model_version) == ("label-studio", "ner-2024-03")
    assert [span.text_in(first.text) for span in model.entities] == ["gunmen", "Chikun LGA"]
    # The second note has an emoji: its regions after it were counted in UTF-16 units.
    assert spans(records[2]) == [
        ("Goma", "GPE"),
        ("blocked", "PROTEST"),
        ("police", "ARMED_GROUP"),
    ]
    # A task nobody annotated is a text to annotate.
    assert records[4].annotation is None and records[4].text.startswith("Troops clashed")


def test_prodigy_ner_manual_db_out(read: Read) -> None:
    records = read("prodigy/ner_manual.jsonl")

    assert decisions(records) == [
        ("conflict_notes-ana", "accept"),
        ("conflict_notes-ben", "accept"),
        ("conflict_notes-ana", "reject"),
        ("conflict_notes-ben", "skip"),
        ("conflict_notes-ana", "accept"),
    ]
    assert spans(records[4]) == [("Arakan Army", "ARMED_GROUP"), ("Mrauk-U", "GPE")]


def test_prodigy_choice_db_out(read: Read) -> None:
    records = read("prodigy/textcat_choice.jsonl")

    assert [r.annotation.categories for r in records if r.annotation] == [
        ("RIOTS",),
        ("BATTLES",),
        (),
    ]
    assert decisions(records)[2] == ("conflict_cats-ana", "skip")


def test_brat_document_with_events_relations_attributes_and_notes(read: Read) -> None:
    (record,) = read("brat", label_map=label_map("brat/labels.yml"))

    assert spans(record) == [
        ("14 May", "DATE"),
        ("Lashio", "GPE"),
        ("Shan State", "GPE"),
        ("TNLA", "ARMED_GROUP"),
        ("Ta'ang National Liberation Army", "ARMED_GROUP"),
        ("a junta base", "FAC"),
        ("attacked", "ARMED_CLASH"),
        ("killed", "CASUALTIES"),
    ]


def test_bratiaa_project_with_an_annotator_slip(read: Read) -> None:
    records = read("bratiaa", align="contract")

    assert decisions(records) == [("ann1", "accept"), ("ann2", "accept")]
    # ann2 took the space after "police" into the span; bratiaa accepts it, the import narrows it
    # to the word and says so.
    assert ("police", "ARMED_GROUP") in spans(records[1])
    (adjusted,) = adjustments_of(records[1])
    assert "'police ' contracted to 11-17 'police'" in adjusted


def test_bratiaa_slip_is_refused_by_name_without_align(conflict: LabelScheme) -> None:
    with pytest.raises(ImportFailed) as failed:
        list(read_records([PEERS / "bratiaa"], scheme=conflict))

    assert "use --align expand or --align contract" in str(failed.value)


def test_spacy_token_per_line_iob(read: Read) -> None:
    (record,) = read("spacy/ner-token-per-line.iob")

    assert record.annotation is not None
    assert [span.label for span in record.annotation.entities] == ["DATE", "GPE", "GPE"]
    assert Span(record.text.index("Kaduna"), record.text.index(" ."), "GPE") in (
        record.annotation.entities
    )


# --- through the command line: what a team gets in its database ------------------------------


def test_two_reviewers_of_a_peer_file_are_two_annotations(
    cli: Any, new_db: Any, annotations_of: Any
) -> None:
    url = new_db("peers")

    cli("import", "--no-suggest", "--db", url, PEERS / "prodigy" / "ner_manual.jsonl")

    stored = annotations_of(url)
    assert [(reviewer, status) for reviewer, status, _ in stored] == [
        ("conflict_notes-ana", "accept"),
        ("conflict_notes-ana", "accept"),
        ("conflict_notes-ana", "reject"),
        ("conflict_notes-ben", "accept"),
        ("conflict_notes-ben", "skip"),
    ]


def test_a_label_studio_export_through_the_command_line(
    cli: Any, new_db: Any, annotations_of: Any
) -> None:
    url = new_db("label-studio")
    export = PEERS / "label-studio" / "project-3-at-2024-03-14.json"
    labels = PEERS / "label-studio" / "labels.yml"

    result = cli("import", "--no-suggest", "--db", url, "--label-map", labels, export)
    again = cli("import", "--no-suggest", "--db", url, "--label-map", labels, export)
    stats = json.loads(cli("stats", "--json", "--db", url).output)

    assert "1 suggestion(s)" in result.output
    assert [(reviewer, status) for reviewer, status, _ in annotations_of(url)] == [
        ("1", "accept"),
        ("1", "accept"),
        ("coder.b@example.org", "accept"),
        ("coder.b@example.org", "skip"),
    ]
    assert (stats["reports"], stats["suggestions"], stats["annotations"]) == (3, 1, 4)
    assert "0 annotation(s)" in again.output


def test_a_doccano_1_0_export_through_the_command_line(
    cli: Any, new_db: Any, annotations_of: Any
) -> None:
    url = new_db("doccano")
    export = PEERS / "doccano" / "doccano_1.0.jsonl"
    labels = PEERS / "doccano" / "doccano_1.0_labels.yml"

    cli("import", "--no-suggest", "--db", url, "--label-map", labels, export)

    stored = annotations_of(url)
    assert [(reviewer, status) for reviewer, status, _ in stored] == [
        ("1", "accept"),
        ("1", "accept"),
        ("2", "accept"),
    ]


def test_a_bratiaa_project_through_the_command_line_lists_the_slip(cli: Any, new_db: Any) -> None:
    url = new_db("bratiaa")

    refused = cli("import", "--no-suggest", "--db", url, PEERS / "bratiaa", code=1)
    result = cli("import", "--no-suggest", "--db", url, "--align", "contract", PEERS / "bratiaa")

    assert "--align expand or --align contract" in refused.output
    assert "'police ' contracted to 11-17 'police'" in result.output
    assert "2 annotation(s)" in result.output
