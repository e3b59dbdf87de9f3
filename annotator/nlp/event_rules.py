"""The ``conflict_events`` component: event triggers from lemma patterns, with the attack,
strike and compound rules that pick a trigger's label from its sentence.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans

from annotator.config import DEFAULT_PATTERNS
from annotator.nlp.rules import (
    EVENT_PATTERNS,
    EVENTS_KEY,
    SuggesterError,
    lemma_lower,
    read_jsonl,
    read_lexicon,
)


@Language.factory("conflict_events", default_config={"patterns_dir": str(DEFAULT_PATTERNS)})
def make_conflict_events(nlp: Language, name: str, patterns_dir: str) -> ConflictEvents:
    """The factory of the event trigger component."""
    path = Path(patterns_dir)
    return ConflictEvents(nlp, read_jsonl(path / EVENT_PATTERNS), read_lexicon(path))


@dataclass(frozen=True)
class _Rule:
    label: str
    focus: tuple[int, int] | None
    resolve: str | None


class ConflictEvents:
    """Find event triggers with lemma patterns and write them to ``doc.spans["events"]``."""

    def __init__(
        self, nlp: Language, records: Sequence[dict[str, Any]], lexicon: dict[str, frozenset[str]]
    ) -> None:
        self.lex = lexicon
        self.lemmas: set[str] = set()
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.rules: dict[int, _Rule] = {}
        for number, record in enumerate(records):
            key = f"{record['label']}#{number}"
            focus = record.get("focus")
            self.rules[nlp.vocab.strings.add(key)] = _Rule(
                label=record["label"],
                focus=(int(focus[0]), int(focus[1])) if focus else None,
                resolve=record.get("resolve"),
            )
            try:
                pattern = [_on_lower_lemma(spec, self.lemmas) for spec in record["pattern"]]
                self.matcher.add(key, [pattern])
            except ValueError as error:
                raise SuggesterError(f"event pattern {number + 1}: {error}") from error

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            # 'Clashes' opening a sentence is tagged as a name and keeps its capital.
            if token.is_title or token.is_upper:
                lemma = lemma_lower(token)
                if lemma != token.lemma_ and lemma in self.lemmas:
                    token.lemma_ = lemma
        found = [SpacySpan(doc, start, end, label=key) for key, start, end in self.matcher(doc)]
        triggers: list[SpacySpan] = []
        for match in filter_spans(found):
            rule = self.rules[match.label]
            start, end = match.start, match.end
            if rule.focus is not None:
                start, end = match.start + rule.focus[0], match.start + rule.focus[1]
            label = self._resolve(doc[start:end], rule)
            if label is not None:
                triggers.append(SpacySpan(doc, start, end, label=label))
        doc.spans[EVENTS_KEY] = self._merge_compounds(doc, triggers)
        return doc

    def _resolve(self, trigger: SpacySpan, rule: _Rule) -> str | None:
        """The label of an ambiguous trigger from its context; None when it is no event."""
        if rule.resolve == "attack":
            return self._attack_label(trigger, default=rule.label)
        if rule.resolve == "raid":
            # Only a raid on civilians is a trigger of its own: raids on a base are part of the
            # fighting, raids to arrest people are the arrest.
            label = self._attack_label(trigger, default="")
            return label if label == "ATTACK_ON_CIVILIANS" else None
        if rule.resolve == "meet":
            objects = {lemma_lower(c) for c in trigger.root.children if c.dep_ == "dobj"}
            return None if objects & self.lex["non_meeting_objects"] else rule.label
        if rule.resolve == "strike":
            return self._strike_label(trigger, default=rule.label)
        return rule.label

    def _strike_label(self, trigger: SpacySpan, *, default: str) -> str | None:
        """A bare 'strike': a labour strike, an air strike, or part of a name ('strike team')."""
        token = trigger.root
        if token.lower_ not in {"strike", "strikes"} or token.dep_ == "compound":
            return None
        children = {c.lower_ for c in token.children if c.dep_ == "prep"}
        if children & {"against", "over", "for"}:
            return "PROTEST"
        if token.dep_ in {"dobj", "pobj"} and lemma_lower(token.head) in self.lex["protest_cues"]:
            return "PROTEST"
        return default

    def _attack_label(self, trigger: SpacySpan, *, default: str) -> str:
        """An attack on civilians or on an armed target, judged by what was attacked."""
        for target in self._targets(trigger):
            words = {lemma_lower(t) for t in target.subtree if t.i - target.i < 6}
            if (
                target.ent_type_ == "ARMED_GROUP"
                or lemma_lower(target) in self.lex["armed_targets"]
                or any(
                    c.dep_ in {"amod", "compound"}
                    and lemma_lower(c) in self.lex["armed_target_modifiers"]
                    for c in target.children
                )
            ):
                if not words & {"displaced", "displace", "refugee", "civilian"}:
                    return "ARMED_CLASH"
            if lemma_lower(target) in self.lex["civilian_targets"] or words & {
                "displaced",
                "displace",
                "refugee",
                "civilian",
            }:
                return "ATTACK_ON_CIVILIANS"
        return default

    def _targets(self, trigger: SpacySpan) -> Iterator[Token]:
        for token in trigger:
            for child in token.children:
                if child.dep_ in {"dobj", "nsubjpass"}:
                    yield child
                elif child.dep_ == "prep" and child.lower_ in {"on", "against", "in"}:
                    yield from (c for c in child.children if c.dep_ == "pobj")
        root = trigger.root
        if root.dep_ in {"pobj", "dobj"} and root.head.dep_ == "prep":
            yield from (c for c in root.head.head.children if c.dep_ == "dobj")

    def _merge_compounds(self, doc: Doc, triggers: list[SpacySpan]) -> list[SpacySpan]:
        """'landmine explosion', 'artillery shelling': one trigger for one expression."""
        triggers = sorted(triggers, key=lambda span: span.start)
        merged: list[SpacySpan] = []
        for span in triggers:
            if merged:
                last = merged[-1]
                if (
                    last.end == span.start
                    and last.label_ == span.label_ == "REMOTE_VIOLENCE"
                    and last.root.head.i in range(span.start, span.end)
                    and last.root.dep_ in {"compound", "amod", "nmod"}
                ):
                    merged[-1] = SpacySpan(doc, last.start, span.end, label=span.label_)
                    continue
            merged.append(span)
        return merged


def _on_lower_lemma(spec: dict[str, Any], seen: set[str]) -> dict[str, Any]:
    """Lowercase the LEMMA values of a token pattern and remember them."""
    if "LEMMA" not in spec:
        return spec
    spec = dict(spec)
    value = spec["LEMMA"]
    if isinstance(value, str):
        spec["LEMMA"] = value.lower()
        seen.add(value.lower())
    elif isinstance(value, dict):
        lowered: dict[str, Any] = {}
        for op, values in value.items():
            if isinstance(values, list):
                values = [str(v).lower() for v in values]
                seen.update(values)
            lowered[op] = values
        spec["LEMMA"] = lowered
    return spec
