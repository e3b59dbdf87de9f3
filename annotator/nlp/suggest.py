"""The default suggester: a statistical spaCy pipeline plus rules, turned into scheme spans.

The statistical pipeline finds names (OntoNotes labels); an ``entity_ruler`` and the
``conflict_entities`` component map them onto the scheme and add armed groups; the
``conflict_events`` component finds event triggers with lemma patterns. All word lists and
patterns are data files in ``labels/patterns/``, so that a changed rule is a new model version.

Categories are derived from the whole sentence: each trigger's event label implies its category,
and casualties and displacement, which imply none, take the category of what caused them (shot by
troops, killed in fighting, in an air strike, by a mob), which ``conflict_events`` writes to
``doc.spans["event_causes"]``.

A model trained here keeps the rule layer and combines it with its trained components as its
meta says (``annotator.nlp.combine``; the choice is measured in ``annotator.nlp.train``). Any other
pipeline whose NER already uses the scheme's labels is used as it is; one with a component
writing ``doc.spans["events"]`` (a ``spancat``) replaces the trigger rules, and one with a
``textcat_multilabel`` over the scheme's categories replaces categories derived from events.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from annotator.config import DEFAULT_BATCH_SIZE, DEFAULT_MODEL, DEFAULT_PATTERNS
from annotator.labels import LabelScheme

# The rule components register their factories when imported.
from annotator.nlp import entity_rules  # noqa: F401
from annotator.nlp.arguments import arguments_of, roles_config
from annotator.nlp.combine import (
    ADD_CATEGORIES,
    BASE_NER,
    FILL_ENTITIES,
    GAP_SCORE,
    GAP_WAYS,
    HOLD_ENTITIES,
    HOLD_EVENTS,
    MERGE_EVENTS,
    REPLACE,
    TRAINED_TOK2VEC,
    Combination,
    CombinationError,
    spans_of,
)
from annotator.nlp.event_rules import CAUSES_KEY
from annotator.nlp.rules import (
    ENTITY_PATTERNS,
    EVENTS_KEY,
    SuggesterError,
    read_jsonl,
)
from annotator.spans import Argument, Span
from annotator.tokens import use_project_tokens

logger = logging.getLogger(__name__)

CATEGORY_THRESHOLD = 0.5


@dataclass(frozen=True)
class Suggestion:
    """What the suggester proposes for one sentence."""

    entities: tuple[Span, ...]
    events: tuple[Span, ...]
    categories: tuple[str, ...]
    # The events' arguments (annotator.nlp.arguments), checked against these spans.
    arguments: tuple[Argument, ...] = ()


class Suggester:
    """A loaded pipeline that turns texts into scheme spans; load it once per process."""

    def __init__(
        self, nlp: Language, *, scheme: LabelScheme, model_name: str, model_version: str
    ) -> None:
        self.nlp = nlp
        self.scheme = scheme
        self.model_name = model_name
        self.model_version = model_version
        self._entity_labels = frozenset(scheme.names("entities"))
        self._event_labels = frozenset(scheme.names("events"))
        self._category_labels = frozenset(scheme.names("categories"))
        self._textcat = _scheme_textcat(nlp, self._category_labels)

    def suggest(
        self, texts: Iterable[str], *, batch_size: int = DEFAULT_BATCH_SIZE, n_process: int = 1
    ) -> Iterator[Suggestion]:
        """Suggestions for many texts, in order, streamed through ``nlp.pipe``."""
        for doc in self.nlp.pipe(texts, batch_size=batch_size, n_process=n_process):
            yield self.suggestion_for(doc)

    def suggest_one(self, text: str) -> Suggestion:
        """Suggestions for one text."""
        return self.suggestion_for(self.nlp(text))

    def suggestion_for(self, doc: Doc) -> Suggestion:
        """Read the scheme spans off a processed Doc."""
        entities = tuple(
            Span(ent.start_char, ent.end_char, ent.label_)
            for ent in doc.ents
            if ent.label_ in self._entity_labels
        )
        found = doc.spans[EVENTS_KEY] if EVENTS_KEY in doc.spans else ()
        events = tuple(
            sorted(
                {
                    Span(span.start_char, span.end_char, span.label_)
                    for span in found
                    if span.label_ in self._event_labels
                }
            )
        )
        if self._textcat is not None:
            categories = tuple(
                label
                for label, score in sorted(doc.cats.items())
                if label in self._category_labels and score >= CATEGORY_THRESHOLD
            )
        else:
            causes = doc.spans[CAUSES_KEY] if CAUSES_KEY in doc.spans else ()
            categories = categories_for(
                events,
                scheme=self.scheme,
                causes=[Span(c.start_char, c.end_char, c.label_) for c in causes],
            )
        arguments = arguments_of(doc, entities=entities, events=events, scheme=self.scheme)
        return Suggestion(
            entities=entities, events=events, categories=categories, arguments=arguments
        )


def categories_for(
    events: Iterable[Span], *, scheme: LabelScheme, causes: Iterable[Span] = ()
) -> tuple[str, ...]:
    """The sentence categories the events imply, in scheme order.

    ``causes`` are casualty and displacement triggers labelled with the event that caused them
    (and looting or destroyed property, labelled SEIZURE); when the events imply no category,
    the causes imply theirs.
    A cause beside an event with a category is mostly that event, or what came of it: the
    civilians an air strike killed are no second attack.
    """
    implied = {scheme.category_for_event(span.label) for span in events} - {None}
    if not implied:
        implied = {scheme.category_for_event(span.label) for span in causes}
    return tuple(name for name in scheme.names("categories") if name in implied)


def load_suggester(
    model: str | Path = DEFAULT_MODEL,
    *,
    scheme: LabelScheme,
    patterns_dir: Path | None = None,
    combination: Combination | None = None,
) -> Suggester:
    """Load a pipeline by package name or path and add the rule layer the scheme needs.

    A model trained here is combined with the rules as its meta says (``combination``
    overrides that, to measure another way); any other pipeline gets the rules it lacks.
    """
    patterns_dir = Path(patterns_dir) if patterns_dir is not None else DEFAULT_PATTERNS
    try:
        nlp = spacy.load(model)
    except OSError as error:
        raise SuggesterError(
            f"cannot load the spaCy pipeline {str(model)!r} ({error}); name an installed "
            f"pipeline package (the default is {DEFAULT_MODEL}) or a trained model's folder"
        ) from error
    use_project_tokens(nlp)
    combination = combination or trained_combination(nlp.meta)
    if combination is not None:
        _combine(nlp, combination, scheme=scheme, patterns_dir=patterns_dir)
        # A trained model's version is its own: the models page and the stored suggestions
        # name it by its number.
        uses_rules = False
    else:
        uses_rules = _add_missing_rules(nlp, scheme=scheme, patterns_dir=patterns_dir)
    if "event_arguments" not in nlp.pipe_names:
        nlp.add_pipe(
            "event_arguments",
            config={"patterns_dir": str(patterns_dir), "roles": roles_config(scheme)},
        )
    meta = nlp.meta
    name = f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}"
    version = str(meta.get("version", "0.0.0"))
    if uses_rules:
        version = f"{version}+rules.{patterns_hash(patterns_dir)}"
    logger.info("loaded suggester %s %s", name, version)
    return Suggester(nlp, scheme=scheme, model_name=name, model_version=version)


def trained_combination(meta: dict[str, Any]) -> Combination | None:
    """How a model trained here combines with the rules (its meta's ``annotator.combination``);
    a model trained before combinations replaced them; None for any other pipeline."""
    ours = meta.get("annotator") or {}
    if not ours.get("trained"):
        return None
    stored = ours.get("combination")
    return REPLACE if stored is None else Combination.from_dict(stored)


def _add_missing_rules(nlp: Language, *, scheme: LabelScheme, patterns_dir: Path) -> bool:
    # The default suggester and other pipelines: the rules add what the pipeline lacks; say
    # whether any were added.
    entity_labels = set(scheme.names("entities"))
    ner_labels = set(nlp.get_pipe("ner").labels) if "ner" in nlp.pipe_names else set()  # type: ignore[attr-defined]
    anchor = "ner" if "ner" in nlp.pipe_names else None
    uses_rules = False
    if not (ner_labels and ner_labels <= entity_labels):
        _add_entity_rules(nlp, patterns_dir=patterns_dir, after=anchor)
        uses_rules = True
    if not _writes_events(nlp):
        nlp.add_pipe("conflict_events", config={"patterns_dir": str(patterns_dir)})
        uses_rules = True
    return uses_rules


def _combine(
    nlp: Language, combination: Combination, *, scheme: LabelScheme, patterns_dir: Path
) -> None:
    # A trained model holds the base pipeline (its NER as base_ner, disabled) and the trained
    # ner, spancat and textcat_multilabel; arrange them and the rules as the combination says.
    needed = {"ner"} if combination.entities != "rules" else set()
    if combination.entities in {"rules", *GAP_WAYS}:
        needed.add(BASE_NER)
    if combination.events != "rules":
        needed.add("spancat")
    textcat = _scheme_textcat_name(nlp, frozenset(scheme.names("categories")))
    if combination.categories != "derived" and textcat is None:
        needed.add("textcat_multilabel")
    if missing := sorted(needed - set(nlp.component_names) - ({textcat} if textcat else set())):
        raise CombinationError(
            f"the pipeline has no {', '.join(missing)} for the combination {combination}"
        )
    if BASE_NER in nlp.disabled:
        nlp.enable_pipe(BASE_NER)
    entities = combination.entities
    if entities in {"ner", "ner_then_rules"} and BASE_NER in nlp.component_names:
        nlp.remove_pipe(BASE_NER)
    if entities == "rules":
        nlp.remove_pipe("ner")
    if entities == "ner_then_rules":
        _add_entity_rules(nlp, patterns_dir=patterns_dir, after="ner")
    if entities in {"rules", "rules_then_ner", "rules_then_ner_names"}:
        _add_entity_rules(nlp, patterns_dir=patterns_dir, after=BASE_NER)
    if entities in GAP_WAYS:
        # base_ner (and the rules) come before the trained NER: their entities wait aside
        # while it predicts, then take its entities where they found none.
        held_after = BASE_NER if entities == "ner_gaps_then_rules" else "conflict_entities"
        nlp.add_pipe(HOLD_ENTITIES, after=held_after)
        nlp.add_pipe(
            FILL_ENTITIES,
            after="ner",
            config={"names_only": entities == "rules_then_ner_names"},
        )
    if entities == "ner_gaps_then_rules":
        _add_entity_rules(nlp, patterns_dir=patterns_dir, after=FILL_ENTITIES)
    events = combination.events
    if events == "rules" and "spancat" in nlp.component_names:
        nlp.remove_pipe("spancat")
    if events in {"union", "rules_then_spancat"}:
        nlp.add_pipe(HOLD_EVENTS, after="spancat")
    if events != "spancat":
        nlp.add_pipe("conflict_events", config={"patterns_dir": str(patterns_dir)})
    if events in {"union", "rules_then_spancat"}:
        sure = GAP_SCORE if events == "rules_then_spancat" else 0.0
        nlp.add_pipe(MERGE_EVENTS, config={"mode": events, "min_score": sure})
    if combination.categories == "derived" and textcat is not None:
        nlp.remove_pipe(textcat)
    if TRAINED_TOK2VEC in nlp.component_names and not {"ner", "spancat"} & set(nlp.pipe_names):
        # Nothing listens to it any more.
        nlp.remove_pipe(TRAINED_TOK2VEC)
    if combination.categories == "union":
        adder = nlp.add_pipe(ADD_CATEGORIES)
        event_labels = frozenset(scheme.names("events"))

        def derive(doc: Doc) -> tuple[str, ...]:
            found = [span for span in spans_of(doc, EVENTS_KEY) if span.label in event_labels]
            return categories_for(found, scheme=scheme, causes=spans_of(doc, CAUSES_KEY))

        adder.derive = derive  # type: ignore[attr-defined]


def patterns_hash(patterns_dir: Path) -> str:
    """A short hash of the rule files, so that changed rules count as a new version."""
    digest = hashlib.sha256()
    for path in sorted(patterns_dir.glob("*")):
        if path.is_file() and path.suffix in {".json", ".jsonl"}:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def _add_entity_rules(nlp: Language, *, patterns_dir: Path, after: str | None) -> None:
    ruler_name = "conflict_entity_ruler"
    where: dict[str, Any] = {"after": after} if after else {}
    ruler = nlp.add_pipe(
        "entity_ruler",
        name=ruler_name,
        config={"overwrite_ents": True, "validate": True, "phrase_matcher_attr": "LOWER"},
        **where,
    )
    patterns = with_curly_apostrophes(read_jsonl(patterns_dir / ENTITY_PATTERNS))
    # The ruler turns phrase patterns into Docs with the pipes before it; a tokenizer will do.
    with nlp.select_pipes(disable=[name for name in nlp.pipe_names if name != ruler_name]):
        ruler.add_patterns(as_phrase_patterns(patterns, nlp=nlp))  # type: ignore[attr-defined]
    nlp.add_pipe(
        "conflict_entities",
        config={"patterns_dir": str(patterns_dir)},
        after="conflict_entity_ruler",
    )


def as_phrase_patterns(records: list[dict[str, Any]], *, nlp: Language) -> list[dict[str, Any]]:
    """Plain lowercase word sequences as phrase patterns; the rest stay token patterns.

    The PhraseMatcher is several times faster than the Matcher. A sequence becomes a phrase only
    when the tokenizer splits the phrase back into the same words.
    """
    converted: list[dict[str, Any]] = []
    for record in records:
        pattern = record["pattern"]
        plain = isinstance(pattern, list) and all(
            set(spec) == {"LOWER"} and isinstance(spec["LOWER"], str) for spec in pattern
        )
        if plain:
            words = [spec["LOWER"] for spec in pattern]
            phrase = " ".join(words)
            if [token.lower_ for token in nlp.make_doc(phrase)] == words:
                converted.append({**record, "pattern": phrase})
                continue
        converted.append(record)
    return converted


def with_curly_apostrophes(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The patterns plus a copy with typographic apostrophes ("People’s", "Ta’ang") where needed.

    Reports use both; the pattern files are written with the straight one only.
    """

    def curl(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("'", "’")
        if isinstance(value, list):
            return [curl(item) for item in value]
        if isinstance(value, dict):
            return {key: curl(item) for key, item in value.items()}
        return value

    extra = [
        {**record, "pattern": curl(record["pattern"])}
        for record in records
        if "'" in json.dumps(record["pattern"])
    ]
    return [*records, *extra]


def _writes_events(nlp: Language) -> bool:
    return any(getattr(pipe, "key", None) == EVENTS_KEY for _, pipe in nlp.pipeline)


def _scheme_textcat(nlp: Language, categories: frozenset[str]) -> Any:
    name = _scheme_textcat_name(nlp, categories)
    return None if name is None else nlp.get_pipe(name)


def _scheme_textcat_name(nlp: Language, categories: frozenset[str]) -> str | None:
    # The enabled text categorizer over the scheme's categories, if there is one.
    for name, pipe in nlp.pipeline:
        labels = getattr(pipe, "labels", None)
        if type(pipe).__name__ == "MultiLabel_TextCategorizer" and labels:
            if set(labels) <= categories:
                return name
    return None
