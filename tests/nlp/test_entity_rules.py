"""The entity conventions of coder-written event notes, through the default suggester.

Places: a name and the admin word after it are one GPE whatever the word's case, names in
brackets are spans of their own, hyphenated names are whole, a place the gazetteer knows is never
a person or an organisation. Armed units keep their numbers; ranges of counts are one count.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from annotator.nlp.gazetteer import load_gazetteer, place_key
from annotator.nlp.suggest import Suggester


def entities(suggester: Suggester, text: str) -> set[tuple[str, str]]:
    return {(span.text_in(text), span.label) for span in suggester.suggest_one(text).entities}


# --- the gazetteer, without the pipeline --------------------------------------------------


def test_gazetteer_reads_the_installed_packages_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the gazetteer opened a connection")

    monkeypatch.setattr(socket, "socket", no_network)
    gazetteer = load_gazetteer.__wrapped__()  # uncached: really read the packages now
    assert len(gazetteer) > 50_000
    assert gazetteer.kind("Myanmar") == "country"
    assert gazetteer.kind("Kaduna") == "admin"  # a Nigerian state (pycountry), and its city
    assert gazetteer.kind("Kherson") == "city"  # GeoNames
    assert gazetteer.kind("Africa") == "region"
    assert gazetteer.kind("Sein Pan Gyi") is None


def test_gazetteer_is_read_once_per_process() -> None:
    assert load_gazetteer() is load_gazetteer()


def test_place_names_match_without_accents_apostrophes_or_hyphens() -> None:
    gazetteer = load_gazetteer()
    assert place_key("Tillabéri") == place_key("Tillaberi") == "tillaberi"
    assert place_key("Mrauk-U") == "mrauk u"
    assert gazetteer.kind("Ma’rib") == gazetteer.kind("Marib") == "admin"


# --- places -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "place"),
    [
        (
            "On 3 May 2023, soldiers raided Kyauk Ta Lone village, killing 2 men.",
            "Kyauk Ta Lone village",
        ),
        ("On 3 May 2023, troops torched houses in Myaing township.", "Myaing township"),
        ("On 3 May 2023, troops torched houses in Myaing Township.", "Myaing Township"),
        ("On 9 May 2024, gunmen killed 4 farmers in Maru LGA.", "Maru LGA"),
        ("On 30 May 2023, Russian forces shelled Beryslav in Kherson oblast.", "Kherson oblast"),
        (
            "On 4 June 2023, drones hit Ywar Thit village tract overnight.",
            "Ywar Thit village tract",
        ),
        ("On 7 June 2023, militants attacked Kidal town at dawn.", "Kidal town"),
    ],
)
def test_a_name_and_its_admin_word_are_one_place_whatever_the_case(
    suggester: Suggester, text: str, place: str
) -> None:
    found = entities(suggester, text)
    assert (place, "GPE") in found
    name = place.rsplit(" ", 2 if place.endswith("village tract") else 1)[0]
    assert not any(words == name for words, _ in found)


@pytest.mark.slow
def test_kachin_state_is_a_place_not_an_organisation(suggester: Suggester) -> None:
    text = "On 5 June 2023, KIA fighters clashed with military troops near Hpakant, Kachin State."
    found = entities(suggester, text)
    assert ("Kachin State", "GPE") in found
    assert ("Kachin State", "ORG") not in found


@pytest.mark.slow
def test_names_in_brackets_are_places_of_their_own(suggester: Suggester) -> None:
    text = (
        "On 14 February 2024, gunmen abducted 11 passengers in Chikun LGA (Kaduna) and 3 more "
        "in Myaing Township (Magway Region)."
    )
    found = entities(suggester, text)
    assert {("Chikun LGA", "GPE"), ("Kaduna", "GPE")} <= found
    assert {("Myaing Township", "GPE"), ("Magway Region", "GPE")} <= found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "place"),
    [
        (
            "On 9 January 2024, the Arakan Army captured a base in Mrauk-U District.",
            "Mrauk-U District",
        ),
        ("On 9 January 2024, the army arrested 3 men in Mrauk-U township.", "Mrauk-U township"),
        ("On 8 October 2023, soldiers shot dead a monk in Hpa-an township.", "Hpa-an township"),
    ],
)
def test_hyphenated_names_are_whole(suggester: Suggester, text: str, place: str) -> None:
    found = entities(suggester, text)
    assert (place, "GPE") in found
    assert not any(
        label == "GPE" and place.endswith(words) and words != place for words, label in found
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("On 1 March 2024, Houthi forces shelled farms near Taiz, wounding 2 children.", "Taiz"),
        (
            "On 2 August 2023, police in Pune (Maharashtra) arrested 3 suspected ISIS members.",
            "Pune",
        ),
        (
            "On 23 October 2023, gunmen shot a vaccinator in Tank, Khyber Pakhtunkhwa.",
            "Khyber Pakhtunkhwa",
        ),
        (
            "On 3 December 2023, soldiers killed 3 militants in Jammu and Kashmir.",
            "Jammu and Kashmir",
        ),
    ],
)
def test_a_known_place_is_never_a_person_or_an_organisation(
    suggester: Suggester, text: str, place: str
) -> None:
    found = entities(suggester, text)
    assert (place, "GPE") in found
    assert not any(label in {"PERSON", "ORG"} and place in words for words, label in found)


@pytest.mark.slow
def test_a_plural_admin_word_names_no_single_place(suggester: Suggester) -> None:
    text = "On 2 May 2024, the Arakan Army attacked outposts in Kyauktaw and Mrauk-U townships."
    found = entities(suggester, text)
    assert {("Kyauktaw", "GPE"), ("Mrauk-U", "GPE")} <= found


@pytest.mark.slow
def test_state_media_is_no_state(suggester: Suggester) -> None:
    text = "Myanmar state media said 14 soldiers were killed."
    assert not any(words.endswith("state") for words, _ in entities(suggester, text))


# --- armed units and counts ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("On 12 March 2024, troops from LIB 538 torched 40 houses.", "LIB 538"),
        ("On 11 April 2024, IB 54 raided a village near Kani.", "IB 54"),
        (
            "On 11 April 2024, Light Infantry Battalion 55 raided a village.",
            "Light Infantry Battalion 55",
        ),
        (
            "On 20 April 2024, battalions 405 and 410 shelled Thit Tone village.",
            "battalions 405 and 410",
        ),
        (
            "On 2 May 2024, the 33rd Light Infantry Division attacked Nyaung Kan.",
            "33rd Light Infantry Division",
        ),
    ],
)
def test_a_unit_name_is_one_armed_group(suggester: Suggester, text: str, unit: str) -> None:
    found = entities(suggester, text)
    assert (unit, "ARMED_GROUP") in found
    inside = {(words, label) for words, label in found if words in unit and words != unit}
    assert not inside


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("On 13 June 2023, RSF shelled El Fasher, killing 10-15 civilians.", "10-15"),
        ("On 7 July 2023, between 10 and 15 people were killed in Ardamata.", "between 10 and 15"),
        (
            "On 4 March 2024, soldiers shot residents of Tanwoko, killing between 25 and 30.",
            "between 25 and 30",
        ),
        ("On 2 August 2023, at least 12 villagers were abducted by bandits.", "at least 12"),
        ("On 4 September 2023, around 200 people protested in Culiacan.", "around 200"),
    ],
)
def test_ranges_and_qualified_counts_are_one_count(
    suggester: Suggester, text: str, count: str
) -> None:
    found = entities(suggester, text)
    assert (count, "CARDINAL") in found
    assert not any(words in count and words != count for words, _ in found)


@pytest.mark.slow
def test_unidentified_gunmen_are_one_armed_group(suggester: Suggester) -> None:
    text = "On 6 May 2023, unidentified gunmen shot dead a ward administrator in Hlaing Tharyar."
    assert ("unidentified gunmen", "ARMED_GROUP") in entities(suggester, text)


@pytest.mark.slow
def test_an_organisation_that_attacks_is_an_armed_group(suggester: Suggester) -> None:
    # No pattern knows 'KDA': the verb says what it is, and the note's other mention follows.
    text = "On 4 May 2024, the KDA ambushed a police patrol near Kani; 2 KDA members were killed."
    found = suggester.suggest_one(text).entities
    assert [span.label for span in found if span.text_in(text) == "KDA"] == ["ARMED_GROUP"] * 2
    assert ("2", "CARDINAL") in entities(suggester, text)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "date"),
    [
        (
            "On the night of 9 March 2024, an airstrike hit Ywar Thit village.",
            "the night of 9 March 2024",
        ),
        ("On 3-4 May 2023, junta troops raided Kyauk village.", "3-4 May 2023"),
        (
            "On 15 January 2024, ARSA members abducted 2 men, who were found dead the next day.",
            "the next day",
        ),
    ],
)
def test_the_part_of_the_day_and_the_days_belong_to_the_date(
    suggester: Suggester, text: str, date: str
) -> None:
    found = entities(suggester, text)
    assert (date, "DATE") in found
    assert not any(words in date and words != date for words, _ in found)
