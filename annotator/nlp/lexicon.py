"""The gold lexicon: what reviewers decided about phrases, applied to new suggestions at once.

Every decision votes on phrases (``votes_of``): a reviewer's accepted annotation or an
adjudicated gold *keeps* each phrase it marks with that label, and *removes* each phrase with a
label that it was shown (a suggestion; for an adjudicator, a reviewer's version) and did not
keep. A relabelled suggestion removes the old label and keeps the new one; a span whose bounds
were changed removes the suggested phrase and keeps the marked one. A phrase is the span's tokens
(``annotator.tokens``), lowercased, joined by one space, apostrophes straightened; a vote also
says how the phrase was written, *like a name* (a capital letter, or a script without case:
"Arakan Army", "AA") or *plain* ("troops"), because "Army" cut from "Arakan Army" says nothing
of "the army".

What the votes decide (``GoldLexicon.from_votes``), per layer, phrase, label and way of writing:

* the latest adjudicated decision wins over every reviewer: kept, the label is learned; removed,
  it is blocked;
* otherwise the reviewers' votes count: kept more often than removed, learned; removed more
  often than kept, blocked; as often, the lexicon has no opinion;
* of a phrase's learned labels, one is its label: the latest adjudicated one, else the one kept
  most often net of removals, else the one decided last (a phrase written one way takes its
  label from the other way when that label is not blocked there).

How a suggestion is changed (``GoldLexicon.apply``):

* entities: a suggested span whose phrase has a label takes that label; one whose label is
  blocked takes the longest learned phrase inside it, or goes; every occurrence of a *name*
  learned (a phrase kept written like a name) is suggested where written like a name, the
  longest first, on token boundaries, never over a decided span, replacing the suggested
  entities it overlaps, unless one of them holds it with more of a name ("Kachin Independence
  Army" around "Kachin"; "the Arakan Army" gives way to "Arakan Army"). Plain phrases are never
  added where nothing was suggested, because whether "military" is an entity depends on its
  sentence ("military camp"), which the rules read;
* event triggers: a suggested trigger whose label is blocked takes the phrase's learned label,
  or goes; none is added, for the same reason (a trigger word is an event in one sentence and
  not in the next);
* event arguments follow their spans: a relabelled or replaced entity keeps the roles that take
  its new label; a span that goes takes its arguments with it. Categories stay as suggested.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from annotator.labels import LabelScheme
from annotator.spans import LAYERS, Argument, Draft, Layer, Span
from annotator.tokens import token_bounds

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from annotator.nlp.suggest import Suggester, Suggestion

# The longest phrase the lexicon keeps, in tokens and in characters: longer spans are clauses,
# not names that come back word for word.
MAX_TOKENS = 10
MAX_PHRASE_CHARS = 200

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})


def normalize(words: Iterable[str]) -> str:
    """The lexicon's key of a phrase given as its tokens."""
    return " ".join(words).lower().translate(_APOSTROPHES)


def _words(span: Span, bounds: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(s, e) for s, e in bounds if span.start_char <= s and e <= span.end_char]


def phrase_of(span: Span, text: str) -> str | None:
    """The lexicon's key of a span of ``text``; None when it is too long to be one."""
    words = [text[s:e] for s, e in _words(span, token_bounds(text))]
    if not words or len(words) > MAX_TOKENS:
        return None
    phrase = normalize(words)
    return phrase if len(phrase) <= MAX_PHRASE_CHARS else None


def phrases_in(text: str, *, max_tokens: int = MAX_TOKENS) -> set[str]:
    """Every key a span of ``text`` can have that begins and ends with a word (a name never
    begins or ends with a comma or a bracket): what to look up in a stored lexicon."""
    words = [normalize([text[start:end]]) for start, end in token_bounds(text)]
    wordlike = [any(c.isalnum() for c in word) for word in words]
    found: set[str] = set()
    for first in range(len(words)):
        if not wordlike[first]:
            continue
        phrase = ""
        for last in range(first, min(first + max_tokens, len(words))):
            phrase = f"{phrase} {words[last]}" if phrase else words[last]
            if len(phrase) > MAX_PHRASE_CHARS:
                break
            if wordlike[last]:
                found.add(phrase)
    return found


def looks_like_name(text: str) -> bool:
    """True when ``text`` has a capital letter, or a letter of a script without case."""
    return any(c.isupper() or (c.isalpha() and not c.islower()) for c in text)


# --- votes --------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Vote:
    """What one decision says of a phrase with a label, written like a name or plain: kept or
    removed."""

    layer: Layer
    phrase: str
    label: str
    kept: bool
    name: bool


def votes_of(decided: Draft, *, shown: Iterable[Draft], text: str) -> list[Vote]:
    """The votes of one decision: each phrase and label it marks is kept, each it was shown
    and did not keep is removed; one vote per phrase, label and way of writing, whatever the
    number of mentions."""
    votes: set[Vote] = set()
    for layer in LAYERS:
        kept = _keys(decided.layer(layer), text)
        removed = {key for draft in shown for key in _keys(draft.layer(layer), text)} - kept
        votes |= {Vote(layer, phrase, label, True, name) for phrase, label, name in kept}
        votes |= {Vote(layer, phrase, label, False, name) for phrase, label, name in removed}
    return sorted(votes)


def _keys(spans: Iterable[Span], text: str) -> set[tuple[str, str, bool]]:
    return {
        (phrase, span.label, looks_like_name(span.text_in(text)))
        for span in spans
        if (phrase := phrase_of(span, text)) is not None
    }


@dataclass(frozen=True)
class VoteCount:
    """Votes of standing decisions, counted by what they say: how many, and the latest one's
    time."""

    layer: Layer
    phrase: str
    label: str
    kept: bool
    name: bool
    adjudicated: bool
    votes: int
    latest: datetime


@dataclass
class _Tally:
    """The votes on one phrase with one label written one way."""

    kept: int = 0
    removed: int = 0
    latest: datetime | None = None
    adjudicated_kept: datetime | None = None
    adjudicated_removed: datetime | None = None

    def add(self, vote: VoteCount) -> None:
        latest = _utc(vote.latest)
        if vote.adjudicated and vote.kept:
            self.adjudicated_kept = _later(self.adjudicated_kept, latest)
        elif vote.adjudicated:
            self.adjudicated_removed = _later(self.adjudicated_removed, latest)
        elif vote.kept:
            self.kept += vote.votes
        else:
            self.removed += vote.votes
        self.latest = _later(self.latest, latest)

    @property
    def learned(self) -> bool:
        adjudicated = _later(self.adjudicated_kept, self.adjudicated_removed)
        if adjudicated is not None:
            return self.adjudicated_kept == adjudicated
        return self.kept > self.removed

    @property
    def blocked(self) -> bool:
        adjudicated = _later(self.adjudicated_kept, self.adjudicated_removed)
        if adjudicated is not None:
            return self.adjudicated_kept != adjudicated
        return self.removed > self.kept

    def rank(self) -> tuple[float, int, float]:
        """Which learned label is a phrase's: adjudicated last, kept most, decided last."""
        return (_moment(self.adjudicated_kept), self.kept - self.removed, _moment(self.latest))


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _later(first: datetime | None, second: datetime | None) -> datetime | None:
    if first is None or second is None:
        return first or second
    return max(first, second)


def _moment(moment: datetime | None) -> float:
    return float("-inf") if moment is None else moment.timestamp()


@dataclass(frozen=True)
class Entry:
    """What the lexicon holds of one phrase in one layer, by how an occurrence is written (like
    a name, plain): its label (None: none learned) and the labels it must not be suggested
    with; and whether it is a name, suggested wherever it is written like one."""

    name_label: str | None
    plain_label: str | None
    name_blocked: frozenset[str] = frozenset()
    plain_blocked: frozenset[str] = frozenset()
    added: bool = False

    def label(self, *, name: bool) -> str | None:
        """The label of an occurrence written like a name (``name``) or plain."""
        return self.name_label if name else self.plain_label

    def blocks(self, label: str, *, name: bool) -> bool:
        """Whether an occurrence written so must not be suggested with ``label``."""
        return label in (self.name_blocked if name else self.plain_blocked)


def _entry(tallies: Mapping[tuple[str, bool], _Tally]) -> Entry | None:
    best: dict[bool, str | None] = {}
    blocked: dict[bool, frozenset[str]] = {}
    for name in (True, False):
        written = {label: tally for (label, way), tally in tallies.items() if way == name}
        learned = [(tally.rank(), label) for label, tally in written.items() if tally.learned]
        best[name] = max(learned)[1] if learned else None
        blocked[name] = frozenset(label for label, tally in written.items() if tally.blocked)
    labels = {
        name: best[name] or (best[not name] if best[not name] not in blocked[name] else None)
        for name in (True, False)
    }
    if not any(labels.values()) and not any(blocked.values()):
        return None
    return Entry(
        name_label=labels[True],
        plain_label=labels[False],
        name_blocked=blocked[True],
        plain_blocked=blocked[False],
        added=best[True] is not None,
    )


# --- the lexicon --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldLexicon:
    """Phrases with what reviewers decided about them, by layer and phrase."""

    entries: Mapping[tuple[Layer, str], Entry] = field(default_factory=dict)

    @classmethod
    def from_votes(cls, votes: Iterable[VoteCount]) -> GoldLexicon:
        """The lexicon the counted votes make (the rules in this module's docstring)."""
        tallies: dict[tuple[Layer, str], dict[tuple[str, bool], _Tally]] = defaultdict(dict)
        for vote in votes:
            key = (vote.label, vote.name)
            tallies[(vote.layer, vote.phrase)].setdefault(key, _Tally()).add(vote)
        entries = {key: _entry(found) for key, found in tallies.items()}
        return cls({key: entry for key, entry in entries.items() if entry is not None})

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, layer: Layer, phrase: str | None) -> Entry | None:
        """What the lexicon holds of a phrase; None for nothing."""
        return None if phrase is None else self.entries.get((layer, phrase))

    def label_of(self, span: Span, *, text: str, layer: Layer) -> str | None:
        """The learned label of the phrase a span of ``text`` covers, written as it is there."""
        entry = self.entry(layer, phrase_of(span, text))
        return None if entry is None else entry.label(name=looks_like_name(span.text_in(text)))

    def _longest_name(self) -> int:
        return max(
            (
                phrase.count(" ") + 1
                for (layer, phrase), entry in self.entries.items()
                if layer == "entities" and entry.added
            ),
            default=0,
        )

    def names_in(self, text: str, *, decided: Sequence[Span] = ()) -> list[Span]:
        """Every occurrence of a learned name in ``text`` written like a name, the longest at
        each place first, left to right, none overlapping another or a decided span."""
        bounds = token_bounds(text)
        lowered = [normalize([text[s:e]]) for s, e in bounds]
        longest = self._longest_name()
        found: list[Span] = []
        first = 0
        while first < len(bounds) and longest:
            match = None
            for last in range(min(first + longest, len(bounds)) - 1, first - 1, -1):
                entry = self.entry("entities", " ".join(lowered[first : last + 1]))
                start, end = bounds[first][0], bounds[last][1]
                if entry is None or not entry.added or not looks_like_name(text[start:end]):
                    continue
                span = Span(start, end, entry.label(name=True) or "")
                if span.label and not any(span.overlaps(other) for other in decided):
                    match = (span, last)
                    break
            if match is None:
                first += 1
                continue
            found.append(match[0])
            first = match[1] + 1
        return found

    def apply(
        self, draft: Draft, *, text: str, scheme: LabelScheme, decided: Sequence[Span] = ()
    ) -> Draft:
        """The suggested ``draft`` of ``text`` as the lexicon changes it (this module's
        docstring); ``decided`` spans are never overlapped."""
        if not self.entries:
            return draft
        # Where each suggested span went: the same span with another label, a span that
        # replaced it, or None (gone); its arguments follow.
        moved: dict[Span, Span | None] = {}
        known = frozenset(scheme.names("entities"))
        entities: list[Span] = []
        for span in draft.entities:
            kept = self._entity(span, text=text, known=known)
            if kept != span:
                moved[span] = kept
            if kept is not None:
                entities.append(kept)
        for name in self.names_in(text, decided=decided):
            if name.label not in known:
                continue
            overlapped = [span for span in entities if span.overlaps(name)]
            if any(_more_of_a_name(span, name, text) for span in overlapped):
                continue
            for span in overlapped:
                entities.remove(span)
                moved[span] = name
            entities.append(name)
        known = frozenset(scheme.names("events"))
        events: set[Span] = set()
        for span in draft.events:
            kept = self._event(span, text=text, known=known)
            if kept != span:
                moved[span] = kept
            if kept is not None:
                events.add(kept)
        arguments = {
            moved_argument
            for argument in draft.arguments
            if (moved_argument := _moved(argument, moved, scheme=scheme)) is not None
        }
        learned = Draft(
            entities=tuple(sorted(set(entities))),
            events=tuple(sorted(events)),
            categories=draft.categories,
            arguments=_one_role_each(sorted(arguments), scheme=scheme),
        ).without_dangling()
        return draft if learned == draft else learned

    def _entity(self, span: Span, *, text: str, known: frozenset[str]) -> Span | None:
        """A suggested entity with its learned label, or what is learned inside it when its
        label is blocked, or None."""
        name = looks_like_name(span.text_in(text))
        entry = self.entry("entities", phrase_of(span, text))
        label = None if entry is None else entry.label(name=name)
        if label is not None and label in known:
            return replace(span, label=label)
        if entry is None or not entry.blocks(span.label, name=name):
            return span
        return self._learned_inside(span, text=text, known=known)

    def _learned_inside(self, span: Span, *, text: str, known: frozenset[str]) -> Span | None:
        """The longest phrase with a learned label among the tokens of a blocked span."""
        words = _words(span, token_bounds(text))
        for size in range(len(words) - 1, 0, -1):
            for first in range(len(words) - size + 1):
                inner = Span(words[first][0], words[first + size - 1][1], span.label)
                entry = self.entry("entities", phrase_of(inner, text))
                label = (
                    None
                    if entry is None
                    else entry.label(name=looks_like_name(inner.text_in(text)))
                )
                if label is not None and label in known:
                    return replace(inner, label=label)
        return None

    def _event(self, span: Span, *, text: str, known: frozenset[str]) -> Span | None:
        """A suggested trigger, with the phrase's learned label when its own is blocked, or
        None."""
        name = looks_like_name(span.text_in(text))
        entry = self.entry("events", phrase_of(span, text))
        if entry is None or not entry.blocks(span.label, name=name):
            return span
        label = entry.label(name=name)
        return replace(span, label=label) if label is not None and label in known else None


def _more_of_a_name(outer: Span, name: Span, text: str) -> bool:
    """Whether a suggested entity holds the name and more words written like a name: a longer
    name ("Kachin Independence Army" around "Kachin"), not "the" or a count around it."""
    if outer == name or not (
        outer.start_char <= name.start_char and name.end_char <= outer.end_char
    ):
        return False
    rest = text[outer.start_char : name.start_char] + text[name.end_char : outer.end_char]
    return looks_like_name(rest)


def _moved(
    argument: Argument, moved: Mapping[Span, Span | None], *, scheme: LabelScheme
) -> Argument | None:
    """The argument on its spans as the lexicon left them; None when one went, or the role does
    not take the entity's new label."""
    event, entity = _where(argument.event, moved), _where(argument.entity, moved)
    if event is None or entity is None:
        return None
    role = scheme.role(argument.role)
    if role is not None and role.accepts and entity.label not in role.accepts:
        return None
    return Argument(event, argument.role, entity)


def _one_role_each(arguments: Iterable[Argument], *, scheme: LabelScheme) -> tuple[Argument, ...]:
    """The arguments without those that two spans merged into one made conflict: an entity in
    two roles of one event, a role the scheme does not repeat given twice (the first stays)."""
    kept: list[Argument] = []
    played: set[tuple[Span, Span]] = set()
    given: set[tuple[Span, str]] = set()
    for argument in arguments:
        role = scheme.role(argument.role)
        once = role is None or not role.repeat
        if (argument.event, argument.entity) in played or (
            once and (argument.event, argument.role) in given
        ):
            continue
        kept.append(argument)
        played.add((argument.event, argument.entity))
        given.add((argument.event, argument.role))
    return tuple(kept)


def _where(span: Span, moved: Mapping[Span, Span | None]) -> Span | None:
    """Where a span went, through every move (relabelled, then replaced by a name)."""
    seen: set[Span] = set()
    current: Span | None = span
    while current is not None and current in moved and current not in seen:
        seen.add(current)
        current = moved[current]
    return current


# --- a suggester that learns -------------------------------------------------------------------


def learned_suggester(suggester: Suggester, lexicon: GoldLexicon) -> Suggester:
    """The suggester with the lexicon applied to everything it suggests, under its own name and
    version (a lexicon is no new model); the suggester itself when the lexicon is empty."""
    if not lexicon.entries:
        return suggester
    # Imported here: the annotate page reads the lexicon through this module and never loads a
    # pipeline, so it does not import one either.
    from annotator.nlp.suggest import Suggester

    class LearnedSuggester(Suggester):
        """A suggester whose suggestions the gold lexicon has changed."""

        def __init__(self) -> None:
            # The loaded pipeline and everything it was set up with, shared, not loaded again.
            self.__dict__.update(vars(suggester))

        def suggestion_for(self, doc: Doc) -> Suggestion:
            found = super().suggestion_for(doc)
            draft = Draft(
                entities=found.entities,
                events=found.events,
                categories=found.categories,
                arguments=found.arguments,
            )
            learned = lexicon.apply(draft, text=doc.text, scheme=self.scheme)
            return replace(
                found,
                entities=learned.entities,
                events=learned.events,
                arguments=learned.arguments,
            )

    return LearnedSuggester()
