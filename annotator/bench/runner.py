"""Run the benchmark: every group of rows in turn, on shared sizes, databases and corpus."""

from __future__ import annotations

import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.bench.corpus import event_categories
from annotator.bench.database import BenchDatabases
from annotator.bench.results import Row, markdown_table, write_json
from annotator.config import (
    DEFAULT_AUTO_GOLD,
    DEFAULT_BATCH_SIZE,
    DEFAULT_LABELS,
    DEFAULT_MODEL,
    DEFAULT_OVERLAP,
    DEFAULT_PATTERNS,
    PROJECT_ROOT,
)
from annotator.labels import LabelScheme, load_scheme
from annotator.workflow.gold import GoldPolicy

if TYPE_CHECKING:
    from annotator.nlp.suggest import Suggester

log = logging.getLogger(__name__)


class BenchError(RuntimeError):
    """A benchmark that cannot run (a missing package, a database it cannot use...)."""


@dataclass(frozen=True)
class Sizes:
    """How much each row works on, and how often a measurement is repeated (the best counts)."""

    suggest: int = 4_000
    import_: int = 100_000
    annotate_small: int = 1_000
    annotate_large: int = 1_000_000
    accepts: int = 60
    trivial_runs: int = 60
    alpha_items: int = 100_000
    span_items: int = 100_000
    export: int = 100_000
    repeats: int = 3
    # An export of 100k sentences takes a minute or two; once is enough to average out noise.
    export_repeats: int = 1

    def scaled(self, factor: float) -> Sizes:
        """Every amount of work times ``factor`` (repetitions and clicks stay)."""
        kept = {"accepts", "trivial_runs", "repeats", "export_repeats"}
        return replace(
            self,
            **{
                f.name: max(10, round(getattr(self, f.name) * factor))
                for f in fields(self)
                if f.name not in kept
            },
        )


FULL = Sizes()
QUICK = Sizes(
    suggest=60,
    import_=600,
    annotate_small=100,
    annotate_large=1_000,
    accepts=4,
    trivial_runs=4,
    alpha_items=2_000,
    span_items=500,
    export=300,
    repeats=1,
)


@dataclass
class BenchContext:
    """What every group of rows shares: sizes, seed, scheme, databases, notes for the output."""

    sizes: Sizes
    seed: int
    scheme: LabelScheme
    databases: BenchDatabases
    workdir: Path
    model: str = DEFAULT_MODEL
    batch_size: int = DEFAULT_BATCH_SIZE
    notes: list[str] = field(default_factory=list)
    # The app's default gold policy: the one a team meets without any settings.
    policy: GoldPolicy = GoldPolicy(overlap=DEFAULT_OVERLAP, auto_gold=DEFAULT_AUTO_GOLD)

    @property
    def categories(self) -> dict[str, str]:
        """Event label -> sentence category, for the generated gold."""
        return event_categories(self.scheme)

    @cached_property
    def suggester(self) -> Suggester:
        """The default suggester (statistical pipeline and rules), loaded once."""
        from annotator.nlp.suggest import load_suggester

        return load_suggester(self.model, scheme=self.scheme, patterns_dir=DEFAULT_PATTERNS)

    def note(self, message: str) -> None:
        """A line printed under the table (where a database came from, checks...)."""
        log.info("%s", message)
        self.notes.append(message)


Group = Callable[[BenchContext], list[Row]]


def groups() -> dict[str, Group]:
    """The groups of rows, by the name ``--only`` takes, in the order they run."""
    from annotator.bench import agreement, annotate, export, importing, suggest

    return {
        "suggest": suggest.rows,
        "import": importing.rows,
        "annotate": annotate.rows,
        "agreement": agreement.rows,
        "export": export.rows,
    }


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
    cache_dir: Path = PROJECT_ROOT / ".bench-cache",
    use_cache: bool = True,
    labels: Path = DEFAULT_LABELS,
    progress: Callable[[str], None] | None = None,
) -> Outcome:
    """Run the chosen groups (all by default) and return their rows."""
    available = groups()
    unknown = sorted(set(only) - set(available))
    if unknown:
        raise BenchError(f"unknown group {unknown[0]!r}; choose from {', '.join(available)}")
    chosen = [name for name in available if not only or name in only]
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
