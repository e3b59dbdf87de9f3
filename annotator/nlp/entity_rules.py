"""The ``conflict_entities`` component: the statistical pipeline's names mapped onto the scheme,
with the armed groups, places, dates and counts the guideline asks for (labels/conflict.yml).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan
from spacy.util import filter_spans

from annotator.config import DEFAULT_PATTERNS
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

    def __call__(self, doc: Doc) -> Doc:
        ents = [self._trim(doc, [ent.start, ent.end, ent.label_]) for ent in doc.ents]
        ents = [ent for ent in ents if ent[0] < ent[1] and self._is_named(doc, ent)]
        ents = self._split_lists(doc, ents)
        ents = self._join_name_parts(doc, ents)
        ents = self._add_titled_persons(doc, ents)
        for ent in ents:
            self._relabel(doc, ent)
        ents = self._join_organisations(doc, ents)
        ents = self._add_suffixed_places(doc, ents)
        ents = _join_contiguous(ents, label="GPE")
        ents = self._add_facilities(doc, ents)
        ents = self._add_lowercase_facilities(doc, ents)
        ents = self._add_geographic_places(doc, ents)
        ents = self._extend_places(doc, ents)
        ents = self._add_place_noun_names(doc, ents)
        ents = self._add_located_places(doc, ents)
        ents = self._add_armed_groups(doc, ents)
        ents = self._add_unit_numbers(doc, ents)
        ents = self._add_bracketed_acronyms(doc, ents)
        ents = self._fix_dates(doc, ents)
        ents = self._fix_counts(doc, ents)
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
        for start, end, label in ents:
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
            if name is None or name[2] not in {"GPE", "LOC", "PERSON"} or name[1] != i + 1:
                continue
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
                if ent is not None and ent[2] not in {"GPE", "NORP", "LOC"}:
                    break
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
        """'Nyaung Kone village', 'Kyauktaw and Mrauk-U townships': the name is a place."""
        owner = _owners(doc, ents)
        for token in doc:
            if token.i == 0 or not token.is_lower:
                continue
            if token.lower_ not in self.lex["place_nouns_after_name"]:
                continue
            inside = owner.get(token.i - 1)
            if inside is not None and inside[1] == token.i + 1 and inside[0] < token.i:
                inside[1] = token.i  # 'Panjshir province': the name is 'Panjshir'
            elif owner.get(token.i) is not None:
                continue
            names = []
            i = token.i - 1
            while i >= 0:
                name = self._name_ending_at(doc, i, owner)
                if name is None or (name[0] > 0 and doc[name[0] - 1].lower_ in {"a", "an"}):
                    break
                names.append(name)
                i = name[0] - 1
                if not (i > 0 and doc[i].lower_ in {"and", ","} and token.lower_.endswith("s")):
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

    def _add_suffixed_places(self, doc: Doc, ents: list[list[Any]]) -> list[list[Any]]:
        """'Myinmu Township', 'Sagaing Region': the suffix belongs to the place name."""
        owner = _owners(doc, ents)
        for token in doc:
            if token.text not in self.lex["gpe_suffixes"] or token.i == 0:
                continue
            previous = owner.get(token.i - 1)
            if owner.get(token.i) is not None:
                continue
            if previous is not None and previous[2] in {"GPE", "LOC", "ORG", "PERSON", "NORP"}:
                previous[1] = token.i + 1
                previous[2] = "GPE"
            elif previous is None:
                start = token.i
                while (
                    start > 0
                    and doc[start - 1].is_title
                    and doc[start - 1].pos_ == "PROPN"
                    and (owner.get(start - 1) is None)
                    and not doc[start - 1].is_sent_start
                ):
                    start -= 1
                if start < token.i:
                    ents.append([start, token.i + 1, "GPE"])
            owner = _owners(doc, ents)
        return ents

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
            if label == "ORG" and (any(t.is_upper for t in tokens) or len(tokens) > 2):
                continue
            if label == "LOC" and len(tokens) > 1 and not self._is_unheaded_place(tokens):
                continue
            if not all(
                (t.is_title and t.pos_ in {"PROPN", "NOUN", "ADJ"})
                or (0 < t.i - start < len(tokens) - 1 and self._is_name_joint(t))
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
        if start == 0:
            return False
        previous = doc[start - 1]
        if previous.lower_ in self.lex["locative_prepositions"]:
            return True
        if previous.lower_ == "of" and start >= 2:
            return lemma_lower(doc[start - 2]) in self.lex["place_nouns"]
        if previous.lower_ == "on" and start >= 2:
            # 'an air strike on Khan Younis', 'a drone attack on Kharkiv'
            return lemma_lower(doc[start - 2]) in self.lex["actor_nouns"]
        return False

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
        return kept

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
