"""The label scheme file: the default loads; mistakes are named by file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from annotator.colours import AA_TEXT, WHITE, contrast_ratio, delta_e, ink_on, mix
from annotator.config import DEFAULT_LABELS, PROJECT_ROOT
from annotator.labels import Label, SchemeError, load_scheme
from annotator.ui.render import VERSIONS_STYLE

EDITOR_CSS = PROJECT_ROOT / "annotator" / "ui" / "span_editor" / "editor.css"
# The text colours a label's tint sits under: the editor's own ink and, where the editor takes
# the theme's, Streamlit's light theme text colour.
INKS = ("#1f2328", "#31333f")
# CIEDE2000 difference under which two labels of one layer count as looking alike. The closest
# pair of matplotlib's tab10 is 16.2 apart and of Tableau 10 18.1 (#e15759, #ff9da7); a label is
# often told apart in a badge a few pixels high, so the scheme keeps its colours farther apart.
LOOK_ALIKE = 20.0


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
        "RIOT",
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
    assert scheme.category_for_event("RIOT") == "RIOTS"


def test_every_label_has_description_colour_shortcut_and_guideline(scheme):
    shortcuts = [label.shortcut for label in scheme.all_labels()]
    assert len(shortcuts) == len(set(shortcuts))
    for label in scheme.all_labels():
        assert label.description and label.guideline
        assert label.colour.startswith("#") and len(label.colour) == 7
        assert len(label.shortcut) == 1


def drawn_with(label: Label) -> list[tuple[str, str, str]]:
    """(what, text colour, background) for everything the span editor and the adjudication
    cards draw with a label's colour (editor.css, ui/render.py)."""
    colour = label.colour
    if label.layer == "entities":
        return [
            ("filled badge", WHITE, colour),
            *((f"tinted box, ink {ink}", ink, mix(colour, WHITE, share=0.22)) for ink in INKS),
            *((f"palette chip, ink {ink}", ink, mix(colour, WHITE, share=0.18)) for ink in INKS),
        ]
    if label.layer == "events":
        return [("outlined badge", colour, WHITE)]
    if label.layer == "categories":
        return [(f"category chip, ink {ink}", ink, mix(colour, WHITE, share=0.14)) for ink in INKS]
    # A role's tag writes its ink on its colour; its ring around an entity is drawn on white.
    return [("role tag", ink_on(colour), colour), ("role ring", colour, WHITE)]


def test_the_editor_draws_label_colours_as_the_contrast_test_assumes():
    css = EDITOR_CSS.read_text(encoding="utf-8")
    assert ".ca-badge-ent { color: #fff; background: var(--c); }" in css
    assert ".ca-badge-ev {\n  color: var(--c);\n  background: #fff;" in css
    assert "background: color-mix(in srgb, var(--c) 22%, transparent);" in css
    assert "background: color-mix(in srgb, var(--c) 18%, white)" in css
    assert "color: var(--ca-ink);" in css and "--ca-ink: var(--st-text-color, #1f2328);" in css
    assert ".ca-role-tag, .ca-ent.ca-arg::before { color: var(--ri); background: var(--r); }" in css
    cards = VERSIONS_STYLE
    assert ".adj-role { color: var(--ri); background: var(--r);" in cards
    assert ".adj-badge-ent { color: #fff; background: var(--c);" in cards
    assert ".adj-badge-ev { color: var(--c); background: #fff;" in cards
    assert "background: color-mix(in srgb, var(--c) 22%, transparent)" in cards
    assert "background: color-mix(in srgb, var(--c) 14%, white)" in cards


def test_every_label_colour_the_editor_draws_passes_wcag_aa(scheme):
    failing = [
        f"{label.layer}.{label.name} {what}: {text} on {background} is "
        f"{contrast_ratio(text, background):.2f}:1"
        for label in scheme.all_labels()
        for what, text, background in drawn_with(label)
        if contrast_ratio(text, background) < AA_TEXT
    ]
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("layer", ["entities", "events", "roles", "categories"])
def test_no_two_labels_of_one_layer_look_alike(scheme, layer):
    labels = scheme.layer(layer)
    alike = [
        f"{first.name} {first.colour} and {second.name} {second.colour}: "
        f"{delta_e(first.colour, second.colour):.1f}"
        for number, first in enumerate(labels)
        for second in labels[number + 1 :]
        if delta_e(first.colour, second.colour) < LOOK_ALIKE
    ]
    assert not alike, "\n".join(alike)


def test_a_role_looks_unlike_the_entities_it_rings(scheme):
    alike = [
        f"{role.name} {role.colour} and {name} {scheme.get(name).colour}: "
        f"{delta_e(role.colour, scheme.get(name).colour):.1f}"
        for role in scheme.roles
        for name in role.accepts
        if delta_e(role.colour, scheme.get(name).colour) < LOOK_ALIKE
    ]
    assert not alike, "\n".join(alike)


def test_categories_keep_the_colour_of_their_events(scheme):
    for event in scheme.events:
        if event.category is not None and event.category != "STRATEGIC_DEVELOPMENTS":
            assert scheme.get(event.category).colour == event.colour, event.name
    assert scheme.get("STRATEGIC_DEVELOPMENTS").colour == scheme.get("MEETING").colour


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
        (
            lambda d: d["entities"]["ORG"].update(colour="#8ecae6"),
            "entities.ORG.colour",
            "1.79:1 against white",
        ),
        (
            lambda d: d["events"]["MEETING"].update(colour="#777777"),
            "events.MEETING.colour",
            "4.48:1 against white",
        ),
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


def _rename(layer: str, old: str, new: object):
    def change(data):
        labels = data["categories"]["labels"] if layer == "categories" else data[layer]
        data_items = list(labels.items())
        labels.clear()
        labels.update({(new if name == old else name): spec for name, spec in data_items})
        if layer == "entities":
            for role in data["roles"].values():
                role["accepts"] = [new if name == old else name for name in role["accepts"]]
            return
        for spec in data["events"].values():
            if spec.get("category") == old:
                spec["category"] = new

    return change


@pytest.mark.parametrize(
    ("layer", "old", "new"),
    [
        ("entities", "ORG", "Organization"),
        ("entities", "PERSON", "Merge-org"),
        ("entities", "GPE", "geo.place"),
        ("categories", "RIOTS", 5),  # an unquoted YAML number: a scale's value
    ],
)
def test_label_names_of_any_case_load_as_written(tmp_path, layer, old, new):
    scheme = load_scheme(write_variant(tmp_path, _rename(layer, old, new)))
    assert str(new) in scheme.names(layer)
    assert old not in scheme.names(layer)


@pytest.mark.parametrize("bad", ["-ORG", "Org name", "ORG!", ".x"])
def test_label_names_with_other_characters_are_refused_by_their_entry(tmp_path, bad):
    path = write_variant(tmp_path, _rename("entities", "ORG", bad))
    with pytest.raises(SchemeError) as error:
        load_scheme(path)
    assert error.value.entry == f"entities.{bad}"
    assert "letters (any case), digits" in error.value.reason
