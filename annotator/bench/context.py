"""What every group of benchmark rows shares: sizes, seed, scheme, databases, the policy."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from annotator.bench.corpus import event_categories
from annotator.bench.database import BenchDatabases
from annotator.config import (
    DEFAULT_AUTO_GOLD,
    DEFAULT_BATCH_SIZE,
    DEFAULT_MODEL,
    DEFAULT_OVERLAP,
    DEFAULT_PATTERNS,
)
from annotator.errors import AnnotatorError
from annotator.labels import LabelScheme
from annotator.workflow.gold import GoldPolicy

if TYPE_CHECKING:
    from annotator.nlp.suggest import Suggester

log = logging.getLogger(__name__)


class BenchError(AnnotatorError, RuntimeError):
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
    events: int = 100_000
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
    events=300,
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
