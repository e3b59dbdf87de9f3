"""The event table at scale: ``annotator events`` over the generated gold (its triggers and their
arguments: actors, targets, places, dates, counts), its time and its peak memory, against
streaming the same gold rows out to JSON lines with one query.

Each measurement runs in a process of its own, so that its peak resident set size is its own:
``python -m annotator.bench.events --db URL --run events|stream --output PATH`` prints
``{seconds, peak_rss_mb, lines}`` as JSON. The table must stream: its peak memory at the full
size stays within a bound of its peak at a tenth of it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from annotator.bench.context import BenchContext, BenchError
from annotator.bench.results import Row, Target, peak_rss_mb, short_count
from annotator.config import PROJECT_ROOT
from annotator.models import Gold, Report, Sentence

RUNS = ("events", "stream")
# Targets. The table reads and checks every decision (spans.Draft.from_rows: about 40% of its
# time), merges a report's mentions and places them in the gazetteer (read once, ~2.5 s);
# streaming the rows only decodes and encodes JSON: it may take ten times as long, no more
# (7.7 at 100k on the shared 2-core machine). Its peak memory at the full size may exceed its
# peak at a tenth of it by 50 MB: it streams (before, it held every report: 287 -> 616 MB).
TIME_RATIO = 10.0
MEMORY_GROWTH_MB = 50.0


def stream_gold(engine: Engine, output: Path) -> int:
    """Write every accepted gold row with its sentence and report as a JSON line, from one
    streamed Core query; return how many."""
    sentence, report, gold = (
        Sentence.__table__,  # type: ignore[attr-defined]
        Report.__table__,  # type: ignore[attr-defined]
        Gold.__table__,  # type: ignore[attr-defined]
    )
    query = (
        sa.select(
            report.c.id,
            report.c.source,
            report.c.meta,
            sentence.c.id,
            sentence.c.position,
            sentence.c.text,
            gold.c.entities,
            gold.c.events,
            gold.c.categories,
            gold.c.arguments,
        )
        .join(sentence, sentence.c.id == gold.c.sentence_id)
        .join(report, report.c.id == sentence.c.report_id)
        .where(gold.c.status == "accept")
        .order_by(sentence.c.id)
    )
    keys = (
        "report_id",
        "report",
        "meta",
        "sentence_id",
        "position",
        "text",
        "entities",
        "events",
        "categories",
        "arguments",
    )
    count = 0
    with engine.connect() as connection, output.open("w", encoding="utf-8") as handle:
        for row in connection.execution_options(yield_per=2000).execute(query):
            handle.write(json.dumps(dict(zip(keys, row, strict=True)), ensure_ascii=False) + "\n")
            count += 1
    return count


def write_event_table(url: str, output: Path) -> int:
    """What ``annotator events --format jsonl`` runs: the table streamed into the file."""
    from annotator.config import DEFAULT_LABELS
    from annotator.db import make_engine, session_scope
    from annotator.labels import load_scheme
    from annotator.workflow.events import iter_event_table, write_events

    scheme = load_scheme(DEFAULT_LABELS)
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            rows = iter_event_table(session=session, scheme=scheme, source="gold")
            return write_events(rows, output, format="jsonl")
    finally:
        engine.dispose()


def measure(run: str, *, url: str, output: Path) -> dict[str, Any]:
    """Run one measurement in this process: seconds, peak memory (MB), lines written."""
    started = time.perf_counter()
    if run == "events":
        write_event_table(url, output)
    else:
        from annotator.db import make_engine

        engine = make_engine(url)
        stream_gold(engine, output)
        engine.dispose()
    seconds = time.perf_counter() - started
    with output.open("rb") as handle:
        lines = sum(1 for _ in handle)
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "lines": lines}


def in_own_process(run: str, *, url: str, output: Path) -> dict[str, Any]:
    """One measurement in a new Python process, its JSON result."""
    command = [
        sys.executable, "-m", "annotator.bench.events",
        "--db", url, "--run", run, "--output", str(output),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"the event table's {run} run failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def rows(context: BenchContext) -> list[Row]:
    """Seconds and peak memory of the event table against streaming its gold rows out; peak
    memory at the full size against a tenth of it."""
    large = context.sizes.events
    small = max(10, large // 10)
    urls: dict[int, str] = {}
    for count in (small, large):
        engine, note = context.databases.filled(
            "events", count=count, seed=context.seed, categories=context.categories, gold=True
        )
        urls[count] = engine.url.render_as_string(hide_password=False)
        context.note(f"events, {short_count(count)} gold sentences: {note}")
    best: dict[tuple[str, int], float] = {}
    memory: dict[tuple[str, int], float] = {}
    lines: dict[tuple[str, int], int] = {}
    for attempt in range(context.sizes.export_repeats):
        for count in (small, large):
            for run in RUNS:
                output = context.workdir / f"events-{run}-{count}-{attempt}.jsonl"
                result = in_own_process(run, url=urls[count], output=output)
                key = (run, count)
                best[key] = min(best.get(key, float("inf")), float(result["seconds"]))
                memory[key] = max(memory.get(key, 0.0), float(result["peak_rss_mb"]))
                lines[key] = int(result["lines"])
    if lines["stream", large] != count_gold(urls[large]) or not lines["events", large]:
        raise BenchError(f"the event table wrote {lines} lines")
    context.note(
        f"events: {lines['events', large]:,} events from {lines['stream', large]:,} gold "
        f"sentences; peak memory {memory['events', small]:.0f} MB at "
        f"{short_count(small)}, {memory['events', large]:.0f} MB at {short_count(large)} "
        f"(streaming the gold: {memory['stream', small]:.0f} and {memory['stream', large]:.0f} "
        f"MB); best of {context.sizes.export_repeats}, each run a process of its own"
    )
    name = f"{short_count(large)} gold sentences"
    return [
        Row(
            f"event table (annotator events) of {name} vs streaming their gold rows to JSON lines",
            best["events", large],
            "s",
            best["stream", large],
            Target("<=", TIME_RATIO),
        ),
        Row(
            f"peak memory of annotator events, {name} vs {short_count(small)}",
            memory["events", large],
            "MB",
            memory["events", small],
            Target("<=", MEMORY_GROWTH_MB, on="difference"),
        ),
        Row(
            f"peak memory of streaming the gold rows, {name} vs {short_count(small)}",
            memory["stream", large],
            "MB",
            memory["stream", small],
        ),
    ]


def count_gold(url: str) -> int:
    """How many accepted gold rows the database at ``url`` holds."""
    from annotator.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            gold = Gold.__table__  # type: ignore[attr-defined]
            query = sa.select(sa.func.count()).select_from(gold).where(gold.c.status == "accept")
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Run one measurement and print its JSON result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--run", choices=RUNS, required=True)
    parser.add_argument("--output", type=Path, required=True)
    arguments = parser.parse_args(argv)
    print(json.dumps(measure(arguments.run, url=arguments.db, output=arguments.output)))


if __name__ == "__main__":
    main()
