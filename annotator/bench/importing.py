"""Import: ``workflow.import_records`` (split, hash, insert) against the bare sentence splitter
plus a bare SQLAlchemy Core bulk insert of the same rows."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from annotator import workflow
from annotator.bench.context import BenchContext, BenchError
from annotator.bench.corpus import reports
from annotator.bench.results import Row, Target, short_count, timed
from annotator.db import session_scope
from annotator.formats.records import Record
from annotator.models import Report, Sentence, utc_now
from annotator.tokens import blank_english


def bare_import(engine: Engine, texts: list[str]) -> int:
    """Split with spaCy's sentencizer (one ``nlp.pipe`` over every line), hash, and insert the
    reports and sentences with two Core ``executemany``; return how many sentences."""
    lines = [
        (number, offset, line)
        for number, text in enumerate(texts, start=1)
        for offset, line in _lines(text)
    ]
    sentences: list[dict[str, Any]] = []
    counts = [0] * (len(texts) + 1)
    docs = blank_english().pipe((line for _, _, line in lines), batch_size=1000)
    for (number, offset, line), doc in zip(lines, docs, strict=True):
        for sent in doc.sents:
            chunk = line[sent.start_char : sent.end_char]
            stripped = chunk.strip()
            if not stripped:
                continue
            start = offset + sent.start_char + len(chunk) - len(chunk.lstrip())
            sentences.append(
                {
                    "report_id": number,
                    "position": counts[number],
                    "start_char": start,
                    "end_char": start + len(stripped),
                    "text": stripped,
                    "content_hash": hashlib.sha256(stripped.encode("utf-8")).hexdigest(),
                }
            )
            counts[number] += 1
    now = utc_now()
    report_rows = [
        {
            "id": number,
            "content_hash": workflow.content_hash(text, split=True),
            "source": f"report {number}",
            "text": text,
            "meta": {},
            "n_sentences": counts[number],
            "created_at": now,
        }
        for number, text in enumerate(texts, start=1)
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(Report.__table__), report_rows)  # type: ignore[attr-defined]
        connection.execute(sa.insert(Sentence.__table__), sentences)  # type: ignore[attr-defined]
    return len(sentences)


def _lines(text: str) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            found.append((offset, line))
        offset += len(line)
    return found


def rows(context: BenchContext) -> list[Row]:
    """Sentences per second of the import, against the bare splitter and insert."""
    count = context.sizes.import_
    generated = list(reports(count, seed=context.seed, categories=context.categories))
    texts = [report.text for report in generated]
    blank_english()  # loaded once per process, before any clock starts

    def real() -> float:
        engine = context.databases.fresh("import")
        records = [
            Record(
                text=report.text, source=report.source, line=1, meta={}, split=True, annotation=None
            )
            for report in generated
        ]

        def run() -> int:
            with session_scope(engine) as session:
                summary = workflow.import_records(
                    session=session, records=records, scheme=context.scheme, policy=context.policy
                )
            return summary.sentences

        seconds, stored = timed(run)
        engine.dispose()
        if stored != count:
            raise BenchError(f"the import stored {stored} sentences, expected {count}")
        return seconds

    def bare() -> float:
        engine = context.databases.fresh("import-bare")
        seconds, stored = timed(lambda: bare_import(engine, texts))
        engine.dispose()
        if stored != count:
            raise BenchError(f"the bare import stored {stored} sentences, expected {count}")
        return seconds

    best_real = best_bare = float("inf")
    for _ in range(context.sizes.repeats):
        best_bare = min(best_bare, bare())
        best_real = min(best_real, real())
    context.note(
        f"import: {len(texts):,} reports, {count:,} sentences, into an empty database; best of "
        f"{context.sizes.repeats}"
    )
    return [
        Row(
            f"import {short_count(count)} sentences (split, hash, insert) "
            "vs bare splitter + Core insert",
            count / best_real,
            "sentences/s",
            count / best_bare,
            Target(">=", 0.5),
        )
    ]
