"""The checks every reader applies to an imported annotation: the same as on the annotate page."""

from __future__ import annotations

from collections.abc import Iterable

from annotator.formats.records import RecordAnnotation, Status
from annotator.labels import LabelScheme
from annotator.nlp.text import token_bounds
from annotator.spans import Span, SpanError, check_spans


class AnnotationProblem(ValueError):
    """Why an annotation cannot be imported; a reader adds the file and line."""


def build_annotation(
    text: str,
    *,
    entities: Iterable[Span],
    events: Iterable[Span],
    categories: Iterable[str],
    annotator: str | None,
    status: Status,
    scheme: LabelScheme,
) -> RecordAnnotation:
    """A checked annotation of ``text``; raise AnnotationProblem saying what does not fit."""
    entity_spans = tuple(sorted(entities))
    event_spans = tuple(sorted(events))
    if entity_spans or event_spans:
        bounds = token_bounds(text)
        try:
            check_spans(
                entity_spans,
                text=text,
                token_bounds=bounds,
                labels=scheme.names("entities"),
                kind="entity",
                allow_overlap=False,
            )
            check_spans(
                event_spans,
                text=text,
                token_bounds=bounds,
                labels=scheme.names("events"),
                kind="event",
                allow_overlap=True,
            )
        except SpanError as error:
            raise AnnotationProblem(str(error)) from None
    names = tuple(dict.fromkeys(categories))
    known = scheme.names("categories")
    for name in names:
        if name not in known:
            raise AnnotationProblem(f"unknown category label {name!r}")
    if scheme.categories_exclusive and len(names) > 1:
        raise AnnotationProblem(
            f"{len(names)} categories ({', '.join(names)}) but the scheme allows one per sentence"
        )
    return RecordAnnotation(
        entities=entity_spans,
        events=event_spans,
        categories=names,
        annotator=annotator,
        status=status,
    )


def layer_of(label: str, *, scheme: LabelScheme) -> str | None:
    """ "entities" or "events" for a span label of the scheme, None for any other name."""
    found = scheme.get(label)
    if found is None or found.layer not in ("entities", "events"):
        return None
    return found.layer
