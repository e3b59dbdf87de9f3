"""The label scheme file: the default loads; mistakes are named by file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from annotator.config import DEFAULT_LABELS
from annotator.labels import SchemeError, load_scheme


def test_default_scheme_has_the_documented_labels(scheme):
    assert scheme.names("entities") == (
        "PERSON",
        "ORG",
        "ARMED_GROUP",
        "GPE",
        "LOC",
        "FAC",
        "DATE",
        "CARDINAL",
    )
    assert scheme.names("events") == (
        "ARMED_CLASH",
        "REMOTE_VIOLENCE",
        "ATTACK_ON_CIVILIANS",
        "CASUALTIES",
        "ARREST",
        "DEFECTION",
        "SEIZURE",
        "DISPLACEMENT",
        "PROTEST",
        "MEETING",
    )
    assert scheme.names("roles") == ("ACTOR", "TARGET", "LOCATION", "TIME", "COUNT")
    assert scheme.names("categories") == (
        "BATTLES",
        "EXPLOSIONS_REMOTE_VIOLENCE",
        "VIOLENCE_AGAINST_CIVILIANS",
        "PROTESTS",
        "RIOTS",
        "STRATEGIC_DEVELOPMENTS",
    )
    assert scheme.categories_exclusive is False
    assert scheme.category_for_event("ARMED_CLASH") == "BATTLES"


def test_every_label_has_description_colour_shortcut_and_guideline(scheme):
    shortcuts = [label.shortcut for label in scheme.all_labels()]
    assert len(shortcuts) == len(set(shortcuts))
    for label in scheme.all_labels():
        assert label.description and label.guideline
        assert label.colour.startswith("#") and len(label.colour) == 7
        assert len(label.shortcut) == 1


def test_guidelines_write_down_the_person_and_armed_group_conventions(scheme):
    person = scheme.get("PERSON").guideline
    assert "Senior General" in person and "Lieutenant Colonel" in person
    for honorific in ("U ", "Daw", "Ko ", "Ma "):
        assert honorific in person
    armed = scheme.get("ARMED_GROUP").guideline
    assert "military council forces" in armed and "People's Defense Forces" in armed
    assert (
        "government in exile" in scheme.get("ORG").guideline.lower()
        or "in exile" in scheme.get("ORG").guideline
    )


def write_variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(DEFAULT_LABELS.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "scheme.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "entry", "reason"),
    [
        (lambda d: d.update(relations={}), "top-level key 'relations'", "unknown key"),
        (
            lambda d: d["entities"]["PERSON"].update(color="#000000"),
            "entities.PERSON.color",
            "unknown key",
        ),
        (
            lambda d: d["events"].update(PERSON=d["entities"]["PERSON"] | {"shortcut": "q"}),
            "events.PERSON",
            "duplicate label",
        ),
        (lambda d: d["entities"]["ORG"].update(shortcut="p"), "entities.ORG", "duplicate shortcut"),
        (lambda d: d["entities"]["ORG"].update(colour="blue"), "entities.ORG.colour", "bad colour"),
        (lambda d: d["entities"]["ORG"].update(shortcut="a"), "entities.ORG.shortcut", "reserved"),
        (lambda d: d["entities"]["ORG"].pop("guideline"), "entities.ORG.guideline", "missing"),
        (
            lambda d: d["events"]["ARREST"].update(category="ARRESTS"),
            "events.ARREST.category",
            "unknown category",
        ),
        (
            lambda d: d["categories"].update(exclusive="yes"),
            "categories.exclusive",
            "true or false",
        ),
    ],
)
def test_scheme_mistakes_name_the_file_and_the_entry(tmp_path, change, entry, reason):
    path = write_variant(tmp_path, change)
    with pytest.raises(SchemeError) as error:
        load_scheme(path)
    assert str(path) in str(error.value)
    assert error.value.entry == entry
    assert reason in error.value.reason


def test_unreadable_and_invalid_yaml_files_are_named(tmp_path):
    with pytest.raises(SchemeError, match="cannot be read"):
        load_scheme(tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("entities: [\n", encoding="utf-8")
    with pytest.raises(SchemeError, match=r"broken.yml: line \d+: is not valid YAML"):
        load_scheme(broken)
