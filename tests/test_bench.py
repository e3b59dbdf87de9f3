"""The benchmark suite runs end to end at a tiny size and produces every row (not the timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from annotator.bench.results import ROW_KEYS

ROOT = Path(__file__).resolve().parent.parent
# One fragment per row of the table, in the order the rows come.
EXPECTED_ROWS = (
    "suggest and store in the database (1 process) vs bare nlp.pipe",
    "suggest and store, 2 processes vs 1 process",
    "suggest and store on a local dask cluster (2 workers) vs 2 local processes",
    "suggest and store on a local ray cluster (2 workers) vs 2 local processes",
    "import 600 sentences (split, hash, insert)",
    "accept and show the next sentence, median, 100 sentences vs trivial page rerun",
    "accept and show the next sentence, p95, 100 sentences vs trivial page rerun",
    "accept and show the next sentence, median, 1k vs 100 sentences",
    "accept and show the next sentence, p95, 1k vs 100 sentences",
    "peak memory of the app process, 1k vs 100 sentences",
    "Krippendorff's alpha, 2k items x 3 reviewers vs the krippendorff package",
    "Krippendorff's alpha, difference from the krippendorff package",
    "span agreement, strict F1, 500 sentences",
    "span agreement report",
    "spaCy export of 300 gold sentences vs building the DocBins directly",
    "event table (annotator events) of 300 gold sentences vs streaming their gold rows",
    "peak memory of annotator events, 300 gold sentences vs 30",
    "peak memory of streaming the gold rows, 300 gold sentences vs 30",
    "accept -> next sentence drawn in Chromium (keydown to .ca-text), median, 100 sentences vs",
    "accept -> next sentence drawn in Chromium (keydown to .ca-text), p95, 100 sentences vs",
    "accept -> next sentence drawn in Chromium (keydown to .ca-text), median, 1k vs 100",
    "accept -> next sentence drawn in Chromium (keydown to .ca-text), p95, 1k vs 100",
    "accept -> two animation frames after the next sentence drawn (painted by then), median,",
)


@pytest.mark.slow
def test_quick_benchmark_produces_every_row(tmp_path):
    json_path, markdown = tmp_path / "bench.json", tmp_path / "bench.md"
    command = [
        sys.executable, "-m", "annotator.bench", "--quick", "--json", str(json_path),
        "--markdown", str(markdown), "--cache-dir", str(tmp_path / "cache"),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]

    rows = json.loads(json_path.read_text("utf-8"))
    assert len(rows) == len(EXPECTED_ROWS)
    for row, expected in zip(rows, EXPECTED_ROWS, strict=True):
        assert row["name"].startswith(expected)
        assert tuple(row) == ROW_KEYS
        assert isinstance(row["value"], float) and isinstance(row["unit"], str)
        assert row["ok"] in (True, False, None)
        assert (row["ok"] is None) == (row["target"] is None)
        if row["baseline"] is not None:
            assert row["ratio"] == pytest.approx(row["value"] / row["baseline"])
    # The alpha values agree whatever the timings.
    difference = "Krippendorff's alpha, difference"
    assert [row["ok"] for row in rows if row["name"].startswith(difference)] == [True]

    table = markdown.read_text("utf-8")
    assert table.startswith("| figure | value | baseline | ratio | target | ok |")
    assert sum(line.startswith("| ") for line in table.splitlines()) == len(rows) + 1
    assert table in done.stdout
    # The small databases were built in the cache folder given, and say so.
    assert "cached for later runs" in table
    assert list((tmp_path / "cache").glob("annotate-100-*.db.complete"))


def test_bad_options_are_refused_with_a_reason(tmp_path):
    for arguments, reason in (
        (["--only", "nothing"], "unknown group 'nothing'"),
        (["--db", "sqlite:///x.db"], "--db takes a PostgreSQL URL"),
        (["--scale", "0"], "--scale must be above 0"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "annotator.bench", "--quick", *arguments,
             "--markdown", str(tmp_path / "bench.md")],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 1
        assert reason in done.stderr
        assert not (tmp_path / "bench.md").exists()
