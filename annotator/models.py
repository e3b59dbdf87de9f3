"""SQLModel tables: reports -> sentences -> suggestions -> annotations (with history) -> gold.

Spans are stored as JSON lists of ``{start, end, label}`` records (the Prodigy shape), categories
as JSON lists of accepted labels. Constraints live in ``__table_args__`` so that every database
enforces them, not only the code that writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

GoldSource = Literal["accepted", "imported", "adjudicated"]

# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def _json_list() -> Any:
    return Field(default_factory=list, sa_type=JSONType, sa_column_kwargs={"nullable": False})


def _arguments() -> Any:
    """Event arguments (``Argument.to_dict`` rows); rows stored before they existed have none."""
    return Field(
        default_factory=list,
        sa_type=JSONType,
        sa_column_kwargs={"nullable": False, "server_default": "[]"},
    )


def _timestamp() -> Any:
    return Field(default_factory=utc_now, sa_type=sa.DateTime(timezone=True), nullable=False)


class Reviewer(SQLModel, table=True):
    """A person who annotates, adjudicates or administers."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    role: str = Field(default="annotator", max_length=20)
    # argon2 hash; None for reviewers known only from imports (they cannot log in).
    password_hash: str | None = Field(default=None, max_length=200)
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    failed_logins: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    locked_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = _timestamp()

    __table_args__ = (
        sa.CheckConstraint("role IN ('annotator', 'adjudicator', 'admin')", name="reviewer_role"),
    )


class Report(SQLModel, table=True):
    """One imported document; its content hash makes re-importing a no-op."""

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, unique=True)
    # Where it came from (the file), kept as imported: exports name the report by it.
    source: str = Field(max_length=1000)
    # What the reports page and ``annotator reports list`` show, when someone named it.
    name: str | None = Field(default=None, max_length=200)
    text: str = Field(sa_type=sa.Text)
    meta: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONType, sa_column_kwargs={"nullable": False}
    )
    n_sentences: int = Field(default=0)
    created_at: datetime = _timestamp()


class Sentence(SQLModel, table=True):
    """A sentence of a report, by character offsets into the report text."""

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", ondelete="CASCADE")
    position: int
    start_char: int
    end_char: int
    text: str = Field(sa_type=sa.Text)
    content_hash: str = Field(max_length=64, index=True)
    # How many reviewers have decided this sentence: routing serves those below the overlap.
    n_annotations: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # No reviewer is asked for it any more: its gold came from elsewhere (``import --gold``).
    closed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # How unsure the suggester was of it (its latest suggestion's figure, 0 without one):
    # ``ANNOTATOR_ROUTING=uncertain`` serves the least sure first.
    uncertainty: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})

    __table_args__ = (
        sa.UniqueConstraint("report_id", "position", name="sentence_report_position"),
        sa.Index("sentence_routing", "closed", "n_annotations", "id"),
        sa.Index(
            "sentence_uncertain_routing",
            "closed",
            "n_annotations",
            sa.desc(sa.column("uncertainty")),
            "id",
        ),
        sa.CheckConstraint("0 <= start_char AND start_char < end_char", name="sentence_offsets"),
        sa.CheckConstraint("position >= 0", name="sentence_position"),
    )


class Suggestion(SQLModel, table=True):
    """What a model suggested for a sentence; one row per sentence and model version."""

    id: int | None = Field(default=None, primary_key=True)
    sentence_id: int = Field(foreign_key="sentence.id", ondelete="CASCADE")
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    entities: list[dict[str, Any]] = _json_list()
    events: list[dict[str, Any]] = _json_list()
    categories: list[str] = _json_list()
    arguments: list[dict[str, Any]] = _arguments()
    # How unsure the suggester was (annotator.nlp.uncertainty), 0..1; None: not scored.
    uncertainty: float | None = Field(default=None)
    created_at: datetime = _timestamp()

    __table_args__ = (
        sa.UniqueConstraint(
            "sentence_id", "model_name", "model_version", name="suggestion_sentence_model"
        ),
    )


class Annotation(SQLModel, table=True):
    """A reviewer's current decision on a sentence; earlier states live in AnnotationVersion."""

    id: int | None = Field(default=None, primary_key=True)
    sentence_id: int = Field(foreign_key="sentence.id", ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="reviewer.id", ondelete="CASCADE")
    suggestion_id: int | None = Field(
        default=None, foreign_key="suggestion.id", ondelete="SET NULL"
    )
    status: str = Field(max_length=10)
    entities: list[dict[str, Any]] = _json_list()
    events: list[dict[str, Any]] = _json_list()
    categories: list[str] = _json_list()
    arguments: list[dict[str, Any]] = _arguments()
    seconds: float = Field(default=0.0)
    version: int = Field(default=1)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()

    __table_args__ = (
        sa.UniqueConstraint("sentence_id", "reviewer_id", name="annotation_sentence_reviewer"),
        # The reviewer's own work in sentence order: "what is next" and "how many done".
        sa.Index("annotation_reviewer_sentence", "reviewer_id", "sentence_id"),
        sa.CheckConstraint("status IN ('accept', 'reject', 'skip')", name="annotation_status"),
        sa.CheckConstraint("seconds >= 0", name="annotation_seconds"),
    )


class AnnotationVersion(SQLModel, table=True):
    """Every state an annotation was saved in, in order; an undo marks its save as undone."""

    __tablename__ = "annotation_version"

    id: int | None = Field(default=None, primary_key=True)
    sentence_id: int = Field(foreign_key="sentence.id", ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="reviewer.id", ondelete="CASCADE")
    version: int
    status: str = Field(max_length=10)
    entities: list[dict[str, Any]] = _json_list()
    events: list[dict[str, Any]] = _json_list()
    categories: list[str] = _json_list()
    arguments: list[dict[str, Any]] = _arguments()
    seconds: float = Field(default=0.0)
    saved_at: datetime = _timestamp()
    undone_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index("annotation_version_reviewer", "reviewer_id", "id"),
        sa.Index("annotation_version_sentence", "sentence_id", "reviewer_id", "version"),
        sa.CheckConstraint(
            "status IN ('accept', 'reject', 'skip')", name="annotation_version_status"
        ),
    )


class Gold(SQLModel, table=True):
    """The settled annotation of a sentence, the data that training and export use."""

    id: int | None = Field(default=None, primary_key=True)
    sentence_id: int = Field(foreign_key="sentence.id", ondelete="CASCADE", unique=True)
    annotation_id: int | None = Field(
        default=None, foreign_key="annotation.id", ondelete="SET NULL"
    )
    decided_by: int | None = Field(default=None, foreign_key="reviewer.id", ondelete="SET NULL")
    source: str = Field(max_length=20)
    # "reject": the sentence is unfit to label (junk, a broken split); export and training
    # leave it out.
    status: str = Field(
        default="accept", max_length=10, sa_column_kwargs={"server_default": "accept"}
    )
    entities: list[dict[str, Any]] = _json_list()
    events: list[dict[str, Any]] = _json_list()
    categories: list[str] = _json_list()
    arguments: list[dict[str, Any]] = _arguments()
    # The annotations an adjudication was decided from.
    from_annotations: list[int] = _json_list()
    # Optimistic concurrency: a save names the version it read; a stale one is refused.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()

    __table_args__ = (
        sa.CheckConstraint("source IN ('accepted', 'imported', 'adjudicated')", name="gold_source"),
        sa.CheckConstraint("status IN ('accept', 'reject')", name="gold_status"),
    )


class Claim(SQLModel, table=True):
    """A reviewer works on a sentence until ``expires_at``; an expired claim counts for nothing."""

    id: int | None = Field(default=None, primary_key=True)
    sentence_id: int = Field(foreign_key="sentence.id", ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="reviewer.id", ondelete="CASCADE")
    claimed_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("sentence_id", "reviewer_id", name="claim_sentence_reviewer"),
        sa.Index("claim_sentence_expiry", "sentence_id", "expires_at"),
    )


class ModelVersion(SQLModel, table=True):
    """A suggester pipeline trained on the gold: numbered, with its metrics and state."""

    __tablename__ = "model_version"

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    path: str = Field(max_length=1000)
    base_model: str | None = Field(default=None, max_length=200)
    status: str = Field(default="training", max_length=20)
    metrics: dict[str, Any] = Field(
        default_factory=dict, sa_type=JSONType, sa_column_kwargs={"nullable": False}
    )
    gold_count: int = Field(default=0)
    error: str | None = Field(default=None, sa_type=sa.Text)
    active: bool = Field(default=False)
    created_at: datetime = _timestamp()
    finished_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    # The process training it (with its host): a training whose process is gone died.
    pid: int | None = Field(default=None)
    host: str | None = Field(default=None, max_length=255)

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('training', 'ready', 'failed')", name="model_version_status"
        ),
    )


class LoginSession(SQLModel, table=True):
    """A signed-in browser: the hash of the token its cookie holds, until it expires or is
    revoked (logging out, deactivating the account)."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    reviewer_id: int = Field(foreign_key="reviewer.id", ondelete="CASCADE", index=False)
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))

    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="login_session_token"),
        sa.Index("login_session_reviewer", "reviewer_id"),
    )


class LexiconVote(SQLModel, table=True):
    """What one decision says of a phrase with a label (``annotator.nlp.lexicon``): kept (marked
    in a reviewer's accepted annotation or an adjudicated gold) or removed (shown there as a
    suggestion, or in a reviewer's version, and not kept). The gold lexicon counts the votes of
    decisions that still stand: the annotation at ``version`` (accepted), or the sentence's
    adjudicated gold at ``version``; an undo or a later decision leaves the older votes aside."""

    __tablename__ = "lexicon_vote"

    id: int | None = Field(default=None, primary_key=True)
    sentence_id: int = Field(foreign_key="sentence.id", ondelete="CASCADE")
    # A reviewer's decision; None: an adjudicator's (the sentence's gold).
    annotation_id: int | None = Field(default=None, foreign_key="annotation.id", ondelete="CASCADE")
    adjudicated: bool
    version: int
    layer: str = Field(max_length=10)
    phrase: str = Field(max_length=200)
    label: str = Field(max_length=100)
    kept: bool
    # Written like a name (a capital letter, or a script without case), or plain.
    name: bool
    decided_at: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)
    # Its decision stands: the annotation is at this version and accepted (kept so by every
    # save and undo); an adjudication's vote stands while the gold is still at its version.
    standing: bool = Field(default=True)

    __table_args__ = (
        # An adjudication's votes on a sentence's phrases; reviewers' are read from the tallies.
        sa.Index("lexicon_vote_phrase", "phrase", "adjudicated", "standing"),
        sa.Index("lexicon_vote_annotation", "annotation_id", "version"),
        sa.Index("lexicon_vote_sentence", "sentence_id", "adjudicated", "version"),
        sa.CheckConstraint("layer IN ('entities', 'events')", name="lexicon_vote_layer"),
        sa.CheckConstraint(
            "(adjudicated AND annotation_id IS NULL) OR "
            "(NOT adjudicated AND annotation_id IS NOT NULL)",
            name="lexicon_vote_decision",
        ),
    )


class LexiconTally(SQLModel, table=True):
    """How many standing votes of reviewers' decisions say one thing of a phrase (its label,
    kept or removed, written like a name or plain), counted as votes stand and fall: the
    annotate page reads a frequent word's count in one row, not its thousands of votes."""

    __tablename__ = "lexicon_tally"

    id: int | None = Field(default=None, primary_key=True)
    layer: str = Field(max_length=10)
    phrase: str = Field(max_length=200)
    label: str = Field(max_length=100)
    kept: bool
    name: bool
    votes: int = Field(default=0)
    # When the latest of them was decided.
    latest: datetime = Field(sa_type=sa.DateTime(timezone=True), nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("phrase", "layer", "label", "kept", "name", name="lexicon_tally_key"),
    )
