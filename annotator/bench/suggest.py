"""Suggestion throughput: the real path that stores suggestions, against bare ``nlp.pipe``, and
two worker processes against one; and (the ``cluster`` group) a local Ray and a local Dask
cluster of two workers against the two local processes."""

from __future__ import annotations

import logging
from collections.abc import Callable

from annotator import workflow
from annotator.bench.context import BenchContext, BenchError
from annotator.bench.corpus import reports
from annotator.bench.results import Row, Target, timed
from annotator.config import DEFAULT_LABELS, DEFAULT_PATTERNS
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


# The size of the clusters measured: as many workers as the local path has processes.
CLUSTER_WORKERS = 2


def cluster_rows(context: BenchContext) -> list[Row]:
    """Tokens per second stored through a local Ray and Dask cluster (started once, outside the
    timing; each run loads or reuses the pipeline on the workers as the command does on an
    existing cluster) vs ``suggest_pending(processes=2)``."""
    from annotator.workflow.engines import EngineChoice, SuggesterSource

    count = context.sizes.suggest
    generated = list(reports(count, seed=context.seed, categories=context.categories))
    records = [
        Record(text=report.text, source=report.source, line=1, meta={}, split=True, annotation=None)
        for report in generated
    ]
    texts = [sentence.text for report in generated for sentence in report.sentences]
    suggester = context.suggester
    tokens = sum(len(suggester.nlp.make_doc(text)) for text in texts)
    source = SuggesterSource(
        model=context.model,
        labels_path=str(DEFAULT_LABELS),
        patterns_dir=str(DEFAULT_PATTERNS),
        model_name=suggester.model_name,
        model_version=suggester.model_version,
    )

    def stored(label: str, on: EngineChoice | None) -> float:
        engine = context.databases.fresh(f"cluster-{label}")
        with session_scope(engine) as session:
            workflow.import_records(
                session=session, records=records, scheme=context.scheme, policy=context.policy
            )
        seconds, done = timed(
            lambda: workflow.suggest_pending(
                engine=engine,
                suggester=suggester,
                batch_size=context.batch_size,
                processes=CLUSTER_WORKERS,
                on=on,
                source=source,
            )
        )
        if done != len(texts):
            raise BenchError(f"suggested {done} sentences on {label}, expected {len(texts)}")
        engine.dispose()
        return seconds

    list(suggester.suggest(texts[:50], batch_size=context.batch_size))  # warm up
    engines = ("dask", "ray")
    clusters = []
    try:
        for name in engines:
            seconds, (address, stop) = timed(lambda: _start_cluster(name))  # noqa: B023
            clusters.append((name, address, stop, seconds))
        # In turns, so that the noise of a shared machine falls on every path alike.
        runs: dict[str, list[float]] = {name: [] for name in ("local", *engines)}
        for _ in range(context.sizes.repeats):
            runs["local"].append(stored("local", None))
            for name, address, _, _ in clusters:
                on = EngineChoice(name=name, address=address, workers=CLUSTER_WORKERS)
                runs[name].append(stored(name, on))
    finally:
        for _, _, stop, _ in clusters:
            stop()
    best_local = min(runs["local"])
    rows: list[Row] = []
    for name, _, _, started in clusters:
        context.note(
            f"cluster: a local {name} cluster of {CLUSTER_WORKERS} single-CPU workers started in "
            f"{started:.1f} s (not timed); runs took {', '.join(f'{s:.1f}' for s in runs[name])} s"
            f", 2 local processes {', '.join(f'{s:.1f}' for s in runs['local'])} s, in turns, "
            f"for {len(texts):,} sentences, {tokens:,} tokens"
        )
        rows.append(
            Row(
                f"suggest and store on a local {name} cluster ({CLUSTER_WORKERS} workers) vs "
                "2 local processes",
                tokens / min(runs[name]),
                "tokens/s",
                tokens / best_local,
                Target(">=", 0.8),
            )
        )
    return rows


def _start_cluster(name: str) -> tuple[str | None, Callable[[], None]]:
    """A local cluster of the engine for the measurement: its address (None for Ray, which this
    process joins) and how to stop it."""
    if name == "dask":
        from distributed import LocalCluster

        # The scheduler's and client's INFO lines (every connection) would bury the table.
        logging.getLogger("distributed").setLevel(logging.WARNING)

        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=CLUSTER_WORKERS,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )

        def stop() -> None:
            cluster.close()

        return str(cluster.scheduler_address), stop
    import ray

    ray.init(
        address="local",
        num_cpus=CLUSTER_WORKERS,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
    )
    return None, ray.shutdown
