"""The ``event_arguments`` component: who did what to whom, where, when and how many, for every
event trigger, read off the dependency parse.

The component runs after the triggers are found (``doc.spans["events"]``, by the rules or a
trained ``spancat``) and the entities are in the scheme's labels (``doc.ents``). For each trigger it
links the entity spans of the same text to roles:

- the trigger's own clause first: its subject or 'by' agent (ACTOR), its object or passive subject
  or what follows 'on'/'against' (TARGET), a place after 'in', 'at', 'near'... (LOCATION, with the
  place's chain: a village, its township and its region, most specific first), a date of the
  clause (TIME), and, for casualties, arrests and displacement, the number of the victims
  (COUNT: 'killing 3', '3 killed', '[Fatalities: 2]', '1 fatality');
- a verb without a subject shares its head's ('troops shot and killed', '..., killing 17'), and
  a noun trigger borrows from the verb it belongs to ('an airstrike hit X', 'staged a protest in
  Y'); where and when a clause happened holds for the events in it;
- a trigger with no place or date in its clause takes the note's: coder notes put them first
  ("On 3 May, in X village, Y township, troops shot 2 civilians").

A candidate takes the first role, in the order of ``labels/patterns/arguments.json``, whose
dependencies or prepositions link it and whose scheme role accepts its entity label; the roles
and what they accept come from the scheme (the ``roles`` config), the rules from the data file.

The component writes ``doc._.event_arguments``: a list of ``(event start, event end, event
label, role, entity start, entity end, entity label)`` character-offset tuples, which pickle and
serialise with the Doc; ``arguments_of`` turns them into ``annotator.spans.Argument`` values
checked against the suggested spans and the scheme.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from annotator.config import DEFAULT_PATTERNS
from annotator.labels import LabelScheme
from annotator.nlp.rules import EVENTS_KEY, SuggesterError
from annotator.spans import Argument, Draft, Span, SpanError, check_arguments

ARGUMENT_RULES = "arguments.json"
EXTENSION = "event_arguments"
# One argument as the component writes it: event start, end, label; role; entity start, end,
# label (character offsets).
RawArgument = tuple[int, int, str, str, int, int, str]

if not Doc.has_extension(EXTENSION):
    Doc.set_extension(EXTENSION, default=None)

_NOUNS = frozenset({"NOUN", "PROPN", "PRON", "NUM"})
_VERBS = frozenset({"VERB", "AUX"})
_SUBJECTS = frozenset({"nsubj", "csubj", "agent"})
_PASSIVE = frozenset({"nsubjpass", "auxpass", "csubjpass"})
_RELATIVES = frozenset({"WP", "WDT"})
# A trigger completing a verb shares the verb's object: 'shot dead a social leader'.
_COMPLEMENTS = frozenset({"oprd", "acomp", "xcomp", "ccomp"})


@dataclass(frozen=True)
class RoleRules:
    """How one role is linked to a trigger: the dependencies and prepositions that lead to it."""

    role: str
    dependencies: frozenset[str]
    dependencies_by_event: Mapping[str, frozenset[str]]
    prepositions: frozenset[str]
    prepositions_by_event: Mapping[str, frozenset[str]]
    # The trigger labels that take this role; empty: every trigger.
    events: frozenset[str]
    # A clause's role holds for the events in it (where and when).
    inherit: bool
    once: bool
    # A place stands with the places written next to it (a village, its township, its region).
    chain: bool
    # By event label, verbs whose subject plays this role in the sentence's event: the side
    # that withdrew from what was seized.
    subjects_of: Mapping[str, frozenset[str]]
    # Prepositions that say where the event was only on its own verb, not after another word.
    not_after_words: frozenset[str]

    def links(self, dependency: str, preposition: str | None, event_label: str) -> bool:
        """True when a word linked to a trigger this way may play this role."""
        if self.events and event_label not in self.events:
            return False
        if preposition is None:
            return dependency in self.dependencies or dependency in self.dependencies_by_event.get(
                event_label, frozenset()
            )
        return preposition in self.prepositions or preposition in self.prepositions_by_event.get(
            event_label, frozenset()
        )


@dataclass(frozen=True)
class CountRules:
    """How the number of the killed, wounded, arrested or displaced is found."""

    role: str
    events: frozenset[str]
    victims: frozenset[str]
    # The events whose subject is their victim ('5 people died', '200 families fled').
    subject_victims: frozenset[str]
    on_trigger: frozenset[str]
    of_trigger: frozenset[str]
    # A trigger that completes a verb has that verb's victims ('left 4 dead').
    complement_of: frozenset[str]
    number_of: frozenset[str]
    # Nouns whose number counts no victims ('burned 30 houses', 'fired 12 shells').
    uncounted: frozenset[str]


@dataclass(frozen=True)
class ArgumentRules:
    """The rules of ``arguments.json``."""

    roles: tuple[RoleRules, ...]
    count: CountRules | None
    shared_subject: frozenset[str]
    borrow_subject_prepositions: frozenset[str]
    participle_prepositions: Mapping[str, frozenset[str]]
    through_prepositions: frozenset[str]
    place_connectors: frozenset[str]
    # The events whose actor, where their clause names none, is the sentence's first party.
    sentence_actor_events: frozenset[str]
    responsibility_verbs: frozenset[str]
    responsibility_objects: frozenset[str]
    fatal_events: frozenset[str]
    fatal_words: frozenset[str]
    fatal_phrases: tuple[str, ...]
    # A casualty trigger with one of these in its text counts the wounded ("wounded", "injuring").
    injury_words: tuple[str, ...]
    # Words a coder's table may leave off a name or add to it ('Kyauk Ta Lone' village, 'RSF'
    # fighters).
    generic_name_words: frozenset[str]


def read_argument_rules(patterns_dir: Path | str = DEFAULT_PATTERNS) -> ArgumentRules:
    """The argument rules of a patterns folder; raise SuggesterError naming a bad file or entry."""
    path = Path(patterns_dir) / ARGUMENT_RULES
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise SuggesterError(f"{path}: cannot be read ({error})") from error
    try:
        return _rules_from(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SuggesterError(f"{path}: {error!r} is missing or malformed") from error


def _words(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(value).lower() for value in values)


def _by_key(values: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    return {str(key): _words(words) for key, words in values.items()}


def _rules_from(data: dict[str, Any]) -> ArgumentRules:
    roles: list[RoleRules] = []
    count: CountRules | None = None
    for entry in data["roles"]:
        if "victims" in entry:
            count = CountRules(
                role=entry["role"],
                events=frozenset(entry.get("events", ())),
                victims=_words(entry["victims"]),
                subject_victims=frozenset(entry.get("subject_victims", ())),
                on_trigger=_words(entry["on_trigger"]),
                of_trigger=_words(entry["of_trigger"]),
                complement_of=_words(entry["complement_of"]),
                number_of=_words(entry["number_of"]),
                uncounted=_words(entry["uncounted_nouns"]),
            )
            continue
        roles.append(
            RoleRules(
                role=entry["role"],
                dependencies=_words(entry.get("dependencies", ())),
                dependencies_by_event=_by_key(entry.get("dependencies_by_event", {})),
                prepositions=_words(entry.get("prepositions", ())),
                prepositions_by_event=_by_key(entry.get("prepositions_by_event", {})),
                events=frozenset(entry.get("events", ())),
                inherit=bool(entry.get("inherit", False)),
                once=bool(entry.get("once", False)),
                chain=bool(entry.get("chain", False)),
                subjects_of=_by_key(entry.get("subjects_of", {})),
                not_after_words=_words(entry.get("not_after_words", ())),
            )
        )
    responsibility = data["responsibility"]
    fatal = data["fatalities"]
    return ArgumentRules(
        roles=tuple(roles),
        count=count,
        shared_subject=_words(data["shared_subject"]),
        borrow_subject_prepositions=_words(data["borrow_subject_prepositions"]),
        participle_prepositions=_by_key(data["participle_prepositions"]),
        through_prepositions=_words(data["through_prepositions"]),
        place_connectors=_words(data["place_connectors"]),
        sentence_actor_events=frozenset(data["sentence_actor_events"]),
        responsibility_verbs=_words(responsibility["verbs"]),
        responsibility_objects=_words(responsibility["objects"]),
        fatal_events=frozenset(fatal["events"]),
        fatal_words=_words(fatal["words"]),
        fatal_phrases=tuple(str(phrase).lower() for phrase in fatal["after"]),
        injury_words=tuple(str(word).lower() for word in fatal["injury"]),
        generic_name_words=_words(data["generic_name_words"]),
    )


@Language.factory(
    "event_arguments",
    default_config={"patterns_dir": str(DEFAULT_PATTERNS), "roles": {}},
)
def make_event_arguments(
    nlp: Language, name: str, patterns_dir: str, roles: dict[str, list[str]]
) -> EventArguments:
    """The factory of the argument component; ``roles`` maps each scheme role to the entity
    labels it accepts (``roles_config`` of a scheme)."""
    return EventArguments(read_argument_rules(patterns_dir), accepts=roles)


def roles_config(scheme: LabelScheme) -> dict[str, list[str]]:
    """The ``roles`` config of the component for a scheme: each role and the labels it accepts
    (every entity label where it names none)."""
    entities = list(scheme.names("entities"))
    config: dict[str, list[str]] = {}
    for name in scheme.names("roles"):
        spec = scheme.role(name)
        if spec is not None:
            config[name] = list(spec.accepts) or entities
    return config


@dataclass(frozen=True)
class _Link:
    """A word linked to a trigger: by a dependency, or by a preposition it is the object of;
    ``places_only`` where it was reached through another word ('a checkpoint near X')."""

    dependency: str
    preposition: str | None
    token: Token
    places_only: bool = False


@dataclass(frozen=True)
class _Text:
    """What the rules read off one Doc: its entities by token and its triggers by root token."""

    doc: Doc
    entities: tuple[SpacySpan, ...]
    entity_at: Mapping[int, SpacySpan]
    trigger_at: Mapping[int, SpacySpan]


# (role, entity) pairs of one trigger, in the order found.
_Chosen = list[tuple[str, SpacySpan]]
_Key = tuple[int, int, str]


def _key(trigger: SpacySpan) -> _Key:
    return (trigger.start_char, trigger.end_char, trigger.label_)


class EventArguments:
    """Link every event trigger of a Doc to the entity spans that play its roles."""

    def __init__(self, rules: ArgumentRules, *, accepts: Mapping[str, Sequence[str]]) -> None:
        self.rules = rules
        self.accepts = {role: frozenset(labels) for role, labels in accepts.items()}
        self.roles = tuple(rule for rule in rules.roles if rule.role in self.accepts)
        self.count = rules.count if rules.count and rules.count.role in self.accepts else None
        self.labels: frozenset[str] = frozenset().union(*self.accepts.values())
        self.place_role = next((rule for rule in self.roles if rule.chain), None)
        # The roles a party plays (who acted, whom it hit), told from places, dates and counts.
        self.party_labels: frozenset[str] = frozenset().union(
            *(self.accepts[rule.role] for rule in self.roles if not (rule.chain or rule.inherit))
        )
        self.actor_role = next(
            (rule.role for rule in self.roles if "nsubj" in rule.dependencies), None
        )

    def __call__(self, doc: Doc) -> Doc:
        triggers = list(doc.spans[EVENTS_KEY]) if EVENTS_KEY in doc.spans else []
        entities = tuple(ent for ent in doc.ents if ent.label_ in self.labels)
        text = _Text(
            doc=doc,
            entities=entities,
            entity_at={token.i: ent for ent in entities for token in ent},
            trigger_at={trigger.root.i: trigger for trigger in triggers},
        )
        clauses = {_key(trigger): self._clause_arguments(trigger, text) for trigger in triggers}
        claimed = self._claimed(text)
        found: list[RawArgument] = []
        for trigger in triggers:
            for role, ent in self._with_note_fallback(trigger, clauses, text, claimed=claimed):
                found.append((*_key(trigger), role, ent.start_char, ent.end_char, ent.label_))
        doc._.set(EXTENSION, found)
        return doc

    # --- the trigger's clause ---------------------------------------------------------------

    def _clause_arguments(self, trigger: SpacySpan, text: _Text) -> _Chosen:
        """(role, entity) pairs read off the trigger's clause, in the order found."""
        label = trigger.label_
        inside = {token.i for token in trigger}
        chosen: _Chosen = []
        for link in self._links(trigger, text):
            for ent in self._named(link.token, text):
                if any(token.i in inside for token in ent):
                    continue
                role = self._role_for(link, ent, label)
                if role is not None:
                    chosen.append((role, ent))
        for rule in self.roles:
            if rule.inherit and not any(role == rule.role for role, _ in chosen):
                chosen.extend(self._inherited(trigger, rule, text))
            verbs = rule.subjects_of.get(label)
            if verbs:
                chosen.extend((rule.role, ent) for ent in self._subjects_of(trigger, verbs, text))
        if self.count is not None and (not self.count.events or label in self.count.events):
            chosen.extend((self.count.role, ent) for ent in self._counts(trigger, text))
        return self._places_chained(chosen, text)

    def _role_for(self, link: _Link, ent: SpacySpan, label: str) -> str | None:
        for rule in self.roles:
            if link.places_only and not rule.chain:
                continue
            if ent.label_ in self.accepts[rule.role] and rule.links(
                link.dependency, link.preposition, label
            ):
                return rule.role
        return None

    def _links(self, trigger: SpacySpan, text: _Text) -> list[_Link]:
        """The words linked to a trigger: its own dependents, those of the verb a noun trigger
        belongs to, who set off a noun trigger, the subject it shares with its head verb, the
        object it shares with the next verb, and the places written after any of them."""
        root = trigger.root
        inside = {token.i for token in trigger}
        own = list(self._dependents(root))
        links = list(own)
        # A noun trigger modifying a noun stands for its phrase ('artillery shells').
        phrase = root
        while (
            phrase.dep_ in {"compound", "amod", "nmod"}
            and phrase.head.i != phrase.i
            and phrase.head.pos_ in _NOUNS
        ):
            below, phrase = phrase, phrase.head
            links.extend(
                link
                for link in self._dependents(phrase)
                if link.token.i not in inside and link.token.i != below.i
            )
        verb: Token | None = None
        if phrase.pos_ in _NOUNS and phrase.head.i != phrase.i:
            head = phrase.head
            if phrase.dep_ in {"nsubj", "nsubjpass"}:
                # 'an airstrike hit Ywar Thit village': what the strike hit, where and when; a
                # verb that is an event of its own ('an explosion injured 3 police officers')
                # keeps whom it hit, and shares only where.
                verb = head
                links.extend(
                    replace(link, places_only=head.i in text.trigger_at)
                    for link in self._dependents(head)
                    if link.token.i != phrase.i and link.dependency not in _SUBJECTS
                )
            elif phrase.dep_ in {"dobj", "attr", "oprd", "obj"}:
                # 'residents staged a protest in Atbara': who staged it, where and when.
                verb = head
                links.extend(link for link in self._dependents(head) if link.token.i != phrase.i)
            elif (
                phrase.dep_ == "pobj"
                and head.dep_ == "prep"
                and head.lower_ in self.rules.borrow_subject_prepositions
                and head.head.pos_ in _VERBS
            ):
                # 'after heavy fighting, the Arakan Army overran', 'met for talks'.
                verb = head.head
                links.extend(
                    link for link in self._dependents(verb) if link.dependency in _SUBJECTS
                )
        links.extend(self._setters_off(root, phrase))
        if not any(link.dependency in _SUBJECTS for link in links):
            links.extend(self._shared_subject(verb if verb is not None else root))
        if root.dep_ in _COMPLEMENTS and root.pos_ == "ADJ" and root.head.i != root.i:
            links.extend(
                _Link(child.dep_, None, child)
                for child in root.head.children
                if child.dep_ in {"dobj", "obj", "nsubjpass"}
            )
        if root.pos_ in _VERBS and not any(link.dependency in {"dobj", "obj"} for link in own):
            # 'shot and killed a lawyer': the object sits on the next verb.
            following = [c for c in root.children if c.dep_ == "conj" and c.pos_ in _VERBS]
            if following:
                links.extend(
                    _Link(child.dep_, None, child)
                    for child in following[0].children
                    if child.dep_ in {"dobj", "obj"}
                )
        links.extend(self._places_after(links))
        return links

    def _dependents(self, token: Token) -> Iterator[_Link]:
        for child in token.children:
            if child.dep_ in {"prep", "agent"}:
                preposition = "by" if child.dep_ == "agent" else child.lower_
                dependency = "agent" if child.dep_ == "agent" else "pobj"
                for obj in child.children:
                    if obj.dep_ in {"pobj", "pcomp"}:
                        yield _Link(dependency, preposition, obj)
            elif child.tag_ in _RELATIVES and token.dep_ == "relcl" and token.head.i != token.i:
                # 'CSP-PSD rebels, who withdrew': the relative pronoun stands for its noun.
                yield _Link(child.dep_, None, token.head)
            else:
                yield _Link(child.dep_, None, child)

    def _setters_off(self, *nouns: Token) -> Iterator[_Link]:
        """Who set off a noun trigger, by the participle after it: 'an IED planted by Boko
        Haram', 'an explosion attributed to the EMC'."""
        for noun in dict.fromkeys(nouns):
            if noun.pos_ not in _NOUNS:
                continue
            for child in noun.children:
                if child.dep_ not in {"acl", "relcl"}:
                    continue
                allowed = self.rules.participle_prepositions.get(child.lemma_.lower(), frozenset())
                for link in self._dependents(child):
                    if link.dependency == "agent" or link.preposition in allowed:
                        yield _Link("agent", "by", link.token)

    def _shared_subject(self, token: Token) -> list[_Link]:
        """The subject a verb shares with the verb it hangs on ('shot and killed', 'attacked the
        village, killing 17'); none for a passive verb, whose subject is its patient."""
        seen: set[int] = set()
        while token.head.i != token.i and token.i not in seen:
            if any(child.dep_ in _PASSIVE for child in token.children):
                return []
            seen.add(token.i)
            if token.dep_ == "acl" and token.tag_ == "VBG":
                return [_Link("nsubj", None, token.head)]  # 'youths protesting fuel prices'
            if token.dep_ not in self.rules.shared_subject:
                return []
            token = token.head
            subjects = [link for link in self._dependents(token) if link.dependency in _SUBJECTS]
            if subjects:
                return subjects
        return []

    def _places_after(self, links: Sequence[_Link]) -> list[_Link]:
        """The places written after the linked words, or after what they are doing: 'at a
        checkpoint near Beledweyne', 'passengers travelling on the Gusau-Funtua road near
        Kucheri village', 'on the fringes of Sambisa forest near Bita'."""
        if self.place_role is None:
            return []
        # 'labourers from Sindh': after a word, 'from' says where someone came from.
        prepositions = self.place_role.prepositions - self.place_role.not_after_words
        passing = prepositions | self.rules.through_prepositions
        found: list[_Link] = []
        frontier = [link.token for link in links]
        seen = {token.i for token in frontier}
        # What the victims were doing says where ('passengers travelling on the road'); what
        # the actors were ('troops based at Nat Yay Kan camp') does not.
        doing = {link.token.i for link in links if link.dependency not in _SUBJECTS}
        for _ in range(3):
            following: list[Token] = []
            for token in frontier:
                items = [token, *token.conjuncts]
                if token.i in doing:
                    items.extend(c for i in list(items) for c in i.children if c.dep_ == "acl")
                for item in items:
                    for child in item.children:
                        if child.dep_ != "prep" or child.lower_ not in passing:
                            continue
                        for obj in child.children:
                            if obj.dep_ == "pobj" and obj.i not in seen:
                                seen.add(obj.i)
                                following.append(obj)
                                if child.lower_ in prepositions:
                                    found.append(_Link("pobj", child.lower_, obj, places_only=True))
            frontier = following
        return found

    def _subjects_of(
        self, trigger: SpacySpan, verbs: frozenset[str], text: _Text
    ) -> list[SpacySpan]:
        """The parties that are the subject of one of ``verbs`` in the trigger's sentence
        ('took control of Cadale after Al Shabaab withdrew')."""
        found: list[SpacySpan] = []
        for token in _sentence(trigger):
            if token.lemma_.lower() in verbs and token.i not in text.trigger_at:
                for link in self._dependents(token):
                    if link.dependency in _SUBJECTS:
                        found.extend(
                            e
                            for e in self._named(link.token, text)
                            if e.label_ in self.party_labels
                        )
        return found

    def _inherited(self, trigger: SpacySpan, rule: RoleRules, text: _Text) -> _Chosen:
        """Where or when the clauses above the trigger happened, the nearest first."""
        root = token = trigger.root
        below = set(token.i for token in root.subtree)
        while token.head.i != token.i:
            token = token.head
            found = [
                (rule.role, ent)
                for link in self._dependents(token)
                if link.token.i not in below
                for ent in self._named(link.token, text)
                if self._role_for(link, ent, trigger.label_) == rule.role
            ]
            if found:
                return found
        return []

    def _named(self, token: Token, text: _Text) -> list[SpacySpan]:
        """The entities a linked word names: its own entity and those of its modifiers ('Ti
        Makak gang members', 'a FAMa convoy', 'HTS's General Security Service'), of its
        'of'/'from' phrase ('members of the CJNG', 'troops from LIB 538'), of the words in
        conjunction or apposition with it ('the SAF and the RSF'), and of whoever set off a
        noun trigger it names ('a landmine left by Houthi forces')."""
        entity_at = text.entity_at
        found: dict[tuple[int, int], SpacySpan] = {}
        seen: set[int] = set()

        def visit(item: Token, depth: int) -> None:
            if item.i in seen or depth > 6:
                return
            seen.add(item.i)
            own = entity_at.get(item.i)
            if own is not None:
                found.setdefault((own.start, own.end), own)
            for child in item.children:
                if child.dep_ in {"compound", "poss", "nmod", "amod"} and child.i in entity_at:
                    visit(child, depth + 1)  # 'clashes between the KNA and Meitei militias'
                elif child.dep_ == "compound" and own is None:
                    visit(child, depth + 1)  # 'a Tatmadaw navy base'
                elif child.dep_ == "prep" and child.lower_ in self.rules.through_prepositions:
                    for preposition in (child, *child.conjuncts):
                        for obj in preposition.children:
                            if obj.dep_ == "pobj":
                                visit(obj, depth + 1)
                elif child.dep_ in {"conj", "appos"}:
                    visit(child, depth + 1)
            if item.i in text.trigger_at:
                for link in self._setters_off(item):
                    visit(link.token, depth + 1)

        visit(token, 0)
        return list(found.values())

    # --- counts -----------------------------------------------------------------------------

    def _counts(self, trigger: SpacySpan, text: _Text) -> list[SpacySpan]:
        """The numbers of the victims: on the victims ('killed 19 villagers'), the victims
        themselves ('killing 4', '4 were killed'), on the trigger ('1 fatality', 'Fatalities:
        6', 'killing between 25 and 30') or on what the trigger describes ('3 killed')."""
        assert self.count is not None
        rules, root, label = self.count, trigger.root, trigger.label_
        entity_at = text.entity_at
        accepted = self.accepts[rules.role]

        def number(token: Token) -> bool:
            ent = entity_at.get(token.i)
            return ent is not None and ent.label_ in accepted

        def countable(token: Token) -> bool:
            return not {token.lower_, token.lemma_.lower()} & rules.uncounted

        victims = [c for c in root.children if c.dep_ in rules.victims]
        if root.dep_ in rules.complement_of and root.pos_ == "ADJ" and root.head.i != root.i:
            # 'left 4 dead', '5 traders were shot dead'
            victims.extend(c for c in root.head.children if c.dep_ in {"dobj", "obj", "nsubjpass"})
        if label in rules.subject_victims and not any(c.dep_ in {"dobj", "obj"} for c in victims):
            victims.extend(c for c in root.children if c.dep_ == "nsubj")
        numbers: list[Token] = []
        for victim in victims:
            for item in (victim, *victim.conjuncts):
                if number(item):
                    numbers.append(item)
                elif countable(item):
                    numbers.extend(c for c in item.children if c.dep_ in rules.number_of)
        numbers.extend(c for c in root.children if c.dep_ in rules.on_trigger)
        # 'killing between 25 and 30': the count's own preposition hangs on the trigger.
        numbers.extend(c for c in root.children if c.dep_ == "prep" and number(c))
        head = root.head
        if root.dep_ in rules.of_trigger and head.i != root.i:
            if number(head):
                numbers.append(head)  # '3 killed'
            elif countable(head):
                numbers.extend(c for c in head.children if c.dep_ in rules.number_of)
        found: dict[tuple[int, int], SpacySpan] = {}
        for token in numbers:
            if number(token):
                ent = entity_at[token.i]
                found.setdefault((ent.start, ent.end), ent)
        return sorted(found.values(), key=lambda ent: ent.start)

    # --- places -----------------------------------------------------------------------------

    def _places_chained(self, chosen: _Chosen, text: _Text) -> _Chosen:
        """Each place with the places of its chain ('X village, Y township (Z region)'), in
        text order: the most specific first."""
        if self.place_role is None:
            return chosen
        role = self.place_role.role
        out: _Chosen = []
        places: dict[int, SpacySpan] = {}
        for chosen_role, ent in chosen:
            if chosen_role == role:
                for place in self.chain(ent, text):
                    places.setdefault(place.start, place)
            else:
                out.append((chosen_role, ent))
        out.extend((role, places[start]) for start in sorted(places))
        return out

    def chain(self, place: SpacySpan, text: _Text) -> list[SpacySpan]:
        """The place and the places written next to it, joined only by commas, brackets, 'in',
        'of' or 'and', in text order."""
        if self.place_role is None:
            return [place]
        accepted = self.accepts[self.place_role.role]
        connectors = self.rules.place_connectors
        doc = text.doc
        chain = [place]
        for step in (1, -1):
            current = place
            while True:
                index = current.end if step == 1 else current.start - 1
                following: SpacySpan | None = None
                while 0 <= index < len(doc):
                    ent = text.entity_at.get(index)
                    if ent is not None:
                        following = ent
                        break
                    token = doc[index]
                    if token.lower_ not in connectors or (step == 1 and token.is_sent_start):
                        break
                    index += step
                if following is None or following.label_ not in accepted:
                    break
                chain.append(following)
                current = following
        return sorted(chain, key=lambda ent: ent.start)

    # --- the note's actor, place and date ---------------------------------------------------

    def _claimed(self, text: _Text) -> list[SpacySpan]:
        """Who the note says claimed the events ('Al Shabaab claimed responsibility')."""
        claimed: list[SpacySpan] = []
        for token in text.doc:
            if token.lemma_.lower() not in self.rules.responsibility_verbs:
                continue
            if not any(
                c.dep_ in {"dobj", "obj"} and c.lemma_.lower() in self.rules.responsibility_objects
                for c in token.children
            ):
                continue
            for link in self._dependents(token):
                if link.dependency in _SUBJECTS:
                    claimed.extend(
                        ent
                        for ent in self._named(link.token, text)
                        if ent.label_ in self.party_labels
                    )
        return claimed

    def _with_note_fallback(
        self,
        trigger: SpacySpan,
        clauses: Mapping[_Key, _Chosen],
        text: _Text,
        *,
        claimed: Sequence[SpacySpan],
    ) -> _Chosen:
        """The trigger's arguments, one role per entity and the once-only roles once; a trigger
        with no place or date in its clause takes the note's, one with no actor the one that
        claimed the events."""
        chosen = list(clauses[_key(trigger)])
        roles = {role for role, _ in chosen}
        for rule in self.roles:
            if not rule.inherit or rule.role in roles:
                continue
            if rule.events and trigger.label_ not in rule.events:
                continue
            chosen.extend(
                (rule.role, ent) for ent in self._note_fallback(rule, trigger, clauses, text)
            )
        if self.actor_role is not None and self.actor_role not in roles:
            accepted = self.accepts[self.actor_role]
            actors = [ent for ent in claimed if ent.label_ in accepted]
            if not actors and trigger.label_ in self.rules.sentence_actor_events:
                actors = self._sentence_actor(trigger, text, accepted=accepted)
            chosen.extend((self.actor_role, ent) for ent in actors)
        kept: _Chosen = []
        played: set[tuple[int, int]] = set()
        once = {rule.role for rule in self.roles if rule.once}
        given: set[str] = set()
        for role, ent in chosen:
            where = (ent.start, ent.end)
            if where in played or (role in once and role in given):
                continue
            played.add(where)
            given.add(role)
            kept.append((role, ent))
        return kept

    def _sentence_actor(
        self, trigger: SpacySpan, text: _Text, *, accepted: frozenset[str]
    ) -> list[SpacySpan]:
        """The party a note names first in the trigger's sentence, before it and outside any
        phrase but an 'of' or 'from' one, where the parser found no verb to root the sentence
        on ('gunmen on a motorbike shot dead a journalist' read as nouns); none for a passive
        trigger."""
        root = trigger.root
        sentence = _sentence(trigger)
        if sentence.root.pos_ in _VERBS or any(c.dep_ in _PASSIVE for c in root.children):
            return []  # a parse with a verb at its root said who acted, or that no one did
        for ent in text.entities:
            if ent.start < sentence.start or ent.end > trigger.start:
                continue
            if ent.label_ not in accepted or self._in_phrase(ent.root, stop=sentence.start):
                continue
            return [ent]
        return []

    def _in_phrase(self, token: Token, *, stop: int) -> bool:
        """Whether a word sits in a prepositional phrase other than 'of' or 'from'."""
        while token.head.i != token.i and token.i >= stop:
            if token.dep_ == "pobj" and token.head.lower_ not in self.rules.through_prepositions:
                return True
            token = token.head
        return False

    def _note_fallback(
        self,
        rule: RoleRules,
        trigger: SpacySpan,
        clauses: Mapping[_Key, _Chosen],
        text: _Text,
    ) -> list[SpacySpan]:
        """The note's place or date: the one the note's other events have in their clauses
        (the nearest event first), else the first one the note writes after a preposition of
        the role ('in X village'), else the first one it writes."""
        others = sorted(
            (key for key in clauses if key[:2] != (trigger.start_char, trigger.end_char)),
            key=lambda key: abs(key[0] - trigger.start_char),
        )
        for key in others:
            found = [ent for role, ent in clauses[key] if role == rule.role]
            if found:
                return found
        accepted = self.accepts[rule.role]
        candidates = [ent for ent in text.entities if ent.label_ in accepted]
        if not candidates:
            return []
        introduced = [
            ent for ent in candidates if _preceding_word(text.doc, ent.start) in rule.prepositions
        ]
        first = (introduced or candidates)[0]
        if rule.once or not rule.chain:
            return [first]
        return self.chain(first, text)


def _sentence(span: SpacySpan) -> SpacySpan:
    """The span's sentence; the whole text where nothing set sentence boundaries (a trained
    pipeline without a parser)."""
    doc = span.doc
    if doc.has_annotation("SENT_START"):
        return span.sent
    return doc[:]


def _preceding_word(doc: Doc, start: int) -> str:
    index = start - 1
    while index > 0 and doc[index].lower_ in {"the", "a", "an"}:
        index -= 1
    return doc[index].lower_ if index >= 0 else ""


def arguments_of(
    doc: Doc, *, entities: Iterable[Span], events: Iterable[Span], scheme: LabelScheme
) -> tuple[Argument, ...]:
    """The arguments the component wrote to a Doc that fit the suggested spans and the scheme:
    a known role that accepts the entity's label, a once-only role once, one role per entity."""
    raw = doc._.get(EXTENSION) if Doc.has_extension(EXTENSION) else None
    if not raw:
        return ()
    entity_set, event_set = set(entities), set(events)
    kept: list[Argument] = []
    for item in raw:
        start, end, label, role, ent_start, ent_end, ent_label = item
        argument = Argument(Span(start, end, label), role, Span(ent_start, ent_end, ent_label))
        if argument.event not in event_set or argument.entity not in entity_set:
            continue
        try:
            check_arguments(
                Draft(
                    entities=tuple(entity_set),
                    events=tuple(event_set),
                    arguments=(*kept, argument),
                ),
                scheme=scheme,
            )
        except SpanError:
            continue
        kept.append(argument)
    return tuple(sorted(set(kept)))


_DEFAULT_RULES: list[ArgumentRules] = []


def _default_rules() -> ArgumentRules:
    if not _DEFAULT_RULES:
        _DEFAULT_RULES.append(read_argument_rules(DEFAULT_PATTERNS))
    return _DEFAULT_RULES[0]


def is_fatal(event: Span, text: str, *, rules: ArgumentRules | None = None) -> bool:
    """Whether the COUNT of an event trigger counts the dead: a casualties trigger that is no
    injury ('killed', not 'wounded'), or violence
    whose word says so ('executed', 'massacred') or the words after it in its clause ('hacked
    7 farmers to death')."""
    fatal = rules or _default_rules()
    if event.label in fatal.fatal_events:
        trigger = event.text_in(text).lower()
        return not any(word in trigger for word in fatal.injury_words)
    if event.text_in(text).lower() in fatal.fatal_words:
        return True
    clause = re.split(r"[.;,:()\[\]]", text[event.end_char :], maxsplit=1)[0].lower()
    return any(re.search(rf"\b{re.escape(phrase)}\b", clause) for phrase in fatal.fatal_phrases)


_NAME_WORD = re.compile(r"[\w'’-]+")


def name_key(name: str, *, rules: ArgumentRules | None = None) -> str:
    """A name as a coder's table and a note may both write it: any case, no leading 'the',
    no trailing generic word ('Kyauk Ta Lone village' and 'Kyauk Ta Lone', 'RSF fighters' and
    'RSF' have one key)."""
    generic = (rules or _default_rules()).generic_name_words
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if words and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in generic:
        words.pop()
    return " ".join(words)
