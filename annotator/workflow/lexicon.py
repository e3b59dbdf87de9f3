"""The gold lexicon of the database: learned as each decision is stored, read as a sentence is
served, so that a name fixed once is suggested in the next sentence without a training run.

Every reviewer's save (``learn_decision``, called by ``annotating.save_decision``) and every
adjudication (``learn_adjudication``) stores the decision's votes (``annotator.nlp.lexicon``) in
``lexicon_vote``, with the version of the annotation or gold they are of. Only the votes of
decisions that still stand count: a later save or a reject sets a decision's older votes
aside (``standing``), an undo lets the earlier version's count again, a deleted annotation or
report takes its votes along, an import that replaces adjudicated gold sets its votes aside.
Imported gold does not vote (training learns from it); imported reviewer annotations do, as kept
spans.

The annotate page applies the lexicon when it serves a sentence (``served_suggestion``): one
indexed look-up of the phrases of that sentence, a few milliseconds whatever the number of
sentences, instead of rewriting the stored suggestions of other sentences on every save. A run
of the suggester over stored sentences (``annotator import``, re-suggesting) and ``annotator
suggest`` read the whole lexicon once (``gold_lexicon``) and apply it to what they store or write.

What decisions on a sentence taught the lexicon is never applied to that sentence itself: with
an overlap above 1 the next reviewer of it would see the first one's decision as suggestions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from annotator import repository
from annotator.db import make_engine, migrate, session_scope
from annotator.labels import LabelScheme
from annotator.models import Annotation, Gold
from annotator.nlp.lexicon import GoldLexicon, VoteCount, phrases_in, votes_of
from annotator.spans import Draft

__all__ = [
    "GoldLexicon",
    "ServedSuggestion",
    "gold_lexicon",
    "forget_annotation",
    "forget_reports",
    "learn_adjudication",
    "learn_decision",
    "learned_drafts",
    "lexicon_for",
    "served_suggestion",
    "stand_votes_of",
    "stored_lexicon",
]


def learn_decision(*, session: Session, annotation: Annotation, shown: Draft | None) -> None:
    """Store the votes of a reviewer's decision as just saved: an accepted annotation keeps
    what it marks and removes what it was ``shown`` as suggestions and did not keep (None:
    nothing was shown, as in an import); a reject or a skip votes on nothing. Its earlier
    versions' votes no longer stand."""
    assert annotation.id is not None
    before: list[repository.TallyChange] = []
    # A first version is a new annotation (undoing one's first save deletes it, and its votes):
    # it has no votes to set aside.
    if annotation.version > 1:
        before = repository.standing_reviewer_votes(session=session, annotation_id=annotation.id)
        repository.stand_annotation_votes(
            session=session, annotation_id=annotation.id, version=None
        )
        repository.delete_annotation_votes(
            session=session, annotation_id=annotation.id, from_version=annotation.version
        )
    rows: list[dict[str, Any]] = []
    if annotation.status == "accept":
        rows = _rows(
            session=session,
            sentence_id=annotation.sentence_id,
            decided=Draft.of(annotation),
            shown=[] if shown is None else [shown],
        )
    repository.insert_lexicon_votes(
        session=session,
        rows=[
            {
                **row,
                "annotation_id": annotation.id,
                "adjudicated": False,
                "version": annotation.version,
                "decided_at": annotation.updated_at,
                "standing": True,
            }
            for row in rows
        ],
    )
    gained = [
        repository.TallyChange(
            row["layer"],
            row["phrase"],
            row["label"],
            row["kept"],
            row["name"],
            1,
            annotation.updated_at,
        )
        for row in rows
    ]
    repository.add_to_tallies(session=session, changes=[*gained, *_taken(before)])


def stand_votes_of(*, session: Session, annotation: Annotation) -> None:
    """Let the votes of the annotation's current version stand, if it is an accept, and no
    others: after an undo brought an earlier version back, what it taught counts again."""
    assert annotation.id is not None
    _restand(
        session=session,
        annotation_id=annotation.id,
        version=annotation.version if annotation.status == "accept" else None,
    )


def forget_annotation(*, session: Session, annotation: Annotation) -> None:
    """Let none of an annotation's votes stand: it is being deleted (its first save undone)."""
    assert annotation.id is not None
    _restand(session=session, annotation_id=annotation.id, version=None)


def forget_reports(*, session: Session, report_ids: Collection[int]) -> None:
    """Take the votes of decisions on these reports' sentences out of the tallies: the reports
    are being deleted, and their votes with them."""
    changes = repository.standing_reviewer_votes(session=session, report_ids=report_ids)
    repository.add_to_tallies(session=session, changes=_taken(changes))


def _restand(*, session: Session, annotation_id: int, version: int | None) -> None:
    before = repository.standing_reviewer_votes(session=session, annotation_id=annotation_id)
    repository.stand_annotation_votes(session=session, annotation_id=annotation_id, version=version)
    after = (
        []
        if version is None
        else repository.standing_reviewer_votes(session=session, annotation_id=annotation_id)
    )
    repository.add_to_tallies(session=session, changes=[*after, *_taken(before)])


def _taken(changes: Iterable[repository.TallyChange]) -> list[repository.TallyChange]:
    return [change._replace(votes=-change.votes) for change in changes]


def learn_adjudication(*, session: Session, gold: Gold, from_annotations: Iterable[int]) -> None:
    """Store the votes of an adjudicated gold: it keeps what it marks and removes what the
    reviewers' accepted versions it was decided from marked and it did not keep; a rejected
    sentence votes on nothing."""
    repository.delete_adjudicated_votes(
        session=session, sentence_id=gold.sentence_id, from_version=gold.version
    )
    if gold.source != "adjudicated" or gold.status != "accept":
        return
    versions = [
        Draft.of(annotation)
        for annotation_id in sorted(set(from_annotations))
        if (annotation := repository.get_annotation(session=session, annotation_id=annotation_id))
        is not None
        and annotation.status == "accept"
    ]
    rows = _rows(
        session=session, sentence_id=gold.sentence_id, decided=Draft.of(gold), shown=versions
    )
    repository.insert_lexicon_votes(
        session=session,
        rows=[
            {
                **row,
                "annotation_id": None,
                "adjudicated": True,
                "version": gold.version,
                "decided_at": gold.updated_at,
                "standing": True,
            }
            for row in rows
        ],
    )


def _rows(
    *, session: Session, sentence_id: int, decided: Draft, shown: list[Draft]
) -> list[dict[str, Any]]:
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is None:
        return []
    return [
        {
            "sentence_id": sentence_id,
            "layer": vote.layer,
            "phrase": vote.phrase,
            "label": vote.label,
            "kept": vote.kept,
            "name": vote.name,
        }
        for vote in votes_of(decided, shown=shown, text=sentence.text)
    ]


def _lexicon(rows: Iterable[repository.LexiconVoteRow]) -> GoldLexicon:
    return GoldLexicon.from_votes(
        VoteCount(
            layer="events" if row.layer == "events" else "entities",
            phrase=row.phrase,
            label=row.label,
            kept=bool(row.kept),
            name=bool(row.name),
            adjudicated=bool(row.adjudicated),
            votes=int(row.votes),
            latest=row.latest,
        )
        for row in rows
    )


def lexicon_for(
    *, session: Session, text: str, sentence_id: int | None = None, reviewed: bool = True
) -> GoldLexicon:
    """The part of the gold lexicon that a text's phrases can meet, without what decisions on
    sentence ``sentence_id`` taught it (``reviewed`` False: no reviewer has decided it): another
    reviewer of a sentence never sees its reviewers' decisions in what is suggested."""
    return _lexicon(
        repository.lexicon_vote_counts(
            session=session,
            phrases=phrases_in(text),
            except_sentence_id=sentence_id,
            reviewed=reviewed,
        )
    )


def gold_lexicon(*, session: Session) -> GoldLexicon:
    """The whole gold lexicon, for a run over many texts."""
    return _lexicon(repository.lexicon_vote_counts(session=session))


def learned_drafts(
    *,
    session: Session,
    lexicon: GoldLexicon,
    batch: Sequence[tuple[int, str]],
    drafts: Sequence[Draft],
    scheme: LabelScheme,
) -> list[Draft]:
    """The suggestions of a batch of (sentence id, text) as the lexicon changes them; those of
    sentences that decisions voted on stay as they are (the annotate page applies the lexicon
    to them without their own votes)."""
    voted = repository.sentences_with_votes(
        session=session, sentence_ids=[sentence_id for sentence_id, _ in batch]
    )
    return [
        draft if sentence_id in voted else lexicon.apply(draft, text=text, scheme=scheme)
        for (sentence_id, text), draft in zip(batch, drafts, strict=True)
    ]


def stored_lexicon(url: str, *, must_exist: bool) -> GoldLexicon | None:
    """The gold lexicon of the database at ``url`` (migrated to the newest schema first); None
    for a SQLite file that does not exist unless ``must_exist``, which is not created."""
    if not must_exist and not _sqlite_file_exists(url):
        return None
    engine = make_engine(url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            return gold_lexicon(session=session)
    finally:
        engine.dispose()


def _sqlite_file_exists(url: str) -> bool:
    """False for a SQLite URL whose file is not there; True for any other database (a server
    is asked when it is used), and for a URL that ``make_engine`` will refuse with its reason."""
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return True
    if parsed.get_backend_name() != "sqlite":
        return True
    path = parsed.database or ""
    return path not in ("", ":memory:") and Path(path).expanduser().exists()


@dataclass(frozen=True)
class ServedSuggestion:
    """What the annotate page suggests for a sentence: the stored suggestion (its id and model,
    None without one) as the gold lexicon changes it."""

    suggestion_id: int | None
    model: str | None
    draft: Draft
    # Whether the lexicon changed the stored suggestion (or suggested where none was stored).
    learned: bool


def served_suggestion(
    *, session: Session, sentence_id: int, scheme: LabelScheme
) -> ServedSuggestion:
    """The sentence's newest stored suggestion with the gold lexicon applied, as it is now."""
    suggestion = repository.suggestion_in_use(session=session, sentence_id=sentence_id)
    stored = Draft() if suggestion is None else Draft.of(suggestion).without_dangling()
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    draft = stored
    if sentence is not None:
        lexicon = lexicon_for(
            session=session,
            text=sentence.text,
            sentence_id=sentence_id,
            # Only an accepting reviewer's decision votes, and it counts as one.
            reviewed=sentence.n_annotations > 0,
        )
        draft = lexicon.apply(stored, text=sentence.text, scheme=scheme)
    learned = draft != stored
    model = None if suggestion is None else f"{suggestion.model_name} {suggestion.model_version}"
    if learned:
        model = f"{model} and the gold lexicon" if model else "the gold lexicon"
    return ServedSuggestion(
        suggestion_id=None if suggestion is None else suggestion.id,
        model=model,
        draft=draft,
        learned=learned,
    )
