"""The Events page: the event table of the gold (or the suggestions) for adjudicators and
admins, filtered, on a map and over time, each event linking to its sentences, as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.runtime.media_file_manager import MediaFileManager
from typer.testing import CliRunner

from annotator import repository, workflow
from annotator.cli import app
from annotator.db import session_scope
from annotator.formats import read_records
from annotator.models import Sentence
from annotator.spans import Argument, Draft, Span
from annotator.workflow import GoldPolicy

PASSWORD = "correct horse battery"
POLICY = GoldPolicy(overlap=1, auto_gold=True)
PAGE = "pages/events.py"
# Two reports of Myanmar: an attack told in two sentences, a clash in another month; and one
# undated protest somewhere the gazetteer does not know.
REPORTS = (
    (
        "On 3 May 2023, soldiers shot two villagers dead in Shwebo. "
        "The soldiers also burned houses in Shwebo.",
        {"country": "Myanmar"},
    ),
    ("On 20 June 2023, PDF fighters clashed with troops near Monywa.", {"country": "Myanmar"}),
    ("Students marched in Nyaung Pin Thar.", {}),
)


def span(text: str, words: str, label: str) -> Span:
    start = text.index(words)
    return Span(start, start + len(words), label)


def draft_of(text: str) -> Draft:
    """The decision of each sentence of REPORTS, arguments and all."""
    if text.startswith("On 3 May"):
        shot, dead = span(text, "shot", "ATTACK_ON_CIVILIANS"), span(text, "dead", "CASUALTIES")
        who, two = span(text, "soldiers", "ARMED_GROUP"), span(text, "two", "CARDINAL")
        where, when = span(text, "Shwebo", "GPE"), span(text, "3 May 2023", "DATE")
        return Draft(
            entities=(when, who, two, where),
            events=(shot, dead),
            categories=("VIOLENCE_AGAINST_CIVILIANS",),
            arguments=(
                Argument(shot, "ACTOR", who),
                Argument(shot, "LOCATION", where),
                Argument(shot, "TIME", when),
                Argument(dead, "COUNT", two),
            ),
        )
    if text.startswith("The soldiers"):
        burned, where = span(text, "burned", "ATTACK_ON_CIVILIANS"), span(text, "Shwebo", "GPE")
        return Draft(
            entities=(where,),
            events=(burned,),
            categories=("VIOLENCE_AGAINST_CIVILIANS",),
            arguments=(Argument(burned, "LOCATION", where),),
        )
    if text.startswith("On 20 June"):
        clashed = span(text, "clashed", "ARMED_CLASH")
        who, whom = span(text, "PDF fighters", "ARMED_GROUP"), span(text, "troops", "ARMED_GROUP")
        where = span(text, "Monywa", "GPE")
        return Draft(
            entities=(who, whom, where),
            events=(clashed,),
            categories=("BATTLES",),
            arguments=(
                Argument(clashed, "ACTOR", who),
                Argument(clashed, "TARGET", whom),
                Argument(clashed, "LOCATION", where),
            ),
        )
    marched = span(text, "marched", "PROTEST")
    return Draft(events=(marched,), categories=("PROTESTS",))


@pytest.fixture
def database(app_database, scheme, tmp_path: Path):
    """REPORTS, every sentence accepted by one reviewer (gold); an annotator and an
    adjudicator who log in."""
    app_database.add_accounts({"ana": "annotator", "judy": "adjudicator"}, password=PASSWORD)
    path = tmp_path / "notes.jsonl"
    path.write_text(
        "".join(json.dumps({"text": text, "meta": meta}) + "\n" for text, meta in REPORTS),
        encoding="utf-8",
    )
    engine = app_database.engine
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=POLICY,
        )
    with session_scope(engine) as session:
        sentences = [(s.id, s.text) for s in session.exec(select(Sentence).order_by(Sentence.id))]
        reviewer_id = repository.ensure_reviewer(session=session, name="ana").id
    for sentence_id, text in sentences:
        with session_scope(engine) as session:
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer_id,
                status="accept",
                draft=draft_of(text),
                scheme=scheme,
                policy=POLICY,
            )
    return {text: sentence_id for sentence_id, text in sentences}


def table_of(at) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The table on the page, an empty cell as None."""
    table = at.dataframe[0].value
    return table.astype(object).where(table.notna(), None).to_dict("records")


def test_an_annotator_is_refused(database, run_page):
    at = run_page(PAGE, "ana")
    assert [error.value for error in at.error] == ["This page is not open to the annotator role."]
    assert not at.dataframe


def test_the_adjudicator_sees_one_row_per_event_with_its_link(database, run_page):
    at = run_page(PAGE, "judy")
    assert not at.exception and not at.error
    rows = table_of(at)
    assert [(row["sub_event"], row["location"]) for row in rows] == [
        ("ATTACK_ON_CIVILIANS", "Shwebo"),
        ("ARMED_CLASH", "Monywa"),
        ("PROTEST", None),
    ]
    attack = rows[0]
    assert (attack["actor1"], attack["actor2"], attack["fatalities"]) == (
        "soldiers",
        "Civilians",
        2,
    )
    first = database["On 3 May 2023, soldiers shot two villagers dead in Shwebo."]
    assert attack["open"] == f"adjudicate?sentence={first}"
    assert "3 of 3 events." in [caption.value for caption in at.caption]
    # Two events are located: a map of them; two are dated: a chart of their counts.
    [located] = at.get("deck_gl_json_chart")
    points = json.loads(located.proto.json)["layers"][0]["data"]
    assert [(round(p["latitude"], 2), round(p["longitude"], 2)) for p in points] == [
        (22.57, 95.70),  # Shwebo
        (22.11, 95.14),  # Monywa
    ]
    [counts] = at.get("vega_lite_chart")
    assert '"event_type"' in counts.proto.spec


def test_the_filters_narrow_the_table(database, run_page):
    at = run_page(PAGE, "judy")
    at.multiselect(key="events_types").select("BATTLES").run()
    assert [row["sub_event"] for row in table_of(at)] == ["ARMED_CLASH"]
    at.multiselect(key="events_types").unselect("BATTLES").run()
    at.checkbox(key="events_undated").uncheck().run()
    assert [row["sub_event"] for row in table_of(at)] == ["ATTACK_ON_CIVILIANS", "ARMED_CLASH"]
    at.date_input(key="events_from").set_value(date(2023, 6, 1)).run()
    assert [row["sub_event"] for row in table_of(at)] == ["ARMED_CLASH"]
    at.date_input(key="events_to").set_value(date(2023, 5, 1)).run()
    assert [error.value for error in at.error] == [
        "The first day (2023-06-01) is after the last (2023-05-01)."
    ]


def test_an_event_opens_its_sentences_for_adjudication(database, run_page):
    # Through the app's navigation, as a browser opens it: a link names a page of it.
    at = run_page(PAGE, "judy", navigation=True)
    assert not at.main.page_link  # until an event is chosen
    at.selectbox(key="events_event").select_index(0).run()
    first = database["On 3 May 2023, soldiers shot two villagers dead in Shwebo."]
    second = database["The soldiers also burned houses in Shwebo."]
    links = at.main.page_link
    assert [link.proto.query_string for link in links] == [
        f"sentence={first}",
        f"sentence={second}",
    ]
    assert all(link.proto.page == "adjudicate" for link in links)
    assert [text.value for text in at.main.text] == [
        "On 3 May 2023, soldiers shot two villagers dead in Shwebo.",
        "The soldiers also burned houses in Shwebo.",
    ]


def test_the_download_is_the_table_the_command_writes(
    database, run_page, monkeypatch, app_database, tmp_path
):
    downloads: dict[str, bytes] = {}
    original = MediaFileManager.add

    def keep(self, path_or_data, mimetype, coordinates, file_name=None, **kwargs):
        downloads[file_name] = path_or_data
        return original(self, path_or_data, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", keep)
    at = run_page(PAGE, "judy")
    assert [button.label for button in at.download_button] == ["Download these 3 events (CSV)"]
    out = tmp_path / "events.csv"
    result = CliRunner().invoke(app, ["events", "--output", str(out), "--db", app_database.url])
    assert result.exit_code == 0, result.output
    assert downloads["events-gold.csv"] == out.read_bytes()
    at.multiselect(key="events_types").select("BATTLES").run()
    assert [button.label for button in at.download_button] == ["Download these 1 events (CSV)"]
    [row] = csv.DictReader(io.StringIO(downloads["events-gold.csv"].decode("utf-8")))
    assert (row["event_type"], row["event_date"], row["location"]) == (
        "BATTLES",
        "2023-06-20",
        "Monywa",
    )


def test_the_suggestions_have_no_events_yet(database, run_page):
    at = run_page(PAGE, "judy")
    at.button_group(key="events_source").set_value("suggestions").run()
    assert [info.value for info in at.info] == [
        "No suggestion holds an event trigger yet: the table is empty."
    ]


def test_an_empty_database_says_so(app_database, run_page):
    app_database.add_accounts({"judy": "adjudicator"}, password=PASSWORD)
    at = run_page(PAGE, "judy")
    assert not at.exception
    assert [info.value for info in at.info] == [
        "The gold holds no event trigger yet: the table is empty."
    ]


def test_the_menu_offers_events_to_adjudicators_only(database, run_page):
    at = run_page(PAGE, "judy", navigation=True)
    assert "Events" in [link.label for link in at.sidebar.page_link]
    at = run_page("pages/annotate.py", "ana", navigation=True)
    assert "Events" not in [link.label for link in at.sidebar.page_link]


def test_the_table_follows_the_gold(database, run_page, app_database, scheme):
    at = run_page(PAGE, "judy")
    assert [row["sub_event"] for row in table_of(at)][-1] == "PROTEST"
    text = "Students marched in Nyaung Pin Thar."
    rioted = span(text, "marched", "RIOT")
    with session_scope(app_database.engine) as session:
        workflow.save_decision(
            session=session,
            sentence_id=database[text],
            reviewer_id=app_database.reviewer_id("ana"),
            status="accept",
            draft=Draft(events=(rioted,), categories=("RIOTS",)),
            scheme=scheme,
            policy=POLICY,
        )
    at.run()
    assert [row["sub_event"] for row in table_of(at)][-1] == "RIOT"
