"""Run the benchmark: every group of rows in turn, on shared sizes, databases and corpus.

The groups (one module each) import only ``annotator.bench.context``; this module is the one
that imports them all.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotator.bench.context import FULL, QUICK, BenchContext, BenchError, Sizes
from annotator.bench.database import BenchDatabases
from annotator.bench.results import Row, markdown_table, write_json
from annotator.config import DEFAULT_BENCH_CACHE, DEFAULT_LABELS
from annotator.labels import load_scheme

__all__ = ["FULL", "QUICK", "BenchContext", "BenchError", "Outcome", "Sizes", "run", "save"]

Group = Callable[[BenchContext], list[Row]]


def groups() -> dict[str, Group]:
    """The groups of rows, by the name ``--only`` takes, in the order they run."""
    from annotator.bench import (
        agreement,
        annotate,
        browser,
        events,
        export,
        importing,
        routing,
        suggest,
    )

    return {
        "suggest": suggest.rows,
        # A local Ray and a local Dask cluster against the two local processes.
        "cluster": suggest.cluster_rows,
        "import": importing.rows,
        "annotate": annotate.rows,
        "agreement": agreement.rows,
        "export": export.rows,
        "events": events.rows,
        # Needs Chromium (as the browser tests do); without it, a note and no rows.
        "browser": browser.rows,
        "routing": routing.rows,
    }


# Groups that train models (minutes each): run only when ``--only`` names them.
OPTIONAL = frozenset({"routing"})


@dataclass(frozen=True)
class Outcome:
    """The rows of a run, the notes under them, and how long it took."""

    rows: list[Row]
    notes: list[str]
    seconds: float
    sizes: Sizes
    database: str

    def markdown(self) -> str:
        """The table and the notes, as Markdown."""
        lines = [markdown_table(self.rows), ""]
        lines.append(
            f"Database: {self.database}. Machine: {machine()}. "
            f"Run took {self.seconds / 60:.1f} min."
        )
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


def machine() -> str:
    """A one-line description of the machine: CPU, cores, memory, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


def run(
    *,
    sizes: Sizes,
    seed: int = 0,
    db: str | None = None,
    only: Sequence[str] = (),
    cache_dir: Path = DEFAULT_BENCH_CACHE,
    use_cache: bool = True,
    labels: Path = DEFAULT_LABELS,
    progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Run the chosen groups (all by default) and return their rows."""
    available = groups()
    unknown = sorted(set(only) - set(available))
    if unknown:
        raise BenchError(f"unknown group {unknown[0]!r}; choose from {', '.join(available)}")
    chosen = [name for name in available if name in only or (not only and name not in OPTIONAL)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="annotator-bench-") as temporary:
        workdir = Path(temporary)
        databases = BenchDatabases(
            server_url=db, workdir=workdir, cache_dir=cache_dir, use_cache=use_cache
        )
        context = BenchContext(
            sizes=sizes,
            seed=seed,
            scheme=load_scheme(labels),
            databases=databases,
            workdir=workdir,
        )
        rows: list[Row] = []
        try:
            for name in chosen:
                if progress is not None:
                    progress(f"running {name}...")
                group_started = time.perf_counter()
                rows.extend(available[name](context))
                if progress is not None:
                    progress(f"{name} took {time.perf_counter() - group_started:.0f} s")
        finally:
            databases.close()
    return Outcome(
        rows=rows,
        notes=context.notes,
        seconds=time.perf_counter() - started,
        sizes=sizes,
        database="SQLite" if databases.kind == "sqlite" else "PostgreSQL",
    )


def save(outcome: Outcome, *, markdown: Path | None, json_path: Path | None) -> None:
    """Write the Markdown table (and the JSON rows) to their files."""
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(outcome.markdown(), "utf-8")
    if json_path is not None:
        write_json(outcome.rows, json_path)
