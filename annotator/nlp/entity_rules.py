"""The ``conflict_entities`` component: the statistical pipeline's names mapped onto the scheme,
with the armed groups, places, dates and counts the guideline asks for (labels/conflict.yml).

Places the gazetteer knows (annotator/nlp/gazetteer.py) are places whatever NER called them; the
word lists, the admin words among them, are ``labels/patterns/lexicon.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans

from annotator.config import DEFAULT_PATTERNS
from annotator.nlp.gazetteer import Gazetteer, PlaceKind, load_gazetteer, place_key
from annotator.nlp.rules import lemma_lower, read_lexicon

# OntoNotes labels of the English pipelines, mapped onto the default scheme; others are dropped.
ONTONOTES_TO_SCHEME: dict[str, str] = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "GPE",
    "LOC": "LOC",
    "FAC": "FAC",
    "DATE": "DATE",
    "CARDINAL": "CARDINAL",
}
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those"})
# Labels that a place's name may carry when NER got it wrong; never an armed group, date or count.
_NAME_LABELS = frozenset(
    {"GPE", "LOC", "PERSON", "ORG", "NORP", "FAC", "WORK_OF_ART", "PRODUCT", "EVENT", "LAW"}
)
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)", re.IGNORECASE)
_DASHES = frozenset({"-", "–", "—"})


@Language.factory("conflict_entities", default_config={"patterns_dir": str(DEFAULT_PATTERNS)})
def make_conflict_entities(nlp: Language, name: str, patterns_dir: str) -> ConflictEntities:
    """The factory of the entity rule component."""
    return ConflictEntities(read_lexicon(Path(patterns_dir)))


class ConflictEntities:
    """Map OntoNotes entities onto the scheme and apply the annotation conventions."""

    def __init__(self, lexicon: dict[str, frozenset[str]]) -> None:
        self.lex = lexicon
        self.titles = lexicon["titles"] | {title.rstrip(".") for title in lexicon["titles"]}
        self.count_modifiers = sorted(
            (tuple(words.split()) for words in lexicon["count_modifiers"]), key=len, reverse=True
        )
        # 'village tract' is two tokens, 'sub-district' three; plurals ('townships') name no
        # single place and are _add_place_noun_names' business.
        self.admin_words = _phrases(lexicon["admin_words"])
        self.admin_plurals = _phrases(_plural(word) for word in lexicon["admin_words"])
        acronyms = "|".join(sorted(map(re.escape, lexicon["unit_acronyms"])))
        self.unit_acronym = re.compile(rf"({acronyms})(-\d+)?")
        self.place_variants = [
            tuple(pair.split()) for pair in sorted(lexicon["place_word_variants"])
        ]
        self._gazetteer: Gazetteer | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        """The place gazetteer, read on first use (once per process, see load_gazetteer)."""
        if self._gazetteer is None:
            self._gazetteer = load_gazetteer()
        return self._gazetteer

    def __call__(self, doc: Doc) -> Doc:
        ents = [self._trim(doc, [ent.start, ent.end, ent.label_]) for ent in doc.ents]
        ents = [ent for ent in ents if ent[0] < ent[1] and self._is_named(doc, ent)]
        ents = self._split_lists(doc, ents)
        ents = self._join_name_parts(doc, ents)
        ents = self._add_titled_persons(doc, ents)
        for ent in ents:
            self._relabel(doc, ent)
        ents = self._add_units(doc, ents)
        ents = self._add_known_places(doc, ents)
        ents = self._join_organisations(doc, ents)
        ents = self._add_admin_units(doc, ents)
        ents = _join_contiguous(ents, label="GPE")
        ents = self._add_facilities(doc, ents)
        ents = self._add_lowercase_facilities(doc, ents)
        ents = self._add_geographic_places(doc, ents)
        ents = self._extend_places(doc, ents)
        ents = self._add_place_noun_names(doc, ents)
        ents = self._add_bracketed_places(doc, ents)
        ents = self._add_located_places(doc, ents)
        ents = self._add_armed_groups(doc, ents)
        ents = self._arm_violent_actors(doc, ents)
        ents = self._add_unit_numbers(doc, ents)
        ents = self._add_bracketed_acronyms(doc, ents)
        ents = self._join_days_to_months(doc, ents)
        ents = self._fix_dates(doc, ents)
        ents = self._fix_counts(doc, ents)
        ents = self._add_bare_counts(doc, ents)
        ents = self._join_count_ranges(doc, ents)
        ents = [ent for ent in ents if not self._is_demonym(doc, ent)]
        for ent in ents:
            if ent[2] == "CARDINAL":
                ent[0] = self._count_start(doc, ent[0])
        spans = [
            SpacySpan(doc, start, end, label=ONTONOTES_TO_SCHEME.get(label, label))
            for start, end, label in ents
            if start < end and (label in ONTONOTES_TO_SCHEME or label == "ARMED_GROUP")
        ]
        doc.ents = filter_spans(spans)
        return doc

    def _is_named(self, doc: Doc, ent: list[Any]) -> bool:
        """Names are capitalised: NER's lowercase 'defence ministry' is not a name."""
        if ent[2] in {"DATE", "CARDINAL", "ARMED_GROUP", "TIME", "ORDINAL"}:
            return True
        return any(t.is_title or t.is_upper or t.like_num for t in doc[ent[0] : ent[1]])

    def _split_lists(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Pauk Township, Magway Region', 'Port-au-Prince's Delmas': two places, not one."""
        result: list[list[Any]] = []
        for start, end, label in _split_at_brackets(doc, _split_quantities(doc, ents)):
            if label == "DATE":
                result.extend(self._split_date(doc, start, end))
                continue
            if label not in {"GPE", "LOC", "ORG", "PERSON"}:
                result.append([start, end, label])
                continue
            joints = {",", "'s", "’s"} if label == "GPE" else {","}
            cuts = [
                i
                for i in range(start + 1, end - 1)
                if doc[i].text in joints and doc[i + 1].is_title
            ]
            if not cuts:
                result.append([start, end, label])
                continue
            if label != "GPE" and self._after_locative(doc, start):
                label = "GPE"
            bounds = [start, *cuts, end]
            for first, last in zip(bounds, bounds[1:], strict=False):
                first = first + 1 if first in cuts else first
                if first < last:
                    result.append([first, last, label])
        return result

    def _split_date(self, doc: Doc, start: int, end: int) -> list[list[Any]]:
        """'June 27, ending months': a date does not run on over a comma, unless to a year."""
        for i in range(start + 1, end - 1):
            if doc[i].text == "," and not doc[i + 1].like_num:
                rest = i + 1
                while rest < end and doc[rest].pos_ in {"VERB", "ADP", "DET", "CCONJ"}:
                    rest += 1
                return [[start, i, "DATE"], *([[rest, end, "DATE"]] if rest < end else [])]
        return [[start, end, "DATE"]]

    def _join_name_parts(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Hpa-an', 'Mocimboa da Praia': hyphens and particles inside one name."""
        owner = _owners(doc, ents)
        for ent in ents:
            if ent[2] not in {"GPE", "LOC", "PERSON", "FAC"}:
                continue
            while ent[1] + 1 < len(doc):
                joint, following = doc[ent[1]], doc[ent[1] + 1]
                other = owner.get(ent[1] + 1)
                if other is not None and (other is ent or other[1] - other[0] > 1):
                    break
                hyphenated = (
                    joint.text == "-"
                    and not doc[ent[1] - 1].whitespace_
                    and not joint.whitespace_
                    and following.is_alpha
                    and following.lower_ not in self.lex["group_modifiers"]
                    and following.lower_ not in self.lex["hyphen_suffixes"]
                )
                particle = joint.lower_ in self.lex["name_particles"] and following.is_title
                if not (hyphenated or particle) or owner.get(ent[1]) is not None:
                    break
                ents = [e for e in ents if e is not other]
                ent[1] += 2
                owner = _owners(doc, ents)
        return ents

    def _add_titled_persons(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Lieutenant Colonel Zaw Min Tun', 'U Win Myint': a title or honorific, then a name."""
        owner = _owners(doc, ents)
        i = 0
        while i < len(doc) - 1:
            token = doc[i]
            titled = token.lower_ in self.lex["person_titles"] and token.is_title
            honorific = token.text in self.lex["honorifics"]
            if not (titled or honorific) or owner.get(i + 1) is not None:
                i += 1
                continue
            end = i + 1
            while (
                end < len(doc)
                and doc[end].pos_ == "PROPN"
                and doc[end].is_title
                and (owner.get(end) is None)
            ):
                end += 1
            start = i if honorific else i + 1
            while start < end and doc[start].lower_ in self.lex["person_titles"]:
                start += 1
            following = doc[end] if end < len(doc) else None
            if following is not None and (
                lemma_lower(following) in self.lex["armed_heads"]
                or following.text in self.lex["gpe_suffixes"]
            ):
                i = end
                continue
            if end > start and (not honorific or end - start >= 2):
                ents.append([start, end, "PERSON"])
                owner = _owners(doc, ents)
            i = max(end, i + 1)
        return ents

    def _add_facilities(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Insein Prison': a name followed by a capitalised facility word is a facility."""
        owner = _owners(doc, ents)
        for token in doc:
            if token.i == 0 or not token.is_title or owner.get(token.i) is not None:
                continue
            if lemma_lower(token) not in self.lex["fac_heads"]:
                continue
            previous = owner.get(token.i - 1)
            if previous is not None and previous[2] in {"GPE", "LOC", "ORG", "PERSON", "NORP"}:
                previous[1] = token.i + 1
                previous[2] = "FAC"
                owner = _owners(doc, ents)
        return ents

    def _add_lowercase_facilities(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Myitkyina airport', 'Zamzam camp', 'Camp Victoria': a place name and a facility word."""
        owner = _owners(doc, ents)
        for token in doc:
            if not token.is_lower or token.lower_ not in self.lex["lowercase_fac_heads"]:
                continue
            if owner.get(token.i) is not None:
                continue
            i = token.i - 1
            while i > token.i - 3 and i >= 0 and doc[i].is_lower and doc[i].pos_ in {"NOUN", "ADJ"}:
                i -= 1
            name = owner.get(i)
            if name is None or name[2] not in {"GPE", "LOC", "PERSON", "ORG"} or name[1] != i + 1:
                continue
            named = doc[name[0] : name[1]]
            if name[2] == "ORG" and not (
                self._is_place_name(named) and any(_is_name_word(t) for t in named)
            ):
                continue  # 'Nat Yay Kan camp', 'Ngazba IDP site', but not 'the KIA camp'
            if name[0] > 0 and doc[name[0] - 1].lower_ in {"a", "an"}:
                continue
            name[1], name[2] = token.i + 1, "FAC"
            owner = _owners(doc, ents)
        for token in doc[:-1]:
            following = doc[token.i + 1]
            if token.text in {"Camp", "Fort"} and following.is_title and following.pos_ == "PROPN":
                whole = owner.get(token.i)
                if whole is not None and whole[0] == token.i and whole[2] in {"GPE", "LOC", "ORG"}:
                    whole[2] = "FAC"
                    continue
                current = owner.get(token.i + 1)
                if owner.get(token.i) is None and (current is None or current[0] == token.i + 1):
                    end = current[1] if current is not None else token.i + 2
                    ents = [e for e in ents if e is not current]
                    ents.append([token.i, end, "FAC"])
                    owner = _owners(doc, ents)
        return ents

    def _add_geographic_places(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'the Thai-Myanmar border', 'the Mandalay-Lashio highway': named roads and borders."""
        owner = _owners(doc, ents)
        for token in doc:
            if token.lower_ not in self.lex["loc_heads"] or token.i == 0:
                continue
            if owner.get(token.i) is not None or token.pos_ not in {"NOUN", "PROPN"}:
                continue
            start = token.i
            while start > 0:
                previous = doc[start - 1]
                ent = owner.get(start - 1)
                if ent is not None and not (
                    ent[2] in {"GPE", "NORP", "LOC"}
                    or (
                        ent[2] in {"ORG", "PERSON", "FAC"}
                        and self._is_place_name(doc[ent[0] : ent[1]])
                    )
                ):
                    break  # 'the Gusau-Funtua road' that NER took for an organisation is a road
                if ent is not None:
                    start = ent[0]
                elif previous.text == "-" or previous.is_title and previous.pos_ == "PROPN":
                    start -= 1
                else:
                    break
            if start < token.i and doc[start].text != "-" and not doc[start].is_sent_start:
                ents = [e for e in ents if not (e[0] < token.i + 1 and start < e[1])]
                ents.append([start, token.i + 1, "LOC"])
                owner = _owners(doc, ents)
        return ents

    def _extend_places(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Hlaing Tharyar' split by NER, 'Kyaukme and Hsipaw': places run on."""
        owner = _owners(doc, ents)
        for ent in list(ents):
            if ent[2] != "GPE":
                continue
            while (
                ent[1] < len(doc)
                and doc[ent[1]].pos_ == "PROPN"
                and doc[ent[1]].is_title
                and (owner.get(ent[1]) is None)
            ):
                ent[1] += 1
            owner = _owners(doc, ents)
            for conj in doc[ent[1] - 1].conjuncts:
                other = owner.get(conj.i)
                if (
                    other is not None
                    and other[2] in {"PERSON", "ORG"}
                    and other[1] - other[0] == 1
                    and conj.i > ent[1]
                    and not conj.is_upper
                ):
                    other[2] = "GPE"
                    continue
                if (
                    conj.i > ent[1]
                    and owner.get(conj.i) is None
                    and conj.is_title
                    and (conj.pos_ == "PROPN")
                ):
                    start = conj.i
                    while (
                        start - 1 > ent[1]
                        and doc[start - 1].pos_ == "PROPN"
                        and (owner.get(start - 1) is None)
                    ):
                        start -= 1
                    ents.append([start, conj.i + 1, "GPE"])
                    owner = _owners(doc, ents)
        return ents

    def _add_place_noun_names(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Kyauktaw and Mrauk-U townships': each name is a place; the plural names none of them.

        A singular admin word joins its name (_add_admin_units).
        """
        owner = _owners(doc, ents)
        for token in doc:
            if token.i == 0 or not token.is_lower:
                continue  # 'United States', 'United Arab Emirates' are names
            if not _phrase_at(doc, token.i, self.admin_plurals):
                continue
            inside = owner.get(token.i)
            if inside is not None:
                if inside[2] not in _NAME_LABELS or inside[1] != token.i + 1:
                    continue
                if inside[0] == token.i:
                    ents = [e for e in ents if e is not inside]
                else:
                    inside[1] = token.i  # NER's 'Kyauktaw and Mrauk-U townships'
                owner = _owners(doc, ents)
            names = []
            i = token.i - 1
            while i >= 0:
                name = self._name_ending_at(doc, i, owner)
                if name is None or (name[0] > 0 and doc[name[0] - 1].lower_ in {"a", "an"}):
                    break
                names.append(name)
                i = name[0] - 1
                if not (i > 0 and doc[i].lower_ in {"and", ","}):
                    break
                i -= 1
            for name in names:
                name[2] = "GPE"
                if name not in ents:
                    ents.append(name)
            owner = _owners(doc, ents)
        return ents

    def _name_ending_at(self, doc: Doc, i: int, owner: dict[int, list[Any]]) -> list[Any] | None:
        """The entity or the run of capitalised proper nouns that ends with token i."""
        ent = owner.get(i)
        if ent is not None:
            if ent[1] == i + 1 and ent[2] in {"GPE", "LOC", "PERSON", "ORG", "FAC"}:
                return ent
            return None
        start = i
        while (
            start >= 0
            and owner.get(start) is None
            and (doc[start].is_title or doc[start].text == "-")
            and not doc[start].is_sent_start
        ):
            start -= 1
        start += 1
        while start <= i and doc[start].text == "-":
            start += 1
        return [start, i + 1, "GPE"] if start <= i and doc[i].text != "-" else None

    def _trim(self, doc: Doc, ent: list[Any]) -> list[Any]:
        start, end, label = ent
        while start < end and (doc[start].lower_ in _DETERMINERS or doc[start].is_punct):
            if label == "DATE" and doc[start].lower_ in {"this", "that", "these", "those"}:
                break
            if label == "DATE" and start + 1 < end and doc[start].lower_ == "the":
                if doc[start + 1].lower_ in self.lex["date_words_after_the"]:
                    break  # 'the next day', 'the night of 3 May'
            start += 1
        if label == "PERSON":
            while start < end - 1 and doc[start].lower_.rstrip(".") in self.titles:
                start += 1
        while end > start and (doc[end - 1].lower_ in {"'s", "’s", "'"} or doc[end - 1].is_punct):
            end -= 1
        return [start, end, label]

    def _relabel(self, doc: Doc, ent: list[Any]) -> None:
        start, end, label = ent
        tokens = doc[start:end]
        honorific = tokens[0].text in self.lex["honorifics"] and len(tokens) >= 2
        if (
            label in {"ORG", "GPE", "NORP", "LOC", "PERSON"}
            and honorific
            and all(t.is_title or t.is_upper for t in tokens)
        ):
            ent[2] = label = "PERSON"
        if label == "PERSON":
            if start > 0 and doc[start - 1].text in self.lex["honorifics"]:
                ent[0] = start - 1
            while (
                end < len(doc)
                and doc[end].pos_ == "PROPN"
                and doc[end].is_title
                and (not doc[end].ent_type_ or doc[end].ent_type_ == "PERSON")
            ):
                end += 1
            ent[1] = end
            while ent[0] < end - 1 and doc[ent[0]].lower_.rstrip(".") in self.titles:
                ent[0] += 1  # 'Lt-Gen' that NER took for the name
        if (
            label in {"NORP", "GPE"}
            and end < len(doc)
            and doc[end].lower_ in self.lex["org_heads"]
            and not (end + 1 < len(doc) and lemma_lower(doc[end + 1]) in self.lex["armed_heads"])
        ):
            ent[1], ent[2] = end + 1, "ORG"
            return
        words = {lemma_lower(t) for t in tokens} | {t.lower_ for t in tokens}
        if label in {"PERSON", "NORP", "LOC"} and tokens[-1].text in self.lex["gpe_suffixes"]:
            ent[2] = "GPE"
        elif label in {"ORG", "PERSON", "GPE", "NORP"} and words & self.lex["org_to_armed"]:
            ent[2] = "ARMED_GROUP"
        elif (
            label in {"ORG", "GPE", "PERSON", "LOC"}
            and tokens[-1].is_title
            and (lemma_lower(tokens[-1]) in self.lex["fac_heads"])
        ):
            ent[2] = "FAC"
        elif label == "LOC" and tokens[-1].text in self.lex["gpe_suffixes"]:
            ent[2] = "GPE"

    def _add_admin_units(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Myaing township', 'Kachin State', 'Chikun LGA', 'Ywar Thit village tract': a name and
        the administrative word after it are one place, whatever the word's case."""
        owner = _owners(doc, ents)
        for token in doc:
            size = _phrase_at(doc, token.i, self.admin_words)
            if not size or token.i == 0:
                continue
            end = token.i + size
            if end < len(doc) and doc[end].lower_ in self.lex["not_admin_before"]:
                continue  # 'Myanmar state media'
            current = owner.get(token.i)
            if current is not None:
                if current[2] not in _NAME_LABELS:
                    continue  # 'Islamic State', 'the 22nd Light Infantry Division'
                if current[0] == token.i and current[1] <= end:
                    ents = [e for e in ents if e is not current]  # NER's 'Township' alone
                    owner = _owners(doc, ents)
                    current = None
                elif current[1] != end:
                    continue  # inside a longer name: 'Islamic State West Africa Province'
            if current is not None:
                if not self._is_place_name(doc[current[0] : token.i]):
                    continue  # 'Restoration Council of Shan State'
                name_start: int | None = self._name_start(doc, current[0], owner) or current[0]
            else:
                name_start = self._name_start(doc, token.i, owner)
            if name_start is None or not self._is_admin_unit(doc, name_start, token.i):
                continue
            ents = [e for e in ents if not (e[0] < end and name_start < e[1])]
            ents.append([name_start, end, "GPE"])
            owner = _owners(doc, ents)
        return ents

    def _is_admin_unit(self, doc: Doc, start: int, word: int) -> bool:
        """Whether the name doc[start:word] and the admin word at ``word`` name one place."""
        name = doc[start:word]
        admin = doc[word]
        if start > 0 and doc[start - 1].lower_ in {"a", "an"}:
            return False  # 'a Kachin village'
        if len(name) == 1 and name[0].ent_type_ == "NORP" and admin.is_lower:
            # 'the Rohingya village', 'two Kachin villages'; NER also calls unknown names
            # ('Ituri province') NORP
            determined = start > 0 and doc[start - 1].pos_ in {"DET", "NUM"}
            if determined or (name[0].tag_ == "JJ" and self._place_kind(name.text) is None):
                return False
        words = {lemma_lower(t) for t in name} | {t.lower_ for t in name}
        if words & (self.lex["armed_heads"] | self.lex["unit_words"] | self.lex["org_heads"]):
            return False  # 'Military Region', 'Army Division'
        if words <= self.lex["unit_qualifiers"]:
            return False  # 'Light Infantry Division'
        following = doc[word + 1] if word + 1 < len(doc) else None
        kind = self._place_kind(name.text)
        if following is not None and following.lower_ == "of" and kind == "country":
            return False  # 'the Myanmar town of Lashio': the place is Lashio
        if admin.lower_ in self.lex["weak_admin_words"] and not admin.is_lower:
            # 'Gaza City', 'Mandalay Division', but not 'Justice Department'
            return kind is not None or all(t.ent_type_ == "GPE" for t in name)
        return True

    def _name_start(self, doc: Doc, end: int, owner: dict[int, list[Any]]) -> int | None:
        """Where the capitalised name that ends before token ``end`` begins, if there is one.

        The name may run over entities NER cut ('Nyaung Pin' + 'Thar'), hyphens ('Mrauk-U') and
        particles ('Coyuca de Benitez', 'Cox's Bazar'), never over an armed group, date or count.
        """
        start = end
        i = end - 1
        while i >= 0:
            token = doc[i]
            ent = owner.get(i)
            if ent is not None:
                if ent[2] not in _NAME_LABELS or ent[1] > end:
                    break
                if not self._is_place_name(doc[ent[0] : ent[1]]):
                    break
                start = ent[0]
                if doc[start].is_sent_start:
                    break
                i = start - 1
                continue
            # 'Our village' names none, but 'Tha Yet Taw village' runs over 'Yet'
            before_admin = i == end - 1 and _phrase_at(doc, end, self.admin_words) > 0
            if _is_name_word(token) and not (
                token.is_stop and (token.is_sent_start or before_admin)
            ):
                start = i
                if token.is_sent_start:
                    break
                i -= 1
                continue
            if start != i + 1 or i == 0:
                if start == end and self._is_hyphen_tail(token):
                    start = i  # 'Hpa-an township'
                    i -= 1
                    continue
                break
            previous = doc[i - 1]
            if token.text in _DASHES and not token.whitespace_ and not previous.whitespace_:
                if _is_name_word(previous):
                    i -= 1
                    continue
                if previous.lower_ in self.lex["name_particles"]:
                    start = i - 1  # 'al-Shajara', 'as-Suwayda'
                break
            possessive = token.text in {"'s", "’s"}
            if possessive and (previous.ent_type_ == "GPE" or self._place_kind(previous.text)):
                break  # 'Mali's Mopti region', but 'Cox's Bazar district'
            particle = token.lower_ in self.lex["name_particles"] or possessive
            if particle and _is_name_word(previous):
                i -= 1  # 'Coyuca de Benitez', 'Cox's Bazar'
                continue
            break
        return start if start < end else None

    def _is_place_name(self, tokens: SpacySpan) -> bool:
        """Capitalised words, hyphens and particles between them: 'Mrauk-U', 'Wad al-Tayeb'."""
        if not len(tokens):
            return False
        for position, token in enumerate(tokens):
            inside = 0 < position < len(tokens) - 1
            if _is_capitalised(token) or token.like_num and position > 0:
                continue
            if inside and (
                token.text in _DASHES
                or token.lower_ in self.lex["name_particles"]
                or token.text in {"'s", "’s", "and"}
            ):
                continue
            if position == 0 and token.lower_ in self.lex["name_particles"] and len(tokens) > 2:
                if tokens[1].text in _DASHES:
                    continue
            if position == len(tokens) - 1 and position > 1 and self._is_hyphen_tail(token):
                continue
            return False
        return True

    def _is_hyphen_tail(self, token: Token) -> bool:
        """'an' in 'Hpa-an': a lowercase word hyphenated to the capitalised one before it."""
        doc = token.doc
        return (
            token.is_alpha
            and token.lower_ not in self.lex["hyphen_suffixes"]  # 'Sagaing-based'
            and token.i >= 2
            and doc[token.i - 1].text in _DASHES
            and not doc[token.i - 1].whitespace_
            and not doc[token.i - 2].whitespace_
            and _is_name_word(doc[token.i - 2])
        )

    def _place_kind(self, text: str) -> PlaceKind | None:
        """The gazetteer's kind of place for ``text`` (with 'North' as 'Nord' ...), if it is one."""
        key = place_key(text)
        if len(key) < 3 or key in self.lex["not_places"] or key in self.lex["macro_regions"]:
            return None
        found = self.gazetteer.places.get(key)
        if found is not None:
            return found
        words = key.split()
        for ours, theirs in self.place_variants:
            if ours in words:
                variant = " ".join(theirs if word == ours else word for word in words)
                found = self.gazetteer.places.get(variant)
                if found is not None:
                    return found
        return None

    def _add_units(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'LIB 538', 'battalions 405 and 410', 'the 22nd Light Infantry Division': a unit's name
        with its numbers is one armed group, not an organisation and two counts."""
        owner = _owners(doc, ents)
        for token in doc:
            acronym = self.unit_acronym.fullmatch(token.text)
            if not (acronym or lemma_lower(token) in self.lex["unit_words"]):
                continue
            end = token.i + 1
            numbered = bool(acronym and acronym.group(2))  # 'RAB-15'
            while end < len(doc) and doc[end].is_digit:
                numbered, end = True, end + 1
                joined = end + 1 < len(doc) and doc[end].lower_ in {"and", ",", "&", "/"}
                if not (joined and doc[end + 1].is_digit):
                    break
                end += 1  # 'battalions 405 and 410'
            start = token.i
            while start > doc[token.i].sent.start:
                previous = doc[start - 1]
                qualifier = previous.lower_ in self.lex["unit_qualifiers"] and not previous.is_lower
                if not (qualifier or _ORDINAL.fullmatch(previous.text)):
                    break
                start -= 1
            if (
                start < token.i
                and token.is_title
                and start > doc[token.i].sent.start
                and doc[start - 1].is_digit
                and not numbered
            ):
                start -= 1  # 'the 21 Special Armoured Brigade'
            ordinal = bool(_ORDINAL.fullmatch(doc[start].text)) or doc[start].is_digit
            if acronym and not numbered:
                continue  # 'IB' alone is no unit
            if not (numbered or ordinal or (token.is_title and start < token.i)):
                continue  # 'a battalion', 'the infantry division'
            current = owner.get(token.i)
            if current is not None and current[2] == "ARMED_GROUP" and current[0] < start:
                start = current[0]  # 'Military Operations Command' + '16'
            if any(
                e[2] == "DATE" or (e[2] == "ARMED_GROUP" and (e[0] < start or e[1] > end))
                for e in ents
                if e[0] < end and start < e[1]
            ):
                continue
            ents = [e for e in ents if not (e[0] < end and start < e[1])]
            ents.append([start, end, "ARMED_GROUP"])
            owner = _owners(doc, ents)
        return ents

    def _add_bracketed_places(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Myaing township (Magway Region)', 'Chikun LGA (Kaduna)': the name in brackets after a
        place is the larger place it lies in, a span of its own."""
        owner = _owners(doc, ents)
        for token in doc[1:]:
            if token.text != "(":
                continue
            before = owner.get(token.i - 1)
            if before is None or before[2] != "GPE" or before[1] != token.i:
                continue
            close = token.i + 1
            while close < len(doc) and doc[close].text not in {")", "(", ",", ";"}:
                close += 1
            if close >= len(doc) or doc[close].text != ")" or close == token.i + 1:
                continue
            inner = doc[token.i + 1 : close]
            if not self._is_place_name(inner) or all(t.is_upper for t in inner if t.is_alpha):
                continue  # '(KIA)' is an acronym
            inside = [owner[i] for i in range(inner.start, inner.end) if i in owner]
            if any(
                e[2] not in _NAME_LABELS or e[0] < inner.start or e[1] > inner.end for e in inside
            ):
                continue
            if any(e[2] == "GPE" for e in inside):
                continue
            words = {t.lower_ for t in inner}
            if words & self.lex["loc_heads"] or lemma_lower(inner[-1]) in self.lex["fac_heads"]:
                continue
            ents = [e for e in ents if not (e[0] < inner.end and inner.start < e[1])]
            ents.append([inner.start, inner.end, "GPE"])
            owner = _owners(doc, ents)
        return ents

    def _join_days_to_months(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'3-4 May 2023', 'the morning of 12 June 2024': NER's count before a month is the day."""
        owner = _owners(doc, ents)
        for ent in ents:
            if ent[2] != "DATE" or doc[ent[0]].lower_ not in self.lex["month_names"]:
                continue
            start = ent[0]
            if start == 0 or not _is_day(doc[start - 1]):
                continue
            start -= 1
            if start >= 2 and doc[start - 1].text in _DASHES and _is_day(doc[start - 2]):
                if not doc[start - 1].whitespace_ and not doc[start - 2].whitespace_:
                    start -= 2  # '3-4 May'
            inside = [owner[i] for i in range(start, ent[0]) if i in owner]
            if any(e[2] != "CARDINAL" or e[0] < start for e in inside):
                continue
            ents = [e for e in ents if all(e is not other for other in inside)]
            ent[0] = start
            owner = _owners(doc, ents)
        return ents

    def _join_count_ranges(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'10-15', '10 to 15', 'between 10 and 15': a range of counts is one count."""
        for ent in ents:
            tokens = doc[ent[0] : ent[1]]
            if ent[2] == "DATE" and all(
                (t.like_num and not (t.is_digit and len(t) == 4))
                or t.lower_ in {"between", "and", "to"}
                or t.text in _DASHES
                for t in tokens
            ):
                ent[2] = "CARDINAL"  # NER's date 'between 25 and 30' names no day and no year
        owner = _owners(doc, ents)
        for token in doc:
            if not token.like_num or token.i + 2 >= len(doc) or not doc[token.i + 2].like_num:
                continue
            joint = doc[token.i + 1]
            start, end = token.i, token.i + 3
            if joint.lower_ == "and" and token.i > 0 and doc[token.i - 1].lower_ == "between":
                start -= 1
            elif not (
                joint.lower_ == "to"
                or (joint.text in _DASHES and not token.whitespace_ and not joint.whitespace_)
            ):
                continue
            inside = [owner[i] for i in range(start, end) if i in owner]
            if any(e[2] != "CARDINAL" for e in inside):
                continue  # '10-15 May' is a date, 'battalions 405 and 410' a unit
            for ent in inside:
                start, end = min(start, ent[0]), max(end, ent[1])
            ents = [e for e in ents if not (e[0] < end and start < e[1])]
            ents.append([start, end, "CARDINAL"])
            owner = _owners(doc, ents)
        return ents

    def _describes_armed_group(self, token: Token) -> bool:
        """'Kuki' in 'Kuki and Meitei militias': a word that modifies an armed noun."""
        heads = self.lex["armed_heads"] | self.lex["armed_heads_with_modifier"]
        if any(lemma_lower(conj) in heads for conj in token.conjuncts):
            return True
        for _ in range(4):
            if token.dep_ not in {"compound", "amod", "nmod", "conj", "nummod"}:
                return False
            token = token.head
            if lemma_lower(token) in heads:
                return True
        return False

    def _add_known_places(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Taiz' that NER took for a person, 'Jammu' + 'and' + 'Kashmir': the gazetteer's places
        are places, never persons or organisations."""
        owner = _owners(doc, ents)
        i = 0
        while i < len(doc):
            found = self._known_place_at(doc, i, owner)
            if found is None:
                i += 1
                continue
            end, label = found
            ents = [e for e in ents if not (e[0] < end and i < e[1])]
            ents.append([i, end, label])
            owner = _owners(doc, ents)
            i = end
        return ents

    def _known_place_at(
        self, doc: Doc, start: int, owner: dict[int, list[Any]]
    ) -> tuple[int, str] | None:
        """The end and label of the longest known place that begins at token ``start``."""
        first = doc[start]
        if not _is_capitalised(first) or (first.is_upper and len(first) > 1):
            return None
        if start > 0 and not first.is_sent_start:
            previous = doc[start - 1]
            if _is_capitalised(previous) and not previous.is_stop and previous.text != "U":
                return None  # inside a longer name: 'Familia Michoacana'
            if previous.lower_ in self.titles or previous.text in self.lex["honorifics"]:
                return None  # 'President Victoria ...'
        limit = min(len(doc), start + 3 * self.gazetteer.longest)
        end = start + 1
        ends: list[int] = []
        while end <= limit:
            token = doc[end - 1]
            if _is_capitalised(token) and not (token.is_upper and len(token) > 1):
                ends.append(end)
            elif not (
                token.text in _DASHES
                or token.lower_ in self.lex["name_particles"]
                or token.text in {"'s", "’s", "and", "of"}
            ):
                break
            end += 1
        for end in reversed(ends):
            found = self._known_place(doc, start, end, owner)
            if found is not None:
                return end, found
        return None

    def _known_place(
        self, doc: Doc, start: int, end: int, owner: dict[int, list[Any]]
    ) -> str | None:
        """The label for doc[start:end] when it is a known place that may be marked as one."""
        following = doc[end] if end < len(doc) else None
        if following is not None:
            if _is_capitalised(following) and not _phrase_at(doc, end, self.admin_words):
                return None  # 'Kassala Water Corporation', 'Sinaloa Cartel'
            if following.text in _DASHES and not following.whitespace_:
                return None  # 'Abuja-Kaduna road' is _add_geographic_places' business
            word = lemma_lower(following)
            if word in self.lex["armed_heads"] or word in self.lex["armed_heads_with_modifier"]:
                return None  # 'Kachin fighters'
        inside: list[list[Any]] = []
        for i in range(start, end):
            ent = owner.get(i)
            if ent is not None and all(ent is not other for other in inside):
                inside.append(ent)
        labels = {ent[2] for ent in inside}
        if any(ent[0] < start or ent[1] > end for ent in inside):
            return None
        if labels - _NAME_LABELS or "FAC" in labels:
            return None
        kind = self._place_kind(doc[start:end].text)
        if kind is None:
            return None
        label = "LOC" if kind == "region" else "GPE"
        whole = inside[0] if len(inside) == 1 and inside[0][:2] == [start, end] else None
        if whole is not None:
            if whole[2] == label or whole[2] == "NORP":
                return None  # a demonym stays one: 'Somali', 'Afar'
            if whole[2] == "LOC" and not self._is_unheaded_place(doc[start:end]):
                return None  # 'the Red Sea' is a sea, though a Sudanese state has its name
            if whole[2] == "GPE" and label == "LOC":
                return None
            if self._describes_armed_group(doc[end - 1]):
                return None  # 'Kuki and Meitei militias'
            return label
        if not inside:
            # A name NER left alone: a proper noun where places are named ('in', 'near', a
            # list of places), not a sentence's first word ('the Turi tribe' is no place).
            tokens = doc[start:end]
            if doc[start].is_sent_start or not any(t.pos_ == "PROPN" for t in tokens):
                return None
            if end - start == 1 and len(doc[start]) < 4:
                return None
            previous = doc[start - 1]
            listed = previous.text in {",", "(", "/"} or previous.lower_ == "and"
            if not (listed or self._after_locative(doc, start)):
                return None
            if self._describes_armed_group(doc[end - 1]):
                return None  # 'Kuki and Meitei militias'
        return label

    def _add_located_places(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """Names right after 'in', 'near', 'the town of' ... are places, whatever NER said."""
        owner = _owners(doc, ents)
        for ent in ents:
            start, end, label = ent
            if label not in {"PERSON", "ORG", "NORP", "WORK_OF_ART", "PRODUCT", "LOC", "FAC"}:
                continue
            if label == "FAC" and (
                lemma_lower(doc[end - 1]) in self.lex["fac_heads"]
                or doc[start].text in {"Camp", "Fort"}
            ):
                continue
            tokens = doc[start:end]
            words = [t for t in tokens if t.text not in _DASHES]
            if label == "ORG" and (any(t.is_upper for t in tokens) or len(words) > 2):
                continue  # 'Petion-Ville' is two words
            if label == "LOC" and len(tokens) > 1 and not self._is_unheaded_place(tokens):
                continue
            if not all(
                (t.is_title and t.pos_ in {"PROPN", "NOUN", "ADJ"})
                or (0 < t.i - start < len(tokens) - 1 and self._is_name_joint(t))
                or (t.i == start and len(tokens) > 2 and self._is_article_joint(t))
                for t in tokens
            ):
                continue
            if label == "PERSON" and any(self._is_name_joint(t) for t in tokens):
                # 'loyal to Bashar al-Assad': a name with 'al' after 'to' is still a person.
                if start > 0 and doc[start - 1].lower_ in {"to", "from", "toward", "towards"}:
                    continue
            if (
                self._after_locative(doc, start)
                or self._before_based(doc, end)
                or self._object_of_place_verb(doc[start:end])
            ):
                ent[2] = "GPE"
        for token in doc:
            if owner.get(token.i) is not None or not token.is_title or token.pos_ != "PROPN":
                continue
            if token.lower_ in self.titles:
                continue  # 'according to Governor Caleb Mutfwang'
            if token.i == 0 or (token.i > 0 and doc[token.i - 1].pos_ == "PROPN"):
                continue
            end = token.i + 1
            while end < len(doc) and owner.get(end) is None:
                if doc[end].is_title and doc[end].pos_ == "PROPN":
                    end += 1
                elif (
                    end + 1 < len(doc)
                    and self._is_name_joint(doc[end])
                    and doc[end + 1].is_title
                    and owner.get(end + 1) is None
                ):
                    end += 2  # 'Mocimboa da Praia', 'Wad al-Noura'
                else:
                    break
            if not (
                self._after_locative(doc, token.i)
                or self._object_of_place_verb(doc[token.i : token.i + 1])
                or self._before_based(doc, end)
            ):
                continue
            if end < len(doc) and lemma_lower(doc[end]) in self.lex["armed_heads"]:
                continue
            ents.append([token.i, end, "GPE"])
            owner = _owners(doc, ents)
        return ents

    def _after_locative(self, doc: Doc, start: int) -> bool:
        while start > 1 and doc[start - 1].lower_ in self.lex["direction_words"]:
            start -= 1  # 'in central Kyiv', 'in western Tigray'
        if start == 0:
            return False
        previous = doc[start - 1]
        if previous.lower_ == "to" and start >= 2 and doc[start - 2].lower_ == "according":
            return False  # 'according to Governor ...'
        if previous.lower_ in self.lex["locative_prepositions"]:
            return True
        if previous.lower_ == "of" and start >= 2:
            return lemma_lower(doc[start - 2]) in self.lex["place_nouns"]
        if previous.lower_ == "on" and start >= 2:
            # 'an air strike on Khan Younis', 'a drone attack on Kharkiv'
            return lemma_lower(doc[start - 2]) in self.lex["actor_nouns"]
        return False

    def _is_article_joint(self, token: Token) -> bool:
        """'al' in 'al-Shajara': a lowercase article hyphenated to the name."""
        following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
        return (
            token.is_lower
            and token.lower_ in self.lex["name_particles"]
            and following is not None
            and following.text in _DASHES
            and not token.whitespace_
        )

    def _is_name_joint(self, token: Token) -> bool:
        """'al' in 'Wad al-Noura', the hyphen in 'Hpa-an'."""
        return token.lower_ in self.lex["name_particles"] or token.text == "-"

    def _is_unheaded_place(self, tokens: SpacySpan) -> bool:
        """'Lower Shabelle', 'Port Sudan': NER's LOC that names no river, road or region."""
        words = {t.lower_ for t in tokens}
        return not (words & self.lex["loc_heads"] or words & self.lex["macro_regions"])

    def _object_of_place_verb(self, span: SpacySpan) -> bool:
        root = span.root
        return root.dep_ == "dobj" and lemma_lower(root.head) in self.lex["place_verbs"]

    def _before_based(self, doc: Doc, end: int) -> bool:
        return end + 1 < len(doc) and doc[end].text == "-" and doc[end + 1].lower_ == "based"

    def _count_start(self, doc: Doc, start: int) -> int:
        for words in self.count_modifiers:
            begin = start - len(words)
            if begin >= 0 and tuple(t.lower_ for t in doc[begin:start]) == words:
                return begin
        return start

    def _arm_violent_actors(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'CDF attacked a police post', 'abducted by the ESN': an organisation that ambushes,
        shells or abducts is an armed group, whatever NER called it."""
        for ent in ents:
            if ent[2] not in {"ORG", "PERSON", "NORP"}:
                continue
            tokens = doc[ent[0] : ent[1]]
            if ent[2] != "ORG" and not (len(tokens) == 1 and _looks_like_acronym(tokens.text)):
                continue  # a person's name is a person's, an acronym NER took for one is not
            if tokens.root.lower_ in self.lex["org_heads"]:
                continue  # 'the government shelled ...' is the scheme's ORG
            if self._acts_violently(tokens.root):
                ent[2] = "ARMED_GROUP"
        # One name, one label in a note: 'KNF fighters ... 1 KNF member was killed'.
        armed = {doc[e[0] : e[1]].text for e in ents if e[2] == "ARMED_GROUP"}
        for ent in ents:
            if ent[2] in {"ORG", "PERSON", "NORP"} and doc[ent[0] : ent[1]].text in armed:
                ent[2] = "ARMED_GROUP"
        return ents

    def _acts_violently(self, token: Token) -> bool:
        """Whether the token is who carries out a violent verb: its subject or its agent."""
        while token.dep_ == "conj":
            token = token.head  # 'the ADF and CODECO attacked'
        verb = token.head
        if token.dep_ == "nsubj" and verb.pos_ == "VERB":
            return lemma_lower(verb) in self.lex["armed_actor_verbs"]
        if token.dep_ == "pobj" and verb.lower_ == "by" and verb.dep_ == "agent":
            return lemma_lower(verb.head) in self.lex["armed_actor_verbs"]
        return False

    def _add_armed_groups(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'junta troops', 'Russian forces', 'soldiers': armed actors named by a common noun."""
        lex = self.lex
        for head in doc:
            word = lemma_lower(head)
            plain = word in lex["armed_heads"] or head.lower_ in lex["armed_heads"]
            qualified = word in lex["armed_heads_with_modifier"]
            if not (plain or qualified) or head.pos_ not in {"NOUN", "PROPN"}:
                continue
            owner = _owners(doc, ents)
            if head.dep_ in {"compound", "amod", "nmod"} and head.head.i > head.i:
                if lemma_lower(head.head) not in self.lex["actor_nouns"]:
                    continue
            current = owner.get(head.i)
            if current is not None and current[2] != "ARMED_GROUP":
                continue
            if current is not None and (current[0], current[1]) != (head.i, head.i + 1):
                continue
            start = head.i
            strong = False
            # 'armed men' is an armed group, 'Rohingya men' is not: only the word lists count.
            strong_word = False
            named_by: list[Any] | None = None
            i = head.i - 1
            while i >= head.sent.start:
                token = doc[i]
                ent = owner.get(i)
                if ent is not None and (
                    ent[2] in {"NORP", "GPE"} or self._is_nationality(doc, ent)
                ):
                    start = i = ent[0]
                    ent[2] = "NORP"
                    strong = True
                elif (
                    token.lower_ in lex["group_modifiers"]
                    or lemma_lower(token) in lex["group_modifiers"]
                ):
                    if (
                        ent is not None
                        and ent[0] < i
                        and not all(
                            t.lower_ in lex["group_modifiers"] for t in doc[ent[0] : ent[1]]
                        )
                    ):
                        break
                    start = i
                    strong = strong or token.lower_ in lex["strong_modifiers"]
                    strong_word = strong_word or token.lower_ in lex["strong_modifiers"]
                elif token.is_title and token.pos_ == "ADJ" and ent is None:
                    start = i
                    strong = True
                elif i == head.i - 1 and token.text == ")" and owner.get(i - 1) is not None:
                    named_by = owner[i - 1]
                    break
                elif i == head.i - 1 and (
                    (ent is not None and ent[2] in {"ARMED_GROUP", "ORG", "PERSON"})
                    or (
                        ent is None and token.pos_ == "PROPN" and (token.is_title or token.is_upper)
                    )
                ):
                    named_by = ent if ent is not None else self._name_before(doc, i, owner)
                    break
                else:
                    break
                i -= 1
            if start < head.i and doc[start].text == "-":
                start += 1
            if named_by is not None:
                if qualified:
                    continue
                named_by[2] = "ARMED_GROUP"
                if named_by not in ents:
                    ents.append(named_by)
                continue
            if qualified and not (strong if plain else strong_word):
                continue
            ents = [e for e in ents if not (e[0] < head.i + 1 and start < e[1])]
            ents.append([start, head.i + 1, "ARMED_GROUP"])
        return ents

    def _join_organisations(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'UN' + 'Office for ...', 'Data' + 'for Myanmar': one organisation's name."""
        ents = sorted(ents, key=lambda e: e[0])
        joined: list[list[Any]] = []
        for ent in ents:
            last = joined[-1] if joined else None
            if last is not None and last[2] == "ORG":
                adjacent = ent[0] == last[1] and ent[2] == "ORG"
                linked = (
                    ent[0] == last[1] + 1
                    and doc[last[1]].lower_ in {"of", "for"}
                    and ent[2] == "GPE"
                    and doc[last[1] - 1].is_title
                    and not (ent[1] < len(doc) and doc[ent[1]].is_title)
                )
                if adjacent or linked:
                    last[1] = ent[1]
                    continue
            joined.append(ent)
        return joined

    def _add_unit_numbers(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Military Operations Command 16': the unit number belongs to the unit."""
        owner = _owners(doc, ents)
        for ent in ents:
            if ent[2] != "ARMED_GROUP" or ent[1] >= len(doc):
                continue
            number = doc[ent[1]]
            if lemma_lower(doc[ent[1] - 1]) in self.lex["unit_words"] and number.is_digit:
                following = owner.get(ent[1])
                ents = [e for e in ents if e is not following]
                ent[1] += 1
        return ents

    def _add_bracketed_acronyms(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Chin National Front (CNF)': the acronym in brackets takes the name's label."""
        owner = _owners(doc, ents)
        for token in doc[2:-1]:
            if doc[token.i - 1].text != "(" or doc[token.i + 1].text != ")":
                continue
            name = owner.get(token.i - 2)
            if name is None or name[1] != token.i - 1:
                continue
            if name[2] not in {"ORG", "ARMED_GROUP"} or not _looks_like_acronym(token.text):
                continue
            current = owner.get(token.i)
            if current is not None and (current[0], current[1]) != (token.i, token.i + 1):
                continue
            ents = [e for e in ents if e is not current]
            ents.append([token.i, token.i + 1, name[2]])
            owner = _owners(doc, ents)
        return ents

    def _fix_dates(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'overnight' is a period; an age ('45-year-old') or 'daily' is not a date."""
        kept = [
            ent
            for ent in ents
            if not (
                ent[2] == "DATE"
                and (
                    any(t.lower_ in {"old", "year-old", "years-old"} for t in doc[ent[0] : ent[1]])
                    or (ent[1] - ent[0] == 1 and doc[ent[0]].lower_ in self.lex["not_dates"])
                )
            )
        ]
        kept = [e for e in kept if not (e[2] == "TIME" and doc[e[0]].lower_ == "overnight")]
        owner = _owners(doc, kept)
        for token in doc:
            if token.lower_ == "overnight" and owner.get(token.i) is None:
                # 'shelled the town overnight' is a period; 'overnight raids' is not a date.
                following = doc[token.i + 1] if token.i + 1 < len(doc) else None
                if following is None or following.pos_ not in {"NOUN", "PROPN", "ADJ"}:
                    kept.append([token.i, token.i + 1, "DATE"])
        for ent in kept:
            # 'the night of 9 March', 'the next day': the part of the day belongs to the date
            start = ent[0]
            if ent[2] != "DATE":
                continue
            if start > 0 and doc[start].lower_ in self.lex["date_words_after_the"]:
                if doc[start - 1].lower_ == "the":
                    ent[0] = start - 1
            elif (
                start >= 3
                and doc[start - 1].lower_ == "of"
                and doc[start - 2].lower_ in self.lex["date_words_after_the"]
                and doc[start - 3].lower_ == "the"
                and owner.get(start - 2, ent)[2] in {"DATE", "TIME"}
            ):
                ent[0] = start - 3
        covered = {i for e in kept if e[2] == "DATE" for i in range(e[0], e[1])}
        return [e for e in kept if e[2] != "TIME" or not covered & set(range(e[0], e[1]))]

    def _add_bare_counts(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'2 Maoists and 1 DRG jawan': a number before what it counts is a count, also where a
        pattern took the noun from NER's quantity."""
        owner = _owners(doc, ents)
        for token in doc:
            if owner.get(token.i) is not None or not token.like_num or token.dep_ != "nummod":
                continue
            if token.is_digit and len(token) == 4 or token.head.i <= token.i:
                continue  # a year; 'Ward 3'
            if token.i + 1 < len(doc) and doc[token.i + 1].text in _DASHES:
                continue  # '45-year-old'
            ents.append([token.i, token.i + 1, "CARDINAL"])
        return ents

    def _fix_counts(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'dozens of civilians' is a count; 'half of them' is not."""
        kept = [
            ent
            for ent in ents
            if not (
                ent[2] == "CARDINAL"
                and ent[1] - ent[0] == 1
                and doc[ent[0]].lower_ in self.lex["not_counts"]
            )
        ]
        owner = _owners(doc, kept)
        for token in doc[:-1]:
            if (
                token.lower_ in self.lex["vague_counts"]
                and doc[token.i + 1].lower_ == "of"
                and owner.get(token.i) is None
                and (token.i == 0 or doc[token.i - 1].lower_ != "of")
            ):
                kept.append([token.i, token.i + 1, "CARDINAL"])
        return kept

    def _is_demonym(self, doc: Doc, ent: list[Any]) -> bool:
        """'Ukrainian officials': a nationality adjective that NER took for a place."""
        if ent[2] not in {"GPE", "NORP"} or ent[1] - ent[0] != 1 or ent[1] >= len(doc):
            return False
        token, following = doc[ent[0]], doc[ent[1]]
        demonym = token.tag_ == "JJ" or token.lower_.endswith(("ian", "ese", "ish"))
        return demonym and bool(following.is_lower and following.is_alpha)

    def _is_nationality(self, doc: Doc, ent: list[Any]) -> bool:
        """'Tigrayan' that NER took for an organisation: one adjective-like word."""
        token = doc[ent[0]]
        return (
            ent[1] - ent[0] == 1
            and ent[2] in {"ORG", "PERSON"}
            and token.is_title
            and (token.tag_ == "JJ" or token.lower_.endswith(("an", "ese", "ish", "i")))
        )

    def _name_before(self, doc: Doc, i: int, owner: dict[int, list[Any]]) -> list[Any]:
        start = i
        while (
            start > doc[i].sent.start
            and doc[start - 1].pos_ == "PROPN"
            and (owner.get(start - 1) is None)
        ):
            start -= 1
        return [start, i + 1, "ARMED_GROUP"]


def _join_contiguous(ents: list[list[Any]], *, label: str) -> list[list[Any]]:
    """'Hlaing' + 'Tharyar Township': two spans of one label with nothing between are one."""
    joined: list[list[Any]] = []
    for ent in sorted(ents, key=lambda e: e[0]):
        if joined and joined[-1][2] == ent[2] == label and joined[-1][1] == ent[0]:
            joined[-1][1] = ent[1]
        else:
            joined.append(ent)
    return joined


def _split_quantities(doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
    """'2 KDA' that NER took for a quantity: a count and the acronym of who was counted."""
    result: list[list[Any]] = []
    for start, end, label in ents:
        rest = doc[start + 1 : end]
        if label == "QUANTITY" and doc[start].like_num and len(rest) == 1:
            if _looks_like_acronym(rest.text) and rest[0].pos_ == "PROPN":
                result.extend([[start, start + 1, "CARDINAL"], [start + 1, end, "ORG"]])
                continue
        result.append([start, end, label])
    return result


def _split_at_brackets(doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
    """'Pune (Maharashtra)' that NER took for one name: a bracket ends a name."""
    result: list[list[Any]] = []
    for start, end, label in ents:
        first = start
        for i in range(start, end + 1):
            if i == end or doc[i].text in {"(", ")", "[", "]"}:
                if first < i:
                    result.append([first, i, label])
                first = i + 1
    return result


def _is_day(token: Token) -> bool:
    """'3', '31': a number that may be a day of the month."""
    return token.is_digit and 1 <= int(token.text) <= 31 and len(token.text) <= 2


def _phrases(words: Any) -> dict[tuple[str, ...], int]:
    """Lowercase phrases as token tuples ('sub-district' is three tokens), for _phrase_at."""
    phrases: dict[tuple[str, ...], int] = {}
    for words_ in words:
        parts = tuple(re.findall(r"[^\W_]+|[^\w\s]", words_.lower()))
        phrases[parts] = len(parts)
    return phrases


def _phrase_at(doc: Doc, i: int, phrases: dict[tuple[str, ...], int]) -> int:
    """The length in tokens of the longest phrase that begins at token i; 0 if none does."""
    for size in (3, 2, 1):
        if i + size <= len(doc) and tuple(t.lower_ for t in doc[i : i + size]) in phrases:
            return size
    return 0


def _plural(word: str) -> str:
    """'township' -> 'townships', 'county' -> 'counties', 'village tract' -> 'village tracts'."""
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")


def _is_capitalised(token: Token) -> bool:
    """'Kaduna', 'Ma'rib', 'U', 'LGA': a word that begins with a capital letter."""
    text = token.text
    return bool(text[:1].isupper() and text[:1].isalpha() and not token.like_num)


def _is_name_word(token: Token) -> bool:
    """A capitalised word of a place's name; an acronym ('KIA', 'PDF') is not one."""
    return _is_capitalised(token) and not (token.is_upper and len(token) > 1)


def _looks_like_acronym(text: str) -> bool:
    """'CNF', 'FARDC', 'M23', 'PDFs': short, mostly capital letters."""
    letters = [c for c in text if c.isalpha()]
    capitals = sum(c.isupper() for c in letters)
    return 2 <= len(text) <= 8 and capitals >= 2 and capitals >= len(letters) - 1


def _owners(doc: Doc, ents: Sequence[list[Any]]) -> dict[int, list[Any]]:
    owner: dict[int, list[Any]] = {}
    for ent in ents:
        for i in range(ent[0], ent[1]):
            owner[i] = ent
    return owner
