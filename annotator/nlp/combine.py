"""How a trained suggester combines its fine-tuned components with the rule layer.

A model trained here (``annotator.nlp.train``) holds the default suggester's pipeline (its
``tok2vec``, tagger, parser, lemmatizer and NER, the last as ``base_ner``) beside the trained
``ner``, ``spancat`` and ``textcat_multilabel``. A :class:`Combination`, stored in the model's
meta, says per layer what the suggestion is made of:

entities
    ``rules``: the base NER with the entity rules, as in the default suggester;
    ``ner``: the trained NER alone; ``ner_then_rules``: the trained NER with the entity rules on
    top, as with the base NER; ``rules_then_ner``: the rules' entities, and the trained NER's
    where they overlap none of them; ``rules_then_ner_names``: the same with only the trained
    NER's names (a capitalised word: common nouns, dates and counts stay the rules' and the
    lexicon's); ``ner_gaps_then_rules``: the base NER's entities and the trained NER's in
    their gaps, with the entity rules on top.
events
    ``rules``: the trigger rules; ``spancat``: the trained span categorizer alone; ``union``:
    both; ``rules_then_spancat``: the rules' triggers, and the span categorizer's where they
    overlap none of them and it is sure of them (``GAP_SCORE``).
categories
    ``derived``: implied by the events, as in the default suggester; ``textcat``: the trained
    text categorizer; ``union``: both.

The components here only move and merge what other components found; they hold no rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans

from annotator.nlp.rules import EVENTS_KEY, SuggesterError
from annotator.spans import Span

ENTITY_WAYS = (
    "rules",
    "ner",
    "ner_then_rules",
    "rules_then_ner",
    "rules_then_ner_names",
    "ner_gaps_then_rules",
)
EVENT_WAYS = ("rules", "spancat", "union", "rules_then_spancat")
CATEGORY_WAYS = ("derived", "textcat", "union")
# A trigger the rules missed is taken from the span categorizer only when it is this sure: on
# a few dozen sentences it proposes many a word at 0.5-0.8 that is no trigger (see train.py).
GAP_SCORE = 0.9
# The ways in which the trained NER fills the gaps the base NER (and the rules) left.
GAP_WAYS = frozenset({"rules_then_ner", "rules_then_ner_names", "ner_gaps_then_rules"})

# The base pipeline's NER inside a trained model, kept for the rules; the trained components'
# own tok2vec (the base pipeline's keeps its name, "tok2vec").
BASE_NER = "base_ner"
TRAINED_TOK2VEC = "trained_tok2vec"
# Where the held entities wait for the component that merges them; the span categorizer's
# proposals stay, with their scores, where an uncertainty figure can read them.
HELD_ENTITIES = "annotator_held_entities"
HELD_EVENTS = "spancat_events"

HOLD_ENTITIES = "annotator_hold_entities"
FILL_ENTITIES = "annotator_fill_entities"
HOLD_EVENTS = "annotator_hold_events"
MERGE_EVENTS = "annotator_merge_events"
ADD_CATEGORIES = "annotator_add_categories"


class CombinationError(SuggesterError):
    """A combination that names a way no layer knows."""


@dataclass(frozen=True)
class Combination:
    """Per layer, how the trained components and the rules make the suggestion."""

    entities: str
    events: str
    categories: str

    def __post_init__(self) -> None:
        for layer, ways in (
            ("entities", ENTITY_WAYS),
            ("events", EVENT_WAYS),
            ("categories", CATEGORY_WAYS),
        ):
            if getattr(self, layer) not in ways:
                raise CombinationError(
                    f"{layer}: {getattr(self, layer)!r} is not one of {', '.join(ways)}"
                )

    @property
    def uses_rules(self) -> bool:
        """Whether any layer runs the rule components."""
        return self.entities != "ner" or self.events != "spancat"

    def to_dict(self) -> dict[str, str]:
        """``{entities, events, categories}``, as the model's meta stores it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Combination:
        """The combination a model's meta stores; CombinationError when it is not one."""
        try:
            return cls(
                entities=str(data["entities"]),
                events=str(data["events"]),
                categories=str(data["categories"]),
            )
        except (KeyError, TypeError) as error:
            raise CombinationError(
                f"a combination needs entities, events and categories; got {data!r}"
            ) from error

    def __str__(self) -> str:
        return f"entities {self.entities}, events {self.events}, categories {self.categories}"


# What a model trained before combinations existed did: its components replaced the rules.
REPLACE = Combination(entities="ner", events="spancat", categories="textcat")


def _overlaps(span: SpacySpan, taken: Iterable[SpacySpan]) -> bool:
    return any(span.start < other.end and other.start < span.end for other in taken)


@Language.factory(HOLD_ENTITIES)
def make_hold_entities(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    """Moves ``doc.ents`` aside, so that the next NER predicts on a Doc without entities."""

    def hold(doc: Doc) -> Doc:
        doc.spans[HELD_ENTITIES] = list(doc.ents)
        # "missing", not "outside": a NER keeps to tokens preset as outside.
        doc.set_ents([], default="missing")
        return doc

    return hold


def _is_name(span: SpacySpan) -> bool:
    return any(token.is_title or token.is_upper for token in span)


@Language.factory(FILL_ENTITIES, default_config={"names_only": False})
def make_fill_entities(nlp: Language, name: str, names_only: bool) -> Callable[[Doc], Doc]:
    """The held entities, plus those of ``doc.ents`` that overlap none of them (and, with
    ``names_only``, have a capitalised word)."""

    def fill(doc: Doc) -> Doc:
        held = list(doc.spans[HELD_ENTITIES]) if HELD_ENTITIES in doc.spans else []
        gaps = [
            ent
            for ent in doc.ents
            if not _overlaps(ent, held) and (not names_only or _is_name(ent))
        ]
        doc.ents = filter_spans([*held, *gaps])
        if HELD_ENTITIES in doc.spans:
            del doc.spans[HELD_ENTITIES]
        return doc

    return fill


@Language.factory(HOLD_EVENTS)
def make_hold_events(nlp: Language, name: str) -> Callable[[Doc], Doc]:
    """Moves the trained span categorizer's ``doc.spans["events"]`` (and its scores) to
    ``doc.spans["spancat_events"]``, so that the rules write theirs."""

    def hold(doc: Doc) -> Doc:
        if EVENTS_KEY in doc.spans:
            found = doc.spans[EVENTS_KEY]
            held = found.copy()
            del doc.spans[EVENTS_KEY]
        else:
            held = SpanGroup(doc, name=HELD_EVENTS)
        doc.spans[HELD_EVENTS] = held
        return doc

    return hold


def _scored(group: SpanGroup, *, min_score: float) -> list[SpacySpan]:
    scores = group.attrs.get("scores")
    if scores is None:
        return list(group)
    return [span for span, score in zip(group, scores, strict=True) if score >= min_score]


@Language.factory(MERGE_EVENTS, default_config={"mode": "union", "min_score": 0.0})
def make_merge_events(
    nlp: Language, name: str, mode: str, min_score: float
) -> Callable[[Doc], Doc]:
    """The rules' triggers with the held ones scored ``min_score`` or more: all of them
    (``union``) or those that overlap no rule trigger (``rules_then_spancat``)."""
    if mode not in {"union", "rules_then_spancat"}:
        raise CombinationError(f"{MERGE_EVENTS}: unknown mode {mode!r}")

    def merge(doc: Doc) -> Doc:
        rules = list(doc.spans[EVENTS_KEY]) if EVENTS_KEY in doc.spans else []
        held = []
        if HELD_EVENTS in doc.spans:
            held = _scored(doc.spans[HELD_EVENTS], min_score=min_score)
        if mode == "rules_then_spancat":
            held = [span for span in held if not _overlaps(span, rules)]
        seen = {(span.start, span.end, span.label_) for span in rules}
        extra = [span for span in held if (span.start, span.end, span.label_) not in seen]
        doc.spans[EVENTS_KEY] = [*rules, *extra]
        return doc

    return merge


class AddCategories:
    """Adds the categories the events imply to the text categorizer's ``doc.cats``."""

    def __init__(self) -> None:
        self.derive: Callable[[Doc], Iterable[str]] | None = None

    def __call__(self, doc: Doc) -> Doc:
        if self.derive is None:
            raise CombinationError(f"{ADD_CATEGORIES} runs before it was given its scheme")
        for category in self.derive(doc):
            doc.cats[category] = 1.0
        return doc


@Language.factory(ADD_CATEGORIES)
def make_add_categories(nlp: Language, name: str) -> AddCategories:
    """The component that unites derived and predicted categories; the loader sets ``derive``."""
    return AddCategories()


def spans_of(doc: Doc, key: str) -> list[Span]:
    """The scheme spans of ``doc.spans[key]`` (none when the key is absent)."""
    found = doc.spans[key] if key in doc.spans else ()
    return [Span(span.start_char, span.end_char, span.label_) for span in found]
