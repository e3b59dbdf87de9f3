"""Team agreement on stored annotations: filters applied in the query (reports, reviewers,
days), agreement over time, the sentences most disagreed on and the tables and CSV the
agreement page shows, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.models import Annotation, Reviewer, Sentence
from annotator.ui import agreement_tables
from annotator.workflow import GoldPolicy, adjudicating
from annotator.workflow import agreement as team_agreement
from annotator.workflow.agreement import AgreementFilter, FilterError

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
# Each text is a report of one sentence. Three reviewers on POLICE (carol as alice), two on
# the others; PROTEST agreed, CLASHES accepted by alice and rejected by bob.
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


def seed(engine: Engine, scheme: LabelScheme, folder: Path) -> None:
    path = folder / "team.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )


def decided_at(engine: Engine, text: str, moment: datetime, reviewer: str | None = None) -> None:
    """Move the last decision on a sentence (by everyone, or one reviewer) to ``moment``."""
    with session_scope(engine) as session:
        query = (
            select(Annotation)
            .join(Sentence, Sentence.id == Annotation.sentence_id)
            .join(Reviewer, Reviewer.id == Annotation.reviewer_id)
            .where(Sentence.text == text)
        )
        if reviewer is not None:
            query = query.where(Reviewer.name == reviewer)
        for annotation in session.exec(query):
            annotation.updated_at = moment


def ids(engine: Engine) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Sentence ids, report ids (by text) and reviewer ids (by name)."""
    with session_scope(engine) as session:
        sentences = list(session.exec(select(Sentence)))
        reviewers = list(session.exec(select(Reviewer)))
        return (
            {s.text: s.id for s in sentences},
            {s.text: s.report_id for s in sentences},
            {r.name: r.id for r in reviewers},
        )


@pytest.fixture
def seeded(engine: Engine, scheme: LabelScheme, tmp_path: Path) -> Engine:
    seed(engine, scheme, tmp_path)
    return engine


def report_for(engine: Engine, scheme: LabelScheme, filters: AgreementFilter | None = None):
    with session_scope(engine) as session:
        return team_agreement.agreement_report(session=session, scheme=scheme, filters=filters)


def texts_of(engine: Engine, filters: AgreementFilter) -> dict[str, list[str]]:
    """Which reviewers' decisions the filtered query returns, by sentence text."""
    with session_scope(engine) as session:
        rows = repository.iter_decided_annotations(
            session=session,
            report_ids=filters.report_ids,
            reviewer_ids=filters.reviewer_ids,
            since=filters.bounds()[0],
            before=filters.bounds()[1],
        )
        found: dict[str, list[str]] = {}
        for row in rows:
            found.setdefault(row.text, []).append(row.reviewer)
        return found


def test_unfiltered_query_returns_every_decided_version_of_shared_sentences(seeded):
    assert texts_of(seeded, AgreementFilter()) == {
        POLICE: ["alice", "bob", "carol"],
        TROOPS: ["alice", "bob"],
        PROTEST: ["alice", "bob"],
        CLASHES: ["alice", "bob"],
    }


def test_a_report_filter_keeps_only_that_reports_sentences(seeded):
    _, reports, _ = ids(seeded)
    only = AgreementFilter(report_ids=(reports[TROOPS], reports[PROTEST]))
    assert texts_of(seeded, only) == {TROOPS: ["alice", "bob"], PROTEST: ["alice", "bob"]}


def test_a_reviewer_filter_compares_only_those_reviewers(seeded):
    _, _, reviewers = ids(seeded)
    assert texts_of(
        seeded, AgreementFilter(reviewer_ids=(reviewers["alice"], reviewers["carol"]))
    ) == {POLICE: ["alice", "carol"]}
    # One reviewer has no one to agree with: no sentence has two of their decisions.
    assert texts_of(seeded, AgreementFilter(reviewer_ids=(reviewers["bob"],))) == {}


def test_days_include_the_whole_last_day_and_nothing_after(seeded):
    decided_at(seeded, TROOPS, datetime(2024, 3, 4, 0, 0, tzinfo=UTC))
    decided_at(seeded, PROTEST, datetime(2024, 3, 5, 23, 59, 59, tzinfo=UTC))
    decided_at(seeded, POLICE, datetime(2024, 3, 6, 0, 0, tzinfo=UTC))
    march = AgreementFilter(first_day=date(2024, 3, 4), last_day=date(2024, 3, 5))
    assert set(texts_of(seeded, march)) == {TROOPS, PROTEST}
    assert set(texts_of(seeded, AgreementFilter(first_day=date(2024, 3, 6)))) == {POLICE, CLASHES}
    assert set(texts_of(seeded, AgreementFilter(last_day=date(2024, 3, 3)))) == set()


def test_a_sentence_counts_only_with_two_decisions_inside_the_days(seeded):
    # bob decided POLICE and TROOPS in January: in March only POLICE has two decisions.
    decided_at(seeded, POLICE, datetime(2024, 3, 4, 12, tzinfo=UTC))
    decided_at(seeded, POLICE, datetime(2024, 1, 2, 12, tzinfo=UTC), reviewer="bob")
    decided_at(seeded, TROOPS, datetime(2024, 1, 2, 12, tzinfo=UTC), reviewer="bob")
    march = AgreementFilter(first_day=date(2024, 3, 1), last_day=date(2024, 3, 31))
    assert texts_of(seeded, march) == {POLICE: ["alice", "carol"]}


def test_a_first_day_after_the_last_is_refused_with_both_days():
    with pytest.raises(FilterError, match=r"2024-03-05\) is after the last \(2024-03-04"):
        AgreementFilter(first_day=date(2024, 3, 5), last_day=date(2024, 3, 4))


def test_filtered_figures_rest_on_the_filtered_sentences(seeded, scheme):
    sentences, reports, reviewers = ids(seeded)
    police = report_for(seeded, scheme, AgreementFilter(report_ids=(reports[POLICE],)))
    assert (police["categories"]["n_items"], police["categories"]["n_annotators"]) == (1, 3)
    # Pairs (alice, bob) and (bob, carol): 1 of 2 spans each; (alice, carol) both: 4/(4+2+2).
    assert police["entities"]["pairwise_f1"]["value"] == pytest.approx(2 / 3)
    pairs = {tuple(p["annotators"]): p["value"] for p in police["entities"]["pairwise_f1"]["pairs"]}
    assert pairs == {
        ("alice", "bob"): pytest.approx(0.5),
        ("alice", "carol"): pytest.approx(1.0),
        ("bob", "carol"): pytest.approx(0.5),
    }
    two = AgreementFilter(reviewer_ids=(reviewers["alice"], reviewers["carol"]))
    assert report_for(seeded, scheme, two)["entities"]["pairwise_f1"]["value"] == 1.0


def test_the_unfiltered_report_equals_the_accepted_sentences_report(seeded, scheme):
    """Without a filter the figures rest on the three sentences two or more reviewers
    accepted (CLASHES was rejected by bob), as ``annotator agreement`` reports them."""
    report = report_for(seeded, scheme)
    assert report["entities"]["n_items"] == 3
    # POLICE pooled over its three pairs tp 4, fp 2, fn 2; TROOPS tp 1, fp 1; PROTEST tp 1.
    assert report["entities"]["pairwise_f1"]["value"] == pytest.approx(12 / 17)


def test_agreement_over_time_groups_sentences_by_their_last_acceptance(seeded, scheme):
    decided_at(seeded, TROOPS, datetime(2024, 3, 4, 9, tzinfo=UTC))  # a Monday
    decided_at(seeded, PROTEST, datetime(2024, 3, 10, 22, tzinfo=UTC))  # that Sunday
    decided_at(seeded, POLICE, datetime(2024, 3, 11, 9, tzinfo=UTC))
    decided_at(seeded, POLICE, datetime(2024, 3, 20, 9, tzinfo=UTC), reviewer="carol")
    with session_scope(seeded) as session:
        decided = team_agreement.decisions(session=session)
    weekly = agreement_tables.over_time_table(
        team_agreement.agreement_over_time(decided, scheme=scheme, period="week")
    )
    assert list(weekly["period"]) == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-18")]
    assert list(weekly["sentences"]) == [2, 1]
    # TROOPS 2/3 and PROTEST 1 pooled: tp 2, fp 1 -> 4/5; POLICE alone 2/3.
    assert list(weekly["entities F1"]) == [pytest.approx(4 / 5), pytest.approx(2 / 3)]
    # TROOPS: alice marked an event, bob none; PROTEST has none: pooled F1 0.
    assert weekly["events F1"].iloc[0] == 0.0
    daily = agreement_tables.over_time_table(
        team_agreement.agreement_over_time(decided, scheme=scheme, period="day")
    )
    assert [str(p.date()) for p in daily["period"]] == ["2024-03-04", "2024-03-10", "2024-03-20"]
    monthly = agreement_tables.over_time_table(
        team_agreement.agreement_over_time(decided, scheme=scheme, period="month")
    )
    assert list(monthly["sentences"]) == [3]


def test_undefined_figures_over_time_are_nan(seeded, scheme):
    with session_scope(seeded) as session:
        decided = team_agreement.decisions(
            session=session, filters=AgreementFilter(report_ids=(ids(seeded)[1][PROTEST],))
        )
    (row,) = agreement_tables.over_time_table(
        team_agreement.agreement_over_time(decided, scheme=scheme)
    ).to_dict(orient="records")
    # PROTEST has no events and one category both chose: events F1 and kappa are undefined.
    assert row["entities F1"] == 1.0
    assert pd.isna(row["events F1"])
    assert pd.isna(row["categories kappa"])


def test_most_disagreed_match_the_adjudication_queue(seeded):
    sentences, _, _ = ids(seeded)
    with session_scope(seeded) as session:
        listed = team_agreement.most_disagreed(team_agreement.decisions(session=session), limit=10)
        queue = adjudicating.disagreement_queue(session=session, include_gold=True)
    assert {item.sentence_id for item in listed} == {
        sentences[POLICE],
        sentences[TROOPS],
        sentences[CLASHES],
    }
    assert {i.sentence_id: i.score for i in listed} == {q.sentence_id: q.score for q in queue}
    scores = [item.score for item in listed]
    assert scores == sorted(scores, reverse=True)
    # Accept against reject shares nothing: the most disagreed.
    assert (listed[0].sentence_id, listed[0].score) == (sentences[CLASHES], 1.0)
    assert listed[0].reviewers == ("alice", "bob")
    with session_scope(seeded) as session:
        assert (
            len(team_agreement.most_disagreed(team_agreement.decisions(session=session), limit=1))
            == 1
        )


def test_reports_with_shared_sentences_are_the_filter_options(seeded, scheme, tmp_path):
    _, reports, _ = ids(seeded)
    lone = tmp_path / "lone.jsonl"
    lone.write_text(json.dumps(record("A lone sentence.", "alice")) + "\n", encoding="utf-8")
    with session_scope(seeded) as session:
        workflow.import_records(
            session=session,
            records=read_records([lone], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    with session_scope(seeded) as session:
        options = team_agreement.filter_options(session=session)
    assert [report_id for report_id, _ in options.reports] == sorted(
        reports[text] for text in (POLICE, TROOPS, PROTEST, CLASHES)
    )
    assert [name for _, name in options.reviewers] == ["alice", "bob", "carol"]


def test_tables_and_csv_carry_the_report_figures(seeded, scheme):
    report = report_for(seeded, scheme)
    figures = agreement_tables.figure_table(report)
    entities = figures[(figures["section"] == "entities")].set_index("figure")
    assert (
        entities.loc["Pairwise F1, strict", "value"] == report["entities"]["pairwise_f1"]["value"]
    )
    assert entities.loc["Pairwise F1, strict", "items"] == 3

    table = pd.read_csv(io.StringIO(agreement_tables.figures_csv(report)))
    overall = table[(table["label"] == agreement_tables.OVERALL)].set_index(["section", "figure"])
    for section in team_agreement.SECTIONS:
        for name in team_agreement.SECTION_FIGURES[section]:
            figure = report[section][name]
            row = overall.loc[(section, name)]
            if figure["value"] is None:
                assert pd.isna(row["value"]) and row["note"] == "not enough data"
            else:
                assert row["value"] == pytest.approx(figure["value"])
            assert (row["items"], row["reviewers"]) == (
                figure["n_items"],
                figure["n_annotators"],
            )
    gpe = table.set_index(["section", "label", "figure"]).loc[("entities", "GPE", "pairwise_f1")]
    assert gpe["value"] == pytest.approx(
        report["entities"]["per_label"]["GPE"]["pairwise_f1"]["value"]
    )

    pairs = pd.read_csv(io.StringIO(agreement_tables.pairs_csv(report)))
    strict = pairs[(pairs["section"] == "entities") & (pairs["figure"] == "pairwise_f1")]
    assert list(
        zip(strict["reviewer"], strict["other reviewer"], strict["value"], strict=True)
    ) == [
        ("alice", "bob", pytest.approx(2 / 3)),
        ("alice", "carol", 1.0),
        ("bob", "carol", 0.5),
    ]
    matrix = agreement_tables.pair_matrix(
        agreement_tables.pair_table(report), section="entities", figure="pairwise_f1"
    )
    assert matrix.loc["carol", "bob"] == matrix.loc["bob", "carol"] == 0.5
    assert pd.isna(matrix.loc["alice", "alice"])


def test_the_confusion_table_lists_only_labels_on_shared_bounds(seeded, scheme):
    confusion = agreement_tables.confusion_table(report_for(seeded, scheme), "entities")
    assert list(confusion.index) == ["PERSON", "ARMED_GROUP", "GPE", "LOC"]
    assert confusion.loc["GPE", "LOC"] == confusion.loc["LOC", "GPE"] == 2
    assert confusion.loc["PERSON", "PERSON"] == 3
