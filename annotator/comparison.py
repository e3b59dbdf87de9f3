"""Reviewers' versions of a sentence side by side (pure: no database, no Streamlit).

A reviewer's *version* of a sentence is their accepted or rejected annotation (a skip decides
nothing). Versions agree when they have the same status, the same spans (strict match: start,
end and label), the same event arguments (trigger, role and entity span, strict) and the same
categories. The adjudication page, the gold policy and the
agreement page's disagreement list all compare versions this way.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from annotator.spans import LAYERS, Argument, Draft, Layer, Span

if TYPE_CHECKING:
    from annotator.models import Annotation


@dataclass(frozen=True)
class Version:
    """One reviewer's decided (accepted or rejected) annotation of a sentence."""

    annotation_id: int
    reviewer_id: int
    reviewer: str
    status: str
    draft: Draft

    @classmethod
    def of(cls, annotation: Annotation, *, reviewer: str) -> Version:
        """The version a stored annotation holds."""
        assert annotation.id is not None
        return cls(
            annotation_id=annotation.id,
            reviewer_id=annotation.reviewer_id,
            reviewer=reviewer,
            status=annotation.status,
            draft=Draft.of(annotation),
        )

    def decisions(self) -> frozenset[Hashable]:
        """Everything this version decided, as comparable items: its status, spans, event
        arguments, categories."""
        items: set[Hashable] = {("status", self.status)}
        items.update(("entities", span) for span in self.draft.entities)
        items.update(("events", span) for span in self.draft.events)
        items.update(("arguments", argument) for argument in self.draft.arguments)
        items.update(("categories", category) for category in self.draft.categories)
        return frozenset(items)


@dataclass(frozen=True)
class SpanVote:
    """A span some reviewers marked, and which of them (by annotation id)."""

    layer: Layer
    span: Span
    annotation_ids: frozenset[int]
    unanimous: bool


@dataclass(frozen=True)
class ArgumentVote:
    """An event argument some reviewers gave (same trigger, role and entity span), and which of
    them (by annotation id)."""

    argument: Argument
    annotation_ids: frozenset[int]
    unanimous: bool


@dataclass(frozen=True)
class CategoryVote:
    """A category some reviewers gave the sentence, and which of them (by annotation id)."""

    category: str
    annotation_ids: frozenset[int]
    unanimous: bool


@dataclass(frozen=True)
class Comparison:
    """Reviewers' versions of one sentence side by side: every span, event argument and
    category any of them gave, with who gave it; ``unanimous`` is False where a side-by-side
    view highlights."""

    versions: tuple[Version, ...]
    spans: tuple[SpanVote, ...]
    categories: tuple[CategoryVote, ...]
    arguments: tuple[ArgumentVote, ...] = ()

    @property
    def agreed(self) -> bool:
        """True when every version has the same status, spans, arguments and categories."""
        return len({version.decisions() for version in self.versions}) <= 1

    @property
    def score(self) -> float:
        """How much the versions disagree: 0.0 when they agree, 1.0 when they share nothing.

        One minus the Jaccard similarity of what they decided (status, spans, arguments,
        categories):
        the share of all decisions made that not every reviewer made.
        """
        if not self.versions:
            return 0.0
        sets = [version.decisions() for version in self.versions]
        union = frozenset().union(*sets)
        shared = frozenset.intersection(*sets)
        return 0.0 if not union else 1.0 - len(shared) / len(union)

    def spans_of(self, annotation_id: int, layer: Layer) -> list[SpanVote]:
        """The span votes one reviewer's version takes part in, in one layer."""
        return [
            vote
            for vote in self.spans
            if vote.layer == layer and annotation_id in vote.annotation_ids
        ]

    def categories_of(self, annotation_id: int) -> tuple[str, ...]:
        """The categories one reviewer's version gave."""
        return tuple(
            vote.category for vote in self.categories if annotation_id in vote.annotation_ids
        )

    def arguments_of(self, annotation_id: int) -> list[ArgumentVote]:
        """The argument votes one reviewer's version takes part in."""
        return [vote for vote in self.arguments if annotation_id in vote.annotation_ids]

    def majority_draft(self) -> Draft:
        """The spans, arguments and categories more than half of the versions hold: a starting
        point for deciding span by span (a majority of entity spans never overlap one another,
        and a majority's arguments point at the majority's spans)."""
        half = len(self.versions) / 2
        return Draft(
            entities=tuple(
                vote.span
                for vote in self.spans
                if vote.layer == "entities" and len(vote.annotation_ids) > half
            ),
            events=tuple(
                vote.span
                for vote in self.spans
                if vote.layer == "events" and len(vote.annotation_ids) > half
            ),
            categories=tuple(
                vote.category for vote in self.categories if len(vote.annotation_ids) > half
            ),
            arguments=tuple(
                vote.argument for vote in self.arguments if len(vote.annotation_ids) > half
            ),
        ).without_dangling()


def compare(versions: Sequence[Version]) -> Comparison:
    """Every span (strict match, per layer), event argument and category of these versions
    with who has it."""
    everyone = frozenset(version.annotation_id for version in versions)
    holders: dict[tuple[Layer, Span], set[int]] = {}
    chosen: dict[str, set[int]] = {}
    argued: dict[Argument, set[int]] = {}
    for version in versions:
        for layer in LAYERS:
            for span in version.draft.layer(layer):
                holders.setdefault((layer, span), set()).add(version.annotation_id)
        for argument in version.draft.arguments:
            argued.setdefault(argument, set()).add(version.annotation_id)
        for category in version.draft.categories:
            chosen.setdefault(category, set()).add(version.annotation_id)
    spans = tuple(
        SpanVote(layer, span, frozenset(ids), frozenset(ids) == everyone)
        for (layer, span), ids in sorted(
            holders.items(), key=lambda item: (LAYERS.index(item[0][0]), item[0][1])
        )
    )
    categories = tuple(
        CategoryVote(category, frozenset(ids), frozenset(ids) == everyone)
        for category, ids in sorted(chosen.items())
    )
    arguments = tuple(
        ArgumentVote(argument, frozenset(ids), frozenset(ids) == everyone)
        for argument, ids in sorted(argued.items())
    )
    return Comparison(
        versions=tuple(versions), spans=spans, categories=categories, arguments=arguments
    )
