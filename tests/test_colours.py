"""The colour maths against published values: WCAG 2.x contrast and Sharma's CIEDE2000 data."""

from __future__ import annotations

import pytest

from annotator.colours import (
    BLACK,
    WHITE,
    channels,
    ciede2000,
    contrast_ratio,
    delta_e,
    lab,
    mix,
    relative_luminance,
)

# Sharma, Wu and Dalal (2005), table 1: the 34 test pairs of the CIEDE2000 formula, which
# exercise its hue wrap-around and achromatic branches.
SHARMA_2005 = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -1.1848, -84.8006), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -0.9009, -85.5211), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0010), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0010, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    ((50.0000, 2.5000, 0.0000), (50.0000, 0.0000, -2.5000), 4.3065),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2972, 0.0000), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 1.8634, 0.5757), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def test_black_on_white_is_21_to_1_whichever_way_round():
    assert relative_luminance(WHITE) == pytest.approx(1.0)
    assert relative_luminance(BLACK) == 0.0
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast_ratio("#3a86ff", "#3a86ff") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("grey", "ratio"),
    [
        ("#777777", 4.48),  # the grey that just fails WCAG AA on white
        ("#767676", 4.54),  # the lightest grey that passes it
        ("#595959", 7.0),  # AAA
    ],
)
def test_greys_on_white_have_their_published_contrast(grey, ratio):
    assert contrast_ratio(grey, WHITE) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize(("first", "second", "expected"), SHARMA_2005)
def test_ciede2000_matches_sharma_2005(first, second, expected):
    assert ciede2000(first, second) == pytest.approx(expected, abs=5e-5)
    assert ciede2000(second, first) == pytest.approx(expected, abs=5e-5)


def test_srgb_to_lab_matches_lindbloom():
    assert lab("#ff0000") == pytest.approx((53.2408, 80.0925, 67.2032), abs=1e-3)
    assert lab(WHITE) == pytest.approx((100.0, 0.0, 0.0), abs=1e-3)
    assert lab(BLACK) == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)


def test_delta_e_is_zero_for_one_colour_and_large_for_opposites():
    assert delta_e("#118ab2", "#118ab2") == 0.0
    assert delta_e(BLACK, WHITE) == pytest.approx(100.0)


def test_mix_is_css_color_mix_in_srgb():
    assert mix(BLACK, WHITE, share=0.5) == "#808080"
    assert mix("#ff0000", WHITE, share=0.2) == "#ffcccc"
    assert mix("#123456", WHITE, share=1) == "#123456"
    with pytest.raises(ValueError, match="share"):
        mix(BLACK, WHITE, share=1.5)


@pytest.mark.parametrize("bad", ["red", "#fff", "#gggggg", "123456", "#1234567"])
def test_only_rrggbb_colours_are_read(bad):
    with pytest.raises(ValueError, match="#rrggbb"):
        channels(bad)
