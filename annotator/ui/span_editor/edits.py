"""Edits sent by the span editor, and how they change a draft (pure; no Streamlit).

The browser only proposes; every edit is checked here against the sentence text, its tokens and
the label scheme before the draft changes, so a buggy or hostile client cannot store a span
off token boundaries, outside the text, with an unknown label, or over another entity, nor an
event argument the scheme refuses. A removed or relabelled span takes its arguments with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from annotator.errors import AnnotatorError
from annotator.labels import LabelScheme
from annotator.spans import (
    LAYERS,
    Argument,
    Draft,
    Layer,
    RoleRefused,
    Span,
    SpanError,
    UnknownRole,
    check_arguments,
    check_layer,
    layer_of,
    role_for,
)
from annotator.ui.span_editor.units import code_point_offset, utf16_offsets

ACTIONS = ("add", "relabel", "remove")
ARGUMENT_ACTIONS = ("add_argument", "remove_argument")

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
class ArgumentEdit:
    """An event argument the editor adds (or re-assigns, or confirms) or removes: ``entity``
    plays ``role`` in the event whose trigger is ``event``. Offsets count in UTF-16 units, as
    the browser does, until :func:`apply_edit` reads them."""

    action: str
    sentence_id: int
    event: Span
    role: str
    entity: Span


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


def parse_edit(value: Any) -> Edit | ArgumentEdit:
    """Read the editor's trigger payload; raise EditError when it is malformed."""
    if not isinstance(value, Mapping):
        raise EditError(f"malformed edit: expected an object, got {type(value).__name__}")
    action = value.get("action")
    if action in ARGUMENT_ACTIONS:
        return _parse_argument_edit(action, value)
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


def _parse_argument_edit(action: str, value: Mapping[str, Any]) -> ArgumentEdit:
    """An argument edit: ``{action, sentence_id, event: {start, end, label}, role, start, end,
    label}``, the stored argument's own shape."""
    role = value.get("role")
    if not isinstance(role, str) or not role:
        raise EditError(f"malformed edit: an argument needs a role, got {role!r}")
    try:
        argument = Argument.from_dict(dict(value))
    except SpanError as error:
        raise EditError(f"malformed edit: {error}") from error
    return ArgumentEdit(
        action=action,
        sentence_id=_int(value.get("sentence_id"), "sentence_id"),
        event=argument.event,
        role=role,
        entity=argument.entity,
    )


def _point_reader(text: str) -> Callable[[int], int]:
    units = utf16_offsets(text)

    def point(unit: int) -> int:
        if not 0 <= unit <= units[-1]:
            return unit
        try:
            return code_point_offset(text, unit, offsets=units)
        except ValueError as error:
            raise EditError(f"that span would split a character (at offset {unit})") from error

    return point


def in_code_points(edit: Edit, text: str) -> Edit:
    """The edit with its browser offsets read as code points of ``text``; EditError when one
    falls inside a character. An offset outside the text is left for the checks to name."""
    point = _point_reader(text)
    return replace(edit, start=point(edit.start), end=point(edit.end))


def argument_in_code_points(edit: ArgumentEdit, text: str) -> ArgumentEdit:
    """The argument edit with both spans' browser offsets read as code points of ``text``."""
    point = _point_reader(text)

    def span(found: Span) -> Span:
        return Span(point(found.start_char), point(found.end_char), found.label)

    return replace(edit, event=span(edit.event), entity=span(edit.entity))


def span_layer(label: str, scheme: LabelScheme) -> Layer:
    """The span layer a label belongs to; EditError for roles, categories and unknown names."""
    layer = layer_of(label, scheme=scheme)
    if layer is None:
        raise EditError(f"unknown span label {label!r}")
    return layer


def apply_edit(
    edit: Edit | ArgumentEdit,
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    text: str,
    token_bounds: Sequence[tuple[int, int]],
    scheme: LabelScheme,
) -> tuple[Rows, str]:
    """The draft's rows after ``edit`` and a notice; raise EditError when it cannot be stored.

    ``rows`` maps "entities" and "events" to ``{start, end, label, suggested}`` records and
    "arguments" to ``{event, role, start, end, label, suggested}`` ones; it is not changed.
    Added and relabelled spans and added arguments are the reviewer's (``suggested`` false); a
    removed or relabelled span's arguments are gone from the rows returned.
    """
    if isinstance(edit, ArgumentEdit):
        return _apply_argument_edit(edit, rows, text=text, scheme=scheme)
    edit = in_code_points(edit, text)
    new: Rows = {layer: [dict(row) for row in rows.get(layer, ())] for layer in LAYERS}
    new["arguments"] = [dict(row) for row in rows.get("arguments", ())]
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
    new, dropped = without_dangling(new)
    if dropped:
        notice = notice[:-1] + f", with {_listed(dropped, text)}."
    return new, notice


def _span_of(row: Mapping[str, Any]) -> Span:
    return Span(row["start"], row["end"], row["label"])


def _argument_of(row: Mapping[str, Any]) -> Argument:
    return Argument.from_dict(dict(row))


def draft_of_rows(rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> Draft:
    """The spans and arguments of editor rows as a Draft (suggestion flags dropped; no
    categories)."""
    return Draft(
        entities=tuple(_span_of(row) for row in rows.get("entities", ())),
        events=tuple(_span_of(row) for row in rows.get("events", ())),
        arguments=tuple(_argument_of(row) for row in rows.get("arguments", ())),
    )


def without_dangling(
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
) -> tuple[Rows, list[Argument]]:
    """The rows without the arguments whose trigger or entity they no longer hold
    (:meth:`Draft.without_dangling`), and the arguments dropped."""
    kept = set(draft_of_rows(rows).without_dangling().arguments)
    new: Rows = {key: [dict(row) for row in value] for key, value in rows.items()}
    arguments = new.get("arguments", [])
    new["arguments"] = [row for row in arguments if _argument_of(row) in kept]
    dropped = [_argument_of(row) for row in arguments if _argument_of(row) not in kept]
    return new, dropped


def _listed(arguments: Sequence[Argument], text: str) -> str:
    """“its ACTOR “junta troops” of “shot”” for the notices."""
    parts = [f"{a.role} “{a.entity.text_in(text)}” of “{a.event.text_in(text)}”" for a in arguments]
    return ("its argument " if len(parts) == 1 else "its arguments ") + "; ".join(parts)


def _apply_argument_edit(
    edit: ArgumentEdit,
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    text: str,
    scheme: LabelScheme,
) -> tuple[Rows, str]:
    edit = argument_in_code_points(edit, text)
    return edit_argument(
        rows,
        Argument(edit.event, edit.role, edit.entity),
        remove=edit.action == "remove_argument",
        text=text,
        scheme=scheme,
    )


def edit_argument(
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    argument: Argument,
    *,
    remove: bool = False,
    text: str,
    scheme: LabelScheme,
) -> tuple[Rows, str]:
    """The rows with ``argument`` (offsets in code points) given, or taken away, and a notice;
    raise EditError when the scheme or the draft refuses it.

    Given, it is the reviewer's: a suggested one is confirmed; the entity's other role in that
    event, and the one entity of a role that does not repeat, give way to it (re-assigned).
    """
    new: Rows = {layer: [dict(row) for row in rows.get(layer, ())] for layer in LAYERS}
    arguments = [dict(row) for row in rows.get("arguments", ())]
    event, entity, role = argument.event, argument.entity, argument.role
    trigger, words = f"“{event.text_in(text)}”", f"“{entity.text_in(text)}”"
    if event not in {_span_of(row) for row in new["events"]}:
        raise EditError("that event trigger is no longer in the draft; select it again")
    found = next((row for row in arguments if _argument_of(row) == argument), None)
    if remove:
        if found is None:
            raise EditError(f"{words} is not {role} of {trigger}; nothing to remove")
        arguments.remove(found)
        return _sorted(new, arguments), f"Removed {role} {words} of {trigger}."
    if entity not in {_span_of(row) for row in new["entities"]}:
        raise EditError(
            f"{words} is not an entity of the draft: an argument is an entity span (mark it first)"
        )
    try:
        spec = role_for(scheme, role, entity_label=entity.label)
    except RoleRefused as refused:
        raise EditError(
            f"{words} is a {entity.label} and cannot be {role} of {trigger}: {role} takes "
            + _or(refused.accepts)
        ) from None
    except UnknownRole as unknown:
        raise EditError(str(unknown)) from None
    if found is not None:
        if not found.get("suggested"):
            return _sorted(new, arguments), f"{words} is already {role} of {trigger}."
        found["suggested"] = False
        return _sorted(new, arguments), f"Confirmed {role} {words} of {trigger}."
    replaced: list[str] = []
    kept: list[dict[str, Any]] = []
    for row in arguments:
        other = _argument_of(row)
        if other.event == event and other.entity == entity:
            replaced.append(f"was {other.role}")  # an entity plays one role per event
        elif other.event == event and other.role == role and not spec.repeat:
            replaced.append(f"instead of “{other.entity.text_in(text)}”")  # the one TIME
        else:
            kept.append(row)
    kept.append({**argument.to_dict(), "suggested": False})
    new = _sorted(new, kept)
    try:
        check_arguments(draft_of_rows(new), scheme=scheme)
    except SpanError as error:
        raise EditError(str(error)) from error
    how = f" ({', '.join(replaced)})" if replaced else ""
    return new, f"{words} is {role} of {trigger}{how}."


def _or(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _sorted(new: Rows, arguments: list[dict[str, Any]]) -> Rows:
    new["arguments"] = sorted(arguments, key=_argument_of)
    return new


def _check(layer: Layer, spans: Sequence[Span], *, text: str, scheme: LabelScheme) -> None:
    try:
        check_layer(spans, layer=layer, text=text, scheme=scheme)
    except SpanError as error:
        raise EditError(str(error)) from error
