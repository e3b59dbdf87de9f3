"""Tokens and sentences from a blank English pipeline: fast, deterministic, no model needed.

The statistical pipelines use the same English tokenizer, less the Burmese punctuation that this
one also splits off (``BURMESE_PUNCTUATION``): every token boundary there is one here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

# The section (full stop) and the little section (comma). spaCy's punctuation knows the Hindi
# danda and the Urdu full stop but not these, so "သည်။" stayed one token: its sentence never
# ended and its last word could not be marked alone. Burmese puts no space between words, so
# they are split off inside a chunk too.
BURMESE_PUNCTUATION = ("။", "၊")
# spaCy's sentencizer ends a sentence at the little section too, but it is Burmese's comma.
SENTENCE_ENDS = tuple(sorted(set(Sentencizer.default_punct_chars) - {"၊"}))


@lru_cache(maxsize=1)
def blank_english() -> Language:
    """A blank English pipeline with a rule-based sentencizer, built once per process."""
    nlp = spacy.blank("en")
    defaults = nlp.Defaults
    tokenizer = cast(Tokenizer, nlp.tokenizer)  # spacy.blank's is always spaCy's own
    tokenizer.prefix_search = compile_prefix_regex(
        [*(defaults.prefixes or ()), *BURMESE_PUNCTUATION]
    ).search
    tokenizer.suffix_search = compile_suffix_regex(
        [*(defaults.suffixes or ()), *BURMESE_PUNCTUATION]
    ).search
    tokenizer.infix_finditer = compile_infix_regex(
        [*(defaults.infixes or ()), *BURMESE_PUNCTUATION]
    ).finditer
    nlp.add_pipe("sentencizer", config={"punct_chars": list(SENTENCE_ENDS)})
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
