"""Reviewers' versions compared on their event arguments: the same trigger, role and entity
span, or a difference the adjudication queue and page show."""

from __future__ import annotations

from annotator.comparison import Version, compare
from annotator.spans import Argument, Draft, Span

TROOPS = Span(10, 22, "ARMED_GROUP")
KANBALU = Span(45, 61, "GPE")
TWO = Span(28, 31, "CARDINAL")
SHOT = Span(23, 27, "ATTACK_ON_CIVILIANS")


def version(annotation_id: int, *arguments: Argument, entities=(TROOPS, KANBALU, TWO)) -> Version:  # type: ignore[no-untyped-def]
    draft = Draft(entities=tuple(entities), events=(SHOT,), arguments=arguments)
    return Version(annotation_id, annotation_id, f"r{annotation_id}", "accept", draft)


def test_versions_with_the_same_spans_and_other_arguments_disagree():
    actor, target = Argument(SHOT, "ACTOR", TROOPS), Argument(SHOT, "TARGET", TROOPS)
    comparison = compare([version(1, actor), version(2, target)])
    assert not comparison.agreed
    assert comparison.score > 0
    assert [
        (vote.argument.role, vote.annotation_ids, vote.unanimous) for vote in comparison.arguments
    ] == [
        ("ACTOR", frozenset({1}), False),
        ("TARGET", frozenset({2}), False),
    ]
    assert compare([version(1, actor), version(2, actor)]).agreed


def test_the_majority_draft_keeps_the_arguments_more_than_half_gave():
    place = Argument(SHOT, "LOCATION", KANBALU)
    count = Argument(SHOT, "COUNT", TWO)
    versions = [version(1, place, count), version(2, place), version(3, place, count), version(4)]
    assert compare(versions).majority_draft().arguments == (place,)
    assert compare(versions[:3]).majority_draft().arguments == (count, place)
    assert [vote.argument for vote in compare(versions).arguments_of(3)] == [count, place]
