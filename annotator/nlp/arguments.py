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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RoleRules:
    """How one role is linked to a trigger: the dependencies and prepositions that lead to it."""

    role: str
    dependencies: frozenset[str]
    prepositions: frozenset[str]
    prepositions_by_event: Mapping[str, frozenset[str]]
    # The trigger labels that take this role; empty: every trigger.
    events: frozenset[str]
    # A clause's role holds for the events in it (where and when).
    inherit: bool
    once: bool
    # A place stands with the places written next to it (a village, its township, its region).
    chain: bool

    def links(self, dependency: str, preposition: str | None, event_label: str) -> bool:
        """True when a word linked to a trigger this way may play this role."""
        if self.events and event_label not in self.events:
            return False
        if preposition is None:
            return dependency in self.dependencies
        return preposition in self.prepositions or preposition in self.prepositions_by_event.get(
            event_label, frozenset()
        )


@dataclass(frozen=True)
class CountRules:
    """How the number of the killed, wounded, arrested or displaced is found."""

    role: str
    events: frozenset[str]
    victims: frozenset[str]
    on_trigger: frozenset[str]
    of_trigger: frozenset[str]
    number_of: frozenset[str]
    count_nouns: frozenset[str]


@dataclass(frozen=True)
class NumberWords:
    """How a count written in words or digits reads as a number."""

    units: Mapping[str, int]
    scales: Mapping[str, int]
    lower_bound: frozenset[str]
    ranges: frozenset[str]


@dataclass(frozen=True)
class ArgumentRules:
    """The rules of ``arguments.json``."""

    roles: tuple[RoleRules, ...]
    count: CountRules | None
    shared_subject: frozenset[str]
    through_prepositions: frozenset[str]
    place_connectors: frozenset[str]
    numbers: NumberWords


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


def _rules_from(data: dict[str, Any]) -> ArgumentRules:
    roles: list[RoleRules] = []
    count: CountRules | None = None
    for entry in data["roles"]:
        if "victims" in entry:
            count = CountRules(
                role=entry["role"],
                events=frozenset(entry.get("events", ())),
                victims=_words(entry["victims"]),
                on_trigger=_words(entry["on_trigger"]),
                of_trigger=_words(entry["of_trigger"]),
                number_of=_words(entry["number_of"]),
                count_nouns=_words(entry["count_nouns"]),
            )
            continue
        roles.append(
            RoleRules(
                role=entry["role"],
                dependencies=_words(entry.get("dependencies", ())),
                prepositions=_words(entry.get("prepositions", ())),
                prepositions_by_event={
                    label: _words(words)
                    for label, words in entry.get("prepositions_by_event", {}).items()
                },
                events=frozenset(entry.get("events", ())),
                inherit=bool(entry.get("inherit", False)),
                once=bool(entry.get("once", False)),
                chain=bool(entry.get("chain", False)),
            )
        )
    numbers = NumberWords(
        units={str(k).lower(): int(v) for k, v in data["number_words"].items()},
        scales={str(k).lower(): int(v) for k, v in data["number_scales"].items()},
        lower_bound=_words(data["lower_bound_words"]),
        ranges=_words(data["range_words"]),
    )
    return ArgumentRules(
        roles=tuple(roles),
        count=count,
        shared_subject=_words(data["shared_subject"]),
        through_prepositions=_words(data["through_prepositions"]),
        place_connectors=_words(data["place_connectors"]),
        numbers=numbers,
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
    """A word linked to a trigger: by a dependency, or by a preposition it is the object of."""

    dependency: str
    preposition: str | None
    token: Token


class EventArguments:
    """Link every event trigger of a Doc to the entity spans that play its roles."""

    def __init__(self, rules: ArgumentRules, *, accepts: Mapping[str, Sequence[str]]) -> None:
        self.rules = rules
        self.accepts = {role: frozenset(labels) for role, labels in accepts.items()}
        self.roles = tuple(rule for rule in rules.roles if rule.role in self.accepts)
        self.count = rules.count if rules.count and rules.count.role in self.accepts else None
        self.labels = frozenset().union(*self.accepts.values()) if self.accepts else frozenset()

    def __call__(self, doc: Doc) -> Doc:
        triggers = list(doc.spans[EVENTS_KEY]) if EVENTS_KEY in doc.spans else []
        entities = [ent for ent in doc.ents if ent.label_ in self.labels]
        entity_at = {token.i: ent for ent in entities for token in ent}
        found: list[RawArgument] = []
        by_trigger = {
            (t.start_char, t.end_char, t.label_): self._clause_arguments(t, entity_at)
            for t in triggers
        }
        for trigger in triggers:
            key = (trigger.start_char, trigger.end_char, trigger.label_)
            chosen = self._with_note_fallback(trigger, by_trigger, entities=entities)
            for role, ent in chosen:
                found.append((*key, role, ent.start_char, ent.end_char, ent.label_))
        doc._.set(EXTENSION, found)
        return doc

    # --- the trigger's clause ---------------------------------------------------------------

    def _clause_arguments(
        self, trigger: SpacySpan, entity_at: Mapping[int, SpacySpan]
    ) -> list[tuple[str, SpacySpan]]:
        """(role, entity) pairs read off the trigger's clause, in the order found."""
        label = trigger.label_
        root = trigger.root
        chosen: list[tuple[str, SpacySpan]] = []
        inside = {token.i for token in trigger}
        for link in self._links(root):
            for ent in self._named(link.token, entity_at):
                if any(token.i in inside for token in ent):
                    continue
                role = self._role_for(link, ent, label)
                if role is not None:
                    chosen.append((role, ent))
        for rule in self.roles:
            if rule.inherit and not any(role == rule.role for role, _ in chosen):
                chosen.extend(self._inherited(root, rule, label, entity_at))
        if self.count is not None and (not self.count.events or label in self.count.events):
            chosen.extend((self.count.role, ent) for ent in self._counts(root, entity_at))
        return self._places_chained(chosen, trigger.doc, entity_at)

    def _role_for(self, link: _Link, ent: SpacySpan, label: str) -> str | None:
        for rule in self.roles:
            if ent.label_ in self.accepts[rule.role] and rule.links(
                link.dependency, link.preposition, label
            ):
                return rule.role
        return None

    def _links(self, root: Token) -> list[_Link]:
        """The words linked to a trigger: its own dependents, those of the verb a noun trigger
        belongs to, and the subject it shares with its head verb."""
        links = list(self._dependents(root))
        head = root.head
        if root.pos_ in _NOUNS and head.i != root.i:
            if root.dep_ in {"nsubj", "nsubjpass"}:
                # 'an airstrike hit Ywar Thit village': what the strike hit, where and when.
                links.extend(
                    link
                    for link in self._dependents(head)
                    if link.token.i != root.i and link.dependency not in _SUBJECTS
                )
            elif root.dep_ in {"dobj", "attr", "oprd", "obj"}:
                # 'residents staged a protest in Atbara': who staged it, where and when.
                links.extend(link for link in self._dependents(head) if link.token.i != root.i)
        if not any(link.dependency in _SUBJECTS for link in links):
            links.extend(self._shared_subject(root))
        return links

    def _dependents(self, token: Token) -> Iterator[_Link]:
        for child in token.children:
            if child.dep_ in {"prep", "agent"}:
                preposition = "by" if child.dep_ == "agent" else child.lower_
                for obj in child.children:
                    if obj.dep_ in {"pobj", "pcomp"}:
                        yield _Link(
                            child.dep_ if child.dep_ == "agent" else "pobj", preposition, obj
                        )
            else:
                yield _Link(child.dep_, None, child)

    def _shared_subject(self, token: Token) -> list[_Link]:
        """The subject a verb shares with the verb it hangs on ('shot and killed', 'attacked the
        village, killing 17'); none for a passive verb, whose subject is its patient."""
        seen: set[int] = set()
        while token.dep_ in self.rules.shared_subject and token.head.i != token.i:
            if any(child.dep_ in _PASSIVE for child in token.children) or token.i in seen:
                return []
            seen.add(token.i)
            token = token.head
            subjects = [link for link in self._dependents(token) if link.dependency in _SUBJECTS]
            if subjects:
                return subjects
        return []

    def _inherited(
        self,
        root: Token,
        rule: RoleRules,
        label: str,
        entity_at: Mapping[int, SpacySpan],
    ) -> list[tuple[str, SpacySpan]]:
        """Where or when the clauses above the trigger happened, the nearest first."""
        token = root
        while token.head.i != token.i:
            token = token.head
            found = [
                (rule.role, ent)
                for link in self._dependents(token)
                if link.token.i != root.i and link.token not in root.subtree
                for ent in self._named(link.token, entity_at)
                if self._role_for(link, ent, label) == rule.role
            ]
            if found:
                return found
        return []

    def _named(self, token: Token, entity_at: Mapping[int, SpacySpan]) -> list[SpacySpan]:
        """The entities a linked word names: its own entity, else those of its modifiers
        ('a FAMa convoy') and of its 'of'/'from' phrase ('members of the CJNG'); and those of
        the words in conjunction or apposition with it ('the SAF and the RSF')."""
        found: list[SpacySpan] = []
        seen: set[int] = set()

        def visit(item: Token, depth: int) -> None:
            if item.i in seen or depth > 6:
                return
            seen.add(item.i)
            own = entity_at.get(item.i)
            if own is not None:
                found.append(own)
            else:
                for child in item.children:
                    if child.dep_ in {"compound", "poss", "nmod", "amod"} and child.i in entity_at:
                        found.append(entity_at[child.i])
                    elif child.dep_ == "prep" and child.lower_ in self.rules.through_prepositions:
                        for obj in child.children:
                            if obj.dep_ == "pobj":
                                visit(obj, depth + 1)
            for child in item.children:
                if child.dep_ in {"conj", "appos"}:
                    visit(child, depth + 1)

        visit(token, 0)
        unique: dict[tuple[int, int], SpacySpan] = {}
        for ent in found:
            unique.setdefault((ent.start, ent.end), ent)
        return list(unique.values())

    # --- counts -----------------------------------------------------------------------------

    def _counts(self, root: Token, entity_at: Mapping[int, SpacySpan]) -> list[SpacySpan]:
        """The numbers of the victims: on the victims ('killed 19 villagers'), the victims
        themselves ('killing 4', '4 were killed'), on the trigger ('1 fatality', 'Fatalities:
        6') or described by it ('3 killed')."""
        assert self.count is not None
        rules = self.count
        numbers: list[Token] = []
        victims = [c for c in root.children if c.dep_ in rules.victims and c.dep_ != "appos"]
        if not any(c.dep_ in {"dobj", "nsubjpass", "nsubj", "obj"} for c in victims):
            # 'shot and killed 2 civilians' hangs the victims on 'killed'; 'killed and injured
            # 5' on the first verb.
            if root.dep_ == "conj":
                victims.extend(
                    c for c in root.head.children if c.dep_ in {"dobj", "nsubjpass", "obj"}
                )
        for victim in victims:
            for item in (victim, *victim.conjuncts):
                if item.i in entity_at and entity_at[item.i].label_ in self.accepts[rules.role]:
                    numbers.append(item)
                numbers.extend(c for c in item.children if c.dep_ in rules.number_of)
        numbers.extend(c for c in root.children if c.dep_ in rules.on_trigger)
        if root.dep_ in rules.of_trigger and root.head.i != root.i:
            numbers.append(root.head)  # '3 killed', '23 people killed'
            numbers.extend(c for c in root.head.children if c.dep_ in rules.number_of)
        accepted = self.accepts[rules.role]
        found: dict[tuple[int, int], SpacySpan] = {}
        for number in numbers:
            ent = entity_at.get(number.i)
            if ent is not None and ent.label_ in accepted:
                found.setdefault((ent.start, ent.end), ent)
        return sorted(found.values(), key=lambda ent: ent.start)

    # --- places -----------------------------------------------------------------------------

    def _places_chained(
        self,
        chosen: list[tuple[str, SpacySpan]],
        doc: Doc,
        entity_at: Mapping[int, SpacySpan],
    ) -> list[tuple[str, SpacySpan]]:
        """Each place with the places of its chain ('X village, Y township (Z region)'), in
        text order: the most specific first."""
        location = next((rule.role for rule in self.roles if rule.chain), None)
        if location is None:
            return chosen
        out: list[tuple[str, SpacySpan]] = []
        places: dict[int, SpacySpan] = {}
        for role, ent in chosen:
            if role == location:
                for place in self.chain(ent, doc, entity_at, accepted=self.accepts[location]):
                    places.setdefault(place.start, place)
            else:
                out.append((role, ent))
        out.extend((location, places[start]) for start in sorted(places))
        return out

    def chain(
        self,
        place: SpacySpan,
        doc: Doc,
        entity_at: Mapping[int, SpacySpan],
        *,
        accepted: frozenset[str],
    ) -> list[SpacySpan]:
        """The place and the places written next to it, joined only by commas, brackets, 'in',
        'of' or 'and', in text order."""
        connectors = self.rules.place_connectors
        chain = [place]
        for step in (1, -1):
            current = place
            while True:
                index = current.end if step == 1 else current.start - 1
                following: SpacySpan | None = None
                while 0 <= index < len(doc):
                    ent = entity_at.get(index)
                    if ent is not None:
                        following = ent
                        break
                    if doc[index].lower_ not in connectors or doc[index].is_sent_start:
                        break
                    index += step
                if following is None or following.label_ not in accepted:
                    break
                chain.append(following)
                current = following
        return sorted(chain, key=lambda ent: ent.start)

    # --- the note's place and date ----------------------------------------------------------

    def _with_note_fallback(
        self,
        trigger: SpacySpan,
        by_trigger: Mapping[tuple[int, int, str], list[tuple[str, SpacySpan]]],
        *,
        entities: Sequence[SpacySpan],
    ) -> list[tuple[str, SpacySpan]]:
        """The trigger's arguments, one role per entity and the once-only roles once; a trigger
        with no place or date in its clause takes the note's."""
        key = (trigger.start_char, trigger.end_char, trigger.label_)
        chosen = list(by_trigger[key])
        for rule in self.roles:
            if not rule.inherit or any(role == rule.role for role, _ in chosen):
                continue
            if rule.events and trigger.label_ not in rule.events:
                continue
            chosen.extend(
                (rule.role, ent) for ent in self._note_fallback(rule, by_trigger, entities, trigger)
            )
        kept: list[tuple[str, SpacySpan]] = []
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

    def _note_fallback(
        self,
        rule: RoleRules,
        by_trigger: Mapping[tuple[int, int, str], list[tuple[str, SpacySpan]]],
        entities: Sequence[SpacySpan],
        trigger: SpacySpan,
    ) -> list[SpacySpan]:
        """The note's place or date: the one the note's other events have in their clauses
        (the nearest event first), else the first one the note writes."""
        others = sorted(
            (key for key in by_trigger if key[:2] != (trigger.start_char, trigger.end_char)),
            key=lambda key: abs(key[0] - trigger.start_char),
        )
        for key in others:
            found = [ent for role, ent in by_trigger[key] if role == rule.role]
            if found:
                return found
        accepted = self.accepts[rule.role]
        candidates = [ent for ent in entities if ent.label_ in accepted]
        if not candidates:
            return []
        # The first that a preposition of the role introduces ('in X village'), else the first.
        doc = trigger.doc
        entity_at = {token.i: ent for ent in entities for token in ent}
        introduced = [
            ent
            for ent in candidates
            if ent.start > 0 and _preceding_word(doc, ent.start) in rule.prepositions
        ]
        first = (introduced or candidates)[0]
        if rule.once:
            return [first]
        return self.chain(first, doc, entity_at, accepted=accepted)


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


# --- counts as numbers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """A count read as a number: 'at least 12' is 12, a lower bound; 'between 25 and 30' is 25."""

    value: int
    lower_bound: bool = False


_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d+(?:\.\d+)?$")
_WORDS = re.compile(r"[A-Za-z]+|\d[\d,.]*|[+\-–]")


def count_value(text: str, *, rules: ArgumentRules | None = None) -> Count | None:
    """The number a count span writes, in digits or words ('seven', 'twenty-three', '1,000',
    'a dozen'); a lower bound after 'at least', 'more than' or of a range ('10-15', 'between 25
    and 30' read as their lower end); None when it writes none ('dozens')."""
    numbers = (rules or _default_rules()).numbers
    words = [word.lower() for word in _WORDS.findall(text)]
    groups: list[int] = []
    current: int | None = None
    ranged = False
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if _NUMBER.match(word):
            value = int(float(word.replace(",", "")))
            if current is not None:
                groups.append(current)
            current = value
        elif word in numbers.scales:
            current = (1 if current is None else current) * numbers.scales[word]
        elif word in numbers.units and (word not in {"a", "an"} or following in numbers.scales):
            value = numbers.units[word]
            if current is not None and _adds_to(current, value):
                current += value  # 'twenty three', 'one hundred and five'
            else:
                if current is not None:
                    groups.append(current)
                current = value
        elif current is not None and word in {"-", "and"} and _joins(current, following, numbers):
            continue  # 'twenty-three', 'one hundred and twenty'
        elif current is not None:
            groups.append(current)
            current = None
            ranged = ranged or word in numbers.ranges
    if current is not None:
        groups.append(current)
    if not groups:
        return None
    lower = ranged and len(groups) > 1 or any(word in numbers.lower_bound for word in words)
    return Count(groups[0], lower_bound=lower)


def _adds_to(current: int, value: int) -> bool:
    if current >= 100 and current % 100 == 0:
        return value < 100
    return current >= 20 and current % 10 == 0 and value < 10


def _joins(current: int, following: str, numbers: NumberWords) -> bool:
    value = numbers.units.get(following)
    return value is not None and following not in {"a", "an"} and _adds_to(current, value)


_DEFAULT_RULES: list[ArgumentRules] = []


def _default_rules() -> ArgumentRules:
    if not _DEFAULT_RULES:
        _DEFAULT_RULES.append(read_argument_rules(DEFAULT_PATTERNS))
    return _DEFAULT_RULES[0]
