"""A seeded generator of conflict-report text with its gold spans, at any size.

Sentences are built from templates whose slots are filled from word lists (armed groups,
military units, People's Defense Forces, ethnic armed organisations, police, people with
Burmese honorifics, townships, villages, regions, dates, counts and event words); the character
offsets of every slot are recorded while the text is built, so each sentence comes with its gold
entities, event triggers and categories. Everything streams: a million sentences never sit in
memory at once. The same seed gives the same corpus, on every machine.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from annotator.labels import LabelScheme
from annotator.spans import Argument, Span

# Part of the benchmark cache key: change it whenever the generated text or gold changes.
# 2: the events' arguments (actors, targets, places, dates, counts).
GENERATOR_VERSION = 2

# --- word lists -----------------------------------------------------------------------------


def _listed(text: str) -> tuple[str, ...]:
    """The comma-separated entries of a word list."""
    return tuple(entry.strip() for entry in text.split(",") if entry.strip())


HONORIFICS_MALE = _listed("U, Ko, Maung, Saw, Sai")
HONORIFICS_FEMALE = _listed("Daw, Ma, Naw, Nang")
NAME_PARTS_MALE = _listed(
    "Aung, Kyaw, Min, Zaw, Thein, Htun, Myint, Naing, Soe, Win, Tun, Thant, Phyo, Lwin, Oo, "
    "Thu, Ye, Htet, Nay, Bo, Lin, Hein, Wai, Khant, Myo, Thura, Pyae, Sithu, Zeya, Paing"
)
NAME_PARTS_FEMALE = _listed(
    "Aye, Khin, Thida, Hnin, Nwe, Yi, Su, Mya, Thiri, Ei, Phyu, Sandar, Moe, Zin, Mar, Hla, "
    "Nilar, Thuzar, Wint, May, Shwe, Cho, Myat, Nandar"
)
RANKS = _listed(
    "Senior General, General, Lieutenant General, Major General, Brigadier General, Colonel, "
    "Lieutenant Colonel, Major, Captain, Commander"
)
ROLES = _listed(
    "spokesperson, leader, chairman, secretary, township administrator, lawyer, teacher, "
    "monk, journalist, village head, doctor, farmer"
)
EAOS = (
    ("Arakan Army", "AA"),
    ("Kachin Independence Army", "KIA"),
    ("Karen National Liberation Army", "KNLA"),
    ("Karenni Army", "KA"),
    ("Ta'ang National Liberation Army", "TNLA"),
    ("Myanmar National Democratic Alliance Army", "MNDAA"),
    ("Karenni Nationalities Defense Force", "KNDF"),
    ("Chinland Defense Force", "CDF"),
    ("Bamar People's Liberation Army", "BPLA"),
    ("Shan State Progress Party", "SSPP"),
    ("Democratic Karen Benevolent Army", "DKBA"),
    ("All Burma Students' Democratic Front", "ABSDF"),
)
GENERIC_FORCES = _listed(
    "junta troops, military council forces, junta soldiers, regime forces, soldiers, troops, "
    "resistance forces, revolutionary forces, police, police officers, military, junta, Pyu "
    "Saw Htee militia, border guard forces, fighters, gunmen"
)
# (name, acronym, whether the name takes "the")
ORGS = (
    ("National Unity Government", "NUG", True),
    ("Assistance Association for Political Prisoners", "AAPP", True),
    ("United Nations", "UN", True),
    ("Office for the Coordination of Humanitarian Affairs", "OCHA", True),
    ("National League for Democracy", "NLD", True),
    ("Union Election Commission", "UEC", True),
    ("Karen Human Rights Group", "KHRG", True),
    ("Fortify Rights", None, False),
    ("Human Rights Watch", None, False),
    ("Democratic Voice of Burma", "DVB", True),
    ("Myanmar Red Cross Society", None, True),
    ("Ministry of Home Affairs", None, True),
)
TOWNSHIPS = _listed(
    "Hpakant, Myawaddy, Kawkareik, Demoso, Loikaw, Moebye, Pekon, Kalay, Tamu, Mindat, Hakha, "
    "Falam, Sittwe, Kyauktaw, Lashio, Muse, Kutkai, Namhsan, Hsipaw, Kyaukme, Myitkyina, "
    "Bhamo, Monywa, Yinmabin, Pale, Depayin, Shwebo, Kani, Gangaw, Pauk, Myaing, Pakokku, "
    "Taungdwingyi, Dawei, Launglon, Thaton, Bilin, Hlaingbwe, Papun, Shwegyin, Kyaukkyi, "
    "Taungoo, Mogok, Madaya, Singu, Tabayin, Ayadaw, Budalin, Salin, Minbu, Thantlang, Matupi"
)
CITIES = _listed("Naypyidaw, Yangon, Mandalay, Bago, Mawlamyine, Hpa-an, Taunggyi, Magway")
REGIONS = _listed(
    "Sagaing Region, Magway Region, Mandalay Region, Bago Region, Tanintharyi Region, "
    "Ayeyarwady Region, Yangon Region, Karenni State, Karen State, Chin State, Kachin State, "
    "Shan State, Rakhine State, Mon State, northern Shan State"
)
COUNTRIES = _listed("Thailand, China, India, Bangladesh, Myanmar")
VILLAGE_PARTS = _listed(
    "Let, Yet, Kone, Pa, Zi, Gyi, Taw, Kyun, Nyaung, Pin, Tha, Ma, Hla, Mone, Kan, Sin, Oke, "
    "Shwe, Yin, Sa, Lel, Bo, Kyauk, Ye"
)
LOCATIONS = _listed(
    "Ayeyarwady River, Salween River, Chindwin River, Moei River, Thai-Myanmar border, "
    "China-Myanmar border, Asian Highway, Yangon-Mandalay highway, Dawna Range, Bago Yoma, "
    "Kaladan River"
)
FACILITIES = _listed(
    "Insein Prison, Myitkyina airport, Obo Prison, Lashio airport, Kyaikkasan stadium, "
    "Mandalay University, Sittwe General Hospital, Mingaladon Air Base, Thanlyin Bridge, Shwe "
    "Kokko casino, Sagaing Bridge, Tatmadaw Tower"
)
MONTHS = _listed(
    "January, February, March, April, May, June, July, August, September, October, November, "
    "December"
)
WEEKDAYS = _listed("Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday")
RELATIVE_DATES = _listed(
    "last week, last month, yesterday, this week, earlier this month, last year, this "
    "morning, the previous day"
)
NUMBER_WORDS = _listed("two, three, four, five, six, seven, eight, nine, ten, eleven, twelve")
SOLDIERS = _listed("soldiers, troops, fighters, police officers, militiamen")
CIVILIANS = _listed("civilians, villagers, residents, people, children, students, farmers")

# Event words by slot: (label, words).
EVENT_WORDS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "clash_v": ("ARMED_CLASH", ("clashed", "fought")),
    "clash_n": ("ARMED_CLASH", ("fighting", "clashes", "battles", "heavy fighting")),
    "attack_v": ("ARMED_CLASH", ("attacked", "ambushed", "raided")),
    "strike_n": (
        "REMOTE_VIOLENCE",
        _listed(
            "air strike, airstrike, drone attack, shelling, artillery strike, landmine explosion"
        ),
    ),
    "strike_v": ("REMOTE_VIOLENCE", ("bombed", "shelled")),
    "kill_v": ("CASUALTIES", ("killed", "wounded", "injured")),
    "kill_ing": ("CASUALTIES", ("killing", "wounding", "injuring")),
    "arrest_v": ("ARREST", ("arrested", "detained")),
    "defect_v": ("DEFECTION", ("defected", "deserted")),
    "seize_v": ("SEIZURE", ("captured", "seized", "overran")),
    "flee_v": ("DISPLACEMENT", ("fled", "were displaced", "evacuated")),
    "displace_n": ("DISPLACEMENT", ("displacement",)),
    "refugees": ("DISPLACEMENT", ("refugees",)),
    "protest_v": ("PROTEST", ("protested", "marched", "demonstrated")),
    "protest_n": ("PROTEST", ("protest", "demonstration", "rally", "strike")),
    "meet_v": ("MEETING", ("met",)),
    "meet_n": ("MEETING", ("talks", "a meeting", "negotiations", "a summit")),
    "torch_v": ("ATTACK_ON_CIVILIANS", ("torched", "burned", "looted")),
    "abduct_v": ("ATTACK_ON_CIVILIANS", ("abducted", "executed", "massacred")),
    "riot_v": ("RIOT", ("rioted",)),
}

# Slots are written {name} or {name2} (the digit only tells two slots of a kind apart).
TEMPLATES = (
    "{group} {clash_v} with {group2} near {town} {date}.",
    "{clash_n} broke out between {group} and {group2} in {town} Township {date}.",
    "{group} {strike_v} {village} village in {town} Township, {kill_ing} {count} {civilians}.",
    "{a_strike_n} on {village} village {kill_v} {count} {civilians} {date}, residents said.",
    "{group} {arrest_v} {count} protesters in {city} {date}.",
    "{person}, a {role} from {town}, was {arrest_v} by {group} at home {date}.",
    "{org} spokesperson {person} said {count} {soldiers} had {defect_v} to {group} {date}.",
    "{count} {soldiers} {defect_v} and joined {group} in {region} {date}.",
    "Residents of {count} villages in {town} Township {flee_v} after {a_strike_n} by {group}.",
    "{group} said its {soldiers} {seize_v} a military camp near {town} after {count} days of "
    "{clash_n}.",
    "{group} {seize_v} the {fac} {date}, according to local sources.",
    "More than {count} people {flee_v} to {country} {date}, {org} said.",
    "Hundreds of {civilians} {protest_v} against the coup in {city} {date}.",
    "{person} {meet_v} {rank} {officer} in {city} {date} to discuss a ceasefire.",
    "{group} {torch_v} {count} houses in {village} village, {town} Township.",
    "{rank} {officer} was {kill_v} when {group} {attack_v} his convoy near {town} {date}.",
    "According to {org}, {count} {civilians} were {kill_v} in the {strike_n} on {town}.",
    "{group} {abduct_v} {count} {civilians} from {village} village in {region} {date}.",
    "{org} held {meet_n} with {group} leaders in {city} {date}.",
    "{group} and {group2} {clash_v} along the {loc} for {count} hours {date}.",
    "Aid groups warned of growing {displace_n} in {region} after {clash_n} {date}.",
    "{count} {refugees} crossed into {country} {date}, {org} said.",
    "Students staged {a_protest_n} in front of the {fac} in {city} {date}.",
    "{person} told {org} that the situation in {region} remained tense.",
    "Prices of rice and fuel in {town} have risen sharply since {date_bare}.",
    "{org} called for humanitarian access to {region} {date}.",
    "{person}, who was {arrest_v} in {date_bare}, was released from {fac}.",
    "{group} reported that {count} of its members were {kill_v} in {clash_n} with {group2}.",
    "{a_strike_n} hit a monastery in {village} village, {town} Township, {date}.",
    "{group} {attack_v} a police station in {town} and {seize_v} {count} weapons {date}.",
    "Villagers from {village} {flee_v} into the forest near the {loc} {date}.",
    "{person} and {person2} were {arrest_v} by {group} while travelling to {city}.",
    "{org} said {count} political prisoners remain in {fac}.",
    "{group} {strike_v} positions of {group2} near {town} {date}, {kill_ing} {count} {soldiers}.",
    "Teachers and nurses {protest_v} in {town} {date}, calling for {a_protest_n}.",
    "{rank} {officer} {meet_v} representatives of {org} in {city} {date}.",
    "Around {count} {civilians} were {kill_v} when {a_strike_n} hit a market in {town} {date}.",
    "{group} {seize_v} {count} military outposts along the {loc} {date}.",
    "Local sources said {group} {torch_v} {village} village after {clash_n} with {group2}.",
    "{org} estimates that {count} people in {region} depend on food aid.",
    "{count} {soldiers} from {unit} {defect_v} to {group} {date}.",
    "Students staged {a_protest_n} outside the office of {org} in {city} {date}.",
    "Residents {riot_v} in {town} {date} after {count} {civilians} were {arrest_v} by {group}.",
)

_SLOT = re.compile(r"\{([a-z_]+?)2?\}")


@dataclass(frozen=True)
class GoldSentence:
    """A generated sentence and its gold: entity and event spans, the events' arguments,
    categories."""

    text: str
    entities: tuple[Span, ...]
    events: tuple[Span, ...]
    categories: tuple[str, ...]
    arguments: tuple[Argument, ...] = ()

    def rows(self) -> dict[str, Any]:
        """The JSON columns of a suggestion, annotation or gold row."""
        return {
            "entities": [span.to_dict() for span in self.entities],
            "events": [span.to_dict() for span in self.events],
            "categories": list(self.categories),
            "arguments": [argument.to_dict() for argument in self.arguments],
        }


@dataclass(frozen=True)
class GeneratedReport:
    """A report: its text, and each sentence with its offsets into that text."""

    number: int
    source: str
    text: str
    offsets: tuple[tuple[int, int], ...]
    sentences: tuple[GoldSentence, ...]


# A slot fills in (text before the span, the span's text, its layer, its label).
Piece = tuple[str, str, str | None, str | None]


class _Filler:
    """Fills template slots from the word lists with one seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.slots: dict[str, Callable[[], Piece]] = {
            "group": self.group,
            "person": self.person,
            "officer": self.officer,
            "rank": lambda: ("", self.rng.choice(RANKS), None, None),
            "role": lambda: ("", self.rng.choice(ROLES), None, None),
            "org": self.org,
            "town": lambda: ("", self.rng.choice(TOWNSHIPS), "entities", "GPE"),
            "city": lambda: ("", self.rng.choice(CITIES), "entities", "GPE"),
            "region": lambda: ("", self.rng.choice(REGIONS), "entities", "GPE"),
            "country": lambda: ("", self.rng.choice(COUNTRIES), "entities", "GPE"),
            "village": self.village,
            "loc": lambda: ("", self.rng.choice(LOCATIONS), "entities", "LOC"),
            "fac": lambda: ("", self.rng.choice(FACILITIES), "entities", "FAC"),
            "date": self.date,
            "date_bare": self.date_bare,
            "count": self.count,
            "civilians": lambda: ("", self.rng.choice(CIVILIANS), None, None),
            "soldiers": lambda: ("", self.rng.choice(SOLDIERS), "entities", "ARMED_GROUP"),
            "unit": self.unit,
        }
        for slot, (label, words) in EVENT_WORDS.items():
            self.slots[slot] = self._event(label, words)

    def _event(self, label: str, words: tuple[str, ...]) -> Callable[[], Piece]:
        def fill() -> Piece:
            word = self.rng.choice(words)
            # "heavy fighting", "were displaced": the trigger is the event word alone.
            if word.startswith(("heavy ", "were ", "a ")):
                before, trigger = word.split(" ", 1)
                return (f"{before} ", trigger, "events", label)
            return ("", word, "events", label)

        return fill

    def group(self) -> Piece:
        roll = self.rng.random()
        if roll < 0.35:
            name, acronym = self.rng.choice(EAOS)
            if roll < 0.12:
                return ("the ", acronym, "entities", "ARMED_GROUP")
            return ("the ", name, "entities", "ARMED_GROUP")
        if roll < 0.5:
            kind = self.rng.choice(("PDF", "People's Defense Force", "local defense force"))
            return ("", f"{self.rng.choice(TOWNSHIPS)} {kind}", "entities", "ARMED_GROUP")
        if roll < 0.6:
            return self.unit()
        return ("", self.rng.choice(GENERIC_FORCES), "entities", "ARMED_GROUP")

    def unit(self) -> Piece:
        kind = self.rng.choice(
            ("Light Infantry Battalion", "Infantry Battalion", "Light Infantry Division")
        )
        return ("", f"{kind} {self.rng.randint(1, 999)}", "entities", "ARMED_GROUP")

    def _name(self, parts: tuple[str, ...]) -> str:
        return " ".join(self.rng.choice(parts) for _ in range(self.rng.randint(1, 3)))

    def person(self) -> Piece:
        if self.rng.random() < 0.5:
            name = f"{self.rng.choice(HONORIFICS_MALE)} {self._name(NAME_PARTS_MALE)}"
        else:
            name = f"{self.rng.choice(HONORIFICS_FEMALE)} {self._name(NAME_PARTS_FEMALE)}"
        return ("", name, "entities", "PERSON")

    def officer(self) -> Piece:
        return (
            "",
            self._name(NAME_PARTS_MALE) + " " + self.rng.choice(NAME_PARTS_MALE),
            "entities",
            "PERSON",
        )

    def org(self) -> Piece:
        name, acronym, article = self.rng.choice(ORGS)
        if acronym is not None and self.rng.random() < 0.3:
            return ("", acronym, "entities", "ORG")
        return ("the " if article else "", name, "entities", "ORG")

    def village(self) -> Piece:
        parts = self.rng.sample(VILLAGE_PARTS, self.rng.randint(1, 3))
        return ("", " ".join(parts), "entities", "GPE")

    def date(self) -> Piece:
        roll = self.rng.random()
        if roll < 0.35:
            return ("on ", self.rng.choice(WEEKDAYS), "entities", "DATE")
        if roll < 0.65:
            month, day = self.rng.choice(MONTHS), self.rng.randint(1, 28)
            return ("on ", f"{month} {day}", "entities", "DATE")
        if roll < 0.85:
            return ("", self.rng.choice(RELATIVE_DATES), "entities", "DATE")
        return (
            "in ",
            f"{self.rng.choice(MONTHS)} {self.rng.randint(2021, 2025)}",
            "entities",
            "DATE",
        )

    def date_bare(self) -> Piece:
        if self.rng.random() < 0.5:
            return ("", str(self.rng.randint(2021, 2025)), "entities", "DATE")
        return ("", f"{self.rng.choice(MONTHS)} {self.rng.randint(2021, 2025)}", "entities", "DATE")

    def count(self) -> Piece:
        roll = self.rng.random()
        if roll < 0.4:
            return ("", self.rng.choice(NUMBER_WORDS), "entities", "CARDINAL")
        if roll < 0.8:
            return ("", str(self.rng.randint(2, 99)), "entities", "CARDINAL")
        if roll < 0.9:
            return ("", f"more than {self.rng.randint(2, 50) * 10}", "entities", "CARDINAL")
        return (
            "",
            f"{self.rng.randint(1, 9)},{self.rng.randint(0, 999):03d}",
            "entities",
            "CARDINAL",
        )


def _parse(template: str) -> list[str | tuple[str]]:
    """A template as literal strings and one-element tuples naming slots."""
    parts: list[str | tuple[str]] = []
    position = 0
    for match in _SLOT.finditer(template):
        if match.start() > position:
            parts.append(template[position : match.start()])
        parts.append((match.group(1),))
        position = match.end()
    if position < len(template):
        parts.append(template[position:])
    return parts


_PARSED = tuple(_parse(template) for template in TEMPLATES)


# Who takes part in an event, by the slot that named them: armed groups act; a person is met
# (a meeting's ACTOR) or arrested, killed, abducted (its TARGET); an organisation meets.
_ACTOR_SLOTS = frozenset({"group", "unit"})
_PERSON_SLOTS = frozenset({"person", "officer"})
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# The events whose COUNT says how many were hit, arrested, displaced or crossed over.
_COUNTED = frozenset({"CASUALTIES", "ARREST", "DISPLACEMENT", "DEFECTION", "ATTACK_ON_CIVILIANS"})


def _arguments(trigger: Span, slot_of: Mapping[Span, str]) -> list[Argument]:
    """The trigger's arguments among its sentence's entities (``slot_of``: each entity's slot,
    in text order): its actors and targets, every place, the first date and, for an event
    that counts people, the first count."""
    meeting = trigger.label == "MEETING"
    found: list[Argument] = []
    dated = counted = False
    for entity, slot in slot_of.items():
        role: str | None = None
        if slot in _ACTOR_SLOTS or (meeting and (slot == "org" or slot in _PERSON_SLOTS)):
            role = "ACTOR"
        elif slot in _PERSON_SLOTS:
            role = "TARGET"
        elif entity.label in _PLACE_LABELS:
            role = "LOCATION"
        elif entity.label == "DATE" and not dated:
            role, dated = "TIME", True
        elif entity.label == "CARDINAL" and trigger.label in _COUNTED and not counted:
            role, counted = "COUNT", True
        if role is not None:
            found.append(Argument(trigger, role, entity))
    return found


def event_categories(scheme: LabelScheme) -> dict[str, str]:
    """The sentence category each event label implies, from the scheme."""
    return {label.name: label.category for label in scheme.events if label.category is not None}


def sentences(
    count: int, *, seed: int = 0, categories: Mapping[str, str] | None = None
) -> Iterator[GoldSentence]:
    """``count`` generated sentences with their gold, streamed; the same for the same seed.

    ``categories`` maps event labels onto sentence categories (see :func:`event_categories`);
    without it sentences carry none.
    """
    if count < 0:
        raise ValueError(f"the number of sentences must be at least 0, got {count}")
    implied = dict(categories or {})
    rng = random.Random(seed)
    filler = _Filler(rng)
    slots = filler.slots
    for _ in range(count):
        pieces: list[str] = []
        entities: list[Span] = []
        events: list[Span] = []
        slot_of: dict[Span, str] = {}
        offset = 0
        for part in rng.choice(_PARSED):
            if isinstance(part, str):
                pieces.append(part)
                offset += len(part)
                continue
            name = part[0]
            if name.startswith("a_"):
                before, core, layer, label = slots[name[2:]]()
                before = ("an " if core[0] in "aeiou" else "a ") + before
            else:
                before, core, layer, label = slots[name]()
            pieces.append(before)
            offset += len(before)
            if label is not None:
                span = Span(offset, offset + len(core), label)
                (entities if layer == "entities" else events).append(span)
                if layer == "entities":
                    slot_of[span] = name.removeprefix("a_")
            pieces.append(core)
            offset += len(core)
        text = "".join(pieces)
        text = text[0].upper() + text[1:]
        triggers = tuple(sorted(set(events)))
        yield GoldSentence(
            text=text,
            entities=tuple(entities),
            events=triggers,
            arguments=tuple(
                argument for trigger in triggers for argument in _arguments(trigger, slot_of)
            ),
            # Sorted by name, as annotator.workflow.Draft stores them.
            categories=tuple(sorted({implied[s.label] for s in events if s.label in implied})),
        )


def reports(
    count: int,
    *,
    seed: int = 0,
    categories: Mapping[str, str] | None = None,
    sizes: tuple[int, int] = (3, 15),
) -> Iterator[GeneratedReport]:
    """Reports holding ``count`` sentences in all (those of :func:`sentences` with the same
    seed, in order), ``sizes`` sentences each (the last may be shorter), one paragraph per
    line."""
    low, high = sizes
    if not 1 <= low <= high:
        raise ValueError(f"report sizes must be 1 <= low <= high, got {sizes}")
    rng = random.Random(f"reports-{seed}")
    stream = sentences(count, seed=seed, categories=categories)
    left, number = count, 0
    while left > 0:
        size = min(left, rng.randint(low, high))
        left -= size
        number += 1
        chunks: list[str] = []
        offsets: list[tuple[int, int]] = []
        members: list[GoldSentence] = []
        offset = 0
        until_break = rng.randint(1, 5)
        for index in range(size):
            sentence = next(stream)
            if index:
                until_break -= 1
                separator = "\n" if until_break == 0 else " "
                if until_break == 0:
                    until_break = rng.randint(1, 5)
                chunks.append(separator)
                offset += 1
            chunks.append(sentence.text)
            offsets.append((offset, offset + len(sentence.text)))
            members.append(sentence)
            offset += len(sentence.text)
        yield GeneratedReport(
            number=number,
            source=f"bench/report_{seed}_{number:07d}.txt",
            text="".join(chunks),
            offsets=tuple(offsets),
            sentences=tuple(members),
        )


def second_reviewer(
    sentence: GoldSentence, *, rng: random.Random, rate: float = 0.15
) -> GoldSentence:
    """The gold as a second reviewer might have marked it: with probability ``rate`` per span a
    span is dropped, relabelled, or its start moved by a word; sometimes a span is added.

    Moved bounds stay on word starts (a whitespace boundary is always a token boundary), and
    entities never come to overlap.
    """
    entity_labels = ("PERSON", "ORG", "ARMED_GROUP", "GPE", "LOC", "FAC", "DATE", "CARDINAL")
    event_labels = tuple(label for label, _ in EVENT_WORDS.values())
    text = sentence.text
    word_starts = [0, *(match.end() for match in re.finditer(r"\s+", text))]

    def vary(spans: tuple[Span, ...], labels: tuple[str, ...], *, disjoint: bool) -> list[Span]:
        kept: list[Span] = []
        for span in spans:
            if rng.random() >= rate:
                kept.append(span)
                continue
            roll = rng.random()
            if roll < 0.3:
                continue  # dropped
            if roll < 0.65:
                kept.append(replace(span, label=rng.choice(labels)))
                continue
            earlier = [start for start in word_starts if start < span.start_char]
            later = [start for start in word_starts if span.start_char < start < span.end_char]
            if later and rng.random() < 0.5:
                kept.append(replace(span, start_char=later[0]))
            elif earlier:
                kept.append(replace(span, start_char=earlier[-1]))
            else:
                kept.append(span)
        if rng.random() < rate:
            start = rng.choice(word_starts)
            end = start + len(text[start:].split(" ", 1)[0].rstrip(".,"))
            if end > start:
                kept.append(Span(start, end, rng.choice(labels)))
        if not disjoint:
            return sorted(set(kept))
        chosen: list[Span] = []
        for span in sorted(set(kept)):
            if not any(span.overlaps(other) for other in chosen):
                chosen.append(span)
        return chosen

    entities = tuple(vary(sentence.entities, entity_labels, disjoint=True))
    events = tuple(vary(sentence.events, event_labels, disjoint=False))
    kept_entities, kept_events = set(entities), set(events)
    return GoldSentence(
        text=text,
        entities=entities,
        events=events,
        categories=sentence.categories,
        # The arguments whose trigger and entity the second reviewer kept as they were.
        arguments=tuple(
            argument
            for argument in sentence.arguments
            if argument.event in kept_events and argument.entity in kept_entities
        ),
    )
