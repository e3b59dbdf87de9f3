"""Tokens and sentences of the blank pipeline: Burmese punctuation as well as English."""

from __future__ import annotations

import pytest

from annotator.tokens import blank_english, split_reports, split_sentences, token_bounds

# "Junta troops burned the village, and three people died. The villagers fled."
BURMESE = "စစ်တပ်က ရွာကို မီးရှို့ခဲ့ပြီး၊ လူ ၃ ဦး သေဆုံးခဲ့သည်။ ရွာသားများ ထွက်ပြေးကြသည်။"


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def words(text: str) -> list[str]:
    return [text[start:end] for start, end in token_bounds(text)]


def test_a_burmese_sentence_ends_at_its_full_stop():
    assert sentences(BURMESE) == [
        "စစ်တပ်က ရွာကို မီးရှို့ခဲ့ပြီး၊ လူ ၃ ဦး သေဆုံးခဲ့သည်။",
        "ရွာသားများ ထွက်ပြေးကြသည်။",
    ]


def test_a_burmese_full_stop_ends_a_sentence_without_a_space_after_it():
    text = BURMESE.replace("။ ", "။")
    assert sentences(text) == [
        "စစ်တပ်က ရွာကို မီးရှို့ခဲ့ပြီး၊ လူ ၃ ဦး သေဆုံးခဲ့သည်။",
        "ရွာသားများ ထွက်ပြေးကြသည်။",
    ]


@pytest.mark.parametrize("comma", ["၊", " ၊"])
def test_the_burmese_comma_stays_inside_its_sentence(comma):
    text = f"မီးရှို့ခဲ့ပြီး{comma} လူ ၃ ဦး သေဆုံးခဲ့သည်။"
    assert sentences(text) == [text]


def test_burmese_punctuation_is_a_token_of_its_own():
    # So that the last word of a sentence, or the one before a comma, can be marked alone.
    assert words("မီးရှို့ခဲ့ပြီး၊ သေဆုံးခဲ့သည်။") == ["မီးရှို့ခဲ့ပြီး", "၊", "သေဆုံးခဲ့သည်", "။"]
    assert words("သည်။ရွာ") == ["သည်", "။", "ရွာ"]


def test_reports_of_mixed_scripts_split_together_as_each_alone():
    texts = [BURMESE, "Troops shelled the town. Three died.", BURMESE.replace("။ ", "။\n")]
    assert split_reports(texts) == [split_sentences(text) for text in texts]
    assert sentences(texts[1]) == ["Troops shelled the town.", "Three died."]


@pytest.mark.parametrize(
    "bracket", ["[size=no report]", "[size=around 200]", "[1 fatality]", "(Kaduna)"]
)
def test_a_notes_trailing_bracket_stays_with_its_sentence(bracket):
    note = f"On 3 May 2023, in Kyauk Ta Lone village, troops shot two civilians. {bracket}"
    assert sentences(note) == [note]


def test_the_sentence_after_a_bracket_begins_after_it():
    text = "Troops shelled the town. [size=no report] Three people died. [size=3]"
    assert sentences(text) == [
        "Troops shelled the town. [size=no report]",
        "Three people died. [size=3]",
    ]


def test_every_note_on_its_line_keeps_its_bracket():
    text = "Troops shelled the town. [size=no report]\nGunmen abducted 11 passengers. [size=11]"
    assert sentences(text) == [
        "Troops shelled the town. [size=no report]",
        "Gunmen abducted 11 passengers. [size=11]",
    ]


def test_a_bracket_holding_a_sentence_is_a_sentence_of_its_own():
    text = "Troops shelled the town. (The army denied it.) Three people died."
    assert sentences(text) == [
        "Troops shelled the town.",
        "(The army denied it.)",
        "Three people died.",
    ]


def test_an_unclosed_bracket_opens_the_next_sentence():
    text = "Troops shelled the town. [size=no"
    assert sentences(text) == ["Troops shelled the town.", "[size=no"]


def test_a_coders_key_value_bracket_splits_at_the_equals_sign():
    # "[size=50]": the count in it sits on token boundaries, so it can be marked.
    text = "Around 50 farmers protested in Lashio. [size=50]"
    start = text.index("50]")
    assert (start, start + 2) in token_bounds(text)
    assert [t.text for t in blank_english()("a=b")] == ["a", "=", "b"]
