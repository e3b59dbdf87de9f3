"""Event triggers and categories of coder-written notes, through the real pipeline: who acted and
who was hit decide the label, and the whole sentence decides the category."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from annotator.config import DEFAULT_PATTERNS
from annotator.labels import LabelScheme
from annotator.nlp.suggest import Suggester, SuggesterError, categories_for, load_suggester
from annotator.spans import Span


def events_of(suggester: Suggester, text: str) -> set[tuple[str, str]]:
    return {(span.text_in(text), span.label) for span in suggester.suggest_one(text).events}


def categories_of(suggester: Suggester, text: str) -> tuple[str, ...]:
    return suggester.suggest_one(text).categories


# --- without the model --------------------------------------------------------------------


def test_a_cause_gives_the_category_only_when_the_events_give_none(scheme: LabelScheme) -> None:
    killed = Span(0, 6, "CASUALTIES")
    by_troops = Span(0, 6, "ATTACK_ON_CIVILIANS")
    assert categories_for([killed], scheme=scheme) == ()
    assert categories_for([killed], scheme=scheme, causes=[by_troops]) == (
        "VIOLENCE_AGAINST_CIVILIANS",
    )
    strike = Span(10, 19, "REMOTE_VIOLENCE")
    assert categories_for([strike, killed], scheme=scheme, causes=[by_troops]) == (
        "EXPLOSIONS_REMOTE_VIOLENCE",
    )


def test_a_riot_trigger_implies_riots(scheme: LabelScheme) -> None:
    assert categories_for([Span(0, 7, "RIOT")], scheme=scheme) == ("RIOTS",)


@pytest.fixture
def patterns(tmp_path: Path) -> Path:
    copy = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS, copy)
    return copy


@pytest.mark.slow
def test_a_missing_word_list_is_named(scheme: LabelScheme, patterns: Path) -> None:
    lexicon = json.loads((patterns / "lexicon.json").read_text(encoding="utf-8"))
    del lexicon["crowd_actors"]
    (patterns / "lexicon.json").write_text(json.dumps(lexicon), encoding="utf-8")
    with pytest.raises(SuggesterError, match=r"lexicon.json.*crowd_actors"):
        load_suggester(scheme=scheme, patterns_dir=patterns)


@pytest.mark.slow
def test_an_unknown_resolve_is_named(scheme: LabelScheme, patterns: Path) -> None:
    with (patterns / "events.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"label": "RIOT", "pattern": [{"LEMMA": "loot"}], "resolve": "crowd"}\n')
    with pytest.raises(SuggesterError, match=r"unknown resolve 'crowd'"):
        load_suggester(scheme=scheme, patterns_dir=patterns)


# --- the attack and the clash are told apart by the target --------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "trigger", "label"),
    [
        (
            "On 6 June 2024, ADF rebels attacked Kisunga village, killing 9 villagers.",
            "attacked",
            "ATTACK_ON_CIVILIANS",
        ),
        (
            "On 3 May 2024, KIA troops attacked a junta outpost near Waingmaw, killing 6 soldiers.",
            "attacked",
            "ARMED_CLASH",
        ),
        (
            "On 9 March 2024, in Shwebo township, police fired at villagers, injuring 3.",
            "fired",
            "ATTACK_ON_CIVILIANS",
        ),
        (
            "On 2 April 2024, Houthi forces fired on Security Belt forces in Kersh.",
            "fired",
            "ARMED_CLASH",
        ),
        (
            "On 3 May 2023, in Kyauk Ta Lone village, Myaing township, PDF fighters attacked a "
            "police outpost.",
            "attacked",
            "ARMED_CLASH",
        ),
        (
            "On 1 July 2023, soldiers shot and killed 2 farmers in Tabayin township.",
            "shot",
            "ATTACK_ON_CIVILIANS",
        ),
        (
            "On 3 September 2023, in Celaya, gunmen opened fire on customers at a bar, killing 6.",
            "opened fire",
            "ATTACK_ON_CIVILIANS",
        ),
        (
            "On 8 May 2024, gang members ambushed police officers near Laboule, killing 2.",
            "ambushed",
            "ARMED_CLASH",
        ),
    ],
)
def test_who_was_attacked_decides_the_label(
    suggester: Suggester, text: str, trigger: str, label: str
) -> None:
    assert (trigger, label) in events_of(suggester, text)


# --- the violence verbs -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        (
            "On 7 March 2024, unidentified gunmen shot dead a local administrator in Myingyan.",
            "shot",
        ),
        ("On 17 August 2023, soldiers beat a villager in Pale township.", "beat"),
        ("On 21 June 2023, a man was beaten by soldiers in Tamu township.", "beaten"),
        ("On 17 August 2023, soldiers tortured a villager in Pale township.", "tortured"),
        ("On 28 April 2024, a man was stabbed by unidentified men in Mogadishu.", "stabbed"),
        ("On 19 April 2024, 2 farmers were hacked to death by herders in Guma LGA.", "hacked"),
        ("On 15 April 2024, soldiers raped a woman in Minbya township.", "raped"),
        (
            "On 14 February 2024, gunmen abducted 11 passengers on the Abuja-Kaduna road.",
            "abducted",
        ),
        ("On 5 May 2024, bandits kidnapped 20 travellers in Zurmi LGA.", "kidnapped"),
        ("On 10 January 2024, militants set a school on fire in Gwoza LGA.", "set"),
        ("On 2 September 2023, Al Shabaab militants executed 2 men in Hodan district.", "executed"),
    ],
)
def test_violence_against_civilians_is_found(suggester: Suggester, text: str, trigger: str) -> None:
    suggestion = suggester.suggest_one(text)
    assert (trigger, "ATTACK_ON_CIVILIANS") in events_of(suggester, text)
    assert "VIOLENCE_AGAINST_CIVILIANS" in suggestion.categories


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "On 21 March 2024, police fired tear gas at protesters in Kinshasa.",
        "On 27 February 2024, police fired into the air in Hodan district.",
        "On 9 May 2024, PDF fighters shot down a military helicopter near Kalay.",
        "On 26 March 2024, soldiers arrested a cartel leader and seized 4 assault rifles.",
    ],
)
def test_shots_that_hit_no_one_are_no_attack(suggester: Suggester, text: str) -> None:
    labels = {label for _, label in events_of(suggester, text)}
    assert not labels & {"ATTACK_ON_CIVILIANS", "ARMED_CLASH"}


# --- a crowd's violence is a riot ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("On 5 June 2023, a mob lynched a man accused of theft in Kasarani.", "lynched"),
        ("On 2 June 2024, students rioted in Dhaka over the quota system.", "rioted"),
        ("On 27 March 2024, a crowd pelted stones at police officers in Goma.", "pelted"),
        ("On 30 November 2023, rioters burned a police station in Bunia.", "burned"),
        (
            "On 14 March 2024, PTI supporters and police clashed outside the court in Jhelum.",
            "clashed",
        ),
        ("On 21 March 2024, protesters clashed with police in Kinshasa.", "clashed"),
        ("On 2 May 2024, clashes broke out between students and police in Dhaka.", "clashes"),
        ("On 9 July 2023, residents attacked and burned the gendarmerie post in Kati.", "attacked"),
        ("On 23 March 2024, students threw stones at police in Lagos.", "threw"),
    ],
)
def test_a_crowds_violence_is_a_riot(suggester: Suggester, text: str, trigger: str) -> None:
    assert (trigger, "RIOT") in events_of(suggester, text)
    assert "RIOTS" in categories_of(suggester, text)


@pytest.mark.slow
def test_the_same_acts_by_an_armed_group_are_no_riot(suggester: Suggester) -> None:
    text = "On 17 May 2024, junta troops attacked a village in Yinmabin and burned 40 houses."
    found = events_of(suggester, text)
    assert ("attacked", "ATTACK_ON_CIVILIANS") in found and (
        "burned",
        "ATTACK_ON_CIVILIANS",
    ) in found
    assert "RIOTS" not in categories_of(suggester, text)


@pytest.mark.slow
def test_riot_police_are_no_riot(suggester: Suggester) -> None:
    text = "On 4 May 2024, riot police dispersed a rally in Nairobi."
    assert ("riot", "RIOT") not in events_of(suggester, text)
    assert ("rally", "PROTEST") in events_of(suggester, text)


# --- categories from the whole sentence ---------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "On 12 February 2024, 2 civilians were killed by junta troops in Kalay township.",
            "VIOLENCE_AGAINST_CIVILIANS",
        ),
        (
            "On 18 June 2024, armed men killed a farmer in Bokkos LGA (Plateau).",
            "VIOLENCE_AGAINST_CIVILIANS",
        ),
        (
            "On 29 September 2023, Pakistani troops killed 3 TTP militants in North Waziristan.",
            "BATTLES",
        ),
        ("On 8 May 2024, a man accused of theft was killed by a mob in Kano.", "RIOTS"),
        (
            "On 3 May 2023, in Kyauk Ta Lone village, Myaing township (Magway Region), PDF "
            "fighters killed 4 soldiers and injured 3 others.",
            "BATTLES",
        ),
        (
            "On 28 December 2023, RSF fighters looted the central market in Wad Madani.",
            "STRATEGIC_DEVELOPMENTS",
        ),
    ],
)
def test_a_note_without_a_categorised_event_takes_its_category_from_the_sentence(
    suggester: Suggester, text: str, category: str
) -> None:
    assert categories_of(suggester, text) == (category,)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "On 9 March 2024, a military airstrike hit Ywar Thit village, killing 6 civilians.",
            "EXPLOSIONS_REMOTE_VIOLENCE",
        ),
        (
            "On 25 February 2024, 5 people were killed in fighting between the KIA and troops.",
            "BATTLES",
        ),
        (
            "On 3 March 2024, 2,000 villagers fled after junta troops raided Zee Pin Twin village.",
            "VIOLENCE_AGAINST_CIVILIANS",
        ),
        (
            "On 12 June 2024, about 3,000 people were displaced by shelling in Demoso township.",
            "EXPLOSIONS_REMOTE_VIOLENCE",
        ),
    ],
)
def test_casualties_and_displacement_add_no_category_beside_their_cause(
    suggester: Suggester, text: str, category: str
) -> None:
    assert categories_of(suggester, text) == (category,)


@pytest.mark.slow
def test_a_notes_trailing_bracket_keeps_its_triggers(suggester: Suggester) -> None:
    text = (
        "On 3 May 2023, in Kyauk Ta Lone village, Myaing township (Magway Region), military "
        "troops shot and killed 2 civilians. [size=no report]"
    )
    assert events_of(suggester, text) == {
        ("shot", "ATTACK_ON_CIVILIANS"),
        ("killed", "CASUALTIES"),
    }
    assert categories_of(suggester, text) == ("VIOLENCE_AGAINST_CIVILIANS",)
