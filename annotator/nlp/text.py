"""Tokens and sentences from a blank English pipeline: fast, deterministic, no model needed.

The statistical pipelines use the same English tokenizer, so offsets that are on token
boundaries here are on token boundaries there too.
"""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language


@lru_cache(maxsize=1)
def blank_english() -> Language:
    """A blank English pipeline with a rule-based sentencizer, built once per process."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def token_bounds(text: str) -> list[tuple[int, int]]:
    """The half-open character offsets of every token (whitespace tokens excluded)."""
    doc = blank_english().make_doc(text)
    return [(token.idx, token.idx + len(token)) for token in doc if not token.is_space]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character offsets of the sentences of a report, trimmed of surrounding whitespace.

    Line breaks always end a sentence: reports put one paragraph per line.
    """
    nlp = blank_english()
    sentences: list[tuple[int, int]] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            doc = nlp(line)
            for sent in doc.sents:
                chunk = sent.text
                stripped = chunk.strip()
                if not stripped:
                    continue
                start = offset + sent.start_char + (len(chunk) - len(chunk.lstrip()))
                sentences.append((start, start + len(stripped)))
        offset += len(line)
    return sentences
