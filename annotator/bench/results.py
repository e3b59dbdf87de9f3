"""Rows of the benchmark table: a figure, its baseline from the same run, the ratio, the target.

The machines are shared and noisy, so a target is set on the ratio to a baseline measured in the
same run wherever there is one; the absolute figure is there for reference.
"""

from __future__ import annotations

import json
import math
import operator
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

Comparison = Literal["<=", ">=", "<"]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
}
ROW_KEYS = ("name", "value", "unit", "baseline", "ratio", "target", "ok")
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """What a row must reach: its ratio, its value, or its value minus the baseline, compared
    with a threshold."""

    op: Comparison
    threshold: float
    on: Literal["ratio", "value", "difference"] = "ratio"

    def met(self, *, value: float, baseline: float | None) -> bool | None:
        """Whether the figures meet the target; None when the figure it needs is missing."""
        if self.on == "value":
            measured: float | None = value
        elif baseline is None:
            measured = None
        elif self.on == "difference":
            measured = value - baseline
        else:
            measured = value / baseline if baseline else None
        if measured is None or math.isnan(measured):
            return None
        return _COMPARE[self.op](measured, self.threshold)

    def __str__(self) -> str:
        subject = {"ratio": "ratio", "value": "value", "difference": "value - baseline"}[self.on]
        return f"{subject} {self.op} {_number(self.threshold)}"


@dataclass(frozen=True)
class Row:
    """One figure of the table."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: Target | None = None

    @property
    def ratio(self) -> float | None:
        """The value over the baseline, or None without a (non-zero) baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def ok(self) -> bool | None:
        """Whether the target is met; None for a row without a target."""
        if self.target is None:
            return None
        return self.target.met(value=self.value, baseline=self.baseline)

    def to_dict(self) -> dict[str, Any]:
        """``{name, value, unit, baseline, ratio, target, ok}``, JSON-ready."""
        return {
            "name": self.name,
            "value": _finite(self.value),
            "unit": self.unit,
            "baseline": None if self.baseline is None else _finite(self.baseline),
            "ratio": None if self.ratio is None else _finite(self.ratio),
            "target": None if self.target is None else str(self.target),
            "ok": self.ok,
        }


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _number(value: float) -> str:
    """A figure as people read it: thousands separated, three significant digits below 100."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude == 0 or magnitude >= 0.01:
        return f"{value:.3g}"
    return f"{value:.1e}"


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| figure | value | baseline | ratio | target | ok |",
        "|---|---:|---:|---:|---|:---:|",
    ]
    for row in rows:
        baseline = "" if row.baseline is None else f"{_number(row.baseline)} {row.unit}"
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        ok = {True: "yes", False: "**no**", None: ""}[row.ok]
        name = row.name.replace("|", "\\|")
        lines.append(
            f"| {name} | {_number(row.value)} {row.unit} | {baseline} | {ratio} "
            f"| {'' if row.target is None else row.target} | {ok} |"
        )
    return "\n".join(lines)


def write_json(rows: Sequence[Row], path: Path) -> None:
    """The rows as a JSON list of ``{name, value, unit, baseline, ratio, target, ok}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([row.to_dict() for row in rows], indent=2) + "\n", "utf-8")


def median(values: Sequence[float]) -> float:
    """The median of some timings."""
    return float(statistics.median(values))


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` percentile (0..1) of some timings, by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no timings to take a percentile of")
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])


def timed(run: Callable[[], T]) -> tuple[float, T]:
    """Seconds a call took, and what it returned."""
    start = time.perf_counter()
    value = run()
    return time.perf_counter() - start, value


def short_count(count: int) -> str:
    """A size as the table names it: 600, 1k, 100k, 1M, 2.5M."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if count >= size:
            return f"{count / size:.3g}{unit}"
    return str(count)


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB since it started its program.

    Linux's ``ru_maxrss`` survives ``exec``: a process started from a big benchmark process
    reports that process's size. ``VmHWM`` belongs to the program's own memory map.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024
