"""The span editor: a components-v2 element to mark spans by dragging across words or by keyboard.

The browser gets the sentence, its token offsets, its spans, its event arguments and the labels
and roles as data and draws them with DOM text nodes only. Each change comes back as a trigger
value ``edit`` (``{action, sentence_id, start, end, label, layer, index}`` for a span;
``{action, sentence_id, event: {start, end, label}, role, start, end, label}`` for an argument)
that :func:`annotator.ui.span_editor.edits.apply_edit` validates before the draft changes.

With an event trigger selected, a role's key (or chip) then a click on an entity, or ←/→ and
Enter, adds an argument; the trigger's arguments are listed under the sentence and ringed in
their role's colour on the entities.

Given ``buttons`` and ``categories`` (the annotate page), the editor also draws the decisions and
the sentence's categories with their keys, sends ``decide`` (``{action, sentence_id}``) and
``category`` (``{label, sentence_id}``), and owns the page's keyboard. It sends one request at
a time, and nothing after a decision until the next sentence (a new ``serving``) is drawn.

The browser slices strings in UTF-16 code units, Python in code points: :func:`editor_data`
sends offsets in units and :func:`~annotator.ui.span_editor.edits.apply_edit` reads an edit's
back (:mod:`annotator.ui.span_editor.units`), so an emoji never shifts a span.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import streamlit as st

from annotator.colours import ink_on
from annotator.labels import LabelScheme
from annotator.spans import LAYERS
from annotator.ui.span_editor.edits import (
    ArgumentEdit,
    Command,
    Edit,
    EditError,
    apply_edit,
    draft_of_rows,
    edit_argument,
    parse_command,
    parse_edit,
    without_dangling,
)
from annotator.ui.span_editor.units import utf16_offsets

if TYPE_CHECKING:
    from streamlit.components.v2.types import ComponentRenderer

__all__ = [
    "ArgumentEdit",
    "Button",
    "Command",
    "Edit",
    "EditError",
    "ahead_data",
    "apply_edit",
    "draft_of_rows",
    "edit_argument",
    "editor_data",
    "last_event",
    "parse_command",
    "parse_edit",
    "span_editor",
    "without_dangling",
]

COMPONENT_NAME = "annotator_span_editor"


def _asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def _renderer() -> ComponentRenderer:
    """Register the component once per process, on first use (not at import time)."""
    return st.components.v2.component(
        COMPONENT_NAME, css=_asset("editor.css"), js=_asset("editor.js")
    )


@dataclass(frozen=True)
class Button:
    """A button of the editor's first row: the ``action`` it sends, its title and its key."""

    action: str
    title: str
    key: str | None = None


def editor_data(
    *,
    sentence_id: int,
    text: str,
    token_bounds: Sequence[tuple[int, int]],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    scheme: LabelScheme,
    revision: int,
    message: str | None = None,
    notice: str | None = None,
    serving: int | None = None,
    buttons: Sequence[Button] = (),
    categories: Sequence[str] | None = None,
    ahead: Mapping[str, Any] | None = None,
    answered: str | None = None,
) -> dict[str, Any]:
    """What the editor is given: plain JSON, report text included only as a string, offsets
    in the browser's UTF-16 units.

    ``ahead`` is the sentence to show the moment a decision is pressed (:func:`ahead_data`);
    ``answered`` names the last decision request the server has handled.
    """
    return {
        **_sentence_data(sentence_id=sentence_id, text=text, token_bounds=token_bounds, rows=rows),
        "labels": [
            {
                "name": label.name,
                "layer": label.layer,
                "colour": label.colour,
                "key": label.shortcut,
                "description": label.description,
            }
            for layer in LAYERS
            for label in scheme.layer("entities" if layer == "entities" else "events")
        ],
        "roles": [
            {
                "name": role.name,
                "colour": role.colour,
                "ink": ink_on(role.colour),
                "key": role.shortcut,
                "description": role.description,
                "accepts": list(role.accepts),
                "repeat": role.repeat,
            }
            for role in scheme.layer("roles")
        ],
        "revision": revision,
        "message": message,
        "notice": notice,
        "serving": serving,
        "decisions": [
            {"action": button.action, "title": button.title, "key": button.key}
            for button in buttons
        ],
        "categories": None
        if categories is None
        else {
            "labels": [
                {
                    "name": label.name,
                    "colour": label.colour,
                    "key": label.shortcut,
                    "description": label.description,
                }
                for label in scheme.categories
            ],
            "chosen": list(categories),
        },
        "ahead": None if ahead is None else dict(ahead),
        "answered": answered,
    }


def ahead_data(
    *,
    sentence_id: int,
    text: str,
    token_bounds: Sequence[tuple[int, int]],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
    serving: int,
    categories: Sequence[str],
) -> dict[str, Any]:
    """The sentence sent ahead of a decision: what the editor draws of it, in the same shape
    as :func:`editor_data` (its chosen categories as ``chosen``)."""
    return {
        **_sentence_data(sentence_id=sentence_id, text=text, token_bounds=token_bounds, rows=rows),
        "serving": serving,
        "chosen": list(categories),
    }


def _sentence_data(
    *,
    sentence_id: int,
    text: str,
    token_bounds: Sequence[tuple[int, int]],
    rows: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, Any]:
    """One sentence's text, tokens, spans and arguments, offsets in UTF-16 units."""
    units = utf16_offsets(text)

    def unit(offset: int) -> int:
        # An offset outside the text (never in a checked draft) is left for the editor to skip.
        return units[offset] if 0 <= offset < len(units) else offset

    def span(row: Mapping[str, Any]) -> dict[str, Any]:
        return {"start": unit(row["start"]), "end": unit(row["end"]), "label": row["label"]}

    return {
        "sentence_id": sentence_id,
        "text": text,
        "tokens": [[unit(start), unit(end)] for start, end in token_bounds],
        **{
            layer: [
                {
                    "start": unit(row["start"]),
                    "end": unit(row["end"]),
                    "label": row["label"],
                    "suggested": bool(row.get("suggested")),
                }
                for row in rows.get(layer, ())
            ]
            for layer in LAYERS
        },
        "arguments": [
            {
                "event": span(row["event"]),
                "role": row["role"],
                **span(row),
                "suggested": bool(row.get("suggested")),
            }
            for row in rows.get("arguments", ())
        ],
    }


def span_editor(
    data: Mapping[str, Any],
    *,
    key: str,
    on_edit: Callable[[], None],
    on_decide: Callable[[], None] | None = None,
    on_category: Callable[[], None] | None = None,
) -> None:
    """Mount the editor; each callback runs when the editor sends its event (read it with
    :func:`last_event`): an edit, a decision, a category."""
    callbacks: dict[str, Any] = {"on_edit_change": on_edit}
    if on_decide is not None:
        callbacks["on_decide_change"] = on_decide
    if on_category is not None:
        callbacks["on_category_change"] = on_category
    _renderer()(key=key, data=dict(data), width="stretch", height="content", **callbacks)


def last_event(key: str, event: str) -> Any:
    """What the editor under ``key`` just sent as ``event`` (raw, not yet validated), or None."""
    value = st.session_state.get(key)
    return value.get(event) if isinstance(value, Mapping) else None


def last_edit(key: str) -> Any:
    """The edit the editor under ``key`` just sent (raw, not yet validated), or None."""
    return last_event(key, "edit")
