"""What a reviewer decides about a sentence, and its one validation.

``Span`` is a labelled half-open character range; an ``Argument`` links an event trigger to the
entity span that plays a role in it (who did it, to whom, where, when, how many); a ``Draft``
holds a sentence's spans in its two layers (``LAYERS``), its event arguments and its categories;
``check_draft`` is the check every path applies before a decision is stored: the annotate and
adjudication pages, the span editor's edits, every import reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from annotator.errors import AnnotatorError
from annotator.labels import Label, LabelScheme
from annotator.tokens import token_bounds

# The span layers of a decision: entities may not overlap each other, event triggers may.
Layer = Literal["entities", "events"]
LAYERS: tuple[Layer, ...] = ("entities", "events")
# A reviewer's decision about a sentence; a skip decides nothing about its spans.
Status = Literal["accept", "reject", "skip"]
STATUSES: tuple[Status, ...] = ("accept", "reject", "skip")


class SpanError(AnnotatorError, ValueError):
    """A decision that cannot be stored: a span outside the text or off token boundaries, an
    unknown label or category, overlapping entities..."""


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character span ``[start_char, end_char)`` of a sentence."""

    start_char: int
    end_char: int
    label: str

    def overlaps(self, other: Span) -> bool:
        """True when the two spans share at least one character."""
        return self.start_char < other.end_char and other.start_char < self.end_char

    def text_in(self, text: str) -> str:
        """The covered text."""
        return text[self.start_char : self.end_char]

    def to_dict(self) -> dict[str, Any]:
        """The Prodigy-style ``{start, end, label}`` record."""
        return {"start": self.start_char, "end": self.end_char, "label": self.label}

    @classmethod
    def from_dict(cls, record: Any) -> Span:
        """Read a ``{start, end, label}`` record; raise SpanError on a malformed one."""
        if not isinstance(record, dict):
            raise SpanError(f"span must be an object with start, end and label, got {record!r}")
        start, end, label = record.get("start"), record.get("end"), record.get("label")
        if not isinstance(start, int) or not isinstance(end, int) or _is_bool(start, end):
            raise SpanError(f"span start and end must be integers, got {start!r} and {end!r}")
        if not isinstance(label, str) or not label:
            raise SpanError(f"span label must be a non-empty string, got {label!r}")
        return cls(start, end, label)


def _is_bool(*values: Any) -> bool:
    # bool is an int subclass; true/false in JSON is never an offset.
    return any(isinstance(value, bool) for value in values)


def spans_from_dicts(records: Iterable[Any]) -> list[Span]:
    """Spans from ``{start, end, label}`` records, sorted by position."""
    return sorted(Span.from_dict(record) for record in records)


def spans_to_dicts(spans: Iterable[Span]) -> list[dict[str, Any]]:
    """``{start, end, label}`` records, sorted by position."""
    return [span.to_dict() for span in sorted(spans)]


def check_spans(
    spans: Sequence[Span],
    *,
    text: str,
    token_bounds: Sequence[tuple[int, int]],
    labels: Iterable[str],
    kind: str,
    allow_overlap: bool,
) -> None:
    """Raise SpanError for the first span that is out of range, off token boundaries,
    unknown, or (when overlap is not allowed) overlapping another span."""
    allowed = set(labels)
    starts = {start for start, _ in token_bounds}
    ends = {end for _, end in token_bounds}
    for span in spans:
        where = f"{kind} span {span.start_char}-{span.end_char} {span.label}"
        if not 0 <= span.start_char < span.end_char <= len(text):
            raise SpanError(f"{where} is out of range (text has {len(text)} characters)")
        if span.label not in allowed:
            raise SpanError(f"{where}: unknown {kind} label {span.label!r}")
        if span.start_char not in starts or span.end_char not in ends:
            raise SpanError(f"{where} ({span.text_in(text)!r}) is not on token boundaries")
    if not allow_overlap:
        ordered = sorted(spans)
        for first, second in zip(ordered, ordered[1:], strict=False):
            if first.overlaps(second):
                raise SpanError(
                    f"{kind} spans {first.start_char}-{first.end_char} {first.label} and "
                    f"{second.start_char}-{second.end_char} {second.label} overlap"
                )
    else:
        if len(set(spans)) != len(spans):
            raise SpanError(f"duplicate {kind} span")


def snap_to_tokens(
    start_char: int, end_char: int, token_bounds: Sequence[tuple[int, int]]
) -> tuple[int, int] | None:
    """Widen a character range to the tokens it touches; None when it touches none."""
    touched = [(s, e) for s, e in token_bounds if s < end_char and start_char < e]
    if not touched:
        return None
    return touched[0][0], touched[-1][1]


@dataclass(frozen=True, order=True)
class Argument:
    """The entity span ``entity`` plays ``role`` in the event whose trigger is ``event``."""

    event: Span
    role: str
    entity: Span

    def to_dict(self) -> dict[str, Any]:
        """The stored ``{event: {start, end, label}, role, start, end, label}`` record."""
        return {"event": self.event.to_dict(), "role": self.role, **self.entity.to_dict()}

    @classmethod
    def from_dict(cls, record: Any) -> Argument:
        """Read a stored argument record; raise SpanError on a malformed one."""
        if not isinstance(record, dict):
            raise SpanError(f"an argument must be an object with event and role, got {record!r}")
        role = record.get("role")
        if not isinstance(role, str) or not role:
            raise SpanError(f"an argument's role must be a non-empty string, got {role!r}")
        entity = {key: record.get(key) for key in ("start", "end", "label")}
        return cls(Span.from_dict(record.get("event")), role, Span.from_dict(entity))


def arguments_from_dicts(records: Iterable[Any]) -> list[Argument]:
    """Stored argument records as Arguments."""
    return [Argument.from_dict(record) for record in records]


@dataclass(frozen=True)
class Draft:
    """What a reviewer decides about a sentence: entity and event spans, the events' arguments
    and categories."""

    entities: tuple[Span, ...] = ()
    events: tuple[Span, ...] = ()
    categories: tuple[str, ...] = ()
    arguments: tuple[Argument, ...] = ()

    @classmethod
    def from_rows(
        cls,
        entities: Iterable[Mapping[str, Any]],
        events: Iterable[Mapping[str, Any]],
        categories: Iterable[str],
        arguments: Iterable[Mapping[str, Any]] = (),
    ) -> Draft:
        """A draft from stored JSON rows."""
        return cls(
            entities=tuple(spans_from_dicts(entities)),
            events=tuple(spans_from_dicts(events)),
            categories=tuple(categories),
            arguments=tuple(sorted(arguments_from_dicts(arguments))),
        )

    @classmethod
    def of(cls, row: Any) -> Draft:
        """The draft an annotation, suggestion or gold row (or any object with its JSON
        columns as attributes) holds."""
        return cls.from_rows(
            row.entities, row.events, row.categories, getattr(row, "arguments", None) or ()
        )

    def layer(self, layer: Layer) -> tuple[Span, ...]:
        """The spans of one layer."""
        return self.entities if layer == "entities" else self.events

    def arguments_of(self, event: Span) -> tuple[Argument, ...]:
        """The arguments of one event trigger, by role and position."""
        return tuple(argument for argument in self.arguments if argument.event == event)

    def without_dangling(self) -> Draft:
        """This draft without the arguments whose trigger or entity it no longer holds (a
        removed or relabelled span takes its arguments with it)."""
        events, entities = set(self.events), set(self.entities)
        kept = tuple(a for a in self.arguments if a.event in events and a.entity in entities)
        return self if kept == self.arguments else replace(self, arguments=kept)

    def rows(self) -> dict[str, Any]:
        """The JSON columns of an annotation, suggestion or gold row."""
        return {
            "entities": spans_to_dicts(self.entities),
            "events": spans_to_dicts(self.events),
            "categories": sorted(set(self.categories)),
            "arguments": [argument.to_dict() for argument in sorted(set(self.arguments))],
        }


_KIND: dict[Layer, str] = {"entities": "entity", "events": "event"}


def layer_of(label: str, *, scheme: LabelScheme) -> Layer | None:
    """The span layer of one of the scheme's labels; None for a role, a category or a name the
    scheme does not have."""
    found = scheme.get(label)
    return next((layer for layer in LAYERS if found is not None and found.layer == layer), None)


def check_layer(spans: Sequence[Span], *, layer: Layer, text: str, scheme: LabelScheme) -> None:
    """Raise SpanError for the first span of one layer that does not fit the text or the
    scheme: out of range, off token boundaries, an unknown label, overlapping entities."""
    if not spans:
        return
    check_spans(
        spans,
        text=text,
        token_bounds=token_bounds(text),
        labels=scheme.names(layer),
        kind=_KIND[layer],
        allow_overlap=layer == "events",
    )


def check_categories(categories: Sequence[str], *, scheme: LabelScheme) -> None:
    """Raise SpanError for an unknown category, or more than one where they are exclusive."""
    known = set(scheme.names("categories"))
    unknown = [name for name in dict.fromkeys(categories) if name not in known]
    if unknown:
        raise SpanError(f"unknown category label {unknown[0]!r}")
    names = tuple(dict.fromkeys(categories))
    if scheme.categories_exclusive and len(names) > 1:
        raise SpanError(
            f"{len(names)} categories ({', '.join(names)}) but the scheme allows one per sentence"
        )


class UnknownRole(SpanError):
    """A role the scheme does not have."""


class RoleRefused(SpanError):
    """An entity label a role does not take; ``accepts`` are the labels it takes."""

    def __init__(self, message: str, *, accepts: tuple[str, ...]) -> None:
        super().__init__(message)
        self.accepts = accepts


def role_for(scheme: LabelScheme, role: str, *, entity_label: str) -> Label:
    """The scheme's role ``role`` if it takes an entity labelled ``entity_label``; raise
    UnknownRole or RoleRefused."""
    spec = scheme.role(role)
    if spec is None:
        known = ", ".join(scheme.names("roles")) or "none"
        raise UnknownRole(f"unknown role {role!r} (the scheme's roles: {known})")
    if spec.accepts and entity_label not in spec.accepts:
        raise RoleRefused(
            f"a {entity_label} cannot be {role} (it takes " + ", ".join(spec.accepts) + ")",
            accepts=tuple(spec.accepts),
        )
    return spec


def check_arguments(draft: Draft, *, scheme: LabelScheme) -> None:
    """Raise SpanError for the first argument that does not fit: its trigger or entity not in
    the draft, an unknown role, an entity label the role does not accept, a role given twice
    to one event where the scheme does not let it repeat, an entity playing two roles."""
    events, entities = set(draft.events), set(draft.entities)
    seen: dict[tuple[Span, str], Argument] = {}
    played: dict[tuple[Span, Span], str] = {}
    for argument in draft.arguments:
        event, entity, role = argument.event, argument.entity, argument.role
        where = f"argument {role} of {event.label} {event.start_char}-{event.end_char}"
        if event not in events:
            raise SpanError(f"{where}: the draft has no such event trigger")
        if entity not in entities:
            raise SpanError(
                f"{where}: the draft has no {entity.label} span {entity.start_char}-"
                f"{entity.end_char}; an argument points at an entity of its sentence"
            )
        try:
            spec = role_for(scheme, role, entity_label=entity.label)
        except SpanError as error:
            raise SpanError(f"{where}: {error}") from None
        other = played.get((event, entity))
        if other is not None and other != role:
            raise SpanError(f"{where}: that {entity.label} is already its {other}")
        played[(event, entity)] = role
        if (event, role) in seen and not spec.repeat and seen[(event, role)] != argument:
            raise SpanError(f"{where}: an event has one {role} (the scheme does not repeat it)")
        seen[(event, role)] = argument


def check_draft(draft: Draft, *, text: str, scheme: LabelScheme) -> None:
    """Raise SpanError when a decision does not fit its sentence's text or the scheme."""
    for layer in LAYERS:
        check_layer(draft.layer(layer), layer=layer, text=text, scheme=scheme)
    check_categories(draft.categories, scheme=scheme)
    check_arguments(draft, scheme=scheme)
