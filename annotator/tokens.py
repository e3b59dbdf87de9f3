"""Tokens and sentences from a blank English pipeline: fast, deterministic, no model needed.

The statistical pipelines use the same English tokenizer, less the Burmese punctuation that this
one also splits off (``BURMESE_PUNCTUATION``): every token boundary there is one here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, cast

import spacy
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

# The section (full stop) and the little section (comma). spaCy's punctuation knows the Hindi
# danda and the Urdu full stop but not these, so "သည်။" stayed one token: its sentence never
# ended and its last word could not be marked alone. Burmese puts no space between words, so
# they are split off inside a chunk too.
BURMESE_PUNCTUATION = ("။", "၊")
# spaCy's sentencizer ends a sentence at the little section too, but it is Burmese's comma.
SENTENCE_ENDS = tuple(sorted(set(Sentencizer.default_punct_chars) - {"၊"}))
# Coders end a note with a bracket about the event ("[size=no report]", "(Kaduna)", "[1
# fatality]"). The sentencizer kept the opening bracket with the sentence before it and began a
# new sentence inside the bracket.
BRACKETS = {"[": "]", "(": ")"}


@Language.component("annotator_trailing_brackets")
def keep_trailing_brackets(doc: Doc) -> Doc:
    """A bracket right after a sentence's end stays with that sentence, unless it is a sentence.

    "... killed two civilians. [size=no report]" is one sentence; a bracket that holds a sentence
    of its own ("(The army denied it.)") begins the next one.
    """
    ends = set(SENTENCE_ENDS)
    i = 1
    while i < len(doc):
        # The sentencizer keeps punctuation after a full stop, so the bracket may close the
        # sentence before or open this one.
        opening = i - 1 if doc[i - 1].text in BRACKETS else i
        if not doc[i].is_sent_start or doc[opening].text not in BRACKETS:
            i += 1
            continue
        closing = _closing_bracket(doc, opening)
        if closing is None or any(token.text in ends for token in doc[opening + 1 : closing]):
            # A sentence in brackets, or a bracket never closed: it opens the next sentence.
            doc[i].is_sent_start = opening == i
            doc[opening].is_sent_start = True
            i += 1
            continue
        for token in doc[i : closing + 1]:
            token.is_sent_start = False
        after = closing + 1
        if after < len(doc) and not (doc[after].text in ends or doc[after].is_right_punct):
            doc[after].is_sent_start = True
        i = after
    return doc


def _closing_bracket(doc: Doc, opening: int) -> int | None:
    """The index of the bracket that closes the one at ``opening``; None if there is none."""
    close = BRACKETS[doc[opening].text]
    depth = 0
    for token in doc[opening:]:
        if token.text == doc[opening].text:
            depth += 1
        elif token.text == close:
            depth -= 1
            if depth == 0:
                return token.i
    return None


# Infixes beyond spaCy's English ones: a coder's "[size=50]" is "size", "=", "50", so that the
# count in it can be marked.
EXTRA_INFIXES = (r"(?<=\w)=(?=\w)",)


def use_project_tokens(nlp: Language) -> None:
    """Give an English pipeline's tokenizer this project's token boundaries (Burmese
    punctuation, ``=`` between words) on top of its own, so that its spans sit on the tokens
    every check uses (``blank_english``)."""
    tokenizer = cast(Tokenizer, nlp.tokenizer)
    burmese = [re.escape(mark) for mark in BURMESE_PUNCTUATION]
    tokenizer.prefix_search = _extended(
        tokenizer.prefix_search, [f"^{mark}" for mark in burmese]
    ).search
    tokenizer.suffix_search = _extended(
        tokenizer.suffix_search, [f"{mark}$" for mark in burmese]
    ).search
    tokenizer.infix_finditer = _extended(
        tokenizer.infix_finditer, [*burmese, *EXTRA_INFIXES]
    ).finditer


def _extended(bound: Any, alternatives: Sequence[str]) -> re.Pattern[str]:
    """A tokenizer's compiled regex (the owner of ``prefix_search`` and the like) with more
    alternatives."""
    return re.compile("|".join([str(bound.__self__.pattern), *alternatives]))


@lru_cache(maxsize=1)
def blank_english() -> Language:
    """A blank English pipeline with a rule-based sentencizer, built once per process."""
    nlp = spacy.blank("en")
    use_project_tokens(nlp)
    nlp.add_pipe("sentencizer", config={"punct_chars": list(SENTENCE_ENDS)})
    nlp.add_pipe("annotator_trailing_brackets")
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
