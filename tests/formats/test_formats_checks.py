"""The one check of an imported annotation: a peer's labels through the label map, spans fitted
to this project's tokens as --align says (every change listed), and the label map file."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.formats.checks import (
    AnnotationProblem,
    FileSpan,
    LabelMapError,
    build_annotation,
    read_label_map,
)
from annotator.formats.records import Adjustment, Align, ReadOptions, RecordAnnotation
from annotator.labels import LabelScheme
from annotator.spans import Span

TEXT = "Junta troops of LIB538 shelled Moebye, near Sittwe."


def build(
    scheme: LabelScheme,
    *spans: FileSpan,
    options: ReadOptions,
    categories: tuple[str, ...] = (),
) -> RecordAnnotation:
    return build_annotation(
        TEXT,
        spans=spans,
        categories=categories,
        annotator=None,
        status="accept",
        scheme=scheme,
        options=options,
    )


def test_labels_and_categories_are_read_through_the_label_map(scheme: LabelScheme) -> None:
    options = ReadOptions(label_map={"Organization": "ARMED_GROUP", "3": "EXPLOSIONS"})

    annotation = build(
        scheme,
        FileSpan(0, 12, "Organization"),
        FileSpan(31, 37, "GPE"),
        options=options,
        categories=("3",),
    )

    assert annotation.entities == (Span(0, 12, "ARMED_GROUP"), Span(31, 37, "GPE"))
    assert annotation.categories == ("EXPLOSIONS",)
    assert [item.what for item in annotation.adjustments] == [
        "Organization -> ARMED_GROUP",
        "3 -> EXPLOSIONS",
    ]


def test_a_label_neither_in_the_scheme_nor_the_map_names_the_span_and_the_option(
    scheme: LabelScheme,
) -> None:
    with pytest.raises(AnnotationProblem) as problem:
        build(scheme, FileSpan(0, 12, "Organization", line=7), options=ReadOptions())

    assert problem.value.line == 7
    assert "span 0-12 Organization" in str(problem.value)
    assert "--label-map" in str(problem.value)


def test_strict_refuses_a_span_off_tokens_and_names_the_option(scheme: LabelScheme) -> None:
    with pytest.raises(AnnotationProblem) as problem:
        build(scheme, FileSpan(32, 37, "GPE"), options=ReadOptions())

    assert str(problem.value) == (
        "entity span 32-37 GPE ('oebye') is not on token boundaries; "
        "use --align expand or --align contract"
    )


@pytest.mark.parametrize(
    ("align", "span", "expected", "said"),
    [
        ("expand", (32, 37), (31, 37), "entity span 32-37 GPE 'oebye' expanded to 31-37 'Moebye'"),
        ("expand", (16, 19), (16, 22), "entity span 16-19 ARMED_GROUP 'LIB' expanded to 16-22"),
        ("contract", (31, 40), (31, 38), "'Moebye, n' contracted to 31-38 'Moebye,'"),
        # A space at either end is a slip, never part of the name, whatever the mode.
        ("expand", (30, 38), (31, 38), "' Moebye,' contracted to 31-38 'Moebye,'"),
    ],
)
def test_expand_and_contract_snap_a_span_to_tokens_and_say_so(
    scheme: LabelScheme,
    align: Align,
    span: tuple[int, int],
    expected: tuple[int, int],
    said: str,
) -> None:
    label = "ARMED_GROUP" if span[0] == 16 else "GPE"

    annotation = build(
        scheme,
        FileSpan(*span, label, line=4),
        options=ReadOptions(align=align),
    )

    assert annotation.entities == (Span(*expected, label),)
    (adjustment,) = annotation.adjustments
    assert (adjustment.kind, adjustment.line) == ("aligned", 4)
    assert said in adjustment.what


def test_a_span_that_contracts_to_nothing_is_an_error_naming_it(scheme: LabelScheme) -> None:
    with pytest.raises(AnnotationProblem) as problem:
        build(scheme, FileSpan(32, 36, "GPE", line=2), options=ReadOptions(align="contract"))

    assert problem.value.line == 2
    assert "entity span 32-36 GPE ('oeby') contracts to nothing" in str(problem.value)


def test_two_spans_that_align_to_one_are_kept_once_and_said(scheme: LabelScheme) -> None:
    annotation = build(
        scheme,
        FileSpan(23, 30, "SHELLING", layer="events"),
        FileSpan(23, 28, "SHELLING", layer="events"),
        options=ReadOptions(align="expand"),
    )

    assert annotation.events == (Span(23, 30, "SHELLING"),)
    assert annotation.adjustments == (
        Adjustment(
            "aligned",
            "event span 23-28 SHELLING 'shell' expanded to 23-30 'shelled'; the same as another "
            "span then, kept once",
        ),
    )


def test_a_label_map_reads_yaml_with_numeric_ids_and_json(
    scheme: LabelScheme, tmp_path: Path
) -> None:
    yaml_map = tmp_path / "map.yml"
    yaml_map.write_text("Organization: ARMED_GROUP\n3: EXPLOSIONS\nCity: GPE\n", encoding="utf-8")
    json_map = tmp_path / "map.json"
    json_map.write_text('{"Organization": "ARMED_GROUP", "3": "EXPLOSIONS"}', encoding="utf-8")

    assert read_label_map(yaml_map, scheme=scheme) == {
        "Organization": "ARMED_GROUP",
        "3": "EXPLOSIONS",
        "City": "GPE",
    }
    assert read_label_map(json_map, scheme=scheme) == {
        "Organization": "ARMED_GROUP",
        "3": "EXPLOSIONS",
    }


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("map.yml", "Organization: ORGANISATION\n", "'ORGANISATION' is not an entity, event"),
        ("map.yml", "- Organization\n", "a label map is an object of their label -> ours"),
        ("map.yml", "Organization: [ORG\n", "is not valid YAML"),
        ("map.json", "{'Organization': 'GPE'}", "is not valid JSON"),
        ("map.yml", "Agent-Arg: Agent\n", "'Agent' is not an entity, event, role or"),
        ("map.yml", "yes: GPE\n", "both sides must be label names or numbers"),
    ],
)
def test_a_bad_label_map_names_the_file_and_the_entry(
    scheme: LabelScheme, tmp_path: Path, name: str, content: str, said: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(LabelMapError) as error:
        read_label_map(path, scheme=scheme)

    assert str(error.value).startswith(f"{path}: ")
    assert said in str(error.value)
