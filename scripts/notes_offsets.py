"""Turn an authoring file of coder-written event notes into gold JSONL, and check it.

Usage:
    .venv/bin/python scripts/notes_offsets.py NOTES.authoring -o tests/data/notes_dev.jsonl
    .venv/bin/python scripts/notes_offsets.py --check tests/data/notes_dev.jsonl
    .venv/bin/python scripts/notes_offsets.py --to-authoring tests/data/notes_dev.jsonl > x.txt

The authoring file is not kept: the JSONL is the source, and --to-authoring writes it back out
as an authoring file to edit (converting that again gives the same JSONL).

An authoring file holds one note per block; ``#`` starts a comment line:

    == Myanmar | Violence against civilians | Attack
    On 3 May 2023, in Kyauk Ta Lone village, Myaing township (Magway Region), military troops
    shot and killed 2 civilians. [size=no report]
    DATE 3 May 2023
    GPE Kyauk Ta Lone village
    GPE Myaing township
    GPE Magway Region
    ARMED_GROUP military troops
    ATTACK_ON_CIVILIANS shot
    CASUALTIES killed
      ACTOR military troops
      LOCATION Kyauk Ta Lone village
      LOCATION Myaing township
      TIME 3 May 2023
      COUNT 2
    CARDINAL 2
    CODED actor1 military troops
    CODED actor2 null
    CODED location Kyauk Ta Lone village
    CODED fatalities 2

The header gives country | ACLED event type | sub-event type; the next line is the text (one
line in the file); every further line is ``LABEL substring``. Only occurrences that start and end
on a token boundary of the project's tokenizer count: "2" inside "2023" is not one. A substring
with more than one such occurrence needs ``@N`` (the N-th, from 1). The accept list is the
category of the event type. The tool refuses a substring not found, ambiguous or off token
boundaries, unknown labels, event types and sub-event types, overlapping entities, duplicate
spans and duplicate texts, and prints the counts per country and per category.

An indented ``ROLE substring [@N]`` line under an event line is one of that event's arguments:
the substring (found as for a mark) must be one of the note's entities, whose label the role
accepts (labels/conflict.yml's roles); TIME at most once per event, and an entity plays one role
per event. An event with no indented line has no arguments. ``CODED field value`` lines give the
coder's table fields (actor1, actor2, location: a substring of the text or ``null``;
fatalities: an integer or ``null``); all four are required.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.tokens import blank_english

ENTITY_LABELS = frozenset({"PERSON", "ORG", "ARMED_GROUP", "GPE", "LOC", "FAC", "DATE", "CARDINAL"})
# RIOT is the event label being added to labels/conflict.yml for issue 11 (category RIOTS).
EVENT_LABELS = frozenset(
    {
        "ARMED_CLASH",
        "REMOTE_VIOLENCE",
        "ATTACK_ON_CIVILIANS",
        "CASUALTIES",
        "ARREST",
        "DEFECTION",
        "SEIZURE",
        "DISPLACEMENT",
        "PROTEST",
        "MEETING",
        "RIOT",
    }
)
# labels/conflict.yml's roles: the entity labels each accepts, and whether it may repeat.
ROLES: dict[str, tuple[frozenset[str], bool]] = {
    "ACTOR": (frozenset({"ARMED_GROUP", "ORG", "PERSON"}), True),
    "TARGET": (frozenset({"ARMED_GROUP", "ORG", "PERSON"}), True),
    "LOCATION": (frozenset({"GPE", "LOC", "FAC"}), True),
    "TIME": (frozenset({"DATE"}), False),
    "COUNT": (frozenset({"CARDINAL"}), True),
}
CODED_FIELDS = ("actor1", "actor2", "location", "fatalities")
# ACLED's event types with their sub-event types, and the scheme's category for each type.
EVENT_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "Battles": (
        "BATTLES",
        frozenset(
            {"Armed clash", "Government regains territory", "Non-state actor overtakes territory"}
        ),
    ),
    "Explosions/Remote violence": (
        "EXPLOSIONS_REMOTE_VIOLENCE",
        frozenset(
            {
                "Chemical weapon",
                "Air/drone strike",
                "Suicide bomb",
                "Shelling/artillery/missile attack",
                "Remote explosive/landmine/IED",
                "Grenade",
            }
        ),
    ),
    "Violence against civilians": (
        "VIOLENCE_AGAINST_CIVILIANS",
        frozenset({"Sexual violence", "Attack", "Abduction/forced disappearance"}),
    ),
    "Protests": (
        "PROTESTS",
        frozenset(
            {"Peaceful protest", "Protest with intervention", "Excessive force against protesters"}
        ),
    ),
    "Riots": ("RIOTS", frozenset({"Violent demonstration", "Mob violence"})),
    "Strategic developments": (
        "STRATEGIC_DEVELOPMENTS",
        frozenset(
            {
                "Agreement",
                "Arrests",
                "Change to group/activity",
                "Disrupted weapons use",
                "Headquarters or base established",
                "Looting/property destruction",
                "Non-violent transfer of territory",
                "Other",
            }
        ),
    ),
}


class AuthoringError(Exception):
    """A note that cannot become gold, with the line of the authoring file it comes from."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")


@dataclass(frozen=True)
class Mark:
    """One ``LABEL substring [@N]`` line of a note."""

    line: int
    label: str
    substring: str
    occurrence: int | None
    arguments: list[Mark] = field(default_factory=list)


@dataclass
class Draft:
    """One note as written in the authoring file."""

    line: int
    country: str
    event_type: str
    sub_event_type: str
    text: str
    marks: list[Mark]
    coded: dict[str, str] = field(default_factory=dict)


def token_aligned(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] starts and ends on token boundaries (spaCy's strict mode)."""
    doc = blank_english().make_doc(text)
    return doc.char_span(start, end, alignment_mode="strict") is not None


def aligned_occurrences(text: str, substring: str) -> tuple[list[int], int]:
    """Starts of the token-aligned occurrences of substring, and how many occurrences at all."""
    starts, found, position = [], 0, text.find(substring)
    while position != -1:
        found += 1
        if token_aligned(text, position, position + len(substring)):
            starts.append(position)
        position = text.find(substring, position + 1)
    return starts, found


def parse_mark(line: int, raw: str) -> Mark:
    """``LABEL substring`` or ``LABEL substring @N``."""
    label, _, rest = raw.strip().partition(" ")
    occurrence: int | None = None
    head, at, tail = rest.rpartition(" @")
    if at and tail.isdigit():
        rest, occurrence = head, int(tail)
    if not rest:
        raise AuthoringError(line, f"no substring after {label!r}")
    return Mark(line, label, rest, occurrence)


def read_authoring(path: Path) -> list[Draft]:
    """The notes of an authoring file, in order."""
    drafts: list[Draft] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw.startswith("== "):
            fields = [field.strip() for field in raw[3:].split("|")]
            if len(fields) != 3 or not all(fields):
                raise AuthoringError(number, "header is '== country | event type | sub-event'")
            country, event_type, sub_event_type = fields
            drafts.append(Draft(number, country, event_type, sub_event_type, text="", marks=[]))
        elif not drafts:
            raise AuthoringError(number, "text before the first '== ' header")
        elif not drafts[-1].text:
            drafts[-1].text = raw.strip()
        elif raw.startswith("CODED "):
            name, _, value = raw[len("CODED ") :].strip().partition(" ")
            if name not in CODED_FIELDS or not value:
                raise AuthoringError(
                    number, f"'CODED {name}': a field of {CODED_FIELDS} and a value"
                )
            if name in drafts[-1].coded:
                raise AuthoringError(number, f"CODED {name} given twice")
            drafts[-1].coded[name] = value
        elif raw[:1].isspace():
            marks = drafts[-1].marks
            if not marks or marks[-1].label not in EVENT_LABELS:
                raise AuthoringError(number, "an indented argument line must follow an event line")
            marks[-1].arguments.append(parse_mark(number, raw))
        else:
            drafts[-1].marks.append(parse_mark(number, raw))
    return drafts


def locate(draft: Draft, mark: Mark) -> dict[str, Any]:
    """The span of one mark, or an AuthoringError saying why there is none."""
    starts, found = aligned_occurrences(draft.text, mark.substring)
    if not found:
        raise AuthoringError(mark.line, f"{mark.substring!r} is not in the text")
    if not starts:
        raise AuthoringError(mark.line, f"{mark.substring!r} is not on token boundaries")
    if mark.occurrence is None:
        if len(starts) > 1:
            raise AuthoringError(
                mark.line, f"{mark.substring!r} occurs {len(starts)} times: say which with @N"
            )
        start = starts[0]
    elif 1 <= mark.occurrence <= len(starts):
        start = starts[mark.occurrence - 1]
    else:
        raise AuthoringError(
            mark.line, f"{mark.substring!r} @{mark.occurrence}: only {len(starts)} occurrence(s)"
        )
    return {"start": start, "end": start + len(mark.substring), "label": mark.label}


def argument(
    draft: Draft, mark: Mark, entities: dict[tuple[int, int], dict[str, Any]]
) -> dict[str, Any]:
    """One ``ROLE substring`` line of an event: the role and the entity it points at."""
    if mark.label not in ROLES:
        raise AuthoringError(mark.line, f"unknown role {mark.label!r}")
    where = locate(draft, Mark(mark.line, "", mark.substring, mark.occurrence))
    entity = entities.get((where["start"], where["end"]))
    if entity is None:
        raise AuthoringError(mark.line, f"{mark.substring!r} is not an entity of the note")
    return {"role": mark.label, **entity}


def coded_fields(draft: Draft) -> dict[str, Any]:
    """The coder's table fields of a note, from its CODED lines (``null`` is None)."""
    missing = [name for name in CODED_FIELDS if name not in draft.coded]
    if missing:
        raise AuthoringError(draft.line, f"no CODED {', '.join(missing)}")
    coded: dict[str, Any] = {}
    for name in CODED_FIELDS:
        value = draft.coded[name]
        if value == "null":
            coded[name] = None
        elif name == "fatalities":
            if not value.isdigit():
                raise AuthoringError(draft.line, f"CODED fatalities {value!r} is no integer")
            coded[name] = int(value)
        else:
            coded[name] = value
    return coded


def build(draft: Draft) -> dict[str, Any]:
    """The gold record of one note."""
    if draft.event_type not in EVENT_TYPES:
        raise AuthoringError(draft.line, f"unknown event type {draft.event_type!r}")
    category, sub_events = EVENT_TYPES[draft.event_type]
    if draft.sub_event_type not in sub_events:
        raise AuthoringError(
            draft.line, f"{draft.sub_event_type!r} is not a sub-event of {draft.event_type}"
        )
    if not draft.text:
        raise AuthoringError(draft.line, "a note without text")
    spans: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for mark in draft.marks:
        if mark.label in ENTITY_LABELS:
            spans.append(locate(draft, mark))
        elif mark.label in EVENT_LABELS:
            events.append(locate(draft, mark))
        else:
            raise AuthoringError(mark.line, f"unknown label {mark.label!r}")
    entities = {(span["start"], span["end"]): span for span in spans}
    for event, mark in zip(
        events, [mark for mark in draft.marks if mark.label in EVENT_LABELS], strict=True
    ):
        event["args"] = [argument(draft, each, entities) for each in mark.arguments]
    record = {
        "text": draft.text,
        "spans": sorted(spans, key=lambda span: (span["start"], span["end"])),
        "events": sorted(events, key=lambda span: (span["start"], span["end"])),
        "accept": [category],
        "meta": {
            "country": draft.country,
            "event_type": draft.event_type,
            "sub_event_type": draft.sub_event_type,
            "coded": coded_fields(draft),
        },
    }
    problem = check_record(record)
    if problem:
        raise AuthoringError(draft.line, problem)
    return record


def check_record(record: dict[str, Any]) -> str | None:
    """What is wrong with one gold record, or None."""
    text = record["text"]
    if "\n" in text or text != text.strip():
        return "the text must be one line without surrounding whitespace"
    for layer, labels in (("spans", ENTITY_LABELS), ("events", EVENT_LABELS)):
        seen: set[tuple[int, int, str]] = set()
        for span in record[layer]:
            key = (span["start"], span["end"], span["label"])
            if span["label"] not in labels:
                return f"unknown {layer} label {span['label']!r}"
            if not token_aligned(text, span["start"], span["end"]):
                return f"{text[span['start'] : span['end']]!r} is not on token boundaries"
            if key in seen:
                return f"{text[span['start'] : span['end']]!r} {span['label']} is marked twice"
            seen.add(key)
    entities = sorted(record["spans"], key=lambda span: span["start"])
    for left, right in zip(entities, entities[1:], strict=False):
        if right["start"] < left["end"]:
            return (
                f"entities {text[left['start'] : left['end']]!r} and "
                f"{text[right['start'] : right['end']]!r} overlap"
            )
    problem = check_arguments(record) or check_coded(record)
    if problem:
        return problem
    event_type = record.get("meta", {}).get("event_type")
    if event_type not in EVENT_TYPES:
        return f"unknown event type {event_type!r}"
    if record["accept"] != [EVENT_TYPES[event_type][0]]:
        return f"accept must be [{EVENT_TYPES[event_type][0]}] for {event_type}"
    return None


def check_arguments(record: dict[str, Any]) -> str | None:
    """What is wrong with the events' arguments: each an entity of the note in a role that
    accepts its label, TIME once per event, one role per entity and event."""
    text = record["text"]
    entities = {(span["start"], span["end"], span["label"]) for span in record["spans"]}
    for event in record["events"]:
        trigger = text[event["start"] : event["end"]]
        if not isinstance(event.get("args"), list):
            return f"event {trigger!r} has no 'args' list"
        roles: Counter[str] = Counter()
        played: set[tuple[int, int]] = set()
        for each in event["args"]:
            if set(each) != {"role", "start", "end", "label"}:
                return f"an argument of {trigger!r} is not {{role, start, end, label}}"
            substring = text[each["start"] : each["end"]]
            if (each["start"], each["end"], each["label"]) not in entities:
                return f"argument {substring!r} of {trigger!r} is not an entity of the note"
            if each["role"] not in ROLES:
                return f"unknown role {each['role']!r} of {trigger!r}"
            accepts, repeats = ROLES[each["role"]]
            if each["label"] not in accepts:
                return (
                    f"{each['role']} of {trigger!r} does not accept {each['label']} {substring!r}"
                )
            roles[each["role"]] += 1
            if roles[each["role"]] > 1 and not repeats:
                return f"{trigger!r} has {each['role']} more than once"
            if (each["start"], each["end"]) in played:
                return f"{substring!r} plays two roles of {trigger!r}"
            played.add((each["start"], each["end"]))
    return None


def check_coded(record: dict[str, Any]) -> str | None:
    """What is wrong with the coder's table fields: substrings of the text, an integer count."""
    coded = record.get("meta", {}).get("coded")
    if not isinstance(coded, dict) or list(coded) != list(CODED_FIELDS):
        return f"meta.coded must hold exactly {', '.join(CODED_FIELDS)}"
    for name in CODED_FIELDS[:3]:
        value = coded[name]
        if value is not None and (not isinstance(value, str) or value not in record["text"]):
            return f"coded {name} {value!r} is not in the text"
    fatalities = coded["fatalities"]
    if fatalities is not None and (type(fatalities) is not int or fatalities < 0):
        return f"coded fatalities {fatalities!r} is no count"
    return None


def print_counts(records: list[dict[str, Any]]) -> None:
    """Notes per country and per category, and the labels used."""
    countries = Counter(record["meta"]["country"] for record in records)
    categories = Counter(record["accept"][0] for record in records)
    labels = Counter(span["label"] for record in records for span in record["spans"])
    events = Counter(span["label"] for record in records for span in record["events"])
    print(f"{len(records)} notes")
    for title, counter in (
        ("country", countries),
        ("category", categories),
        ("entity label", labels),
        ("event label", events),
    ):
        print(f"per {title}:")
        for name, count in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
            print(f"  {name:<28} {count:>4}")
    all_events = [event for record in records for event in record["events"]]
    roles = Counter(each["role"] for event in all_events for each in event.get("args", []))
    with_args = sum(1 for event in all_events if event.get("args"))
    print(f"events with arguments: {with_args} of {len(all_events)}")
    print("arguments per role:")
    for name in ROLES:
        print(f"  {name:<28} {roles[name]:>4}")
    print("notes with a coded field:")
    for name in CODED_FIELDS:
        filled = sum(
            1 for record in records if record["meta"].get("coded", {}).get(name) is not None
        )
        print(f"  {name:<28} {filled:>4}")


def check_duplicates(records: list[dict[str, Any]]) -> None:
    """Refuse two notes with the same text."""
    texts = Counter(record["text"] for record in records)
    twice = [text for text, count in texts.items() if count > 1]
    if twice:
        raise AuthoringError(0, f"duplicate text: {twice[0]!r}")


def checked_jsonl(path: Path) -> tuple[list[dict[str, Any]], list[AuthoringError]]:
    """The records of a gold JSONL file and what is wrong with them (line = record number)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    errors = [
        AuthoringError(number, problem)
        for number, record in enumerate(records, start=1)
        if (problem := check_record(record))
    ]
    return records, errors


def built_authoring(path: Path) -> tuple[list[dict[str, Any]], list[AuthoringError]]:
    """The records of an authoring file and the notes that cannot become gold."""
    records: list[dict[str, Any]] = []
    errors: list[AuthoringError] = []
    for draft in read_authoring(path):
        try:
            records.append(build(draft))
        except AuthoringError as refused:
            errors.append(refused)
    return records, errors


def mark_text(text: str, span: dict[str, Any]) -> str:
    """The substring of a span, with ``@N`` when it occurs more than once."""
    substring = text[span["start"] : span["end"]]
    starts, _ = aligned_occurrences(text, substring)
    return substring + (f" @{starts.index(span['start']) + 1}" if len(starts) > 1 else "")


def authoring_text(records: list[dict[str, Any]]) -> str:
    """The authoring file that builds these records again."""
    blocks = []
    for record in records:
        meta, text = record["meta"], record["text"]
        lines = [f"== {meta['country']} | {meta['event_type']} | {meta['sub_event_type']}", text]
        for span in sorted(record["spans"] + record["events"], key=lambda span: span["start"]):
            lines.append(f"{span['label']} {mark_text(text, span)}")
            for each in span.get("args", []):
                lines.append(f"  {each['role']} {mark_text(text, each)}")
        for name, value in meta.get("coded", {}).items():
            lines.append(f"CODED {name} {'null' if value is None else value}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Convert or check; print the counts; exit 1 listing every note that cannot be gold."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the authoring file, or JSONL with --check")
    parser.add_argument("-o", "--output", type=Path, help="where to write the JSONL")
    parser.add_argument("--check", action="store_true", help="check a JSONL file instead")
    parser.add_argument(
        "--to-authoring", action="store_true", help="print a JSONL file as an authoring file"
    )
    args = parser.parse_args(argv)
    try:
        reading_jsonl = args.check or args.to_authoring
        records, errors = (checked_jsonl if reading_jsonl else built_authoring)(args.source)
        if not errors:
            check_duplicates(records)
    except AuthoringError as error:
        errors = [error]
    if errors:
        for each in errors:
            print(f"error: {each}", file=sys.stderr)
        return 1
    if args.to_authoring:
        sys.stdout.write(authoring_text(records))
        return 0
    if args.output and not reading_jsonl:
        with args.output.open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print_counts(records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
