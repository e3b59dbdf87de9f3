"""Tokens and sentences from a blank English pipeline: fast, deterministic, no model needed.

The statistical pipelines use the same English tokenizer, so offsets that are on token
boundaries here are on token boundaries there too.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    return list(_token_bounds(text))


@lru_cache(maxsize=4096)
def _token_bounds(text: str) -> tuple[tuple[int, int], ...]:
    # The annotate page asks for the same sentence's tokens on every rerun and again to check
    # a decision: tokenizing cost more than the database's part of saving it.
    doc = blank_english().make_doc(text)
    return tuple((token.idx, token.idx + len(token)) for token in doc if not token.is_space)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character offsets of the sentences of a report, trimmed of surrounding whitespace.

    Line breaks always end a sentence: reports put one paragraph per line.
    """
    return split_reports([text])[0]


def split_reports(texts: Sequence[str], *, batch_size: int = 1000) -> list[list[tuple[int, int]]]:
    """``split_sentences`` of many reports, in order.

    The lines of all of them go through one ``nlp.pipe``: calling the pipeline once per line
    cost three times as much as the splitting itself.
    """
    lines: list[tuple[int, int, str]] = []  # (report, offset of the line, line)
    for number, text in enumerate(texts):
        offset = 0
        for line in text.splitlines(keepends=True):
            if line.strip():
                lines.append((number, offset, line))
            offset += len(line)
    found: list[list[tuple[int, int]]] = [[] for _ in texts]
    docs = blank_english().pipe((line for _, _, line in lines), batch_size=batch_size)
    for (number, offset, line), doc in zip(lines, docs, strict=True):
        for sent in doc.sents:
            chunk = line[sent.start_char : sent.end_char]
            stripped = chunk.strip()
            if stripped:
                start = offset + sent.start_char + (len(chunk) - len(chunk.lstrip()))
                found[number].append((start, start + len(stripped)))
    return found
