"""The event table: ``annotator events`` on SQLite and PostgreSQL, from gold with arguments (and
from suggestions), and the rows ``annotator.events`` makes of a report's decisions."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from annotator import repository, workflow
from annotator.cli import app
from annotator.db import session_scope
from annotator.events import DecidedReport, DecidedSentence, event_rows, report_context
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.models import Report, Sentence
from annotator.nlp.places import load_places
from annotator.spans import Argument, Draft, Span
from annotator.workflow import GoldPolicy
from annotator.workflow import events as workflow_events
from annotator.workflow.events import iter_event_table

runner = CliRunner()
# One reviewer's accept is the gold.
POLICY = GoldPolicy(overlap=1, auto_gold=True)

# A coder's report: a dated attack with its dead told in two sentences, and a clash two days on.
REPORT = (
    "On 3 May 2023, soldiers shot at least 12 villagers dead in Shwebo. "
    "The soldiers also burned houses in Shwebo. "
    "On 5 May, PDF fighters clashed with the military near Monywa."
)
# A report without a date or a country: its weekday names no day.
UNDATED = "Police arrested seven protesters in Mandalay on Tuesday."


def spans_of(text: str, *pairs: tuple[str, str]) -> dict[str, Span]:
    """Spans by their words (the first occurrence), each with its label."""
    found = {}
    for words, label in pairs:
        start = text.index(words)
        found[words] = Span(start, start + len(words), label)
    return found


def attack_draft(text: str) -> Draft:
    s = spans_of(
        text,
        ("3 May 2023", "DATE"),
        ("soldiers", "ARMED_GROUP"),
        ("at least 12", "CARDINAL"),
        ("Shwebo", "GPE"),
        ("shot", "ATTACK_ON_CIVILIANS"),
        ("dead", "CASUALTIES"),
    )
    shot, dead = s["shot"], s["dead"]
    return Draft(
        entities=(s["3 May 2023"], s["soldiers"], s["at least 12"], s["Shwebo"]),
        events=(shot, dead),
        categories=("VIOLENCE_AGAINST_CIVILIANS",),
        arguments=(
            Argument(shot, "ACTOR", s["soldiers"]),
            Argument(shot, "LOCATION", s["Shwebo"]),
            Argument(shot, "TIME", s["3 May 2023"]),
            Argument(dead, "COUNT", s["at least 12"]),
        ),
    )


def burning_draft(text: str) -> Draft:
    s = spans_of(
        text, ("soldiers", "ARMED_GROUP"), ("Shwebo", "GPE"), ("burned", "ATTACK_ON_CIVILIANS")
    )
    burned = s["burned"]
    return Draft(
        entities=(s["soldiers"], s["Shwebo"]),
        events=(burned,),
        categories=("VIOLENCE_AGAINST_CIVILIANS",),
        arguments=(
            Argument(burned, "ACTOR", s["soldiers"]),
            Argument(burned, "LOCATION", s["Shwebo"]),
        ),
    )


def clash_draft(text: str) -> Draft:
    s = spans_of(
        text,
        ("5 May", "DATE"),
        ("PDF fighters", "ARMED_GROUP"),
        ("military", "ARMED_GROUP"),
        ("Monywa", "GPE"),
        ("clashed", "ARMED_CLASH"),
    )
    clashed = s["clashed"]
    return Draft(
        entities=(s["5 May"], s["PDF fighters"], s["military"], s["Monywa"]),
        events=(clashed,),
        categories=("BATTLES",),
        arguments=(
            Argument(clashed, "ACTOR", s["PDF fighters"]),
            Argument(clashed, "TARGET", s["military"]),
            Argument(clashed, "LOCATION", s["Monywa"]),
            Argument(clashed, "TIME", s["5 May"]),
        ),
    )


def arrest_draft(text: str) -> Draft:
    s = spans_of(
        text,
        ("Police", "ARMED_GROUP"),
        ("seven", "CARDINAL"),
        ("Mandalay", "GPE"),
        ("Tuesday", "DATE"),
        ("arrested", "ARREST"),
    )
    arrested = s["arrested"]
    return Draft(
        entities=(s["Police"], s["seven"], s["Mandalay"], s["Tuesday"]),
        events=(arrested,),
        categories=("STRATEGIC_DEVELOPMENTS",),
        arguments=(
            Argument(arrested, "ACTOR", s["Police"]),
            Argument(arrested, "COUNT", s["seven"]),
            Argument(arrested, "LOCATION", s["Mandalay"]),
            Argument(arrested, "TIME", s["Tuesday"]),
        ),
    )


DRAFTS = {
    "On 3 May 2023": attack_draft,
    "The soldiers also": burning_draft,
    "On 5 May": clash_draft,
    "Police arrested": arrest_draft,
}


def store_reports(engine: Engine, scheme: LabelScheme, tmp_path: Path) -> dict[str, int]:
    """Import REPORT (with its country in meta) and UNDATED; return sentence ids by text."""
    path = tmp_path / "reports.jsonl"
    path.write_text(
        json.dumps({"text": REPORT, "meta": {"country": "Myanmar"}})
        + "\n"
        + json.dumps({"text": UNDATED})
        + "\n",
        encoding="utf-8",
    )
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=POLICY,
        )
    with session_scope(engine) as session:
        stored = session.exec(select(Sentence).order_by(Sentence.id)).all()
        return {sentence.text: int(sentence.id or 0) for sentence in stored}


def draft_for(text: str) -> Draft:
    return next(build(text) for start, build in DRAFTS.items() if text.startswith(start))


@pytest.fixture
def gold_events(engine: Engine, scheme: LabelScheme, tmp_path: Path) -> dict[str, int]:
    """Every sentence of the two reports accepted by one reviewer, arguments and all: gold."""
    ids = store_reports(engine, scheme, tmp_path)
    with session_scope(engine) as session:
        reviewer_id = repository.ensure_reviewer(session=session, name="ana").id
    for text, sentence_id in ids.items():
        with session_scope(engine) as session:
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer_id,
                status="accept",
                draft=draft_for(text),
                scheme=scheme,
                policy=POLICY,
            )
    return ids


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_gold_becomes_one_row_per_event(engine, gold_events, tmp_path):
    out = tmp_path / "events.csv"
    result = run("events", "--output", str(out), "--db", url_of(engine))
    assert result.exit_code == 0, result.output
    assert "wrote 3 event(s) from the gold" in result.stderr
    attack, clash, arrest = read_csv(out)
    first = gold_events[REPORT.split(". ")[0] + "."]
    second = gold_events["The soldiers also burned houses in Shwebo."]
    # The shooting, its dead and the burning of the same day and place are one event.
    assert attack["sentence_id"] == str(first)
    assert attack["sentence_ids"] == f"{first}; {second}"
    assert attack["event_date"] == "2023-05-03"
    assert attack["date_text"] == "3 May 2023"
    assert attack["event_type"] == "VIOLENCE_AGAINST_CIVILIANS"
    assert attack["sub_event"] == "ATTACK_ON_CIVILIANS"
    assert attack["trigger"] == "shot"
    assert attack["actor1"] == "soldiers"
    assert attack["actor2"] == "Civilians"
    assert attack["location"] == "Shwebo"
    assert attack["country"] == "Myanmar"
    assert float(attack["latitude"]) == pytest.approx(22.57, abs=0.01)
    assert float(attack["longitude"]) == pytest.approx(95.70, abs=0.01)
    assert attack["fatalities"] == "12"
    assert attack["fatalities_lower_bound"] == "true"
    assert attack["evidence"].splitlines() == [
        "On 3 May 2023, soldiers shot at least 12 villagers dead in Shwebo.",
        "The soldiers also burned houses in Shwebo.",
    ]
    # "5 May" has its year from the report's first sentence.
    assert (clash["event_date"], clash["date_text"]) == ("2023-05-05", "5 May")
    assert (clash["event_type"], clash["sub_event"]) == ("BATTLES", "ARMED_CLASH")
    assert (clash["actor1"], clash["actor2"], clash["location"]) == (
        "PDF fighters",
        "military",
        "Monywa",
    )
    assert clash["fatalities"] == "" and clash["fatalities_lower_bound"] == "false"
    # No year anywhere in the undated report: the weekday is kept as written, no day made up.
    assert (arrest["event_date"], arrest["date_text"]) == ("", "Tuesday")
    # A report is named as the reports page names it: here, by the file it came from.
    assert arrest["report"] == str(tmp_path / "reports.jsonl")
    assert arrest["location"] == "Mandalay"
    # An arrest's count is no fatality.
    assert arrest["fatalities"] == ""


def test_jsonl_and_parquet_hold_the_same_rows(engine, gold_events, tmp_path):
    jsonl, parquet = tmp_path / "events.jsonl", tmp_path / "events.parquet"
    for out in (jsonl, parquet):
        result = run("events", "--output", str(out), "--db", url_of(engine))
        assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [line["sentence_ids"] for line in lines][1:] == [
        [gold_events["On 5 May, PDF fighters clashed with the military near Monywa."]],
        [gold_events[UNDATED]],
    ]
    assert lines[0]["fatalities"] == 12 and lines[0]["fatalities_lower_bound"] is True
    assert lines[2]["event_date"] is None
    table = pq.read_table(parquet).to_pylist()
    assert table == lines
    assert str(pq.read_schema(parquet).field("sentence_ids").type) == "list<element: int64>"


def test_format_wins_over_the_suffix(engine, gold_events, tmp_path):
    out = tmp_path / "events.txt"
    result = run("events", "--output", str(out), "--format", "jsonl", "--db", url_of(engine))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["trigger"] == "shot"
    # No format and an unknown suffix: CSV.
    result = run("events", "--output", str(tmp_path / "events"), "--db", url_of(engine))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "events").read_text(encoding="utf-8").startswith("report,report_id,")


def test_the_suggestions_give_their_own_table(engine, scheme, tmp_path):
    ids = store_reports(engine, scheme, tmp_path)
    clash = "On 5 May, PDF fighters clashed with the military near Monywa."
    with session_scope(engine) as session:
        old = Draft(events=(Span(clash.index("clashed"), clash.index("clashed") + 7, "RIOT"),))
        repository.insert_suggestions(
            session=session,
            rows=[
                {"sentence_id": ids[clash], "model_name": "m", "model_version": "1", **old.rows()},
                {
                    "sentence_id": ids[clash],
                    "model_name": "m",
                    "model_version": "2",
                    **clash_draft(clash).rows(),
                },
            ],
        )
    out = tmp_path / "suggested.csv"
    result = run("events", "--output", str(out), "--source", "suggestions", "--db", url_of(engine))
    assert result.exit_code == 0, result.output
    # The newest suggestion of the sentence, not the older one, and no gold.
    [row] = read_csv(out)
    assert (row["sub_event"], row["event_date"]) == ("ARMED_CLASH", "2023-05-05")
    result = run("events", "--output", str(tmp_path / "gold.csv"), "--db", url_of(engine))
    assert result.exit_code == 0 and read_csv(tmp_path / "gold.csv") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "unknown format 'xlsx'; use one of csv, jsonl, parquet"),
        (["--source", "reviewers"], "unknown source 'reviewers'; use one of gold, suggestions"),
    ],
)
def test_a_wrong_option_is_one_line_of_error(sqlite_url, tmp_path, args, message):
    out = tmp_path / "events.csv"
    result = run("events", "--output", str(out), "--db", sqlite_url, *args)
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {message}"
    assert not out.exists()


def test_a_folder_that_is_not_there_is_named_and_an_old_table_kept(sqlite_url, tmp_path):
    result = run("events", "--output", str(tmp_path / "no" / "events.csv"), "--db", sqlite_url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {tmp_path / 'no'} is not a folder; create it first")
    old = tmp_path / "events.csv"
    old.write_text("the old table\n", encoding="utf-8")
    result = run("events", "--output", str(tmp_path), "--db", sqlite_url)
    assert result.exit_code == 1 and "is a folder" in result.stderr
    assert old.read_text(encoding="utf-8") == "the old table\n"


def test_a_cell_that_would_be_a_formula_is_not_one(engine, scheme, tmp_path):
    text = "=HYPERLINK(1) gunmen attacked Shwebo."
    path = tmp_path / "formula.txt"
    path.write_text(text, encoding="utf-8")
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme, keep_records=True),
            scheme=scheme,
            policy=POLICY,
        )
        sentence_id = session.exec(select(Sentence.id)).one()
        reviewer_id = repository.ensure_reviewer(session=session, name="ana").id
        attacked = Span(text.index("attacked"), text.index("attacked") + 8, "ATTACK_ON_CIVILIANS")
        workflow.save_decision(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            status="accept",
            draft=Draft(events=(attacked,)),
            scheme=scheme,
            policy=POLICY,
        )
    out = tmp_path / "events.csv"
    assert run("events", "--output", str(out), "--db", url_of(engine)).exit_code == 0
    [row] = read_csv(out)
    assert row["evidence"] == "'" + text


# --- the rows of one report, without a database --------------------------------------------


def decided(text: str, draft: Draft, *, sentence_id: int = 1, position: int = 0):  # type: ignore[no-untyped-def]
    return DecidedSentence(sentence_id=sentence_id, position=position, text=text, draft=draft)


def one_report(*sentences: DecidedSentence, meta=None) -> DecidedReport:  # type: ignore[no-untyped-def]
    return DecidedReport(
        report_id=1,
        name="note",
        meta=meta or {},
        first_sentence=sentences[0].text if sentences else None,
        sentences=sentences,
    )


def test_the_report_date_comes_from_meta_before_the_first_sentence():
    sentence = decided("On 3 May 2023, soldiers fired.", Draft())
    assert report_context(one_report(sentence)).date == date(2023, 5, 3)
    dated = one_report(sentence, meta={"published": "2024-01-02T08:00:00Z"})
    assert report_context(dated).date == date(2024, 1, 2)


def test_a_weekday_is_resolved_against_the_report_date(scheme):
    text = "On Monday, soldiers shot a farmer in Shwebo."
    s = spans_of(
        text, ("Monday", "DATE"), ("soldiers", "ARMED_GROUP"), ("shot", "ATTACK_ON_CIVILIANS")
    )
    draft = Draft(
        entities=(s["Monday"], s["soldiers"]),
        events=(s["shot"],),
        arguments=(Argument(s["shot"], "TIME", s["Monday"]),),
    )
    # 10 May 2023 was a Wednesday.
    [row] = event_rows(
        one_report(decided(text, draft), meta={"date": "10 May 2023"}), scheme=scheme
    )
    assert (row.event_date, row.date_text) == ("2023-05-08", "Monday")
    # Without arguments the sentence's own date is the event's.
    [row] = event_rows(
        one_report(decided(text, Draft(entities=draft.entities, events=draft.events))),
        scheme=scheme,
    )
    assert (row.event_date, row.date_text) == (None, "Monday")


def test_a_casualty_takes_the_sentences_category_and_the_wounded_are_no_fatalities(scheme):
    text = "Gunmen killed seven people and wounded 12 in Kaduna."
    s = spans_of(
        text,
        ("Gunmen", "ARMED_GROUP"),
        ("seven", "CARDINAL"),
        ("12", "CARDINAL"),
        ("Kaduna", "GPE"),
        ("killed", "CASUALTIES"),
        ("wounded", "CASUALTIES"),
    )
    killed, wounded = s["killed"], s["wounded"]
    draft = Draft(
        entities=(s["Gunmen"], s["seven"], s["12"], s["Kaduna"]),
        events=(killed, wounded),
        categories=("VIOLENCE_AGAINST_CIVILIANS",),
        arguments=(
            Argument(killed, "ACTOR", s["Gunmen"]),
            Argument(killed, "COUNT", s["seven"]),
            Argument(killed, "LOCATION", s["Kaduna"]),
            Argument(wounded, "COUNT", s["12"]),
        ),
    )
    [row] = event_rows(one_report(decided(text, draft)), scheme=scheme, places=load_places())
    assert (row.event_type, row.sub_event, row.trigger) == (
        "VIOLENCE_AGAINST_CIVILIANS",
        "CASUALTIES",
        "killed",
    )
    assert (row.fatalities, row.fatalities_lower_bound) == (7, False)
    assert (row.actor1, row.actor2, row.location) == ("Gunmen", "Civilians", "Kaduna")
    # The gazetteer knows Kaduna: Nigeria, without the report saying so.
    assert row.country == "Nigeria" and row.geo_precision == 1


def test_a_village_the_gazetteer_does_not_know_is_placed_by_its_region(scheme):
    text = "Troops torched Nyaung Kone village, Myaing township, Magway Region."
    s = spans_of(
        text,
        ("Troops", "ARMED_GROUP"),
        ("Nyaung Kone village", "GPE"),
        ("Myaing township", "GPE"),
        ("Magway Region", "GPE"),
        ("torched", "ATTACK_ON_CIVILIANS"),
    )
    torched = s["torched"]
    places = [s["Nyaung Kone village"], s["Myaing township"], s["Magway Region"]]
    draft = Draft(
        entities=(s["Troops"], *places),
        events=(torched,),
        arguments=tuple(Argument(torched, "LOCATION", place) for place in reversed(places)),
    )
    [row] = event_rows(one_report(decided(text, draft)), scheme=scheme, places=load_places())
    assert (row.location, row.admin2, row.admin1) == ("Nyaung Kone village", "Myaing", "Magway")
    assert row.country == "Myanmar"
    # Magway, the region's seat, is the nearest place with coordinates.
    assert row.geo_precision == 3 and row.latitude == pytest.approx(20.15, abs=0.01)


def test_events_of_different_places_stay_apart_and_a_placeless_one_joins_neither(scheme):
    texts = (
        "Soldiers shot a man in Shwebo.",
        "Soldiers shot a woman in Monywa.",
        "A boy was also shot.",
    )
    sentences = []
    for number, text in enumerate(texts, start=1):
        shot = Span(text.index("shot"), text.index("shot") + 4, "ATTACK_ON_CIVILIANS")
        places = [
            Span(text.index(name), text.index(name) + len(name), "GPE")
            for name in ("Shwebo", "Monywa")
            if name in text
        ]
        draft = Draft(
            entities=tuple(places),
            events=(shot,),
            arguments=tuple(Argument(shot, "LOCATION", place) for place in places),
        )
        sentences.append(decided(text, draft, sentence_id=number, position=number - 1))
    rows = event_rows(one_report(*sentences), scheme=scheme)
    assert [(row.location, row.sentence_ids) for row in rows] == [
        ("Shwebo", (1,)),
        ("Monywa", (2,)),
        (None, (3,)),
    ]


def test_the_dead_of_a_sentence_are_its_attacks_and_a_restated_toll_counts_once(scheme):
    text = (
        "Troops shelled Nat Yay camp, killing 6 civilians in Kin Ywar village and injuring "
        "10-15 others. [Fatalities: 6]"
    )
    s = spans_of(
        text,
        ("Nat Yay camp", "FAC"),
        ("6", "CARDINAL"),
        ("Kin Ywar village", "GPE"),
        ("10-15", "CARDINAL"),
        ("shelled", "REMOTE_VIOLENCE"),
        ("killing", "CASUALTIES"),
        ("injuring", "CASUALTIES"),
        ("Fatalities", "CASUALTIES"),
    )
    again = Span(text.rindex("6"), text.rindex("6") + 1, "CARDINAL")
    shelled, killing, injuring, toll = (
        s["shelled"],
        s["killing"],
        s["injuring"],
        s["Fatalities"],
    )
    draft = Draft(
        entities=(s["Nat Yay camp"], s["6"], s["Kin Ywar village"], s["10-15"], again),
        events=(shelled, killing, injuring, toll),
        categories=("EXPLOSIONS_REMOTE_VIOLENCE",),
        arguments=(
            Argument(shelled, "LOCATION", s["Nat Yay camp"]),
            Argument(killing, "COUNT", s["6"]),
            Argument(killing, "LOCATION", s["Kin Ywar village"]),
            Argument(injuring, "COUNT", s["10-15"]),
            Argument(toll, "COUNT", again),
        ),
    )
    # One event: the shelling, with the dead the words place in the village; the injured are
    # no fatalities and the coder's "[Fatalities: 6]" is the same six.
    [row] = event_rows(one_report(decided(text, draft)), scheme=scheme)
    assert (row.sub_event, row.location) == ("REMOTE_VIOLENCE", "Nat Yay camp")
    assert (row.fatalities, row.fatalities_lower_bound) == (6, False)


# --- streamed, report by report -----------------------------------------------------------


def test_a_reports_events_merge_whatever_order_its_sentences_were_stored_in(engine, scheme):
    # Two imports at once can interleave sentence ids: report 1 holds sentences 10 and 30,
    # report 2 sentence 20. The table reads report by report, so the attack of report 1 and
    # its burning stay one event.
    attack, burning = REPORT.split(". ")[0] + ".", "The soldiers also burned houses in Shwebo."
    clash = "On 5 May, PDF fighters clashed with the military near Monywa."
    stored = {1: (attack, burning), 2: (clash,)}
    with session_scope(engine) as session:
        for report_id, texts in stored.items():
            session.add(
                Report(
                    id=report_id,
                    content_hash=f"report-{report_id}",
                    source=f"report-{report_id}.txt",
                    text=" ".join(texts),
                    meta={"country": "Myanmar"},
                    n_sentences=len(texts),
                )
            )
        session.flush()
        for sentence_id, report_id, position, text in (
            (10, 1, 0, attack),
            (20, 2, 0, clash),
            (30, 1, 1, burning),
        ):
            session.add(
                Sentence(
                    id=sentence_id,
                    report_id=report_id,
                    position=position,
                    start_char=0,
                    end_char=len(text),
                    text=text,
                    content_hash=f"sentence-{sentence_id}",
                )
            )
        reviewer_id = repository.ensure_reviewer(session=session, name="ana").id
    for sentence_id, text in ((10, attack), (20, clash), (30, burning)):
        with session_scope(engine) as session:
            workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer_id,
                status="accept",
                draft=draft_for(text),
                scheme=scheme,
                policy=POLICY,
            )
    with session_scope(engine) as session:
        rows = list(iter_event_table(session=session, scheme=scheme, places=load_places()))
    assert [(row.report_id, row.sentence_ids) for row in rows] == [(1, (10, 30)), (2, (20,))]
    assert rows[0].fatalities == 12


def test_a_parquet_table_of_many_row_groups_holds_the_rows_of_the_jsonl(
    engine, gold_events, tmp_path, monkeypatch
):
    monkeypatch.setattr(workflow_events, "PARQUET_ROWS", 2)  # three rows: two row groups
    jsonl, parquet = tmp_path / "events.jsonl", tmp_path / "events.parquet"
    for out in (jsonl, parquet):
        result = run("events", "--output", str(out), "--db", url_of(engine))
        assert result.exit_code == 0, result.output
        assert "wrote 3 event(s)" in result.stderr
    assert pq.ParquetFile(parquet).num_row_groups == 2
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert pq.read_table(parquet).to_pylist() == lines


def test_an_empty_table_is_a_parquet_file_with_the_columns(engine, tmp_path):
    out = tmp_path / "events.parquet"
    result = run("events", "--output", str(out), "--db", url_of(engine))
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).num_rows == 0
    assert tuple(pq.read_schema(out).names) == workflow_events.COLUMNS
