"""The gold lexicon without a database: what decisions vote, what the votes decide, and how a
suggestion changes; and the real suggester with a lexicon applied."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from annotator.labels import LabelScheme
from annotator.nlp.lexicon import (
    GoldLexicon,
    Vote,
    VoteCount,
    learned_suggester,
    phrase_of,
    phrases_in,
    votes_of,
)
from annotator.nlp.suggest import Suggester
from annotator.spans import Argument, Draft, Span, check_draft

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def spans(text: str, *marks: tuple[str, str], occurrence: int = 0) -> tuple[Span, ...]:
    """Spans of ``text`` by their words: ("Arakan Army", "ARMED_GROUP")."""
    found = []
    for words, label in marks:
        start = -1
        for _ in range(occurrence + 1):
            start = text.index(words, start + 1)
        found.append(Span(start, start + len(words), label))
    return tuple(sorted(found))


@dataclass
class Decisions:
    """Decisions in the order they are made, each counted as a standing vote."""

    counts: Counter[tuple[Vote, bool]] = field(default_factory=Counter)
    latest: dict[tuple[Vote, bool], datetime] = field(default_factory=dict)
    clock: int = 0

    def decide(
        self,
        text: str,
        decided: Draft,
        shown: Sequence[Draft] = (),
        *,
        adjudicated: bool = False,
    ) -> None:
        self.clock += 1
        for vote in votes_of(decided, shown=shown, text=text):
            key = (vote, adjudicated)
            self.counts[key] += 1
            self.latest[key] = START + timedelta(minutes=self.clock)

    def lexicon(self) -> GoldLexicon:
        return GoldLexicon.from_votes(
            VoteCount(
                layer=vote.layer,
                phrase=vote.phrase,
                label=vote.label,
                kept=vote.kept,
                name=vote.name,
                adjudicated=adjudicated,
                votes=count,
                latest=self.latest[(vote, adjudicated)],
            )
            for (vote, adjudicated), count in self.counts.items()
        )


FIRST = "Arakan Army fighters attacked a police post in Maungdaw on Monday."


def test_a_decision_keeps_what_it_marks_and_removes_what_it_was_shown_and_dropped():
    shown = Draft(entities=spans(FIRST, ("Arakan", "ORG"), ("Monday", "PERSON")))
    decided = Draft(entities=spans(FIRST, ("Arakan Army", "ARMED_GROUP"), ("Monday", "DATE")))
    assert votes_of(decided, shown=[shown], text=FIRST) == [
        Vote("entities", "arakan", "ORG", kept=False, name=True),
        Vote("entities", "arakan army", "ARMED_GROUP", kept=True, name=True),
        Vote("entities", "monday", "DATE", kept=True, name=True),
        Vote("entities", "monday", "PERSON", kept=False, name=True),
    ]


def test_a_phrase_is_its_tokens_lowercased_with_straight_apostrophes():
    curly = "Fighters of the People’s  Defence Force’s unit"
    span = Span(curly.index("People"), curly.index(" unit") - len("’s"), "ARMED_GROUP")
    straight = "The People's Defence Force left."
    other = Span(straight.index("People"), straight.index(" left"), "ARMED_GROUP")
    assert phrase_of(span, curly) == phrase_of(other, straight) == "people 's defence force"
    assert "people 's defence force" in phrases_in(curly)


def test_a_name_marked_once_is_suggested_wherever_it_is_written_like_a_name(scheme):
    decisions = Decisions()
    decisions.decide(FIRST, Draft(entities=spans(FIRST, ("Arakan Army", "ARMED_GROUP"))))
    lexicon = decisions.lexicon()
    later = "ARAKAN ARMY said that the Arakan army's troops, not arakan army troops, left."
    learned = lexicon.apply(Draft(), text=later, scheme=scheme)
    assert [span.text_in(later) for span in learned.entities] == ["ARAKAN ARMY", "Arakan army"]
    assert {span.label for span in learned.entities} == {"ARMED_GROUP"}
    check_draft(learned, text=later, scheme=scheme)


def test_the_longest_learned_name_is_suggested_on_token_boundaries(scheme):
    decisions = Decisions()
    text = "Kachin Independence Army troops and Kachin villagers"
    decisions.decide(
        text,
        Draft(
            entities=spans(text, ("Kachin Independence Army", "ARMED_GROUP"))
            + spans(text, ("Kachin", "GPE"), occurrence=1)
        ),
    )
    later = "The Kachin Independence Army shelled Kachinland; Kachin leaders fled."
    learned = decisions.lexicon().apply(Draft(), text=later, scheme=scheme)
    leaders = later.index("Kachin leaders")
    assert learned.entities == (
        Span(later.index("Kachin"), later.index(" shelled"), "ARMED_GROUP"),
        Span(leaders, leaders + len("Kachin"), "GPE"),
    )


def test_lexicon_matches_never_overlap_a_decided_span(scheme):
    decisions = Decisions()
    decisions.decide(FIRST, Draft(entities=spans(FIRST, ("Arakan Army", "ARMED_GROUP"))))
    later = "Arakan Army troops left."
    decided = [Span(0, 6, "GPE")]
    assert decisions.lexicon().names_in(later, decided=decided) == []
    assert decisions.lexicon().names_in(later) == [Span(0, 11, "ARMED_GROUP")]


def test_a_suggestion_of_the_same_span_takes_the_learned_label_and_a_shorter_one_gives_way(
    scheme,
):
    decisions = Decisions()
    text = "The Shwe Taung Brotherhood ambushed a convoy."
    shown = Draft(entities=spans(text, ("Shwe Taung Brotherhood", "ORG")))
    decisions.decide(
        text, Draft(entities=spans(text, ("Shwe Taung Brotherhood", "ARMED_GROUP"))), [shown]
    )
    lexicon = decisions.lexicon()
    later = "Residents said the Shwe Taung Brotherhood and the Shwe Taung militia left."
    suggested = Draft(entities=spans(later, ("Shwe Taung Brotherhood", "ORG")))
    learned = lexicon.apply(suggested, text=later, scheme=scheme)
    assert learned.entities == spans(later, ("Shwe Taung Brotherhood", "ARMED_GROUP"))
    # A determiner or a part of the name suggested gives way to the learned name.
    partial = Draft(entities=spans(later, ("the Shwe Taung", "ORG")))
    assert lexicon.apply(partial, text=later, scheme=scheme).entities == learned.entities


def test_a_longer_name_the_lexicon_does_not_know_keeps_its_bounds(scheme):
    decisions = Decisions()
    text = "Kachin leaders met."
    decisions.decide(text, Draft(entities=spans(text, ("Kachin", "GPE"))))
    later = "The Kachin Independence Army withdrew."
    suggested = Draft(entities=spans(later, ("Kachin Independence Army", "ARMED_GROUP")))
    assert decisions.lexicon().apply(suggested, text=later, scheme=scheme) == suggested


def test_a_removed_suggestion_is_not_suggested_again_until_it_is_kept_more_often(scheme):
    decisions = Decisions()
    text = "Residents of Yangon protested."
    wrong = Draft(entities=spans(text, ("Yangon", "ORG")))
    decisions.decide(text, Draft(), [wrong])
    later = "Police in Yangon arrested two."
    suggested = Draft(entities=spans(later, ("Yangon", "ORG"), ("two", "CARDINAL")))
    learned = decisions.lexicon().apply(suggested, text=later, scheme=scheme)
    assert learned.entities == spans(later, ("two", "CARDINAL"))
    # Kept as often as removed: the lexicon has no opinion, the suggestion stands.
    decisions.decide(text, wrong)
    assert decisions.lexicon().apply(suggested, text=later, scheme=scheme) == suggested
    decisions.decide(text, Draft(), [wrong])
    assert decisions.lexicon().apply(suggested, text=later, scheme=scheme) == learned


def test_a_relabelled_suggestion_stops_the_old_label_and_suggests_the_new(scheme):
    decisions = Decisions()
    text = "Kanbe Youth Network leaders were arrested."
    shown = Draft(entities=spans(text, ("Kanbe Youth Network", "PERSON")))
    decisions.decide(text, Draft(entities=spans(text, ("Kanbe Youth Network", "ORG"))), [shown])
    later = "Members of Kanbe Youth Network marched."
    suggested = Draft(entities=spans(later, ("Kanbe Youth Network", "PERSON")))
    learned = decisions.lexicon().apply(suggested, text=later, scheme=scheme)
    assert learned.entities == spans(later, ("Kanbe Youth Network", "ORG"))


def test_the_latest_adjudication_wins_over_every_reviewer(scheme):
    decisions = Decisions()
    text = "Tatmadaw units advanced."
    group = Draft(entities=spans(text, ("Tatmadaw", "ARMED_GROUP")))
    org = Draft(entities=spans(text, ("Tatmadaw", "ORG")))
    for _ in range(3):
        decisions.decide(text, group)
    later = "Tatmadaw officials spoke."
    assert decisions.lexicon().names_in(later) == list(spans(later, ("Tatmadaw", "ARMED_GROUP")))
    decisions.decide(text, org, [group], adjudicated=True)
    for _ in range(2):
        decisions.decide(text, group)
    lexicon = decisions.lexicon()
    assert lexicon.names_in(later) == list(spans(later, ("Tatmadaw", "ORG")))
    suggested = Draft(entities=spans(later, ("Tatmadaw", "ARMED_GROUP")))
    assert lexicon.apply(suggested, text=later, scheme=scheme).entities == spans(
        later, ("Tatmadaw", "ORG")
    )
    # A later adjudication that removes the phrase stops it, however reviewers vote.
    decisions.decide(text, Draft(), [org], adjudicated=True)
    decisions.decide(text, org)
    lexicon = decisions.lexicon()
    assert lexicon.names_in(later) == []
    assert lexicon.apply(suggested, text=later, scheme=scheme) == Draft()


def test_plain_phrases_are_never_added_but_their_corrections_count(scheme):
    decisions = Decisions()
    text = "The military shelled a military camp."
    shown = Draft(entities=spans(text, ("The military", "ARMED_GROUP")))
    decisions.decide(text, Draft(entities=spans(text, ("military", "ARMED_GROUP"))), [shown])
    lexicon = decisions.lexicon()
    later = "The military shelled a military camp again."
    assert lexicon.apply(Draft(), text=later, scheme=scheme) == Draft()
    # "The military" was removed: what is learned inside it takes its place.
    suggested = Draft(entities=spans(later, ("The military", "ARMED_GROUP")))
    assert lexicon.apply(suggested, text=later, scheme=scheme).entities == spans(
        later, ("military", "ARMED_GROUP")
    )


def test_a_name_cut_short_says_nothing_of_the_plain_word(scheme):
    decisions = Decisions()
    text = "Arakan Army troops left."
    shown = Draft(entities=spans(text, ("Army", "ARMED_GROUP")))
    decided = Draft(entities=spans(text, ("Arakan Army", "ARMED_GROUP")))
    decisions.decide(text, decided, [shown])
    later = "The army and the Army of Arakan left."
    suggested = Draft(entities=spans(later, ("army", "ARMED_GROUP"), ("Army", "ARMED_GROUP")))
    learned = decisions.lexicon().apply(suggested, text=later, scheme=scheme)
    assert learned.entities == spans(later, ("army", "ARMED_GROUP"))


def test_event_triggers_are_stopped_when_removed_and_never_added(scheme):
    decisions = Decisions()
    text = "Protesters said the army fired shots."
    wrong = Span(text.index("said"), text.index(" the"), "MEETING")
    fired = Span(text.index("fired"), text.index(" shots"), "ARMED_CLASH")
    decisions.decide(text, Draft(events=(fired,)), [Draft(events=(wrong,))])
    later = "Villagers said troops fired on them."
    suggested = Draft(events=(Span(later.index("said"), later.index(" troops"), "MEETING"),))
    assert decisions.lexicon().apply(suggested, text=later, scheme=scheme) == Draft()


def test_event_arguments_follow_their_spans(scheme):
    decisions = Decisions()
    text = "Shwe Taung Brotherhood fighters ambushed a convoy."
    shown = Draft(entities=spans(text, ("Shwe Taung Brotherhood", "GPE")))
    decisions.decide(
        text, Draft(entities=spans(text, ("Shwe Taung Brotherhood", "ARMED_GROUP"))), [shown]
    )
    later = "Shwe Taung Brotherhood fighters attacked Hsipaw."
    (group, place) = spans(later, ("Shwe Taung Brotherhood", "GPE"), ("Hsipaw", "GPE"))
    attack = Span(later.index("attacked"), later.index(" Hsipaw"), "ARMED_CLASH")
    suggested = Draft(
        entities=(group, place),
        events=(attack,),
        arguments=(
            Argument(attack, "LOCATION", group),
            Argument(attack, "LOCATION", place),
        ),
    )
    learned = decisions.lexicon().apply(suggested, text=later, scheme=scheme)
    # A group is no LOCATION: that argument went with the label; the place's stays.
    assert learned.arguments == (Argument(attack, "LOCATION", place),)
    check_draft(learned, text=later, scheme=scheme)
    actor = Draft(
        entities=(group, place), events=(attack,), arguments=(Argument(attack, "ACTOR", group),)
    )
    relabelled = decisions.lexicon().apply(actor, text=later, scheme=scheme)
    assert relabelled.arguments == (
        Argument(attack, "ACTOR", Span(group.start_char, group.end_char, "ARMED_GROUP")),
    )


def test_an_empty_lexicon_changes_nothing(scheme: LabelScheme):
    suggested = Draft(entities=spans(FIRST, ("Arakan", "ORG")))
    assert GoldLexicon().apply(suggested, text=FIRST, scheme=scheme) is suggested


@pytest.mark.slow
def test_the_real_suggester_with_a_lexicon_suggests_what_reviewers_taught_it(
    suggester: Suggester, scheme: LabelScheme
):
    first = "Gunmen from the Black Lotus attacked the village of Nyaung Bin."
    later = "The Black Lotus denied it, and the Shwe Taung Brotherhood said nothing."
    plain = suggester.suggest_one(later)
    assert [span.text_in(later) for span in plain.entities] in (
        [],
        ["Shwe Taung Brotherhood"],
    ), "the default suggester learned these names; pick others the test can teach"
    decisions = Decisions()
    shown = Draft(entities=suggester.suggest_one(first).entities)
    decided = Draft(
        entities=tuple(s for s in shown.entities if s.text_in(first) != "Black Lotus")
        + spans(first, ("Black Lotus", "ARMED_GROUP"))
    )
    decisions.decide(first, decided, [shown])
    brotherhood = "The Shwe Taung Brotherhood ambushed a convoy."
    decisions.decide(
        brotherhood,
        Draft(entities=spans(brotherhood, ("Shwe Taung Brotherhood", "ARMED_GROUP"))),
        [Draft(entities=suggester.suggest_one(brotherhood).entities)],
    )
    learning = learned_suggester(suggester, decisions.lexicon())
    assert (learning.model_name, learning.model_version) == (
        suggester.model_name,
        suggester.model_version,
    )
    found = learning.suggest_one(later)
    assert {(span.text_in(later), span.label) for span in found.entities} >= {
        ("Black Lotus", "ARMED_GROUP"),
        ("Shwe Taung Brotherhood", "ARMED_GROUP"),
    }
    (batched,) = list(learning.suggest([later]))
    assert batched == found
    assert learned_suggester(suggester, GoldLexicon()) is suggester
