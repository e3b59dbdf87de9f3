"""Importing on a real database (SQLite and PostgreSQL): length limits, records split or kept
whole, gold that would overwrite a decision, true summary counts, and an import that commits in
short transactions yet stays all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats import ImportFailed, read_records
from annotator.labels import LabelScheme
from annotator.models import Gold, Sentence
from annotator.spans import Draft, Span
from annotator.workflow import GoldPolicy, gold, importing
from annotator.workflow.importing import ImportLimits

POLICE = "Police arrested Ko Aung in Yangon."
PERSON = {"start": 16, "end": 23, "label": "PERSON"}
GPE = {"start": 27, "end": 33, "label": "GPE"}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def import_paths(
    engine: Engine,
    scheme: LabelScheme,
    paths: list[Path],
    *,
    gold: bool = False,
    force: bool = False,
    keep_records: bool = False,
    limits: ImportLimits | None = None,
) -> workflow.ImportSummary:
    with session_scope(engine) as session:
        return workflow.import_records(
            session=session,
            records=read_records(paths, scheme=scheme, gold=gold, keep_records=keep_records),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
            gold=gold,
            force=force,
            limits=limits or ImportLimits(),
        )


def counts(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return repository.count_rows(session=session)


def sentence_texts(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return [s.text for s in session.exec(select(Sentence).order_by(Sentence.id))]


def gold_rows(engine: Engine) -> list[Gold]:
    with session_scope(engine) as session:
        return list(session.exec(select(Gold).order_by(Gold.sentence_id)))


# --- length limits ----------------------------------------------------------------------------


def test_a_record_over_a_million_characters_is_refused_and_nothing_stored(engine, scheme, tmp_path):
    path = write_jsonl(tmp_path / "batch.jsonl", [{"text": POLICE}, {"text": "x" * 1_000_001}])

    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, scheme, [path])

    (error,) = failed.value.errors
    assert (error.source, error.line) == (str(path), 2)
    assert "1,000,001 characters" in error.reason and "ANNOTATOR_MAX_RECORD_CHARS" in error.reason
    assert counts(engine)["reports"] == 0


def test_a_sentence_over_the_limit_after_splitting_is_refused_at_its_line(engine, scheme, tmp_path):
    path = tmp_path / "report.txt"
    long_line = " ".join(["word"] * 30)  # 149 characters without a full stop
    path.write_text(f"Troops fled.\nResidents hid.\n{long_line}\n", encoding="utf-8")

    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, scheme, [path], limits=ImportLimits(max_sentence_chars=100))

    (error,) = failed.value.errors
    assert (error.source, error.line) == (str(path), 3)
    assert "149 characters" in error.reason and "ANNOTATOR_MAX_SENTENCE_CHARS" in error.reason
    assert counts(engine)["reports"] == 0


def test_a_record_kept_whole_over_the_sentence_limit_is_refused(engine, scheme, tmp_path):
    path = write_jsonl(tmp_path / "batch.jsonl", [{"text": "Troops fled. " * 10}])

    with pytest.raises(ImportFailed) as failed:
        import_paths(
            engine,
            scheme,
            [path],
            keep_records=True,
            limits=ImportLimits(max_sentence_chars=100),
        )

    assert [(e.line, "ANNOTATOR_MAX_SENTENCE_CHARS" in e.reason) for e in failed.value.errors] == [
        (1, True)
    ]
    # Split, the same record is ten short sentences.
    summary = import_paths(engine, scheme, [path], limits=ImportLimits(max_sentence_chars=100))
    assert (summary.reports, summary.sentences) == (1, 10)


# --- records split or kept whole ------------------------------------------------------------


def test_a_jsonl_record_is_split_into_sentences_unless_kept_whole(engine, scheme, tmp_path):
    text = "Troops shelled Moebye. Residents fled."
    path = write_jsonl(tmp_path / "batch.jsonl", [{"text": text}])

    summary = import_paths(engine, scheme, [path])

    assert (summary.reports, summary.sentences) == (1, 2)
    assert sentence_texts(engine) == ["Troops shelled Moebye.", "Residents fled."]


def test_a_record_kept_whole_and_the_same_record_split_are_one_report(engine, scheme, tmp_path):
    path = write_jsonl(tmp_path / "batch.jsonl", [{"text": "One. Two."}])

    first = import_paths(engine, scheme, [path], keep_records=True)
    again = import_paths(engine, scheme, [path])

    assert (first.reports, first.sentences) == (1, 1)
    assert (again.reports, again.sentences, again.duplicates) == (0, 0, 1)
    assert sentence_texts(engine) == ["One. Two."]


def test_an_annotated_record_stays_one_sentence(engine, scheme, tmp_path):
    text = "Troops fled. Police arrested Ko Aung in Yangon."
    record = {"text": text, "spans": [{"start": 29, "end": 36, "label": "PERSON"}]}
    path = write_jsonl(tmp_path / "batch.jsonl", [record])

    import_paths(engine, scheme, [path])

    assert sentence_texts(engine) == [text]


# --- gold imports -----------------------------------------------------------------------------


def gold_record(*spans: dict, text: str = POLICE) -> dict:
    return {"text": text, "spans": list(spans), "answer": "accept"}


def adjudicate(engine: Engine, draft: Draft) -> None:
    with session_scope(engine) as session:
        (sentence_id,) = session.exec(select(Sentence.id)).all()
        judge = repository.ensure_reviewer(session=session, name="judge", role="adjudicator")
        gold.adjudicate_gold(
            session=session,
            sentence_id=sentence_id,
            adjudicator_id=judge.id,
            draft=draft,
            from_annotations=[],
            expected_version=None,
        )


def test_two_records_with_other_gold_for_one_text_abort_the_import(engine, scheme, tmp_path):
    path = write_jsonl(
        tmp_path / "gold.jsonl",
        [gold_record(PERSON), gold_record(PERSON), gold_record(GPE), gold_record(PERSON, GPE)],
    )

    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, scheme, [path], gold=True)

    assert [(e.line, f"{path}:1" in e.reason) for e in failed.value.errors] == [
        (3, True),
        (4, True),
    ]
    assert counts(engine)["gold"] == 0


def test_with_force_the_last_record_for_a_text_is_its_gold(engine, scheme, tmp_path):
    path = write_jsonl(tmp_path / "gold.jsonl", [gold_record(PERSON), gold_record(GPE)])

    summary = import_paths(engine, scheme, [path], gold=True, force=True)

    assert summary.gold == 1
    assert [g.entities for g in gold_rows(engine)] == [[GPE]]


def test_gold_import_never_overwrites_adjudicated_gold_without_force(engine, scheme, tmp_path):
    first = write_jsonl(tmp_path / "first.jsonl", [{"text": POLICE}])
    import_paths(engine, scheme, [first])
    adjudicate(engine, Draft(entities=(Span(16, 23, "PERSON"),)))
    path = write_jsonl(tmp_path / "gold.jsonl", [gold_record(GPE)])

    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, scheme, [path], gold=True)

    (error,) = failed.value.errors
    assert error.line == 1 and "adjudicated" in error.reason and "--force" in error.reason
    (kept,) = gold_rows(engine)
    assert (kept.source, kept.entities) == ("adjudicated", [PERSON])

    summary = import_paths(engine, scheme, [path], gold=True, force=True)
    (replaced,) = gold_rows(engine)
    assert summary.gold == 1 and (replaced.source, replaced.entities) == ("imported", [GPE])


def test_gold_the_same_as_the_adjudicated_one_is_no_conflict_and_not_counted(
    engine, scheme, tmp_path
):
    import_paths(engine, scheme, [write_jsonl(tmp_path / "first.jsonl", [{"text": POLICE}])])
    adjudicate(engine, Draft(entities=(Span(16, 23, "PERSON"),)))
    path = write_jsonl(tmp_path / "gold.jsonl", [gold_record(PERSON)])

    summary = import_paths(engine, scheme, [path], gold=True)

    assert (summary.gold, summary.duplicates) == (0, 1)
    assert [g.source for g in gold_rows(engine)] == ["adjudicated"]


def test_the_gold_count_is_gold_created_not_records(engine, scheme, tmp_path):
    moebye = {"start": 15, "end": 21, "label": "GPE"}
    path = write_jsonl(
        tmp_path / "gold.jsonl",
        [
            gold_record(PERSON),
            gold_record(PERSON),
            gold_record(moebye, text="Troops shelled Moebye."),
        ],
    )

    summary = import_paths(engine, scheme, [path], gold=True)
    again = import_paths(engine, scheme, [path], gold=True)

    assert (summary.gold, summary.duplicates) == (2, 1)
    assert (again.gold, again.duplicates) == (0, 3)
    assert counts(engine)["gold"] == 2


def test_accepted_annotations_count_as_gold_only_when_the_policy_makes_gold(
    engine, scheme, tmp_path, monkeypatch
):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    record = {"text": POLICE, "spans": [PERSON], "answer": "accept", "_annotator_id": "mya"}
    path = write_jsonl(tmp_path / "done.jsonl", [record])

    summary = import_paths(engine, scheme, [path])

    assert (summary.annotations, summary.gold) == (1, 0)
    assert counts(engine)["gold"] == 0


def test_importing_splits_a_chunked_import_like_a_single_one(engine, scheme, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "IMPORT_CHUNK", 2)
    texts = [f"Clashes in village {n}. Residents fled." for n in range(5)]
    path = write_jsonl(tmp_path / "batch.jsonl", [{"text": t} for t in texts])

    summary = importing.import_in_chunks(
        engine=engine,
        records=read_records([path], scheme=scheme),
        scheme=scheme,
        policy=GoldPolicy.of(Settings.from_env()),
    )

    assert (summary.reports, summary.sentences) == (5, 10)
    assert len(summary.report_ids) == 5


def test_a_chunk_that_fails_midway_takes_back_what_the_import_stored(
    engine, scheme, tmp_path, monkeypatch
):
    monkeypatch.setattr(importing, "IMPORT_CHUNK", 2)
    earlier = write_jsonl(tmp_path / "earlier.jsonl", [{"text": "Stored before. It stays."}])
    import_paths(engine, scheme, [earlier])
    path = write_jsonl(
        tmp_path / "batch.jsonl", [{"text": f"Clashes in village {n}. Fled."} for n in range(6)]
    )
    store = importing._store_chunk
    calls: list[int] = []

    def failing_third_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise ConnectionError("the database went away")
        return store(**kwargs)

    monkeypatch.setattr(importing, "_store_chunk", failing_third_chunk)

    with pytest.raises(ConnectionError):
        importing.import_in_chunks(
            engine=engine,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )

    assert sentence_texts(engine) == ["Stored before.", "It stays."]


# --- nothing merged silently (issue 11) -------------------------------------------------------


def test_gold_replacing_earlier_imported_gold_is_counted_and_said(engine, scheme, tmp_path):
    import_paths(
        engine, scheme, [write_jsonl(tmp_path / "a.jsonl", [gold_record(PERSON)])], gold=True
    )

    summary = import_paths(
        engine, scheme, [write_jsonl(tmp_path / "b.jsonl", [gold_record(GPE)])], gold=True
    )

    assert (summary.gold, summary.replaced_gold) == (1, 1)
    assert "1 sentence(s) had gold that said otherwise: replaced by this import's" in (
        summary.notes()
    )
    assert [g.entities for g in gold_rows(engine)] == [[GPE]]


def test_a_reviewers_new_annotation_replacing_their_old_one_is_said(engine, scheme, tmp_path):
    first = {"text": POLICE, "spans": [PERSON], "_annotator_id": "mya"}
    import_paths(engine, scheme, [write_jsonl(tmp_path / "a.jsonl", [first])])

    again = import_paths(engine, scheme, [write_jsonl(tmp_path / "a.jsonl", [first])])
    changed = import_paths(
        engine, scheme, [write_jsonl(tmp_path / "b.jsonl", [{**first, "spans": [GPE]}])]
    )

    assert (again.annotations, again.replaced_annotations, again.notes()) == (0, 0, [])
    assert (changed.annotations, changed.replaced_annotations) == (1, 1)
    assert any(
        "replaced a different one the same reviewer had stored" in n for n in changed.notes()
    )
    assert counts(engine)["annotations"] == 1


def test_a_gold_import_stores_rejects_and_skips_as_annotations_never_gold(engine, scheme, tmp_path):
    path = write_jsonl(
        tmp_path / "db-out.jsonl",
        [
            {**gold_record(PERSON), "_annotator_id": "mya"},
            {"text": "Troops fled.", "spans": [], "answer": "reject", "_annotator_id": "mya"},
            {"text": "Shops closed.", "spans": [], "answer": "ignore"},
            {"text": "  ", "answer": "accept"},
        ],
    )

    summary = import_paths(engine, scheme, [path], gold=True)

    assert (summary.gold, summary.annotations, summary.not_gold, summary.blank) == (1, 2, 2, 1)
    assert dict(summary.statuses) == {"reject": 1, "skip": 1}
    assert [g.source for g in gold_rows(engine)] == ["imported"]
    with session_scope(engine) as session:
        decided = sorted(
            (reviewer.name, annotation.status)
            for annotation, reviewer, _, _ in repository.iter_annotations(session=session)
        )
    assert decided == [("imported", "skip"), ("mya", "reject")]


def test_an_import_in_chunks_keeps_its_notes(engine, scheme, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "IMPORT_CHUNK", 1)
    path = write_jsonl(
        tmp_path / "batch.jsonl",
        [
            {"text": POLICE, "spans": [PERSON], "_annotator_id": "alice"},
            {"text": ""},
            {"text": POLICE, "spans": [GPE], "_annotator_id": "bob"},
        ],
    )

    summary = importing.import_in_chunks(
        engine=engine,
        records=read_records([path], scheme=scheme),
        scheme=scheme,
        policy=GoldPolicy.of(Settings.from_env()),
    )

    assert summary.notes() == [
        "1 record(s) with a blank text were skipped",
        "1 record(s) repeat a text already imported: kept as the annotations of alice, bob",
    ]


# --- event arguments and binary answers (issue 12) -------------------------------------------

POLICE_ARRESTED = {"start": 7, "end": 15, "label": "ARREST"}
POLICE_FORCE = {"start": 0, "end": 6, "label": "ARMED_GROUP"}
YANGON_PLACE = {"start": 27, "end": 33, "label": "GPE"}


def arrest(*args: tuple[str, dict], reviewer: str | None = None) -> dict:
    """A record of POLICE whose arrest has ``args``, in the shape ``annotator suggest`` writes."""
    record = {
        "text": POLICE,
        "spans": [POLICE_FORCE, PERSON, YANGON_PLACE],
        "events": [{**POLICE_ARRESTED, "args": [{"role": role, **span} for role, span in args]}],
        "answer": "accept",
    }
    if reviewer is not None:
        record["_annotator_id"] = reviewer
    return record


def stored_links(rows: list) -> list[list[tuple[str, str]]]:
    return [
        sorted((a["role"], POLICE[a["start"] : a["end"]]) for a in row.arguments) for row in rows
    ]


def test_arguments_are_stored_with_the_gold_and_the_annotations(engine, scheme, tmp_path):
    path = write_jsonl(
        tmp_path / "gold.jsonl",
        [arrest(("ACTOR", POLICE_FORCE), ("TARGET", PERSON), ("LOCATION", YANGON_PLACE))],
    )
    reviewers = write_jsonl(
        tmp_path / "reviewers.jsonl",
        [
            arrest(("ACTOR", POLICE_FORCE), reviewer="alice"),
            arrest(("ACTOR", POLICE_FORCE), ("LOCATION", YANGON_PLACE), reviewer="bob"),
        ],
    )

    import_paths(engine, scheme, [path], gold=True)
    import_paths(engine, scheme, [reviewers])

    assert stored_links(gold_rows(engine)) == [
        [("ACTOR", "Police"), ("LOCATION", "Yangon"), ("TARGET", "Ko Aung")]
    ]
    with session_scope(engine) as session:
        by_reviewer = {
            reviewer.name: sorted((a["role"], POLICE[a["start"] : a["end"]]) for a in row.arguments)
            for row, reviewer, _, _ in repository.iter_annotations(session=session)
        }
    assert by_reviewer == {
        "alice": [("ACTOR", "Police")],
        "bob": [("ACTOR", "Police"), ("LOCATION", "Yangon")],
    }


def test_other_arguments_are_another_decision_and_the_same_ones_a_repeat(engine, scheme, tmp_path):
    same = write_jsonl(
        tmp_path / "same.jsonl",
        [arrest(("ACTOR", POLICE_FORCE), reviewer="alice")] * 2,
    )
    other = write_jsonl(
        tmp_path / "other.jsonl",
        [
            arrest(("ACTOR", POLICE_FORCE), reviewer="alice"),
            arrest(("TARGET", PERSON), reviewer="alice"),
        ],
    )

    summary = import_paths(engine, scheme, [same])
    again = import_paths(engine, scheme, [same])
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, scheme, [other])

    assert (summary.annotations, summary.repeated) == (1, 1)
    assert again.annotations == 0
    (error,) = failed.value.errors
    assert error.line == 2 and "another decision" in error.reason


def test_a_label_studio_prediction_stores_its_arguments_with_the_suggestion(
    engine, scheme, tmp_path
):
    from annotator.models import Suggestion

    regions = [
        {"id": "a", "type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": 0, "end": 6, "text": "Police", "labels": ["ARMED_GROUP"]}},
        {"id": "b", "type": "labels", "from_name": "event", "to_name": "text",
         "value": {"start": 7, "end": 15, "text": "arrested", "labels": ["ARREST"]}},
        {"from_id": "b", "to_id": "a", "type": "relation", "labels": ["ACTOR"]},
    ]  # fmt: skip
    path = tmp_path / "tasks.json"
    path.write_text(
        json.dumps(
            [
                {
                    "data": {"text": POLICE},
                    "predictions": [{"model_version": "v2", "result": regions}],
                }
            ]
        ),
        encoding="utf-8",
    )

    summary = import_paths(engine, scheme, [path])

    assert summary.suggestions == 1
    with session_scope(engine) as session:
        (suggestion,) = session.exec(select(Suggestion)).all()
        assert stored_links([suggestion]) == [[("ACTOR", "Police")]]


def test_binary_answers_are_merged_and_counted(engine, scheme, tmp_path):
    def answer(span: dict, verdict: str) -> dict:
        return {"text": POLICE, "spans": [span], "answer": verdict, "_input_hash": 3,
                "_task_hash": span["start"]}  # fmt: skip

    path = write_jsonl(
        tmp_path / "teach.jsonl",
        [answer(PERSON, "accept"), answer(GPE, "accept"), answer(POLICE_FORCE, "reject")],
    )

    summary = import_paths(engine, scheme, [path])

    assert (summary.annotations, summary.merged_answers, summary.merged_into) == (1, 3, 1)
    assert summary.notes()[0].startswith(
        "3 binary answer(s) (Prodigy's ner.teach, textcat.teach) were merged into 1 annotation(s)"
    )
    with session_scope(engine) as session:
        ((annotation, *_),) = list(repository.iter_annotations(session=session))
    assert annotation.entities == [PERSON, GPE]
