"""Edits sent by the span editor, and how they change a draft's spans (pure; no Streamlit).

The browser only proposes; every edit is checked here against the sentence text, its tokens and
the label scheme before the draft changes, so a buggy or hostile client cannot store a span
off token boundaries, outside the text, with an unknown label, or over another entity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from annotator.errors import AnnotatorError
from annotator.labels import LabelScheme
from annotator.spans import LAYERS, Layer, Span, SpanError, check_layer, layer_of
from annotator.ui.span_editor.units import code_point_offset, utf16_offsets

ACTIONS = ("add", "relabel", "remove")

Rows = dict[str, list[dict[str, Any]]]


class EditError(AnnotatorError, ValueError):
    """An edit that cannot be applied; the message is shown to the reviewer."""


@dataclass(frozen=True)
class Edit:
    """One change proposed by the editor: add a span, relabel one, or remove one.

    ``layer`` and ``index`` name the span relabelled or removed; for an added span the label's
    own layer decides where it goes. ``start`` and ``end`` count as the browser does, in UTF-16
    units; :func:`apply_edit` reads them in the text's code points.
    """

    action: str
    sentence_id: int
    start: int
    end: int
    label: str = ""
    layer: Layer | None = None
    index: int = -1


@dataclass(frozen=True)
class Command:
    """A press of one of the editor's buttons or keys that is not a span edit: a decision
    (``action``) or a category toggled (``label``), for the sentence the editor showed."""

    action: str
    sentence_id: int
    label: str = ""


def parse_command(value: Any, *, actions: Sequence[str]) -> Command:
    """Read a ``decide`` or ``category`` trigger payload; raise EditError when it is malformed
    or names an action not in ``actions``."""
    if not isinstance(value, Mapping):
        raise EditError(f"malformed command: expected an object, got {type(value).__name__}")
    action = value.get("action", "category")
    if action not in actions:
        raise EditError(f"malformed command: unknown action {action!r}")
    label = value.get("label") or ""
    if not isinstance(label, str):
        raise EditError("malformed command: the label must be a string")
    return Command(
        action=action, sentence_id=_int(value.get("sentence_id"), "sentence_id"), label=label
    )


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise EditError(f"malformed edit: {name} must be an integer, got {value!r}")
    return value


def parse_edit(value: Any) -> Edit:
    """Read the editor's trigger payload; raise EditError when it is malformed."""
    if not isinstance(value, Mapping):
        raise EditError(f"malformed edit: expected an object, got {type(value).__name__}")
    action = value.get("action")
    if action not in ACTIONS:
        raise EditError(f"malformed edit: unknown action {action!r}")
    label = value.get("label") or ""
    layer = value.get("layer") or ""
    if not isinstance(label, str) or not isinstance(layer, str):
        raise EditError("malformed edit: label and layer must be strings")
    named: Layer | None = None
    if action != "add":
        named = next((known for known in LAYERS if known == layer), None)
        if named is None:
            raise EditError(f"malformed edit: unknown layer {layer!r}")
    if action != "remove" and not label:
        raise EditError("malformed edit: a label is needed")
    return Edit(
        action=action,
        sentence_id=_int(value.get("sentence_id"), "sentence_id"),
        start=_int(value.get("start"), "start"),
        end=_int(value.get("end"), "end"),
        label=label,
        layer=named,
        index=_int(value.get("index", -1), "index"),
    )


def in_code_points(edit: Edit, text: str) -> Edit:
    """The edit with its browser offsets read as code points of ``text``; EditError when one
    falls inside a character. An offset outside the text is left for the checks to name."""
    units = utf16_offsets(text)

    def point(unit: int) -> int:
        if not 0 <= unit <= units[-1]:
            return unit
        try:
            return code_point_offset(text, unit, offsets=units)
        except ValueError as error:
            raise EditError(f"that span would split a character (at offset {unit})") from error

    return replace(edit, start=point(edit.start), end=point(edit.end))


def span_layer(label: str, scheme: LabelScheme) -> Layer:
    """The span layer a label belongs to; EditError for roles, categories and unknown names."""
    layer = layer_of(label, scheme=scheme)
    if layer is None:
        raise EditError(f"unknown span label {label!r}")
    return layer


def apply_edit(
    edit: Edit,
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    text: str,
    token_bounds: Sequence[tuple[int, int]],
    scheme: LabelScheme,
) -> tuple[Rows, str]:
    """The span rows after ``edit`` and a notice; raise EditError when it cannot be stored.

    ``rows`` maps "entities" and "events" to ``{start, end, label, suggested}`` records; it is
    not changed. Added and relabelled spans are the reviewer's (``suggested`` false).
    """
    edit = in_code_points(edit, text)
    new: Rows = {layer: [dict(row) for row in rows.get(layer, ())] for layer in LAYERS}
    snippet = text[edit.start : edit.end] if 0 <= edit.start < edit.end <= len(text) else ""
    if edit.action == "add":
        layer = span_layer(edit.label, scheme)
        added = Span(edit.start, edit.end, edit.label)
        _check(layer, [added], text=text, scheme=scheme)
        if layer == "entities":
            for row in new[layer]:
                if added.overlaps(Span(row["start"], row["end"], row["label"])):
                    raise EditError(
                        f"“{snippet}” overlaps the {row['label']} entity "
                        f"“{text[row['start'] : row['end']]}”: select that span to relabel or "
                        "delete it first"
                    )
        new[layer].append({**added.to_dict(), "suggested": False})
        touched = {layer}
        notice = f"Added {edit.label} “{snippet}”."
    else:
        assert edit.layer is not None  # parse_edit names the layer of every relabel and remove
        current = new[edit.layer]
        if not 0 <= edit.index < len(current) or (
            (current[edit.index]["start"], current[edit.index]["end"]) != (edit.start, edit.end)
        ):
            raise EditError("that span is no longer in the draft; try again")
        row = current.pop(edit.index)
        touched = {edit.layer}
        if edit.action == "remove":
            notice = f"Removed {row['label']} “{snippet}”."
        else:
            layer = span_layer(edit.label, scheme)
            new[layer].append({**row, "label": edit.label, "suggested": False})
            touched.add(layer)
            notice = f"{row['label']} “{snippet}” is now {edit.label}."
    for layer in touched:
        new[layer].sort(key=lambda r: (r["start"], r["end"], r["label"]))
        spans = [Span(r["start"], r["end"], r["label"]) for r in new[layer]]
        _check(layer, spans, text=text, scheme=scheme)
    return new, notice


def _check(layer: Layer, spans: Sequence[Span], *, text: str, scheme: LabelScheme) -> None:
    try:
        check_layer(spans, layer=layer, text=text, scheme=scheme)
    except SpanError as error:
        raise EditError(str(error)) from error
