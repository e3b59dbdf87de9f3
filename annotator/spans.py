"""The Span value type: half-open character offsets with a label, and their checks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annotator.nlp.text import token_bounds


class SpanError(ValueError):
    """A span that cannot be stored: outside the text, off token boundaries, unknown label..."""


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


def check_layers(
    entities: Sequence[Span],
    events: Sequence[Span],
    *,
    text: str,
    entity_labels: Iterable[str],
    event_labels: Iterable[str],
) -> None:
    """Check both span layers of a sentence: entities may not overlap, events may."""
    if not entities and not events:
        return
    bounds = token_bounds(text)
    check_spans(
        entities,
        text=text,
        token_bounds=bounds,
        labels=entity_labels,
        kind="entity",
        allow_overlap=False,
    )
    check_spans(
        events,
        text=text,
        token_bounds=bounds,
        labels=event_labels,
        kind="event",
        allow_overlap=True,
    )
