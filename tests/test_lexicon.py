"""The gold lexicon on a real database (SQLite and PostgreSQL): a name a reviewer fixes once is
suggested in the next sentences at once, a suggestion a reviewer removes is not suggested again,
undo and adjudication change what it learned; and ``annotator import`` / ``suggest`` use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select
from typer.testing import CliRunner

from annotator import repository, workflow
from annotator.cli import app
from annotator.config import Settings
from annotator.db import session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.models import LexiconTally, LexiconVote
from annotator.nlp.suggest import Suggester
from annotator.spans import Draft, Span
from annotator.workflow import GoldPolicy, adjudicating, annotating, lexicon, reports

# A report that repeats a name; the stored suggestions (a suggester that does not know it)
# never mark it, and mark "Arakan" alone in the fourth sentence.
ARAKAN = (
    "Arakan Army fighters attacked a police post in Maungdaw. "
    "The Arakan Army said it held the post. "
    "Arakan Army troops moved north on Monday. "
    "Residents fled as the Arakan Army advanced. "
    "Later the Arakan Army shelled Buthidaung."
)
# What the real default suggester gets wrong: "Black Lotus" unmarked in the third sentence,
# "Nyaung Bin" a PERSON in the second, "Kanbe Youth Network" a PERSON in all three of its.
LOTUS = (
    "Black Lotus gunmen burned the market in Nyaung Bin. "
    "Residents said Black Lotus gunmen had left Nyaung Bin. "
    "The Black Lotus denied it.\n"
    "Kanbe Youth Network leaders were arrested in Yangon on Friday. "
    "Kanbe Youth Network leaders were released on Sunday. "
    "Later, Kanbe Youth Network leaders marched in Yangon."
)


def import_text(engine: Engine, scheme: LabelScheme, folder: Path, text: str) -> list[int]:
    """Import one report; its sentence ids in order."""
    path = folder / f"report{abs(hash(text)) % 10_000}.txt"
    path.write_text(text, encoding="utf-8")
    with session_scope(engine) as session:
        summary = workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        (report_id,) = summary.report_ids
        return repository.sentence_ids_of_report(session=session, report_id=report_id)


def store_suggestions(engine: Engine, suggestions: dict[int, Draft]) -> None:
    """Suggestions of a suggester that is not the default one, stored as a run would."""
    with session_scope(engine) as session:
        repository.insert_suggestions(
            session=session,
            rows=[
                {"sentence_id": sid, "model_name": "plain", "model_version": "1", **d.rows()}
                for sid, d in suggestions.items()
            ],
        )


def text_of(engine: Engine, sentence_id: int) -> str:
    with session_scope(engine) as session:
        text = annotating.sentence_text(session=session, sentence_id=sentence_id)
    assert text is not None
    return text


def words(engine: Engine, sentence_id: int, *marks: tuple[str, str]) -> tuple[Span, ...]:
    """Spans of a sentence by their words (the first occurrence)."""
    text = text_of(engine, sentence_id)
    return tuple(sorted(Span(text.index(w), text.index(w) + len(w), label) for w, label in marks))


def served(engine: Engine, scheme: LabelScheme, sentence_id: int) -> lexicon.ServedSuggestion:
    with session_scope(engine) as session:
        return lexicon.served_suggestion(session=session, sentence_id=sentence_id, scheme=scheme)


def entities(engine: Engine, scheme: LabelScheme, sentence_id: int) -> set[tuple[str, str]]:
    """What the annotate page suggests for a sentence now, as (words, label)."""
    text = text_of(engine, sentence_id)
    draft = served(engine, scheme, sentence_id).draft
    return {(span.text_in(text), span.label) for span in draft.entities}


def reviewer(engine: Engine, name: str, role: str = "annotator") -> int:
    with session_scope(engine) as session:
        found = repository.ensure_reviewer(session=session, name=name, role=role).id
    assert found is not None
    return found


def serve_and_decide(
    engine: Engine,
    scheme: LabelScheme,
    reviewer_id: int,
    *,
    change: dict[str, str | None],
    status: str = "accept",
) -> int:
    """Serve the reviewer their next sentence as the annotate page does, change what was
    suggested (words -> new label, None: removed) and save; the sentence's id."""
    with session_scope(engine) as session:
        sentence_id = annotating.next_sentence_id(session=session, reviewer_id=reviewer_id)
    assert sentence_id is not None
    shown = served(engine, scheme, sentence_id)
    text = text_of(engine, sentence_id)
    kept: list[Span] = []
    for span in shown.draft.entities:
        words_ = span.text_in(text)
        if words_ in change:
            label = change.pop(words_)
            if label is not None:
                kept.append(Span(span.start_char, span.end_char, label))
        else:
            kept.append(span)
    # What the suggestion lacked, marked by the reviewer: it replaces what it overlaps, as on
    # the annotate page.
    for words_, label in change.items():
        assert label is not None
        added = Span(text.index(words_), text.index(words_) + len(words_), label)
        kept = [span for span in kept if not span.overlaps(added)] + [added]
    decided = Draft(entities=tuple(sorted(kept)), events=shown.draft.events)
    with session_scope(engine) as session:
        workflow.save_decision(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            status=status,
            draft=decided.without_dangling(),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
            suggestion_id=shown.suggestion_id,
            shown=shown.draft,
        )
    return sentence_id


@pytest.fixture
def arakan(engine: Engine, scheme: LabelScheme, tmp_path: Path) -> list[int]:
    """The ARAKAN report, with suggestions that never mark "Arakan Army"."""
    ids = import_text(engine, scheme, tmp_path, ARAKAN)
    store_suggestions(
        engine,
        {
            ids[0]: Draft(entities=words(engine, ids[0], ("Arakan", "ORG"), ("Maungdaw", "GPE"))),
            ids[1]: Draft(),
            ids[2]: Draft(entities=words(engine, ids[2], ("Monday", "DATE"))),
            ids[3]: Draft(entities=words(engine, ids[3], ("Arakan", "ORG"))),
            ids[4]: Draft(entities=words(engine, ids[4], ("Buthidaung", "GPE"))),
        },
    )
    return ids


ARMY = ("Arakan Army", "ARMED_GROUP")


def test_a_name_fixed_once_is_suggested_in_every_later_sentence_at_once(engine, scheme, arakan):
    before = [ARMY in entities(engine, scheme, sid) for sid in arakan[1:]]
    assert before == [False, False, False, False]
    ana = reviewer(engine, "ana")
    first = serve_and_decide(
        engine, scheme, ana, change={"Arakan": None, "Arakan Army": "ARMED_GROUP"}
    )
    assert first == arakan[0]
    after = [ARMY in entities(engine, scheme, sid) for sid in arakan[1:]]
    assert after == [True, True, True, True]
    # The rest of each suggestion stays; "Arakan" alone, removed once, is suggested nowhere.
    assert entities(engine, scheme, arakan[2]) == {ARMY, ("Monday", "DATE")}
    assert entities(engine, scheme, arakan[3]) == {ARMY}
    assert entities(engine, scheme, arakan[4]) == {ARMY, ("Buthidaung", "GPE")}
    shown = served(engine, scheme, arakan[1])
    assert shown.learned and shown.model == "plain 1 and the gold lexicon"
    # The next sentence the reviewer is served is one of them, its name already suggested.
    second = serve_and_decide(engine, scheme, ana, change={})
    assert second == arakan[1]
    with session_scope(engine) as session:
        saved = repository.annotation_of(session=session, sentence_id=second, reviewer_id=ana)
        assert saved is not None
        assert Draft.of(saved).entities == words(engine, second, ARMY)


def test_undoing_the_fix_takes_back_what_was_learned(engine, scheme, arakan):
    ana = reviewer(engine, "ana")
    serve_and_decide(engine, scheme, ana, change={"Arakan": None, "Arakan Army": "ARMED_GROUP"})
    assert ARMY in entities(engine, scheme, arakan[1])
    with session_scope(engine) as session:
        undone = workflow.undo_last(
            session=session, reviewer_id=ana, policy=GoldPolicy.of(Settings.from_env())
        )
    assert undone is not None and undone.sentence_id == arakan[0]
    assert ARMY not in entities(engine, scheme, arakan[1])
    assert ("Arakan", "ORG") in entities(engine, scheme, arakan[3])
    # Saved again, it is learned again (the same version number as the undone save).
    serve_and_decide(engine, scheme, ana, change={"Arakan": None, "Arakan Army": "ARMED_GROUP"})
    assert ARMY in entities(engine, scheme, arakan[1])


def tallies(engine: Engine) -> dict[tuple[str, str, str, bool, bool], int]:
    """The stored tallies, and what counting the standing reviewers' votes again gives."""
    with session_scope(engine) as session:
        stored = {
            (t.layer, t.phrase, t.label, t.kept, t.name): t.votes
            for t in session.exec(select(LexiconTally))
            if t.votes
        }
        key = (LexiconVote.layer, LexiconVote.phrase, LexiconVote.label, LexiconVote.kept)
        recount = session.exec(
            select(*key, LexiconVote.name, sa.func.count())
            .where(LexiconVote.standing, ~LexiconVote.adjudicated)
            .group_by(*key, LexiconVote.name)
        ).all()
    assert stored == {tuple(row[:5]): row[5] for row in recount}
    return stored


def test_the_tallies_count_the_standing_votes_through_saves_undos_and_deletions(
    engine, scheme, arakan, tmp_path
):
    ana, ben = reviewer(engine, "ana"), reviewer(engine, "ben")
    policy = GoldPolicy.of(Settings.from_env())
    fix = {"Arakan": None, "Arakan Army": "ARMED_GROUP"}
    serve_and_decide(engine, scheme, ana, change=dict(fix))
    serve_and_decide(engine, scheme, ben, change=dict(fix))
    serve_and_decide(engine, scheme, ana, change={"Arakan Army": "ORG"})
    assert tallies(engine)[("entities", "arakan army", "ARMED_GROUP", True, True)] == 2
    for _ in range(2):  # the second undo takes back ana's first save: her annotation goes
        with session_scope(engine) as session:
            workflow.undo_last(session=session, reviewer_id=ana, policy=policy)
        tallies(engine)
    assert tallies(engine)[("entities", "arakan army", "ARMED_GROUP", True, True)] == 1
    serve_and_decide(engine, scheme, ana, change=dict(fix), status="reject")
    assert tallies(engine)[("entities", "arakan army", "ARMED_GROUP", True, True)] == 1
    other = import_text(engine, scheme, tmp_path, "The Kachin Independence Army withdrew.")
    store_suggestions(engine, {other[0]: Draft()})
    with session_scope(engine) as session:
        workflow.save_decision(
            session=session,
            sentence_id=other[0],
            reviewer_id=ben,
            status="accept",
            draft=Draft(
                entities=words(engine, other[0], ("Kachin Independence Army", "ARMED_GROUP"))
            ),
            scheme=scheme,
            policy=policy,
        )
    assert ("entities", "kachin independence army", "ARMED_GROUP", True, True) in tallies(engine)
    with session_scope(engine) as session:
        report_id = repository.get_sentence(session=session, sentence_id=arakan[0]).report_id
        reports.delete_reports(session=session, report_ids=[report_id], force=True)
    assert set(tallies(engine)) == {
        ("entities", "kachin independence army", "ARMED_GROUP", True, True)
    }


def test_a_rejected_or_skipped_sentence_teaches_nothing(engine, scheme, arakan):
    ana = reviewer(engine, "ana")
    serve_and_decide(engine, scheme, ana, change={"Arakan Army": "ARMED_GROUP"}, status="skip")
    serve_and_decide(engine, scheme, ana, change={"Arakan Army": "ARMED_GROUP"}, status="reject")
    assert ARMY not in entities(engine, scheme, arakan[3])
    assert ("Arakan", "ORG") in entities(engine, scheme, arakan[3])


def test_the_latest_adjudication_wins_over_the_reviewers(engine, scheme, arakan):
    ana, ben, cem = (reviewer(engine, name) for name in ("ana", "ben", "cem"))
    boss = reviewer(engine, "boss", role="adjudicator")
    for person in (ana, ben):
        serve_and_decide(engine, scheme, person, change={"Arakan Army": "ARMED_GROUP"})
    assert ARMY in entities(engine, scheme, arakan[4])
    with session_scope(engine) as session:
        versions = repository.decided_annotations(session=session, sentence_ids=[arakan[0]])
        sources = [annotation.id for annotation, _ in versions]
        agreed = repository.current_gold(session=session, sentence_id=arakan[0])
        seen = None if agreed is None else agreed.version
    as_org = Draft(entities=words(engine, arakan[0], ("Arakan Army", "ORG"), ("Maungdaw", "GPE")))
    with session_scope(engine) as session:
        adjudicating.adjudicate(
            session=session,
            sentence_id=arakan[0],
            adjudicator_id=boss,
            draft=as_org,
            from_annotations=sources,
            expected_version=seen,
            scheme=scheme,
        )
    assert ("Arakan Army", "ORG") in entities(engine, scheme, arakan[4])
    assert ARMY not in entities(engine, scheme, arakan[4])
    # A reviewer who marks it otherwise later does not overturn the adjudicator.
    serve_and_decide(engine, scheme, cem, change={"Arakan Army": "ARMED_GROUP"})
    assert ("Arakan Army", "ORG") in entities(engine, scheme, arakan[4])
    # Gold imported over the adjudication (--force) takes the adjudicator's say away.
    with session_scope(engine) as session:
        workflow.gold.import_gold(
            session=session,
            sentence_id=arakan[0],
            draft=Draft(entities=words(engine, arakan[0], ("Maungdaw", "GPE"))),
            force=True,
        )
    assert ARMY in entities(engine, scheme, arakan[4])


def test_a_sentence_is_never_suggested_what_its_own_reviewers_decided(
    engine, scheme, arakan, monkeypatch
):
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "2")
    ben, ana = reviewer(engine, "ben"), reviewer(engine, "ana")
    fix = {"Arakan": None, "Arakan Army": "ARMED_GROUP", "Maungdaw": "LOC"}
    assert serve_and_decide(engine, scheme, ben, change=fix) == arakan[0]
    # Ana, the second reviewer of the first sentence, sees the suggester's version of it...
    with session_scope(engine) as session:
        assert annotating.next_sentence_id(session=session, reviewer_id=ana) == arakan[0]
    assert entities(engine, scheme, arakan[0]) == {("Arakan", "ORG"), ("Maungdaw", "GPE")}
    # ...and what ben taught in every other sentence.
    assert ARMY in entities(engine, scheme, arakan[1])


@pytest.mark.slow
def test_with_the_real_suggester_fixes_and_removals_reach_the_next_sentences(
    engine: Engine, scheme: LabelScheme, suggester: Suggester, tmp_path: Path
):
    ids = import_text(engine, scheme, tmp_path, LOTUS)
    assert workflow.suggest_pending(engine=engine, suggester=suggester) == 6
    before = [entities(engine, scheme, sid) for sid in ids]
    assert ("Black Lotus", "ARMED_GROUP") not in before[2]
    assert ("Nyaung Bin", "PERSON") in before[1]
    assert all(("Kanbe Youth Network", "PERSON") in found for found in before[3:])
    ana = reviewer(engine, "ana")
    # The first sentence is right as suggested: accepting it teaches its names.
    serve_and_decide(engine, scheme, ana, change={})
    assert ("Black Lotus", "ARMED_GROUP") in entities(engine, scheme, ids[2])
    assert ("Nyaung Bin", "GPE") in entities(engine, scheme, ids[1])
    assert ("Nyaung Bin", "PERSON") not in entities(engine, scheme, ids[1])
    serve_and_decide(engine, scheme, ana, change={})
    serve_and_decide(engine, scheme, ana, change={})
    # A wrong suggestion removed once is not suggested in the next sentences.
    fourth = serve_and_decide(engine, scheme, ana, change={"Kanbe Youth Network": None})
    assert fourth == ids[3]
    for sid in ids[4:]:
        assert not any(
            words_ == "Kanbe Youth Network" for words_, _ in entities(engine, scheme, sid)
        )
    # Relabelled in the next one, the new label is suggested in the last.
    serve_and_decide(engine, scheme, ana, change={"Kanbe Youth Network": "ORG"})
    assert ("Kanbe Youth Network", "ORG") in entities(engine, scheme, ids[5])


@pytest.mark.slow
def test_import_and_suggest_use_the_gold_lexicon_of_the_database(
    engine: Engine, scheme: LabelScheme, arakan: list[int], tmp_path: Path
):
    ana = reviewer(engine, "ana")
    # The default suggester finds "Arakan Army" and the town by itself: the town relabelled
    # shows that the lexicon was applied.
    serve_and_decide(
        engine,
        scheme,
        ana,
        change={"Arakan": None, "Arakan Army": "ARMED_GROUP", "Maungdaw": "LOC"},
    )
    url = engine.url.render_as_string(hide_password=False)
    text = "Maungdaw residents said the Arakan Army had left Maungdaw."
    (tmp_path / "new.txt").write_text(text, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(tmp_path / "new.txt"), "--db", url])
    assert result.exit_code == 0, result.output
    with session_scope(engine) as session:
        (report,) = [
            r for r in repository.recent_reports(session=session) if r.source.endswith("new.txt")
        ]
        (sentence_id,) = repository.sentence_ids_of_report(session=session, report_id=report.id)
        stored = repository.latest_suggestion(session=session, sentence_id=sentence_id)
        assert stored is not None
        found = {(text[s["start"] : s["end"]], s["label"]) for s in stored.entities}
    assert {ARMY, ("Maungdaw", "LOC")} <= found
    # The decided sentence's own suggestion is stored as the suggester has it: the next
    # reviewer of it is not shown ana's decision.
    with session_scope(engine) as session:
        own = repository.latest_suggestion(session=session, sentence_id=arakan[0])
        assert own is not None and own.model_name != "plain"
        first = text_of(engine, arakan[0])
        assert ("Maungdaw", "GPE") in {
            (first[s["start"] : s["end"]], s["label"]) for s in own.entities
        }
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({"text": text}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app, ["suggest", "--input", str(records), "--output", str(out), "--db", url]
    )
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert {("Maungdaw", "LOC"), ARMY} <= {(s["text"], s["label"]) for s in written["spans"]}
    result = runner.invoke(
        app,
        ["suggest", "--input", str(records), "--output", str(out), "--db", url, "--no-lexicon"],
    )
    assert result.exit_code == 0, result.output
    plain = json.loads(out.read_text(encoding="utf-8"))
    assert ("Maungdaw", "LOC") not in {(s["text"], s["label"]) for s in plain["spans"]}


def test_suggest_without_a_database_file_reads_no_lexicon_and_creates_none(tmp_path):
    missing = tmp_path / "none" / "annotator.db"
    assert lexicon.stored_lexicon(f"sqlite:///{missing}", must_exist=False) is None
    assert not missing.parent.exists()
