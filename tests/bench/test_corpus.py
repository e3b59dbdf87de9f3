"""The generated corpus: seeded, any size, varied, and its gold fits the scheme and the tokens."""

from __future__ import annotations

import random
from collections import Counter
from itertools import islice

import pytest

from annotator.bench import corpus
from annotator.spans import LAYERS, Draft, check_draft, check_layer
from annotator.tokens import split_sentences


@pytest.fixture(scope="module")
def categories(scheme):
    return corpus.event_categories(scheme)


@pytest.fixture(scope="module")
def sample(categories):
    return list(corpus.sentences(3000, seed=7, categories=categories))


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another(categories):
    first = list(corpus.sentences(300, seed=1, categories=categories))
    assert first == list(corpus.sentences(300, seed=1, categories=categories))
    other = list(corpus.sentences(300, seed=2, categories=categories))
    assert sum(a.text == b.text for a, b in zip(first, other, strict=True)) < 10
    reports = list(corpus.reports(300, seed=1, categories=categories))
    assert reports == list(corpus.reports(300, seed=1, categories=categories))


def test_sentences_stream_at_any_size():
    huge = corpus.sentences(10**9, seed=0)
    assert len(list(islice(huge, 5))) == 5  # a billion are never built at once
    for count in (0, 1, 999):
        assert sum(1 for _ in corpus.sentences(count, seed=0)) == count
    with pytest.raises(ValueError, match="at least 0"):
        next(corpus.sentences(-1))


def test_reports_hold_the_sentences_in_order_and_split_back_into_them(categories):
    stream = list(corpus.sentences(2000, seed=3, categories=categories))
    reports = list(corpus.reports(2000, seed=3, categories=categories, sizes=(3, 15)))
    assert [s for report in reports for s in report.sentences] == stream
    assert all(3 <= len(report.sentences) <= 15 for report in reports[:-1])
    assert len({report.source for report in reports}) == len(reports)
    assert any("\n" in report.text for report in reports)  # paragraphs, one per line
    for report in reports:
        assert split_sentences(report.text) == list(report.offsets)
        for sentence, (start, end) in zip(report.sentences, report.offsets, strict=True):
            assert report.text[start:end] == sentence.text
    with pytest.raises(ValueError, match="report sizes"):
        next(corpus.reports(10, sizes=(5, 2)))


def test_gold_spans_are_on_token_boundaries_with_labels_of_the_scheme(sample, scheme):
    for sentence in sample:
        for layer in LAYERS:
            check_layer(getattr(sentence, layer), layer=layer, text=sentence.text, scheme=scheme)
        implied = {scheme.category_for_event(span.label) for span in sentence.events} - {None}
        assert sentence.categories == tuple(sorted(implied))
    rows = sample[0].rows()
    assert set(rows) == {"entities", "events", "categories", "arguments"}
    assert rows["entities"][0] == sample[0].entities[0].to_dict()


def test_events_have_arguments_the_scheme_accepts(sample, scheme):
    roles: Counter[str] = Counter()
    for sentence in sample:
        draft = Draft(
            entities=sentence.entities,
            events=sentence.events,
            categories=sentence.categories,
            arguments=sentence.arguments,
        )
        check_draft(draft, text=sentence.text, scheme=scheme)
        roles.update(argument.role for argument in sentence.arguments)
    # The event table has actors, targets, places, dates and counts to resolve.
    assert set(roles) == set(scheme.names("roles"))
    assert sum(bool(sentence.arguments) for sentence in sample) > 0.8 * len(sample)
    assert sample[0].rows()["arguments"] == [a.to_dict() for a in sample[0].arguments]


def test_the_corpus_is_varied(sample, scheme):
    assert len({sentence.text for sentence in sample}) > 0.99 * len(sample)
    labels = Counter(span.label for s in sample for span in (*s.entities, *s.events))
    assert set(labels) == set(scheme.names("entities")) | set(scheme.names("events"))
    words = Counter(s.text[span.start_char : span.end_char] for s in sample for span in s.entities)
    assert len(words) > 1000
    people = [
        s.text[span.start_char : span.end_char]
        for s in sample
        for span in s.entities
        if span.label == "PERSON"
    ]
    assert {name.split()[0] for name in people} >= {"U", "Daw", "Ko", "Ma"}
    groups = " ".join(
        s.text[span.start_char : span.end_char]
        for s in sample
        for span in s.entities
        if span.label == "ARMED_GROUP"
    )
    for kind in ("Battalion", "PDF", "Army", "police", "troops"):
        assert kind in groups
    assert len({s.text.split()[0] for s in sample}) > 50  # many ways to start a sentence
    assert any(char.isdigit() for s in sample for char in s.text)


def test_a_second_reviewer_mostly_agrees_and_stays_valid(sample, scheme):
    rng = random.Random(5)
    others = [corpus.second_reviewer(sentence, rng=rng) for sentence in sample]
    rng = random.Random(5)
    assert others == [corpus.second_reviewer(sentence, rng=rng) for sentence in sample]
    shared = total = 0
    for sentence, other in zip(sample, others, strict=True):
        for layer in LAYERS:
            check_layer(getattr(other, layer), layer=layer, text=other.text, scheme=scheme)
        kept = Draft(entities=other.entities, events=other.events, arguments=other.arguments)
        check_draft(kept, text=other.text, scheme=scheme)
        shared += len(set(sentence.entities) & set(other.entities))
        total += len(sentence.entities)
    assert 0.7 < shared / total < 0.97
