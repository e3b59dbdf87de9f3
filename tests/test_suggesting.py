"""A sentence the pipeline fails on never stops the others (SQLite and PostgreSQL, one process
and two): it gets an empty suggestion, is reported once, and no later run stumbles on it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from sqlmodel import select

from annotator import workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats import Record
from annotator.models import Sentence, Suggestion
from annotator.nlp.suggest import Suggestion as Suggested
from annotator.spans import Span
from annotator.workflow import GoldPolicy


class PoisonedSuggester:
    """Fails on any text that says POISON (as spaCy's E088 does on an over-long text) and finds
    one GPE, "Moebye", in the others."""

    model_name = "poisoned"
    model_version = "1"

    def suggest(self, texts: Iterable[str], *, batch_size: int = 64) -> Iterator[Suggested]:
        for text in texts:
            yield self.suggest_one(text)

    def suggest_one(self, text: str) -> Suggested:
        if "POISON" in text:
            raise ValueError("[E088] Text of length 1000001 exceeds maximum of 1000000.")
        start = text.find("Moebye")
        found = (Span(start, start + 6, "GPE"),) if start >= 0 else ()
        return Suggested(entities=found, events=(), categories=())


@pytest.mark.parametrize("processes", [1, 2])
def test_a_failing_sentence_is_reported_and_the_others_are_suggested(engine, scheme, processes):
    texts = [f"Troops shelled Moebye {n}." for n in range(9)]
    texts[4] = "POISON in Moebye."
    record = Record(
        text="\n".join(texts), source="r.txt", line=1, meta={}, split=True, annotation=None
    )
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=[record],
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    failed: list[tuple[int, str]] = []

    stored = workflow.suggest_pending(
        engine=engine,
        suggester=PoisonedSuggester(),
        batch_size=2,
        processes=processes,
        on_failure=lambda sentence_id, reason: failed.append((sentence_id, reason)),
    )

    assert stored == 8
    with session_scope(engine) as session:
        rows = session.exec(
            select(Sentence.text, Suggestion.entities)
            .join(Suggestion, Suggestion.sentence_id == Sentence.id)
            .order_by(Sentence.id)
        ).all()
        poisoned_id = session.exec(select(Sentence.id).where(Sentence.text == texts[4])).one()
    assert [text for text, _ in rows] == texts
    assert [bool(entities) for _, entities in rows] == [True] * 4 + [False] + [True] * 4
    assert [sentence_id for sentence_id, _ in failed] == [poisoned_id]
    assert "E088" in failed[0][1]
    assert workflow.suggest_pending(engine=engine, suggester=PoisonedSuggester()) == 0
