"""The ``conflict_events`` component: event triggers from lemma patterns, with the rules that pick
a trigger's label from who acted and who or what was acted on.

Violence is told apart by its parties, read off the dependency parse: a crowd's violence is RIOT,
violence against an armed target ARMED_CLASH, against civilians ATTACK_ON_CIVILIANS. Casualties
and displacement have no category of their own; the component writes what caused them (the event
label of the violence) to ``doc.spans["event_causes"]``, from which the suggester takes the
sentence's category. The word lists are data in ``lexicon.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
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
    LEXICON,
    SuggesterError,
    lemma_lower,
    read_jsonl,
    read_lexicon,
)

# Casualty and displacement triggers, labelled with the event that caused them.
CAUSES_KEY = "event_causes"

ARMED_CLASH = "ARMED_CLASH"
ATTACK_ON_CIVILIANS = "ATTACK_ON_CIVILIANS"
RIOT = "RIOT"
SEIZURE = "SEIZURE"
# The labels whose triggers get a cause from their sentence.
EFFECTS = frozenset({"CASUALTIES", "DISPLACEMENT"})
# Words in a target's phrase that make it civilian whatever its head ("a camp for displaced
# people", "an IDP camp").
CIVILIAN_CUES = frozenset({"displaced", "displace", "refugee", "civilian", "idp", "idps"})


# The word lists of lexicon.json the component reads, and the ways a pattern's label is resolved.
WORD_LISTS = frozenset(
    {
        "armed_heads",
        "armed_targets",
        "armed_target_modifiers",
        "civilian_targets",
        "crowd_actors",
        "crowd_missiles",
        "crowd_verbs",
        "harm_verbs",
        "munition_heads",
        "non_meeting_objects",
        "not_fired_at",
        "party_nouns",
        "place_prepositions",
        "property_verbs",
        "protest_cues",
        "remote_weapons",
        "target_prepositions",
        "undergo_verbs",
    }
)
RESOLVES = frozenset(
    {"attack", "clash", "fire", "meet", "not_modifier", "raid", "riot", "shoot", "strike"}
    | {"throw", "violence"}
)


@Language.factory("conflict_events", default_config={"patterns_dir": str(DEFAULT_PATTERNS)})
def make_conflict_events(nlp: Language, name: str, patterns_dir: str) -> ConflictEvents:
    """The factory of the event trigger component."""
    path = Path(patterns_dir)
    lexicon = read_lexicon(path)
    if missing := sorted(WORD_LISTS - lexicon.keys()):
        raise SuggesterError(f"{path / LEXICON}: the event rules need the word lists {missing}")
    return ConflictEvents(nlp, read_jsonl(path / EVENT_PATTERNS), lexicon)


@dataclass(frozen=True)
class _Rule:
    label: str
    focus: tuple[int, int] | None
    resolve: str | None


class Parties:
    """Who acted and who or what was acted on, and whether a party is armed, civilian or a crowd."""

    def __init__(self, lexicon: dict[str, frozenset[str]]) -> None:
        self.lex = lexicon
        self.armed = lexicon["armed_targets"] | lexicon["armed_heads"]
        self.civilian = lexicon["civilian_targets"] | lexicon["crowd_actors"]

    def _heads(self, token: Token) -> Iterator[Token]:
        """The token and its conjuncts; 'a group of youths' stands for the youths too."""
        for item in (token, *token.conjuncts):
            yield item
            if lemma_lower(item) in self.lex["party_nouns"]:
                for prep in item.children:
                    if prep.dep_ == "prep" and prep.lower_ == "of":
                        yield from (c for c in prep.children if c.dep_ == "pobj")

    def is_armed(self, token: Token) -> bool:
        """An armed group, its people or its places (troops, a base, a police station)."""
        return any(self._armed_alone(item) for item in self._heads(token))

    def _armed_alone(self, item: Token) -> bool:
        phrase = {lemma_lower(t) for t in item.subtree if abs(t.i - item.i) < 6}
        if phrase & CIVILIAN_CUES:
            return False
        return (
            item.ent_type_ == "ARMED_GROUP"
            or lemma_lower(item) in self.armed
            or any(
                c.dep_ in {"amod", "compound"}
                and lemma_lower(c) in self.lex["armed_target_modifiers"]
                for c in item.children
            )
        )

    def is_civilian(self, token: Token) -> bool:
        """Unarmed people or their places (villagers, a man, a market, an IDP camp)."""
        for item in self._heads(token):
            phrase = {lemma_lower(t) for t in item.subtree if abs(t.i - item.i) < 6}
            if lemma_lower(item) in self.civilian or phrase & CIVILIAN_CUES:
                return True
            # A named person ('a lawyer, Adam Yahya'): notes name the victims, not the soldiers.
            if item.ent_type_ == "PERSON" or any(
                c.dep_ == "appos" and c.ent_type_ == "PERSON" for c in item.children
            ):
                return True
        return False

    def is_crowd(self, token: Token) -> bool:
        """A crowd that may act: a mob, rioters, protesters, residents, or anyone who protests
        or riots ('traders rioted and burned tyres', 'youths protesting fuel prices'); never an
        armed group."""
        crowd_verbs = self.lex["crowd_verbs"]
        for item in self._heads(token):
            # 'PTI supporters and police clashed': the supporters are a crowd, the police not.
            if self._armed_alone(item):
                continue
            if lemma_lower(item) in self.lex["crowd_actors"]:
                return True
            if item.dep_ == "nsubj" and lemma_lower(item.head) in crowd_verbs:
                return True
            if any(
                c.dep_ in {"acl", "relcl"} and lemma_lower(c) in crowd_verbs for c in item.children
            ):
                return True
        return False

    def actors(self, token: Token) -> list[Token]:
        """Who did what ``token`` says: its subject, its 'by' agent, or its clause's subject."""
        found: list[Token] = []
        for child in token.children:
            noun_modifier = child.dep_ == "compound" and token.pos_ == "NOUN"  # 'mob attack'
            if child.dep_ in {"nsubj", "poss"} or noun_modifier:
                found.append(child)
            elif child.dep_ == "agent" or (child.dep_ == "prep" and child.lower_ == "by"):
                found.extend(c for c in child.children if c.dep_ == "pobj")
        passive = any(c.dep_ in {"nsubjpass", "auxpass"} for c in token.children)
        shares_subject = token.dep_ in {"conj", "xcomp"} or (
            token.dep_ == "advcl" and token.tag_ == "VBG"
        )
        if not found and not passive and shares_subject and token.head.i != token.i:
            # 'troops shot and killed': the second verb shares the subject; '..., killing
            # three' and 'opened fire, injuring two' have their clause's.
            return self.actors(token.head)
        return found

    def targets(self, token: Token, *, of_clause: bool = True) -> list[Token]:
        """Who or what ``token`` was done to: its object, the one 'on' or 'at' it, its patient;
        with ``of_clause``, a noun's clause's object too ('killed five villagers in an attack').
        """
        found = [c for c in token.children if c.dep_ in {"dobj", "nsubjpass"}]
        # Objects first, then what it was aimed at ('on', 'at'), then where it happened ('in');
        # a place before the verb ('in X village, troops attacked ...') says where, not whom.
        for words in (self.lex["target_prepositions"], self.lex["place_prepositions"]):
            for prep in token.children:
                if prep.dep_ == "prep" and prep.lower_ in words and prep.i > token.i:
                    found.extend(c for c in prep.children if c.dep_ == "pobj")
        if not any(c.dep_ == "dobj" for c in token.children):
            # 'shot and killed two civilians': the object sits on the next verb ('... and
            # injured a police guard' is another act).
            following = [c for c in token.conjuncts if c.pos_ == "VERB" and c.i > token.i]
            if following:
                found.extend(c for c in following[0].children if c.dep_ == "dobj")
        if token.dep_ == "acl" and token.tag_ == "VBN":
            found.append(token.head)  # 'a man beaten by soldiers'
        if of_clause and token.dep_ in {"pobj", "dobj"} and token.head.dep_ == "prep":
            found.extend(c for c in token.head.head.children if c.dep_ == "dobj")
        return found


class ConflictEvents:
    """Find event triggers with lemma patterns and write them to ``doc.spans["events"]``."""

    def __init__(
        self, nlp: Language, records: Sequence[dict[str, Any]], lexicon: dict[str, frozenset[str]]
    ) -> None:
        self.lex = lexicon
        self.parties = Parties(lexicon)
        self.lemmas: set[str] = set()
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.rules: dict[int, _Rule] = {}
        for number, record in enumerate(records):
            key = f"{record['label']}#{number}"
            focus = record.get("focus")
            if record.get("resolve") not in RESOLVES | {None}:
                raise SuggesterError(
                    f"event pattern {number + 1}: unknown resolve {record['resolve']!r}; "
                    f"use one of {sorted(RESOLVES)}"
                )
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
        events = self._merge_compounds(doc, self._without_weapon_names(triggers))
        doc.spans[EVENTS_KEY] = events
        doc.spans[CAUSES_KEY] = self._causes(doc, events)
        return doc

    def _resolve(self, trigger: SpacySpan, rule: _Rule) -> str | None:
        """The label of an ambiguous trigger from its context; None when it is no event."""
        if rule.resolve == "attack":
            return self._attack_label(trigger, default=rule.label)
        if rule.resolve == "shoot":
            # 'shot down a helicopter' downs an aircraft; 'shot down two villagers' kills.
            token = trigger.root
            down = any(c.dep_ == "prt" and c.lower_ == "down" for c in token.children)
            targets = self.parties.targets(token)
            if down and not any(self.parties.is_civilian(t) for t in targets):
                return None
            return self._attack_label(trigger, default=rule.label)
        if rule.resolve == "throw":
            # Stones, bricks and bottles are a crowd's weapons; a thrown grenade is the grenade.
            thrown = [c for c in trigger.root.children if c.dep_ == "dobj"]
            hurled = any(lemma_lower(c) in self.lex["crowd_missiles"] for c in thrown)
            return rule.label if hurled else None
        if rule.resolve == "fire":
            return self._fire_label(trigger, default=rule.label)
        if rule.resolve == "violence":
            # Beating, burning, torturing: a crowd's is a riot, anyone else's the rule's label.
            return RIOT if self._by_crowd(trigger.root) else rule.label
        if rule.resolve == "clash":
            return RIOT if self._crowd_fights(trigger.root) else rule.label
        if rule.resolve == "riot":
            # 'riot police', 'riot gear' name a force or a thing, not a riot.
            root = trigger.root
            return None if root.dep_ in {"compound", "amod", "nmod"} else rule.label
        if rule.resolve == "raid":
            # Only a raid on civilians is a trigger of its own: raids on a base are part of the
            # fighting, raids to arrest people are the arrest.
            # Its own target only: in 'arrested 12 men during a raid' the men are the arrest's.
            label = self._attack_label(trigger, default="", of_clause=False)
            return label if label == ATTACK_ON_CIVILIANS else None
        if rule.resolve == "not_modifier" and trigger.root.dep_ == "amod":
            return None  # 'imprisoned party leaders' are no arrest
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

    def _by_crowd(self, token: Token) -> bool:
        return any(self.parties.is_crowd(actor) for actor in self.parties.actors(token))

    def _crowd_fights(self, token: Token) -> bool:
        """Whether a crowd is one side of a clash ('protesters clashed with police')."""
        sides = list(self.parties.actors(token))
        # 'clashes broke out between protesters and police': the sides may hang on the verb.
        holders = [token, token.head] if token.dep_ == "nsubj" else [token]
        for child in (c for holder in holders for c in holder.children):
            if child.dep_ == "prep" and child.lower_ in {"with", "between", "among", "amongst"}:
                sides.extend(c for c in child.children if c.dep_ == "pobj")
        if token.dep_ == "pobj" and token.head.lower_ in {"in", "during", "into"}:
            sides.extend(self.parties.actors(token.head.head))
        return any(self.parties.is_crowd(side) for side in sides)

    def _attack_label(
        self, trigger: SpacySpan, *, default: str, of_clause: bool = True
    ) -> str | None:
        """A crowd's attack, or an attack on civilians or on an armed target, judged by who;
        None for a word that names a thing ('assault rifles', 'attack helicopters')."""
        token = trigger.root
        if token.dep_ == "compound" and token.pos_ in {"NOUN", "PROPN"}:
            return None
        if self._by_crowd(token):
            return RIOT
        targets = [t for part in trigger for t in self.parties.targets(part, of_clause=of_clause)]
        # A place attacked is either: 'attacked Kani, killing six soldiers' tells which.
        targets.extend(
            target
            for clause in token.children
            if clause.dep_ in {"advcl", "conj"} and lemma_lower(clause) in self.lex["harm_verbs"]
            for target in self.parties.targets(clause)
        )
        for target in targets:
            if self.parties.is_armed(target):
                return ARMED_CLASH
            if self.parties.is_civilian(target):
                return ATTACK_ON_CIVILIANS
        return default

    def _fire_label(self, trigger: SpacySpan, *, default: str) -> str | None:
        """'fired at villagers', 'fired on troops'; 'fired tear gas', 'fired shells' are not."""
        token = trigger.root
        objects = [c for c in token.children if c.dep_ == "dobj"]
        if any(lemma_lower(t) in self.lex["not_fired_at"] for c in objects for t in c.subtree):
            return None  # 'fired tear gas', 'fired warning shots'
        if any(lemma_lower(t) in self.lex["remote_weapons"] for c in objects for t in c.subtree):
            return None  # the weapon is the trigger ('fired mortar shells at the village')
        aimed = [
            c
            for prep in token.children
            if prep.dep_ == "prep" and prep.lower_ in self.lex["target_prepositions"]
            for c in prep.children
            if c.dep_ == "pobj"
        ]
        if not aimed and not any(c.dep_ == "nsubjpass" for c in token.children):
            return None
        if any(lemma_lower(c) in self.lex["not_fired_at"] for c in aimed):
            return None  # 'fired into the air'
        return self._attack_label(trigger, default=default)

    def _causes(self, doc: Doc, events: Sequence[SpacySpan]) -> list[SpacySpan]:
        """Casualty and displacement triggers labelled with the event that caused them, and
        looting and destroying property, which are no triggers, as the taking (SEIZURE) whose
        category they have."""
        by_token = {t.i: span for span in events for t in span}
        causes: list[SpacySpan] = []
        guesses: list[SpacySpan] = []
        for span in events:
            if span.label_ in EFFECTS:
                cause, sure = self._cause_of(span, by_token)
                if cause is not None:
                    (causes if sure else guesses).append(
                        SpacySpan(doc, span.start, span.end, label=cause)
                    )
        # 'killed 4 soldiers and injured 3 others': the others are no civilians to guess at.
        causes.extend(guesses if not causes else ())
        causes.extend(
            SpacySpan(doc, token.i, token.i + 1, label=SEIZURE)
            for token in doc
            if token.pos_ == "VERB"
            and lemma_lower(token) in self.lex["property_verbs"]
            and token.i not in by_token
        )
        return causes

    def _cause_of(self, span: SpacySpan, by_token: dict[int, SpacySpan]) -> tuple[str | None, bool]:
        """The event label of what killed, hurt or drove out the people of ``span``, and
        whether the sentence says so (False: armed men hurt people it does not name)."""
        token = span.root

        def trigger_in(tokens: Iterable[Token]) -> str | None:
            for t in tokens:
                other = by_token.get(t.i)
                if other is not None and other is not span and other.label_ not in EFFECTS:
                    return str(other.label_)
            return None

        # 'shot and killed', 'shelled the town, killing one', 'shot dead': the verb it hangs on.
        if token.dep_ in {"conj", "advcl", "oprd", "acomp", "xcomp", "ccomp"}:
            if label := trigger_in([token.head]):
                return label, True
        # 'killed in fighting', 'fled from the shelling', 'died after soldiers opened fire',
        # 'killed by an air strike', 'the airstrike killed five'.
        for child in token.children:
            if child.dep_ in {"prep", "agent", "advcl", "nsubj", "npadvmod", "conj"}:
                if label := trigger_in(child.subtree):
                    return label, True
        # Whom it hit: 'killed 2 civilians at a checkpoint' killed the civilians, not the post.
        victims = [
            t
            for t in self.parties.targets(token, of_clause=False)
            if not (t.dep_ == "pobj" and t.head.head.i == token.i)
        ]
        if lemma_lower(token) in self.lex["undergo_verbs"]:
            # 'two villagers died', 'residents fled': the subject is who suffered it.
            victims.extend(c for c in token.children if c.dep_ == "nsubj")
            actors = [
                c
                for agent in token.children
                if agent.dep_ == "agent"
                for c in agent.children
                if c.dep_ == "pobj"
            ]
        else:
            actors = self.parties.actors(token)
        if token.dep_ in {"amod", "acomp", "oprd"}:
            victims.append(token.head)
        if label := trigger_in(actors):
            return label, True  # 'a military airstrike hit the village, killing six'
        if any(self.parties.is_crowd(actor) for actor in actors):
            return RIOT, True
        armed_victims = any(self.parties.is_armed(victim) for victim in victims)
        civilian_victims = any(self.parties.is_civilian(victim) for victim in victims)
        if any(self.parties.is_armed(actor) for actor in actors):
            if armed_victims:
                return ARMED_CLASH, True
            if span.label_ == "CASUALTIES":
                return ATTACK_ON_CIVILIANS, civilian_victims
            return None, False
        if span.label_ != "CASUALTIES":
            return None, False
        # No one named as the killer: the victims tell the kind of violence.
        if armed_victims:
            return ARMED_CLASH, True
        if civilian_victims:
            return ATTACK_ON_CIVILIANS, True
        return None, False

    def _without_weapon_names(self, triggers: list[SpacySpan]) -> list[SpacySpan]:
        """A weapon naming something else is no strike: 'bomb shelters', 'rocket launchers';
        'artillery shells', 'a mortar round' and 'landmine explosion' are."""
        inside = {t.i: span for span in triggers for t in span}
        kept: list[SpacySpan] = []
        for span in triggers:
            root = span.root
            if span.label_ != "REMOTE_VIOLENCE" or len(span) != 1:
                kept.append(span)
                continue
            if (
                root.dep_ == "compound"
                and root.head.i not in inside
                and lemma_lower(root.head) not in self.lex["munition_heads"]
            ):
                continue
            # 'a drone dropped a grenade': the grenade is the strike, the drone carried it.
            dropped = [c for c in root.head.children if c.dep_ == "dobj"]
            if root.dep_ == "nsubj" and any(
                c.i in inside and inside[c.i].label_ == "REMOTE_VIOLENCE" for c in dropped
            ):
                continue
            kept.append(span)
        return kept

    def _merge_compounds(self, doc: Doc, triggers: list[SpacySpan]) -> list[SpacySpan]:
        """'landmine explosion', 'artillery shelling': one trigger for one expression."""
        triggers = sorted(triggers, key=lambda span: span.start)
        merged: list[SpacySpan] = []
        for span in triggers:
            if merged:
                last = merged[-1]
                # 'grenade attack': the weapon says what kind of attack it was.
                remote_attack = (
                    last.label_ == "REMOTE_VIOLENCE"
                    and lemma_lower(span.root) in self.lex["munition_heads"]
                )
                if (
                    last.end == span.start
                    and (last.label_ == span.label_ == "REMOTE_VIOLENCE" or remote_attack)
                    and last.root.head.i in range(span.start, span.end)
                    and last.root.dep_ in {"compound", "amod", "nmod"}
                ):
                    merged[-1] = SpacySpan(doc, last.start, span.end, label="REMOTE_VIOLENCE")
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
