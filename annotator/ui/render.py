"""Sentences as HTML: every piece of report text escaped, spans in their label colours.

Entities are tinted boxes with a filled label badge; events are thick underlines with an outlined
badge, so both layers stay readable where an event trigger lies over an entity. Suggestions that
the reviewer has not confirmed yet have a dashed outline and a "?" on their badge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import PurePath

from annotator.labels import LabelScheme

STYLE = """
<style>
.ca-sentence { font-size: 1.35rem; line-height: 2.6; font-family: Georgia, serif; }
.ca-context { color: #8a8a8a; font-size: 1.0rem; line-height: 1.6; margin: 0.3rem 0; }
.ca-ent { border: 2px solid; border-radius: 4px; padding: 0.05rem 0.1rem; }
.ca-ent.ca-suggested { border-style: dashed; }
.ca-ev { padding-bottom: 2px; }
.ca-badge { font-family: system-ui, sans-serif; font-size: 0.62rem; font-weight: 700;
            border-radius: 3px; padding: 0 3px; margin: 0 2px; vertical-align: super; }
.ca-badge-ent { color: white; }
.ca-badge-ev { background: white; border: 1.5px solid; font-style: italic; }
.ca-legend { font-family: system-ui, sans-serif; font-size: 0.8rem; color: #555; }
.ca-source { font-family: system-ui, sans-serif; font-size: 0.85rem; color: #6b7280; }
.ca-source b { color: #374151; font-weight: 600; }
</style>
"""


@dataclass(frozen=True)
class ShownSpan:
    """A span as the page shows it: where, which label, which layer, still a suggestion?"""

    start_char: int
    end_char: int
    label: str
    layer: str  # "entities" or "events"
    suggested: bool = False


def _tint(colour: str, alpha: str = "33") -> str:
    return f"{colour}{alpha}"


def sentence_html(text: str, spans: Sequence[ShownSpan], *, scheme: LabelScheme) -> str:
    """The sentence with its spans, as safe HTML (all text escaped)."""
    cuts = {0, len(text)}
    for span in spans:
        cuts.update((span.start_char, span.end_char))
    bounds = sorted(cut for cut in cuts if 0 <= cut <= len(text))
    parts: list[str] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        piece = escape(text[start:end])
        entity = next(
            (
                s
                for s in spans
                if s.layer == "entities" and s.start_char <= start and end <= s.end_char
            ),
            None,
        )
        events = [
            s for s in spans if s.layer == "events" and s.start_char <= start and end <= s.end_char
        ]
        styles: list[str] = []
        classes: list[str] = []
        if events:
            # One underline per event layered with box-shadows, so overlapping triggers all show.
            shadows = ", ".join(
                f"inset 0 -{3 * (i + 1)}px 0 0 {_colour(scheme, s.label)}"
                for i, s in enumerate(events)
            )
            styles.append(f"box-shadow: {shadows}")
            classes.append("ca-ev")
        if entity is not None:
            colour = _colour(scheme, entity.label)
            styles.append(f"background: {_tint(colour)}; border-color: {colour}")
            classes.append("ca-ent")
            if entity.suggested:
                classes.append("ca-suggested")
            # Close the box only at the entity's own edges.
            if start != entity.start_char:
                styles.append(
                    "border-left: none; border-top-left-radius: 0; border-bottom-left-radius: 0"
                )
            if end != entity.end_char:
                styles.append(
                    "border-right: none; border-top-right-radius: 0; border-bottom-right-radius: 0"
                )
        if styles:
            parts.append(
                f'<span class="{" ".join(classes)}" style="{"; ".join(styles)}">{piece}</span>'
            )
        else:
            parts.append(piece)
        for span in spans:
            if span.end_char == end:
                parts.append(_badge(span, scheme=scheme))
    return f'<div class="ca-sentence">{"".join(parts)}</div>'


def _colour(scheme: LabelScheme, label: str) -> str:
    found = scheme.get(label)
    return found.colour if found is not None else "#999999"


def _badge(span: ShownSpan, *, scheme: LabelScheme) -> str:
    colour = _colour(scheme, span.label)
    mark = "?" if span.suggested else ""
    name = escape(span.label)
    if span.layer == "entities":
        return (
            f'<span class="ca-badge ca-badge-ent" style="background: {colour}">{name}{mark}</span>'
        )
    return (
        f'<span class="ca-badge ca-badge-ev" style="color: {colour}; border-color: {colour}">'
        f"&#9889;{name}{mark}</span>"
    )


def context_html(text: str) -> str:
    """A neighbouring sentence, dimmed and escaped."""
    return f'<div class="ca-context">{escape(text)}</div>'


def source_html(source: str, *, position: int, total: int) -> str:
    """Where the sentence comes from (the report's source may be hostile: escaped)."""
    name = PurePath(source).name or source
    return (
        f'<div class="ca-source" title="{escape(source, quote=True)}"><b>{escape(name)}</b>'
        f" · sentence {position + 1} of {total}</div>"
    )


def legend_html() -> str:
    """How to read the highlighting."""
    return (
        '<div class="ca-legend">Boxes are entities, underlines are events; '
        "dashed boxes and badges ending in ? are suggestions not yet confirmed.</div>"
    )
