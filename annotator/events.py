"""Events as records: a report's decided sentences (their triggers, arguments and categories)
turned into rows of an event table, one row per event, as ACLED codes them.

Each event trigger is a *mention*: its type (the scheme's category of its label, else the
sentence's), its actors (ACTOR), targets (TARGET), places (LOCATION), date (TIME) and counts
(COUNT). Mentions of one event are merged into one row: in a report, mentions of the same type,
place and date, and a mention that lacks the place or the date joins the one event of its type
it fits. A casualty trigger ("killed", "dead") usually has no category of its own: it takes the
sentence's, so that it merges with the attack it belongs to and gives it its fatalities.

Pure: no database, no Streamlit. ``annotator.workflow.events`` reads the decisions and writes
the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from annotator.dates import date_from_meta, find_date, parse_date
from annotator.labels import LabelScheme
from annotator.nlp.arguments import is_fatal
from annotator.nlp.gazetteer import place_key
from annotator.nlp.places import Place, Places, bare_name
from annotator.numbers import parse_count
from annotator.spans import Argument, Draft, Span

# The trigger labels whose COUNT is the number of people killed.
FATALITY_EVENTS = frozenset({"CASUALTIES"})
# An event of these labels or categories without a TARGET was done to civilians (ACLED's actor2).
CIVILIAN_EVENTS = frozenset({"ATTACK_ON_CIVILIANS"})
CIVILIAN_CATEGORIES = frozenset({"VIOLENCE_AGAINST_CIVILIANS"})
CIVILIANS = "Civilians"
# The report meta key that names the country the report is about.
COUNTRY_KEYS = ("country", "country_name")
# How the cells of a list are joined in a CSV and on screen.
JOIN = "; "
# How specific a place is: a facility, a village or town, a road or river, a district, a
# region, a country. The most specific LOCATION of an event is its location.
_RANK = {"facility": 0, "local": 1, "area": 2, "admin2": 3, "admin1": 4, "country": 5}


@dataclass(frozen=True)
class DecidedSentence:
    """A sentence of a report with its decision (gold, or the latest suggestion)."""

    sentence_id: int
    position: int
    text: str
    draft: Draft


@dataclass(frozen=True)
class DecidedReport:
    """A report's decided sentences in order, with what dates and places it: its meta and the
    text of its first sentence (which coder notes begin with a date)."""

    report_id: int
    name: str
    meta: Mapping[str, Any]
    first_sentence: str | None
    sentences: Sequence[DecidedSentence]


@dataclass(frozen=True)
class EventRow:
    """One event of the table. ``sentence_id`` is its first sentence, ``sentence_ids`` all of
    them; ``evidence`` their text, one sentence a line."""

    report: str
    report_id: int
    sentence_id: int
    sentence_ids: tuple[int, ...]
    event_date: str | None
    date_text: str | None
    event_type: str | None
    sub_event: str
    trigger: str
    actor1: str | None
    actor2: str | None
    location: str | None
    admin1: str | None
    admin2: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    geo_precision: int | None
    fatalities: int | None
    fatalities_lower_bound: bool
    evidence: str
    # Each of ``sentence_ids``' text (``evidence`` joins them); not a column of its own.
    sentences: tuple[str, ...] = field(default=(), metadata={"column": False})

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON values (``sentence_ids`` a list), the table's columns only."""
        row = {name: getattr(self, name) for name in COLUMNS}
        row["sentence_ids"] = list(self.sentence_ids)
        return row


COLUMNS: tuple[str, ...] = tuple(
    item.name for item in fields(EventRow) if item.metadata.get("column", True)
)


@dataclass(frozen=True)
class ReportContext:
    """What a report says about all of its events: its date and its country."""

    date: date | None = None
    date_text: str | None = None
    country: str | None = None  # as written
    country_code: str | None = None


@dataclass
class _Mention:
    """One event trigger with what its arguments say."""

    sentence: DecidedSentence
    trigger: Span
    event_type: str | None
    actors: list[str]
    targets: list[str]
    places: list[Span]
    time: str | None
    fatalities: int | None = None
    lower_bound: bool = False
    # Its places ranked (see _ranked): merging and placing the event both need them.
    ranked: list[tuple[int, Span]] | None = None

    @property
    def label(self) -> str:
        return self.trigger.label


@dataclass
class _Event:
    """Mentions merged into one event, with the place and the date they share."""

    mentions: list[_Mention]
    event_type: str | None
    location: str | None
    location_key: str | None
    day: date | None
    date_text: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def report_context(report: DecidedReport, *, places: Places | None = None) -> ReportContext:
    """The report's date (its meta's, else the first date with a year its first sentence
    gives) and its country (its meta's)."""
    found = date_from_meta(report.meta)
    if found is None and report.first_sentence:
        found = find_date(report.first_sentence)
    lowered = {str(key).lower(): value for key, value in report.meta.items()}
    country = next(
        (str(lowered[key]).strip() for key in COUNTRY_KEYS if str(lowered.get(key) or "").strip()),
        None,
    )
    code = places.country_code(country) if places is not None and country else None
    return ReportContext(
        date=None if found is None else found[0],
        date_text=None if found is None else found[1],
        country=country,
        country_code=code,
    )


def event_rows(
    report: DecidedReport, *, scheme: LabelScheme, places: Places | None = None
) -> list[EventRow]:
    """The events of one report, one row each, in the order their first mention comes."""
    context = report_context(report, places=places)
    events: list[_Event] = []
    for sentence in report.sentences:
        mentions = _mentions(sentence, scheme=scheme)
        joined: dict[str | None, _Event] = {}
        for mention in mentions:
            if mention.label not in FATALITY_EVENTS:
                joined.setdefault(
                    mention.event_type, _add(events, mention, context=context, places=places)
                )
        for mention in mentions:
            if mention.label not in FATALITY_EVENTS:
                continue
            # The dead of a sentence's attack are that attack's, wherever the words place them
            # ("shelled the camp ... killing 2 in the village").
            if (event := joined.get(mention.event_type)) is not None:
                event.mentions.append(mention)
            else:
                _add(events, mention, context=context, places=places)
    return [_row(event, report=report, context=context, places=places) for event in events]


def _mentions(sentence: DecidedSentence, *, scheme: LabelScheme) -> list[_Mention]:
    """The sentence's triggers as mentions; a trigger without a place or a time takes those of
    another trigger of its sentence and type ("shot" ... "dead")."""
    draft, text = sentence.draft, sentence.text
    found: list[_Mention] = []
    for trigger in sorted(draft.events):
        arguments = draft.arguments_of(trigger)
        times = _playing("TIME", arguments)
        mention = _Mention(
            sentence=sentence,
            trigger=trigger,
            event_type=_event_type(trigger, draft=draft, scheme=scheme),
            actors=[span.text_in(text) for span in _playing("ACTOR", arguments)],
            targets=[span.text_in(text) for span in _playing("TARGET", arguments)],
            places=_playing("LOCATION", arguments),
            time=times[0].text_in(text) if times else None,
        )
        if is_fatal(trigger, text):
            _count_fatalities(mention, _playing("COUNT", arguments), text=text)
        found.append(mention)
    for mention in found:
        siblings = [other for other in found if other.event_type == mention.event_type]
        if not mention.places:
            mention.places = next((m.places for m in siblings if m.places), [])
        if mention.time is None:
            mention.time = next((m.time for m in siblings if m.time is not None), None)
    return found


def _playing(role: str, arguments: Iterable[Argument]) -> list[Span]:
    """The entities playing ``role``, in text order."""
    return sorted(argument.entity for argument in arguments if argument.role == role)


def _event_type(trigger: Span, *, draft: Draft, scheme: LabelScheme) -> str | None:
    """The trigger label's category; else the sentence's category that another trigger of the
    sentence has (the event a casualty belongs to), else its first category."""
    own = scheme.category_for_event(trigger.label)
    if own is not None:
        return own
    order = {name: index for index, name in enumerate(scheme.names("categories"))}
    categories = sorted(set(draft.categories), key=lambda name: order.get(name, len(order)))
    others = {scheme.category_for_event(event.label) for event in draft.events}
    return next((name for name in categories if name in others), None) or next(
        iter(categories), None
    )


def _count_fatalities(mention: _Mention, counts: Sequence[Span], *, text: str) -> None:
    """The dead a casualty trigger counts: the sum of its COUNTs ("5 soldiers and 3
    civilians"), a lower bound when any of them is one."""
    parsed = [parse_count(span.text_in(text)) for span in counts]
    values = [count for count in parsed if count is not None]
    if values:
        mention.fatalities = sum(count.value for count in values)
        mention.lower_bound = any(count.lower_bound for count in values)


# --- places and dates --------------------------------------------------------------------


def _place_rank(span: Span, *, text: str, places: Places | None, country: str | None) -> int:
    if span.label == "FAC":
        return _RANK["facility"]
    name, level = bare_name(span.text_in(text))
    if level is not None:
        return _RANK[level]
    if places is not None:
        if places.country_code(name) is not None:
            return _RANK["country"]
        # A subdivision's name ranks as one: "(Jalisco)" after a municipality is the state,
        # though a town has the name too.
        if (admin := places.admin_level(name, country=country)) is not None:
            return _RANK[admin]
    return _RANK["area"] if span.label == "LOC" else _RANK["local"]


def _ranked_places(
    spans: Sequence[Span], *, text: str, places: Places | None, country: str | None
) -> list[tuple[int, Span]]:
    """The places by how specific they are, most specific first; in text order among equals."""
    ranked = [
        (_place_rank(span, text=text, places=places, country=country), span) for span in spans
    ]
    return sorted(ranked, key=lambda item: (item[0], item[1].start_char))


def _ranked(
    mention: _Mention, *, places: Places | None, country: str | None
) -> list[tuple[int, Span]]:
    """The mention's places ranked, worked out once per mention (its places are settled by
    then, and the report's country is the same for every call)."""
    if mention.ranked is None:
        mention.ranked = _ranked_places(
            mention.places, text=mention.sentence.text, places=places, country=country
        )
    return mention.ranked


def _event_day(mention: _Mention, *, context: ReportContext) -> tuple[date | None, str | None]:
    """The mention's date: its TIME, else a date of its sentence, else the report's."""
    sentence = mention.sentence
    if mention.time is not None:
        return parse_date(mention.time, reference=context.date), mention.time
    dates = sorted(span for span in sentence.draft.entities if span.label == "DATE")
    for span in dates:
        written = span.text_in(sentence.text)
        if (day := parse_date(written, reference=context.date)) is not None:
            return day, written
    if context.date is None and dates:
        # A date that names no day without the report's ("on Tuesday") is kept as written.
        return None, dates[0].text_in(sentence.text)
    return context.date, context.date_text


def _add(
    events: list[_Event], mention: _Mention, *, context: ReportContext, places: Places | None
) -> _Event:
    """Merge a mention into the event it is a mention of, or start a new one; return it."""
    day, written = _event_day(mention, context=context)
    ranked = _ranked(mention, places=places, country=context.country_code)
    location = ranked[0][1].text_in(mention.sentence.text) if ranked else None
    key = place_key(bare_name(location)[0]) if location else None

    def fits(event: _Event) -> bool:
        return (
            event.event_type == mention.event_type
            and (event.location_key is None or key is None or event.location_key == key)
            and (event.day is None or day is None or event.day == day)
        )

    candidates = [event for event in events if fits(event)]
    same = [e for e in candidates if e.location_key == key and e.day == day]
    # Where two events fit a mention that lacks its place or date, it is neither's.
    if same or len(candidates) == 1:
        event = (same or candidates)[0]
        event.mentions.append(mention)
        if event.location_key is None and key is not None:
            event.location, event.location_key = location, key
        if event.day is None and day is not None:
            event.day, event.date_text = day, written
        return event
    event = _Event(
        mentions=[mention],
        event_type=mention.event_type,
        location=location,
        location_key=key,
        day=day,
        date_text=written,
    )
    events.append(event)
    return event


# --- the row -----------------------------------------------------------------------------


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        cleaned = " ".join(value.split())
        if cleaned:
            seen.setdefault(cleaned.casefold(), cleaned)
    return list(seen.values())


def _joined(values: Iterable[str]) -> str | None:
    found = _unique(values)
    return JOIN.join(found) if found else None


def _row(
    event: _Event, *, report: DecidedReport, context: ReportContext, places: Places | None
) -> EventRow:
    mentions = event.mentions
    # The event's own kind: the first trigger with a category of its own (not "killed").
    main = next((m for m in mentions if m.label not in FATALITY_EVENTS), mentions[0])
    sentences: dict[int, DecidedSentence] = {}
    for mention in mentions:
        sentences.setdefault(mention.sentence.sentence_id, mention.sentence)
    targets = _joined(target for m in mentions for target in m.targets)
    if targets is None and (
        any(m.label in CIVILIAN_EVENTS for m in mentions) or event.event_type in CIVILIAN_CATEGORIES
    ):
        targets = CIVILIANS
    fatalities, lower_bound = _fatalities(mentions)
    where = _where(event, context=context, places=places)
    return EventRow(
        report=report.name,
        report_id=report.report_id,
        sentence_id=next(iter(sentences)),
        sentence_ids=tuple(sentences),
        event_date=event.day.isoformat() if event.day is not None else None,
        date_text=event.date_text,
        event_type=event.event_type,
        sub_event=main.label,
        trigger=main.trigger.text_in(main.sentence.text),
        actor1=_joined(actor for m in mentions for actor in m.actors),
        actor2=targets,
        location=event.location,
        fatalities=fatalities,
        fatalities_lower_bound=lower_bound,
        evidence="\n".join(sentence.text for sentence in sentences.values()),
        sentences=tuple(sentence.text for sentence in sentences.values()),
        **where,
    )


def _fatalities(mentions: Sequence[_Mention]) -> tuple[int | None, bool]:
    """The dead of an event: its casualty mentions' counts added up; a figure another trigger
    repeats ("seven killed" ... "the seven victims", "killing 3 ... [3 fatalities]") is counted
    once."""
    counted: list[int] = []
    lower_bound = False
    for mention in mentions:
        if mention.fatalities is None or mention.fatalities in counted:
            continue
        counted.append(mention.fatalities)
        lower_bound = lower_bound or mention.lower_bound
    if not counted:
        return None, False
    return sum(counted), lower_bound


def _where(event: _Event, *, context: ReportContext, places: Places | None) -> dict[str, Any]:
    """admin1, admin2, country and coordinates of the event's place, from its LOCATION
    arguments (a district and a region named beside the village) and the gazetteer."""
    admin: dict[str, str | None] = {"admin1": None, "admin2": None}
    country: str | None = None
    code = context.country_code
    for mention in event.mentions:
        ranked = _ranked(mention, places=places, country=code)
        for rank, span in ranked[1:] if ranked else ():
            name = bare_name(span.text_in(mention.sentence.text))[0]
            if rank == _RANK["admin2"]:
                admin["admin2"] = admin["admin2"] or name
            elif rank == _RANK["admin1"]:
                admin["admin1"] = admin["admin1"] or name
            elif rank == _RANK["country"]:
                country = country or name
    if country is not None and places is not None:
        code = places.country_code(country) or code
    located: Place | None = None
    precision: int | None = None
    if places is not None:
        for level, place_name in (
            (1, event.location),
            (2, admin["admin2"]),
            (3, admin["admin1"]),
        ):
            if place_name is None:
                continue
            found = places.locate(place_name, country=code)
            if found is None:
                continue
            if located is None:
                located = found
            if found.latitude is not None:
                if located.latitude is None:
                    located = Place(
                        name=located.name,
                        level=located.level,
                        country=located.country or found.country,
                        admin1=located.admin1,
                        admin2=located.admin2,
                        latitude=found.latitude,
                        longitude=found.longitude,
                    )
                precision = level
                break
    if located is not None:
        admin["admin1"] = admin["admin1"] or located.admin1
        admin["admin2"] = admin["admin2"] or located.admin2
        code = code or located.country
    if country is None:
        country = context.country
    if country is None and code is not None and places is not None:
        country = places.country_name(code)
    return {
        **admin,
        "country": country,
        "latitude": located.latitude if located is not None else None,
        "longitude": located.longitude if located is not None else None,
        "geo_precision": precision,
    }
