"""Suggestion throughput: the real path that stores suggestions, against bare ``nlp.pipe``, and
two worker processes against one."""

from __future__ import annotations

from annotator import workflow
from annotator.bench.context import BenchContext, BenchError
from annotator.bench.corpus import reports
from annotator.bench.results import Row, Target, timed
from annotator.db import session_scope
from annotator.formats.records import Record


def rows(context: BenchContext) -> list[Row]:
    """Tokens per second: stored (1 process) vs bare ``nlp.pipe``, and 2 processes vs 1."""
    count = context.sizes.suggest
    generated = list(reports(count, seed=context.seed, categories=context.categories))
    records = [
        Record(text=report.text, source=report.source, line=1, meta={}, split=True, annotation=None)
        for report in generated
    ]
    texts = [sentence.text for report in generated for sentence in report.sentences]
    suggester = context.suggester
    list(suggester.suggest(texts[:50], batch_size=context.batch_size))  # warm up

    def bare() -> int:
        docs = suggester.nlp.pipe(texts, batch_size=context.batch_size)
        return sum(len(doc) for doc in docs)

    def stored(processes: int) -> float:
        engine = context.databases.fresh(f"suggest-{processes}")
        with session_scope(engine) as session:
            workflow.import_records(
                session=session, records=records, scheme=context.scheme, policy=context.policy
            )
        seconds, done = timed(
            lambda: workflow.suggest_pending(
                engine=engine,
                suggester=suggester,
                batch_size=context.batch_size,
                processes=processes,
            )
        )
        if done != len(texts):
            raise BenchError(
                f"suggested {done} sentences with {processes} process(es), expected {len(texts)}"
            )
        engine.dispose()
        return seconds

    best_bare = best_one = best_two = float("inf")
    tokens = 0
    for _ in range(context.sizes.repeats):
        seconds, tokens = timed(bare)
        best_bare = min(best_bare, seconds)
        best_one = min(best_one, stored(1))
        best_two = min(best_two, stored(2))
    context.note(
        f"suggest: {len(texts):,} sentences, {tokens:,} tokens, pipeline {suggester.model_name} "
        f"{suggester.model_version}, batch size {context.batch_size}; best of "
        f"{context.sizes.repeats}"
    )
    return [
        Row(
            "suggest and store in the database (1 process) vs bare nlp.pipe",
            tokens / best_one,
            "tokens/s",
            tokens / best_bare,
            Target(">=", 0.9),
        ),
        Row(
            "suggest and store, 2 processes vs 1 process",
            tokens / best_two,
            "tokens/s",
            tokens / best_one,
            Target(">=", 1.6),
        ),
    ]
