"""Rows of the benchmark table: ratios, targets, the JSON and Markdown shapes."""

from __future__ import annotations

import json

import pytest

from annotator.bench.results import (
    ROW_KEYS,
    Row,
    Target,
    markdown_table,
    percentile,
    short_count,
    write_json,
)


def test_a_target_is_met_on_the_ratio_the_value_or_the_difference():
    faster = Row("stored vs bare", 95.0, "tokens/s", 100.0, Target(">=", 0.9))
    assert faster.ratio == pytest.approx(0.95) and faster.ok is True
    assert Row("slow", 80.0, "tokens/s", 100.0, Target(">=", 0.9)).ok is False
    assert Row("same", 1e-12, "", None, Target("<", 1e-9, on="value")).ok is True
    memory = Row("memory", 390.0, "MB", 280.0, Target("<=", 100.0, on="difference"))
    assert memory.ok is False and str(memory.target) == "value - baseline <= 100"
    assert Row("no baseline", 1.0, "s", None, Target("<=", 1.5)).ok is None
    assert Row("no target", 1.0, "s", 2.0).ok is None


def test_rows_become_json_with_the_documented_keys(tmp_path):
    rows = [
        Row("export", 1.2, "s", 1.0, Target("<=", 1.5)),
        Row("report", 3.0, "ms", None),
        Row("broken", float("nan"), "ms", 0.0, Target("<=", 1.0)),
    ]
    write_json(rows, tmp_path / "rows.json")
    loaded = json.loads((tmp_path / "rows.json").read_text("utf-8"))
    assert [tuple(row) for row in loaded] == [ROW_KEYS] * 3
    assert loaded[0] == {
        "name": "export",
        "value": 1.2,
        "unit": "s",
        "baseline": 1.0,
        "ratio": pytest.approx(1.2),
        "target": "ratio <= 1.5",
        "ok": True,
    }
    assert loaded[1]["ratio"] is None and loaded[1]["target"] is None
    assert loaded[2]["value"] is None and loaded[2]["ok"] is None  # NaN is not valid JSON


def test_the_markdown_table_has_one_line_per_row_and_escapes_pipes():
    table = markdown_table(
        [
            Row("a | b", 12345.6, "tokens/s", 13000.0, Target(">=", 0.9)),
            Row("tiny", 2e-16, "", None, Target("<", 1e-9, on="value")),
        ]
    )
    lines = table.splitlines()
    assert len(lines) == 4
    assert lines[2] == (
        "| a \\| b | 12,346 tokens/s | 13,000 tokens/s | 0.95 | ratio >= 0.9 | yes |"
    )
    assert "2.0e-16" in lines[3] and "value < 1.0e-09" in lines[3]


def test_percentiles_and_sizes_read_as_people_say_them():
    timings = [float(value) for value in range(1, 101)]
    assert percentile(timings, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 0.5)
    assert [short_count(n) for n in (600, 1000, 100_000, 1_000_000, 2_500_000)] == [
        "600",
        "1k",
        "100k",
        "1M",
        "2.5M",
    ]
