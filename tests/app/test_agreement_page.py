"""The agreement page, driven by Streamlit's AppTest through app.py's navigation against a real
SQLite database: the figures equal ``annotator agreement --json``, the filters change them, the
CSV holds them, and only adjudicators and admins may open it."""

from __future__ import annotations

import io
import json
import math
import os
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import select
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from annotator.cli import app as cli
from annotator.db import session_scope
from annotator.models import Annotation, Reviewer, Sentence
from annotator.ui import agreement_tables
from annotator.workflow import adjudicating
from annotator.workflow import agreement as team_agreement

PASSWORD = "correct horse battery"
POLICE = "Police arrested Ko Aung in Yangon."
TROOPS = "Troops shelled Moebye on Monday."
PROTEST = "Protesters marched in Mandalay."
CLASHES = "Clashes erupted in Lashio."


def record(text, reviewer, *, spans=(), events=(), accept=(), answer="accept"):
    return {
        "text": text,
        "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans],
        "events": [{"start": s, "end": e, "label": label} for s, e, label in events],
        "accept": list(accept),
        "answer": answer,
        "_annotator_id": reviewer,
    }


POLICE_ALICE = dict(
    spans=[(16, 23, "PERSON"), (27, 33, "GPE")],
    events=[(7, 15, "ARREST")],
    accept=["STRATEGIC_DEVELOPMENTS"],
)
# One report per text. Three reviewers on POLICE (carol as alice), two on the others.
RECORDS = [
    record(POLICE, "alice", **POLICE_ALICE),
    record(
        POLICE,
        "bob",
        spans=[(16, 23, "PERSON"), (27, 33, "LOC")],
        events=[(7, 15, "ARREST")],
        accept=["STRATEGIC_DEVELOPMENTS"],
    ),
    record(POLICE, "carol", **POLICE_ALICE),
    record(
        TROOPS,
        "alice",
        spans=[(0, 6, "ARMED_GROUP")],
        events=[(7, 14, "REMOTE_VIOLENCE")],
        accept=["EXPLOSIONS_REMOTE_VIOLENCE"],
    ),
    record(TROOPS, "bob", spans=[(0, 6, "ARMED_GROUP"), (15, 21, "GPE")], accept=["BATTLES"]),
    record(PROTEST, "alice", spans=[(22, 30, "GPE")], accept=["PROTESTS"]),
    record(PROTEST, "bob", spans=[(22, 30, "GPE")], accept=["PROTESTS"]),
    record(CLASHES, "alice", spans=[(19, 25, "GPE")], accept=["BATTLES"]),
    record(CLASHES, "bob", answer="reject"),
]


@pytest.fixture
def database(app_database):
    """No reports yet; judge (adjudicator) and ana (annotator) can log in."""
    app_database.add_accounts({"judge": "adjudicator", "ana": "annotator"}, password=PASSWORD)
    return app_database.engine


@pytest.fixture
def seeded(database, app_database, scheme, tmp_path):
    """RECORDS imported: four reports, decided by two or three reviewers each."""
    path = tmp_path / "team.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    return database


@pytest.fixture
def open_page(run_page):
    """The agreement page as the app's navigation serves it (so that its links resolve)."""

    def open_agreement(name: str = "judge") -> AppTest:
        return run_page("pages/agreement.py", name, navigation=True)

    return open_agreement


def reviewer_id(engine, name: str) -> int:
    with session_scope(engine) as session:
        return session.exec(select(Reviewer.id).where(Reviewer.name == name)).one()


def sentence(engine, text: str) -> Sentence:
    with session_scope(engine) as session:
        found = session.exec(select(Sentence).where(Sentence.text == text)).one()
        session.expunge(found)
        return found


def cli_report() -> dict:
    url = os.environ["ANNOTATOR_DATABASE_URL"]
    result = CliRunner().invoke(cli, ["agreement", "--json", "--db", url])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def frame(at: AppTest, tab: str, index: int = 0):
    """The ``index``-th table on a tab of the page."""
    (found,) = [each for each in at.tabs if each.label == tab]
    return found.dataframe[index]


def table(at: AppTest, tab: str, index: int = 0) -> pd.DataFrame:
    return frame(at, tab, index).value


def shown_figures(at: AppTest) -> dict[tuple[str, str], dict]:
    """The overall figure table, by (section, figure title)."""
    frame = table(at, "Figures")
    return {(row["section"], row["figure"]): row for row in frame.to_dict(orient="records")}


def assert_same(shown: dict, figure: dict) -> None:
    if figure["value"] is None:
        assert math.isnan(shown["value"]) and shown["note"] == "not enough data"
    else:
        assert shown["value"] == pytest.approx(figure["value"], abs=1e-12)
        assert shown["note"] == (figure["note"] or "")
    assert (shown["items"], shown["reviewers"]) == (figure["n_items"], figure["n_annotators"])


def test_an_annotator_is_refused_and_sees_no_figures(seeded, run_page):
    # The page alone: through the app's navigation an annotator is never served it at all.
    at = run_page("pages/agreement.py", "ana")
    assert not at.exception
    assert [e.value for e in at.error] == ["This page is not open to the annotator role."]
    assert len(at.dataframe) == 0 and len(at.download_button) == 0


def test_an_empty_database_shows_not_enough_data(database, open_page):
    at = open_page()
    assert not at.exception
    assert at.info[0].value.startswith("Not enough data: no sentence within these filters")
    figures = table(at, "Figures")
    # Five category figures, three of entities and of events, two of event arguments.
    assert len(figures) == 13
    assert figures["value"].isna().all()
    assert set(figures["note"]) == {"not enough data"}
    # Undefined cells read "Not enough data", not "None".
    assert frame(at, "Figures").proto.placeholder == "Not enough data"
    assert frame(at, "Per label", 1).proto.placeholder == "Not enough data"
    infos = [i.value for i in at.info]
    assert "Not enough data: no two reviewers accepted the same sentence." in infos
    assert "Not enough data: no sentence was accepted by two or more reviewers." in infos


def test_the_figures_shown_equal_the_cli(seeded, open_page):
    at = open_page()
    assert not at.exception
    report = cli_report()
    shown = shown_figures(at)
    for section in team_agreement.SECTIONS:
        for name in team_agreement.SECTION_FIGURES[section]:
            assert_same(shown[section, agreement_tables.FIGURE_TITLES[name]], report[section][name])
    assert any(c.value == "3 sentences, 3 reviewers." for c in at.caption)

    labels = table(at, "Per label", 1).set_index("label")
    for label, figures in report["entities"]["per_label"].items():
        value = figures["pairwise_f1"]["value"]
        cell = labels.loc[label, "Pairwise F1, strict"]
        assert math.isnan(cell) if value is None else cell == pytest.approx(value)

    pairs = table(at, "Reviewer by reviewer")
    strict = pairs[(pairs["section"] == "entities") & (pairs["figure"] == "Pairwise F1, strict")]
    expected = report["entities"]["pairwise_f1"]["pairs"]
    assert list(
        zip(strict["reviewer"], strict["other reviewer"], strict["value"], strict=True)
    ) == [(*pair["annotators"], pytest.approx(pair["value"])) for pair in expected]

    confusion = table(at, "Confusion")
    for x in confusion.index:
        for y in confusion.columns:
            assert confusion.loc[x, y] == report["entities"]["confusion"][x][y]

    # Every coefficient comes with its sentence of guidance.
    guidance = " ".join(m.value for m in at.markdown)
    for name, sentence_text in agreement_tables.GUIDANCE.items():
        assert f"**{agreement_tables.FIGURE_TITLES[name]}**: {sentence_text}" in guidance


def test_filtering_by_a_report_shows_its_figures_only(seeded, open_page):
    at = open_page()
    police = sentence(seeded, POLICE)
    at.multiselect(key="agreement_reports").select(police.report_id).run()
    assert not at.exception
    shown = shown_figures(at)
    strict = shown["entities", "Pairwise F1, strict"]
    # POLICE alone: pairs (alice, bob) and (bob, carol) share 1 of 2 spans, (alice, carol) all.
    assert (strict["items"], strict["reviewers"]) == (1, 3)
    assert strict["value"] == pytest.approx(8 / 12)
    assert any(c.value == "1 sentences, 3 reviewers." for c in at.caption)


def test_filtering_by_reviewers_compares_only_them(seeded, open_page):
    at = open_page()
    chosen = [reviewer_id(seeded, "alice"), reviewer_id(seeded, "carol")]
    at.multiselect(key="agreement_reviewers").set_value(chosen).run()
    assert not at.exception
    strict = shown_figures(at)["entities", "Pairwise F1, strict"]
    assert (strict["value"], strict["items"], strict["reviewers"]) == (1.0, 1, 2)
    pairs = table(at, "Reviewer by reviewer")
    assert set(zip(pairs["reviewer"], pairs["other reviewer"], strict=True)) == {("alice", "carol")}


def test_filtering_by_days_and_agreement_over_time(seeded, open_page):
    troops = sentence(seeded, TROOPS)
    with session_scope(seeded) as session:
        for annotation in session.exec(
            select(Annotation).where(Annotation.sentence_id == troops.id)
        ):
            annotation.updated_at = datetime(2024, 3, 5, 10, tzinfo=UTC)
    at = open_page()
    over_time = table(at, "Over time")
    assert list(over_time["sentences"])[0] == 1
    assert over_time["period"].iloc[0] == pd.Timestamp("2024-03-04")  # the week's Monday
    assert over_time["entities F1"].iloc[0] == pytest.approx(2 / 3)
    assert over_time["sentences"].sum() == 3

    at.date_input(key="agreement_from").set_value(date(2024, 3, 1))
    at.date_input(key="agreement_to").set_value(date(2024, 3, 31)).run()
    assert not at.exception
    strict = shown_figures(at)["entities", "Pairwise F1, strict"]
    # TROOPS alone: alice's ARMED_GROUP both marked, bob's GPE not: 2 / (2 + 1).
    assert (strict["value"], strict["items"]) == (pytest.approx(2 / 3), 1)

    at.date_input(key="agreement_from").set_value(date(2024, 4, 1)).run()
    assert [e.value for e in at.error] == [
        "The first day (2024-04-01) is after the last (2024-03-31); "
        "pick a first day on or before the last."
    ]
    assert len(at.dataframe) == 0


def test_the_most_disagreed_sentences_link_to_adjudication(seeded, open_page):
    at = open_page()
    links = at.main.page_link  # the sidebar's are the app's menu
    with session_scope(seeded) as session:
        queue = adjudicating.disagreement_queue(session=session, include_gold=True)
    by_score = sorted(queue, key=lambda item: (-item.score, item.sentence_id))
    assert [link.proto.query_string for link in links] == [
        f"sentence={item.sentence_id}" for item in by_score
    ]
    assert {link.value for link in links} == {"Adjudicate"}
    assert all(link.proto.page == "adjudicate" for link in links)
    # Accepted by alice, rejected by bob: nothing in common, first in the list.
    assert links[0].proto.query_string == f"sentence={sentence(seeded, CLASHES).id}"
    # PROTEST, where both agree, is not listed.
    assert f"sentence={sentence(seeded, PROTEST).id}" not in {
        link.proto.query_string for link in links
    }


def test_the_csv_download_holds_every_figure(seeded, monkeypatch, open_page):
    downloads: dict[str, bytes] = {}
    original = MediaFileManager.add

    def keep(self, path_or_data, mimetype, coordinates, file_name=None, **kwargs):
        downloads[file_name] = path_or_data
        return original(self, path_or_data, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", keep)
    at = open_page()
    assert not at.exception
    assert {b.label for b in at.download_button} == {
        "Download every figure (CSV)",
        "Download the pairwise figures (CSV)",
    }
    report = cli_report()
    figures = pd.read_csv(io.BytesIO(downloads["agreement.csv"]))
    rows = figures.set_index(["section", "label", "figure"])
    for section in team_agreement.SECTIONS:
        scopes = [
            (agreement_tables.OVERALL, report[section]),
            *report[section]["per_label"].items(),
        ]
        for label, by_name in scopes:
            for name in team_agreement.SECTION_FIGURES[section]:
                row, figure = rows.loc[(section, label, name)], by_name[name]
                if figure["value"] is None:
                    assert pd.isna(row["value"]) and row["note"] == "not enough data"
                else:
                    assert row["value"] == pytest.approx(figure["value"])
                assert row["items"] == figure["n_items"]
                assert row["reviewers"] == figure["n_annotators"]
    assert len(figures) == sum(
        (1 + len(report[section]["per_label"])) * len(team_agreement.SECTION_FIGURES[section])
        for section in team_agreement.SECTIONS
    )
    pairs = pd.read_csv(io.BytesIO(downloads["agreement_pairs.csv"]))
    kappa = pairs[(pairs["section"] == "categories") & (pairs["figure"] == "cohen_kappa")]
    assert len(kappa) == len(report["categories"]["cohen_kappa"]["pairs"])
