"""Agreement between a team's reviewers on what is stored: annotations -> annotator.agreement.

Only accepted annotations count: a rejected sentence is one the reviewer found nothing to label
in (or unfit to label), and a skipped one was not decided, so neither has labels to compare.
Agreement rests on the sentences that two or more reviewers accepted; imported annotations
count as their ``_annotator_id``'s, like any reviewer's.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from annotator import agreement, repository
from annotator.labels import LabelScheme
from annotator.nlp.text import token_bounds


def agreement_report(*, session: Session, scheme: LabelScheme) -> dict[str, Any]:
    """Every agreement figure on the accepted annotations, as JSON-ready ``categories``,
    ``entities`` and ``events`` sections."""
    categories: dict[int, dict[str, list[str]]] = {}
    entities: dict[int, dict[str, list[agreement.LabelledSpan]]] = {}
    events: dict[int, dict[str, list[agreement.LabelledSpan]]] = {}
    bounds: dict[int, list[tuple[int, int]]] = {}
    for (
        sentence_id,
        text,
        reviewer,
        entity_rows,
        event_rows,
        chosen,
    ) in repository.iter_shared_annotations(session=session):
        if sentence_id not in bounds:
            bounds[sentence_id] = token_bounds(text)
        categories.setdefault(sentence_id, {})[reviewer] = list(chosen)
        entities.setdefault(sentence_id, {})[reviewer] = spans_of(entity_rows)
        events.setdefault(sentence_id, {})[reviewer] = spans_of(event_rows)
    return {
        "categories": agreement.category_report(
            categories,
            labels=scheme.names("categories"),
            exclusive=scheme.categories_exclusive,
        ),
        "entities": agreement.span_report(entities, bounds, labels=scheme.names("entities")),
        "events": agreement.span_report(events, bounds, labels=scheme.names("events")),
    }


def spans_of(rows: list[Any]) -> list[agreement.LabelledSpan]:
    """Stored ``{start, end, label}`` rows as (start_char, end_char, label)."""
    return [(int(row["start"]), int(row["end"]), str(row["label"])) for row in rows]
