"""Accept and show the next sentence: the annotate page under ``AppTest`` with suggestions stored,
at a small and a large database, and the peak memory of the process that serves it.

Each measurement runs ``annotator.bench.app_driver`` in a fresh Python process, so that the
page's caches, its engine and its memory belong to one database size only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from sqlalchemy.engine import Engine

from annotator import repository
from annotator.bench.context import BenchContext, BenchError
from annotator.bench.database import clear_decisions
from annotator.bench.results import Row, Target, median, percentile, short_count
from annotator.config import PROJECT_ROOT
from annotator.db import session_scope

REVIEWER = "bench_annotator"


def drive_page(engine: Engine, *, accepts: int, trivial_runs: int) -> dict[str, Any]:
    """Clear earlier decisions, then run the page driver on this database; its JSON report."""
    clear_decisions(engine)
    with session_scope(engine) as session:
        reviewer = repository.ensure_reviewer(session=session, name=REVIEWER, role="annotator")
        reviewer_id = reviewer.id
    url = engine.url.render_as_string(hide_password=False)
    command = [
        sys.executable,
        "-m",
        "annotator.bench.app_driver",
        "--db",
        url,
        "--reviewer-id",
        str(reviewer_id),
        "--accepts",
        str(accepts),
        "--trivial-runs",
        str(trivial_runs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    if done.returncode != 0:
        raise BenchError(f"the page driver failed ({done.returncode}):\n{done.stderr[-3000:]}")
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise BenchError(f"the page driver printed nothing:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def annotate_databases(context: BenchContext, group: str) -> dict[str, Engine]:
    """The small and the large database with suggestions stored (built once, then cached), by
    label, each noted under ``group``."""
    sizes = context.sizes
    engines: dict[str, Engine] = {}
    for label, count in (("small", sizes.annotate_small), ("large", sizes.annotate_large)):
        engine, note = context.databases.filled(
            "annotate",
            count=count,
            seed=context.seed,
            categories=context.categories,
            suggestions=True,
        )
        context.note(f"{group}, {short_count(count)} sentences: {note}")
        engines[label] = engine
    return engines


def rows(context: BenchContext) -> list[Row]:
    """Median and p95 of accept-and-next at both sizes; peak memory at both sizes."""
    sizes = context.sizes
    engines = annotate_databases(context, "annotate")
    timings: dict[str, dict[str, list[float]]] = {
        label: {"trivial_ms": [], "accept_ms": []} for label in engines
    }
    memory: dict[str, float] = {label: 0.0 for label in engines}
    # Alternating sizes, so that a slower spell of a shared machine hits both alike.
    for _ in range(sizes.repeats):
        for label, engine in engines.items():
            result = drive_page(engine, accepts=sizes.accepts, trivial_runs=sizes.trivial_runs)
            for key in ("trivial_ms", "accept_ms"):
                timings[label][key].extend(float(value) for value in result[key])
            memory[label] = max(memory[label], float(result["peak_rss_mb"]))
    small, large = short_count(sizes.annotate_small), short_count(sizes.annotate_large)
    context.note(
        f"annotate: {sizes.repeats} x {sizes.accepts} accepts per size (after 3 untimed), "
        f"the trivial page rerun as often; overlap 2, one reviewer"
    )
    small_ms, large_ms = timings["small"]["accept_ms"], timings["large"]["accept_ms"]
    trivial_ms = timings["small"]["trivial_ms"]
    return [
        Row(
            f"accept and show the next sentence, median, {small} sentences vs trivial page rerun",
            median(small_ms),
            "ms",
            median(trivial_ms),
            Target("<=", 10.0),
        ),
        Row(
            f"accept and show the next sentence, p95, {small} sentences vs trivial page rerun",
            percentile(small_ms, 0.95),
            "ms",
            percentile(trivial_ms, 0.95),
        ),
        Row(
            f"accept and show the next sentence, median, {large} vs {small} sentences",
            median(large_ms),
            "ms",
            median(small_ms),
            Target("<=", 1.25),
        ),
        Row(
            f"accept and show the next sentence, p95, {large} vs {small} sentences",
            percentile(large_ms, 0.95),
            "ms",
            percentile(small_ms, 0.95),
            Target("<=", 1.25),
        ),
        Row(
            f"peak memory of the app process, {large} vs {small} sentences",
            memory["large"],
            "MB",
            memory["small"],
            Target("<=", 100.0, on="difference"),
        ),
    ]
