"""Reviewers never wait on an import (SQLite and PostgreSQL): while 100,000 sentences are
imported, two reviewers keep saving decisions; every save is stored, none waits long."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import retrying, session_scope
from annotator.formats import Record
from annotator.models import Annotation, Sentence
from annotator.workflow import GoldPolicy, importing

IMPORTED_SENTENCES = 100_000
# The longest a save may take while the import runs: a chunk of the import holds the write
# lock for a fraction of a second; the import as one transaction held it for all of its
# seconds, and a reviewer's save waited as long (on SQLite, up to its 30 s busy timeout and
# then "database is locked", the decision lost).
LONGEST_SAVE = 3.0


def records(count: int, *, prefix: str) -> Iterator[Record]:
    """Reports of two sentences each, ``count`` sentences in all."""
    for number in range(count // 2):
        yield Record(
            text=f"{prefix} clashes broke out in village {number}. Residents fled to the hills.",
            source=f"{prefix}.txt",
            line=number + 1,
            meta={},
            split=True,
            annotation=None,
        )


@pytest.mark.slow
def test_decisions_saved_during_a_100k_sentence_import_are_all_stored(engine: Engine, scheme):
    policy = GoldPolicy.of(Settings.from_env())
    with session_scope(engine) as session:
        workflow.import_records(
            session=session, records=records(400, prefix="Earlier"), scheme=scheme, policy=policy
        )
        to_decide = [s for s in session.exec(select(Sentence.id).order_by(Sentence.id))]
        reviewers = [
            repository.ensure_reviewer(session=session, name=name).id for name in ("ana", "ben")
        ]
    importing_done = threading.Event()
    saved: dict[int, list[int]] = {reviewer: [] for reviewer in reviewers}
    waits: list[float] = []
    failures: list[BaseException] = []

    def review(reviewer: int, sentences: list[int]) -> None:
        try:
            for sentence_id in sentences:
                if importing_done.is_set() and len(saved[reviewer]) >= 20:
                    return
                started = time.monotonic()

                def save(session: Session, sentence_id: int = sentence_id) -> None:
                    workflow.save_decision(
                        session=session,
                        sentence_id=sentence_id,
                        reviewer_id=reviewer,
                        status="accept",
                        draft=workflow.Draft(),
                        scheme=scheme,
                        policy=policy,
                    )

                retrying(engine, save)
                waits.append(time.monotonic() - started)
                saved[reviewer].append(sentence_id)
                time.sleep(0.02)  # a reviewer clicks; the import gets its turns
        except BaseException as error:  # reported by the test thread
            failures.append(error)

    threads = [
        threading.Thread(target=review, args=(reviewer, to_decide[index::2]))
        for index, reviewer in enumerate(reviewers)
    ]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    summary = importing.import_in_chunks(
        engine=engine,
        records=records(IMPORTED_SENTENCES, prefix="Bulk"),
        scheme=scheme,
        policy=policy,
    )
    took = time.monotonic() - started
    importing_done.set()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert summary.sentences == IMPORTED_SENTENCES
    with session_scope(engine) as session:
        stored = {
            reviewer: sorted(
                session.exec(
                    select(Annotation.sentence_id).where(Annotation.reviewer_id == reviewer)
                ).all()
            )
            for reviewer in reviewers
        }
        total = session.exec(select(func.count()).select_from(Sentence)).one()
    assert stored == {reviewer: sorted(ids) for reviewer, ids in saved.items()}
    assert total == 400 + IMPORTED_SENTENCES
    # The reviewers kept saving while the import ran, and no save waited for it.
    assert sum(len(ids) for ids in saved.values()) >= 40
    assert max(waits) < LONGEST_SAVE, f"a save waited {max(waits):.1f} s (import took {took:.1f} s)"
