"""Event arguments suggested from the parse, through the real pipeline: who did it (ACTOR), to
whom (TARGET), where (LOCATION, a village and its township, most specific first), when (TIME) and
how many (COUNT); what ``annotator suggest`` writes, what the suggesting workflow stores, and the
figures ``annotator evaluate`` prints for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from annotator import workflow
from annotator.config import DEFAULT_LABELS, Settings
from annotator.db import session_scope
from annotator.formats import Record
from annotator.labels import LabelScheme, load_scheme
from annotator.models import Sentence
from annotator.nlp.arguments import arguments_of, is_fatal, name_key
from annotator.nlp.evaluate import evaluate, format_report, read_gold
from annotator.nlp.suggest import Suggester, Suggestion
from annotator.nlp.suggest_file import suggest_file
from annotator.spans import Draft, Span, check_draft
from annotator.workflow import GoldPolicy, annotating


def roles_of(suggestion: Suggestion, text: str, trigger: str) -> dict[str, list[str]]:
    """The arguments of the (first) event whose trigger reads ``trigger``: role -> texts in
    the order suggested."""
    events = [event for event in suggestion.events if event.text_in(text) == trigger]
    assert events, f"no trigger {trigger!r} in {[e.text_in(text) for e in suggestion.events]}"
    found: dict[str, list[str]] = {}
    for argument in suggestion.arguments:
        if argument.event == events[0]:
            found.setdefault(argument.role, []).append(argument.entity.text_in(text))
    return found


def test_who_did_what_to_how_many_where_and_when(suggester: Suggester) -> None:
    text = "On 3 May 2023, junta troops shot and killed two villagers in Kanbalu township."
    suggestion = suggester.suggest_one(text)

    killed = roles_of(suggestion, text, "killed")
    assert killed == {
        "ACTOR": ["junta troops"],
        "COUNT": ["two"],
        "LOCATION": ["Kanbalu township"],
        "TIME": ["3 May 2023"],
    }
    shot = roles_of(suggestion, text, "shot")
    assert shot["ACTOR"] == ["junta troops"]
    assert "COUNT" not in shot  # the two villagers counted are the killed


def test_a_place_first_note_gives_the_village_then_its_township(suggester: Suggester) -> None:
    text = (
        "On 12 June 2023, in Nyaung Pin village, Kani township (Sagaing Region), soldiers shot "
        "3 farmers."
    )
    shot = roles_of(suggester.suggest_one(text), text, "shot")

    assert shot["LOCATION"] == ["Nyaung Pin village", "Kani township", "Sagaing Region"]
    assert shot["TIME"] == ["12 June 2023"]
    assert shot["ACTOR"] == ["soldiers"]


@pytest.mark.parametrize(
    ("text", "trigger", "count"),
    [
        ("On 5 May 2024, gunmen attacked Tudun Wada village, killing 3.", "killing", "3"),
        ("On 6 May 2024, bandits raided Gora village in Zamfara state; 3 killed.", "killed", "3"),
        ("On 7 May 2024, ISWAP fighters attacked Monguno. [Fatalities: 2]", "Fatalities", "2"),
        ("On 8 May 2024, a drone strike hit Kherson. 1 fatality.", "fatality", "1"),
        ("Five civilians were killed by Al Shabaab militants in Baidoa.", "killed", "Five"),
    ],
)
def test_the_count_of_the_dead_goes_to_the_casualties_trigger(
    suggester: Suggester, text: str, trigger: str, count: str
) -> None:
    assert roles_of(suggester.suggest_one(text), text, trigger)["COUNT"] == [count]


def test_a_trigger_with_no_place_or_date_in_its_clause_takes_the_notes(
    suggester: Suggester,
) -> None:
    text = (
        "On 9 June 2024, in Bentiu (Unity state), SPLA-IO fighters clashed with the SSPDF. "
        "4 soldiers were killed."
    )
    suggestion = suggester.suggest_one(text)

    clashed = roles_of(suggestion, text, "clashed")
    assert clashed["ACTOR"] == ["SPLA-IO", "SSPDF"]  # both sides of a clash act
    killed = roles_of(suggestion, text, "killed")
    assert killed["LOCATION"] == ["Bentiu", "Unity state"]
    assert killed["TIME"] == ["9 June 2024"]
    assert killed["COUNT"] == ["4"]


def test_the_agent_of_a_passive_acts_and_the_arrested_are_the_target(
    suggester: Suggester,
) -> None:
    passive = "Two civilians were killed by Russian forces in Kherson on 12 March 2024."
    assert roles_of(suggester.suggest_one(passive), passive, "killed")["ACTOR"] == [
        "Russian forces"
    ]
    arrest = "On 8 May 2024, police arrested 12 members of the PDF in Monywa, Sagaing Region."
    arrested = roles_of(suggester.suggest_one(arrest), arrest, "arrested")
    assert arrested["ACTOR"] == ["police"]
    assert arrested["TARGET"] == ["PDF"]
    assert arrested["COUNT"] == ["12"]


def test_who_set_off_a_bomb_or_claimed_it_acts(suggester: Suggester) -> None:
    planted = "On 11 October 2023, an IED planted by ISWAP exploded in Gwoza, killing 7 soldiers."
    assert roles_of(suggester.suggest_one(planted), planted, "killing")["ACTOR"] == ["ISWAP"]
    claimed = (
        "On 7 October 2023, a car bomb exploded at a checkpoint near Beledweyne, killing 13 "
        "people; Al Shabaab claimed responsibility."
    )
    killing = roles_of(suggester.suggest_one(claimed), claimed, "killing")
    assert killing["ACTOR"] == ["Al Shabaab"]
    assert killing["LOCATION"] == ["Beledweyne"]


NOTES = [
    "On 3 May 2023, junta troops shot and killed two villagers in Kanbalu township.",
    "On 17 January 2024, troops from LIB 538 clashed with the KIA near Namhkam (Shan State).",
    "On 4 April 2024, residents rioted in Kassala and burned the office of the governor.",
    "On 2 March 2024, members of the NLC held a rally in Ikeja, Lagos state. [size=around 1,000]",
    "On 6 May 2024, bandits abducted 23 passengers near Kucheri village; 1 fatality.",
]


def test_every_suggested_argument_fits_its_sentence_and_the_scheme(
    suggester: Suggester, scheme: LabelScheme
) -> None:
    for text, suggestion in zip(NOTES, suggester.suggest(NOTES), strict=True):
        draft = Draft(
            entities=suggestion.entities,
            events=suggestion.events,
            categories=suggestion.categories,
            arguments=suggestion.arguments,
        )
        check_draft(draft, text=text, scheme=scheme)  # raises on any argument that does not fit
        for argument in suggestion.arguments:
            spec = scheme.role(argument.role)
            assert spec is not None and argument.entity.label in spec.accepts
        times = [(a.event, a.role) for a in suggestion.arguments if a.role == "TIME"]
        assert len(times) == len(set(times))  # TIME does not repeat


def test_a_role_takes_only_the_labels_the_scheme_lets_it(
    suggester: Suggester, tmp_path: Path
) -> None:
    data = yaml.safe_load(Path(DEFAULT_LABELS).read_text(encoding="utf-8"))
    data["roles"]["ACTOR"]["accepts"] = ["PERSON"]
    path = tmp_path / "persons_act.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    narrow = load_scheme(path)
    text = NOTES[0]
    doc = suggester.nlp(text)
    suggestion = suggester.suggestion_for(doc)

    kept = arguments_of(doc, entities=suggestion.entities, events=suggestion.events, scheme=narrow)

    assert any(a.role == "ACTOR" for a in suggestion.arguments)
    assert not any(a.role == "ACTOR" for a in kept)
    assert {a.role for a in kept} == {a.role for a in suggestion.arguments} - {"ACTOR"}


@pytest.mark.parametrize(
    ("coded", "written"),
    [
        ("Kyauk Ta Lone", "Kyauk Ta Lone village"),
        ("RSF", "RSF fighters"),
        ("the Arakan Army", "Arakan Army"),
        ("junta troops", "Junta troops"),
    ],
)
def test_a_coders_name_matches_the_notes(coded: str, written: str) -> None:
    assert name_key(coded) == name_key(written)


def test_different_names_stay_apart() -> None:
    assert name_key("Arakan Army") != name_key("Arakan")
    assert name_key("Myaing township") != name_key("Magway Region")


def test_violence_that_says_its_victims_died_counts_the_dead() -> None:
    text = "ADF fighters hacked 7 farmers to death; JNIM executed 3 men and beat 2 others."
    hacked, executed, beat = (
        Span(text.index(word), text.index(word) + len(word), "ATTACK_ON_CIVILIANS")
        for word in ("hacked", "executed", "beat")
    )
    assert is_fatal(hacked, text) and is_fatal(executed, text)
    assert not is_fatal(beat, text)


def test_a_casualty_trigger_counts_the_dead_unless_it_says_wounded() -> None:
    # The evaluation's fatalities and the event table's come from this one rule.
    text = "Troops killed 3 villagers and wounded 5 others; 2 were injured."
    killed, wounded, injured = (
        Span(text.index(word), text.index(word) + len(word), "CASUALTIES")
        for word in ("killed", "wounded", "injured")
    )
    assert is_fatal(killed, text)
    assert not is_fatal(wounded, text) and not is_fatal(injured, text)


def test_annotator_suggest_writes_each_event_with_its_args(
    suggester: Suggester, tmp_path: Path
) -> None:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"text": NOTES[0]}) + "\n", encoding="utf-8")

    assert suggest_file(source, target, suggester=suggester) == 1

    (record,) = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    events = {event["text"]: event for event in record["events"]}
    assert all(set(event) == {"start", "end", "label", "text", "args"} for event in events.values())
    killed = events["killed"]
    assert all(set(arg) == {"role", "start", "end", "label", "text"} for arg in killed["args"])
    assert {"role": "COUNT", "text": "two", "label": "CARDINAL"}.items() <= next(
        arg for arg in killed["args"] if arg["role"] == "COUNT"
    ).items()
    for arg in killed["args"]:
        assert NOTES[0][arg["start"] : arg["end"]] == arg["text"]


def test_stored_suggestions_carry_their_arguments(
    engine, scheme: LabelScheme, suggester: Suggester
) -> None:
    record = Record(text=NOTES[0], source="note.txt", line=1, meta={}, split=False, annotation=None)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=[record],
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )

    assert workflow.suggest_pending(engine=engine, suggester=suggester) == 1

    with session_scope(engine) as session:
        sentence_id = session.exec(select(Sentence.id)).one()
        stored = annotating.latest_suggestion(session=session, sentence_id=sentence_id)
        assert stored is not None
        draft = Draft.of(stored)
    check_draft(draft, text=NOTES[0], scheme=scheme)
    killed = next(event for event in draft.events if event.text_in(NOTES[0]) == "killed")
    roles = {a.role: a.entity.text_in(NOTES[0]) for a in draft.arguments_of(killed)}
    assert roles == {
        "ACTOR": "junta troops",
        "COUNT": "two",
        "LOCATION": "Kanbalu township",
        "TIME": "3 May 2023",
    }


def _gold_line(text: str, *, coded: dict[str, object], args: dict[str, list[str]]) -> str:
    """A gold note whose one event (the trigger ``args`` names) has arguments by their text."""
    ((trigger, roles),) = args.items()
    start = text.index(trigger)
    spans = []
    event_args = []
    for role_text in roles:
        role, _, words = role_text.partition("=")
        label = {"ACTOR": "ARMED_GROUP", "LOCATION": "GPE", "TIME": "DATE", "COUNT": "CARDINAL"}
        begin = text.index(words)
        span = {"start": begin, "end": begin + len(words), "label": label[role]}
        spans.append(span)
        event_args.append({"role": role, **span})
    event = {"start": start, "end": start + len(trigger), "label": "CASUALTIES", "args": event_args}
    return json.dumps({"text": text, "spans": spans, "events": [event], "meta": {"coded": coded}})


def test_evaluate_prints_the_argument_figures(suggester: Suggester, tmp_path: Path) -> None:
    found = "On 3 May 2023, junta troops shot and killed two villagers in Kanbalu township."
    missed = "On 4 May 2023, seven people died in Tamu."
    gold = tmp_path / "notes.jsonl"
    gold.write_text(
        _gold_line(
            found,
            coded={
                "actor1": "Junta troops",
                "actor2": None,
                "location": "Kanbalu township",
                "fatalities": 2,
            },
            args={
                "killed": [
                    "ACTOR=junta troops",
                    "COUNT=two",
                    "LOCATION=Kanbalu township",
                    "TIME=3 May 2023",
                ]
            },
        )
        + "\n"
        + _gold_line(
            missed,
            coded={"actor1": "the Tatmadaw", "actor2": None, "location": "Tamu", "fatalities": 7},
            args={"died": ["COUNT=seven", "LOCATION=Tamu", "TIME=4 May 2023"]},
        )
        + "\n",
        encoding="utf-8",
    )

    report = evaluate(read_gold(gold), suggester=suggester)
    figures = report.to_dict()["arguments"]

    assert figures["actors_named"] == {"notes": 2, "found": 1, "share": 0.5}
    assert figures["location_found"]["notes"] == 2
    assert figures["fatalities_found"]["notes"] == 2
    assert figures["per_label"]["ACTOR"]["tp"] == 1
    assert figures["per_label"]["TIME"]["fn"] + figures["per_label"]["TIME"]["tp"] == 2
    table = format_report(report)
    assert "actors named" in table and "Arguments" in table


def test_notes_coded_without_spans_are_measured_on_their_text(
    suggester: Suggester, tmp_path: Path
) -> None:
    coded = {"actor1": "junta troops", "actor2": None, "location": "Kanbalu", "fatalities": 2}
    gold = tmp_path / "coded.jsonl"
    gold.write_text(
        json.dumps({"text": NOTES[0], "meta": {"coded": coded}})
        + "\n"
        # '2 May' is a date: the note writes no count of its dead.
        + json.dumps(
            {
                "text": "On 2 May 2024, a man was killed in Tamu.",
                "meta": {"coded": {**coded, "actor1": None, "location": "Tamu"}},
            }
        )
        + "\n",
        encoding="utf-8",
    )

    figures = evaluate(read_gold(gold), suggester=suggester).to_dict()["arguments"]

    assert figures["records"] == 0  # no gold arguments to score per role
    assert figures["actors_named"] == {"notes": 1, "found": 1, "share": 1.0}
    assert figures["location_found"] == {"notes": 2, "found": 2, "share": 1.0}
    assert figures["fatalities_found"] == {"notes": 1, "found": 1, "share": 1.0}
