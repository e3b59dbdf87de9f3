"""The agreement page's CSV downloads: a reviewer's name a spreadsheet would run as a formula is
escaped; the figures stay numbers (a negative kappa included)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.ui import agreement_tables
from annotator.workflow import GoldPolicy, import_records
from annotator.workflow.agreement import agreement_report

EVIL = '=HYPERLINK("http://x","y")'
SENTENCES = ["Police arrested Ko Aung in Yangon.", "Troops shelled Moebye on Monday."]


def report_of(url: str, scheme: LabelScheme, folder: Path) -> dict:
    # Two reviewers who disagree on every category: Cohen's kappa comes out negative.
    records = [
        {"text": SENTENCES[0], "accept": ["BATTLES"], "_annotator_id": EVIL},
        {"text": SENTENCES[0], "accept": ["PROTESTS"], "_annotator_id": "-bob"},
        {"text": SENTENCES[1], "accept": ["PROTESTS"], "_annotator_id": EVIL},
        {"text": SENTENCES[1], "accept": ["BATTLES"], "_annotator_id": "-bob"},
    ]
    path = folder / "team.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    engine = make_engine(url)
    with session_scope(engine) as session:
        import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    with session_scope(engine) as session:
        report = agreement_report(session=session, scheme=scheme)
    engine.dispose()
    return report


def test_agreement_csvs_escape_formulas_and_keep_numbers(migrated_sqlite_url, scheme, tmp_path):
    report = report_of(migrated_sqlite_url, scheme, tmp_path)
    pairs = list(csv.DictReader(io.StringIO(agreement_tables.pairs_csv(report))))
    assert pairs
    names = {row["reviewer"] for row in pairs} | {row["other reviewer"] for row in pairs}
    assert names == {"'" + EVIL, "'-bob"}
    figures = list(csv.DictReader(io.StringIO(agreement_tables.figures_csv(report))))
    kappa = next(
        row
        for row in figures
        if row["section"] == "categories" and row["figure"] == "cohen_kappa" and row["value"]
    )
    assert float(kappa["value"]) < 0 and not kappa["value"].startswith("'")
    cells = [cell for row in figures for cell in row.values()]
    assert not any(cell and cell[0] in "=+@" for cell in cells)
