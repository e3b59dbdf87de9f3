"""What the rule components share: the pattern files, the word lists and the lemma they match on.

The patterns and word lists are data in ``labels/patterns/`` (``entities.jsonl``, ``events.jsonl``,
``lexicon.json``), so that a changed rule is a new model version (``suggest.patterns_hash``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spacy.tokens import Token

from annotator.errors import AnnotatorError

EVENTS_KEY = "events"
ENTITY_PATTERNS = "entities.jsonl"
EVENT_PATTERNS = "events.jsonl"
LEXICON = "lexicon.json"


class SuggesterError(AnnotatorError, ValueError):
    """A pipeline or a pattern file that the suggester cannot use."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL pattern file; raise SuggesterError naming the bad line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise SuggesterError(f"{path}: cannot be read ({error})") from error
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise SuggesterError(f"{path}:{number}: not JSON ({error})") from error
        if not isinstance(record, dict) or "label" not in record or "pattern" not in record:
            raise SuggesterError(f"{path}:{number}: needs label and pattern")
        records.append(record)
    return records


def read_lexicon(patterns_dir: Path) -> dict[str, frozenset[str]]:
    """The word lists of ``lexicon.json``."""
    path = patterns_dir / LEXICON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SuggesterError(f"{path}: cannot be read ({error})") from error
    return {
        key: frozenset(values)
        for key, values in data.items()
        if not key.startswith("_") and isinstance(values, list)
    }


def lemma_lower(token: Token) -> str:
    """The lowercase lemma; capitalised words the tagger took for names get a crude one."""
    lemma = token.lemma_.lower()
    if token.pos_ == "PROPN" and lemma == token.lower_ and token.is_title:
        for suffix, replacement in (("ies", "y"), ("shes", "sh"), ("ches", "ch"), ("es", "e")):
            if lemma.endswith(suffix) and suffix != "es":
                return lemma[: -len(suffix)] + replacement
        if lemma.endswith("s") and not lemma.endswith("ss"):
            return lemma[:-1]
    return lemma
