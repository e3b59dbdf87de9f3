"""The checks every reader applies to an imported annotation: the same as on the annotate page."""

from __future__ import annotations

from collections.abc import Iterable

from annotator.errors import AnnotatorError
from annotator.formats.records import RecordAnnotation
from annotator.labels import LabelScheme
from annotator.spans import Draft, Span, SpanError, Status, check_draft


class AnnotationProblem(AnnotatorError, ValueError):
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
    draft = Draft(tuple(sorted(entities)), tuple(sorted(events)), tuple(dict.fromkeys(categories)))
    try:
        check_draft(draft, text=text, scheme=scheme)
    except SpanError as error:
        raise AnnotationProblem(str(error)) from None
    return RecordAnnotation(
        entities=draft.entities,
        events=draft.events,
        categories=draft.categories,
        annotator=annotator,
        status=status,
    )
