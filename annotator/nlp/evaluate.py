"""Score suggestions against hand-annotated gold: strict, labelled span match per layer, and
the share of records whose gold categories were all suggested (``categories_found``).

Event arguments (``arguments``) are scored per role where the gold events carry ``args``
(strict: the same trigger span, role and entity span), and on coder notes whose ``meta.coded``
holds the coder's table fields (``actor1``, ``actor2``, ``location``, ``fatalities``) by the
figures of a coder's table: the share of notes whose coded actor1 (and actor2 when it is an armed
group) a suggested ACTOR or TARGET names (``actors_named``), whose coded location a suggested
LOCATION is (``location_found``), and, of the notes that write their fatality count as a number,
those whose suggested casualties COUNT reads as it (``fatalities_found``; the COUNT of a
casualties trigger, or of violence that says the victims died, ``arguments.is_fatal``). Names
match whatever their case, a leading "the" and a trailing generic word ("Kyauk Ta Lone" and
"Kyauk Ta Lone village", "RSF" and "RSF fighters": ``arguments.name_key``).

``python -m annotator.nlp.evaluate --data tests/data/suggester_test.jsonl`` prints the figures;
``evaluate_file`` is the reusable core.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.config import DEFAULT_LABELS, DEFAULT_MODEL
from annotator.errors import AnnotatorError
from annotator.spans import Argument, Span, SpanError


class InvalidRecord(AnnotatorError, ValueError):
    """A gold record that cannot be scored (line 0: the whole file); names the file line."""

    def __init__(self, line: int, reason: str, *, path: Path | str | None = None) -> None:
        self.line = line
        self.reason = reason
        self.path = path
        where = f"line {line}" if line else ""
        if path is not None:
            where = f"{path}, {where}" if where else str(path)
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass
class PRF:
    """True positives, false positives and false negatives, with P/R/F as in spaCy's PRFScore."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def score_set(self, predicted: set[Any], gold: set[Any]) -> None:
        """Add the counts of one item's predicted and gold sets."""
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 0.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 0.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fscore(self) -> float:
        """The harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        """``{p, r, f, tp, fp, fn}``."""
        return {
            "p": self.precision,
            "r": self.recall,
            "f": self.fscore,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class LayerScore:
    """Overall and per-label scores of one layer (entities, events or categories)."""

    overall: PRF = field(default_factory=PRF)
    per_label: dict[str, PRF] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Overall figures plus ``per_label``."""
        return {
            **self.overall.to_dict(),
            "per_label": {label: prf.to_dict() for label, prf in sorted(self.per_label.items())},
        }


@dataclass
class Found:
    """How many records with gold categories had them all among the suggested ones."""

    records: int = 0
    found: int = 0

    @property
    def share(self) -> float:
        """found / records; 0.0 when no record had a gold category."""
        return self.found / self.records if self.records else 0.0

    def to_dict(self) -> dict[str, float | int]:
        """``{records, found, share}``."""
        return {"records": self.records, "found": self.found, "share": self.share}


@dataclass
class CategoriesFound:
    """The share of records whose gold categories were all suggested, overall and per category.

    The figure of a coder's event type: a note has one, and the suggestion may hold more.
    Records without gold categories are left out; per category, a record counts where its gold
    holds that category, and is found where that category was suggested.
    """

    overall: Found = field(default_factory=Found)
    per_label: dict[str, Found] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Overall figures plus ``per_label``."""
        return {
            **self.overall.to_dict(),
            "per_label": {
                label: found.to_dict() for label, found in sorted(self.per_label.items())
            },
        }


@dataclass(frozen=True)
class GoldRecord:
    """One hand-annotated sentence."""

    text: str
    entities: tuple[Span, ...]
    events: tuple[Span, ...]
    categories: tuple[str, ...]
    # The events' arguments, where the gold events carry ``args`` (has_arguments).
    arguments: tuple[Argument, ...] = ()
    has_arguments: bool = False
    # A coder's table fields of the note (meta.coded): actor1, actor2, location, fatalities.
    coded: dict[str, Any] | None = None


@dataclass
class NotesFound:
    """How many notes had a coded field, and in how many the suggestion found it."""

    notes: int = 0
    found: int = 0

    @property
    def share(self) -> float:
        """found / notes; 0.0 when no note had the field."""
        return self.found / self.notes if self.notes else 0.0

    def to_dict(self) -> dict[str, float | int]:
        """``{notes, found, share}``."""
        return {"notes": self.notes, "found": self.found, "share": self.share}


@dataclass
class ArgumentScore:
    """Per-role argument scores where the gold has arguments, and the coder's-table figures."""

    records: int = 0
    overall: PRF = field(default_factory=PRF)
    per_label: dict[str, PRF] = field(default_factory=dict)
    actors_named: NotesFound = field(default_factory=NotesFound)
    location_found: NotesFound = field(default_factory=NotesFound)
    fatalities_found: NotesFound = field(default_factory=NotesFound)

    def to_dict(self) -> dict[str, Any]:
        """Overall figures, ``per_label`` (by role) and the three coder's-table figures."""
        return {
            "records": self.records,
            **self.overall.to_dict(),
            "per_label": {label: prf.to_dict() for label, prf in sorted(self.per_label.items())},
            "actors_named": self.actors_named.to_dict(),
            "location_found": self.location_found.to_dict(),
            "fatalities_found": self.fatalities_found.to_dict(),
        }


@dataclass(frozen=True)
class EvaluationReport:
    """The scores of one model on one gold file."""

    model_name: str
    model_version: str
    records: int
    entities: LayerScore
    events: LayerScore
    categories: LayerScore
    categories_found: CategoriesFound = field(default_factory=CategoriesFound)
    # None where no suggestion was run (a trained model's stored metrics).
    arguments: ArgumentScore | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        data = {
            "model_name": self.model_name,
            "model_version": self.model_version,
            "records": self.records,
            "entities": self.entities.to_dict(),
            "events": self.events.to_dict(),
            "categories": self.categories.to_dict(),
            "categories_found": self.categories_found.to_dict(),
        }
        if self.arguments is not None:
            data["arguments"] = self.arguments.to_dict()
        return data


def score_spans(gold: Iterable[Iterable[Span]], predicted: Iterable[Iterable[Span]]) -> LayerScore:
    """Strict labelled span match: a prediction counts only with the same bounds and label."""
    score = LayerScore()
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        g = {(s.start_char, s.end_char, s.label) for s in gold_spans}
        p = {(s.start_char, s.end_char, s.label) for s in predicted_spans}
        score.overall.score_set(p, g)
        for label in {item[2] for item in g | p}:
            prf = score.per_label.setdefault(label, PRF())
            prf.score_set({x for x in p if x[2] == label}, {x for x in g if x[2] == label})
    return score


def score_labels(gold: Iterable[Iterable[str]], predicted: Iterable[Iterable[str]]) -> LayerScore:
    """Sentence-level label match (categories): one decision per sentence and label."""
    score = LayerScore()
    for gold_labels, predicted_labels in zip(gold, predicted, strict=True):
        g, p = set(gold_labels), set(predicted_labels)
        score.overall.score_set(p, g)
        for label in g | p:
            score.per_label.setdefault(label, PRF()).score_set(p & {label}, g & {label})
    return score


def find_categories(
    gold: Iterable[Iterable[str]], predicted: Iterable[Iterable[str]]
) -> CategoriesFound:
    """Which records had all their gold categories among the suggested ones."""
    result = CategoriesFound()
    for gold_labels, predicted_labels in zip(gold, predicted, strict=True):
        g, p = set(gold_labels), set(predicted_labels)
        if not g:
            continue
        result.overall.records += 1
        result.overall.found += int(g <= p)
        for label in g:
            per_label = result.per_label.setdefault(label, Found())
            per_label.records += 1
            per_label.found += int(label in p)
    return result


def read_gold(path: Path | str) -> list[GoldRecord]:
    """Read Prodigy-style JSONL (text, spans, events, accept); raise InvalidRecord naming the file
    and the bad line, or line 0 when the file cannot be read."""
    try:
        raw_lines = Path(path).read_bytes().splitlines()
    except OSError as error:
        raise InvalidRecord(0, f"cannot be read ({error.strerror or error})", path=path) from error
    records: list[GoldRecord] = []
    for number, raw in enumerate(raw_lines, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidRecord(
                number, f"invalid UTF-8 at byte {error.start}", path=path
            ) from error
        if line.strip():
            records.append(parse_gold(line, line_number=number, path=path))
    return records


def parse_gold(line: str, *, line_number: int = 1, path: Path | str | None = None) -> GoldRecord:
    """One JSONL line as a GoldRecord; an InvalidRecord names ``path`` when given."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise InvalidRecord(line_number, f"not JSON ({error.msg})", path=path) from error
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise InvalidRecord(line_number, "needs an object with a text string", path=path)
    text = data["text"]
    try:
        entities = tuple(sorted(Span.from_dict(r) for r in data.get("spans") or []))
        events = tuple(sorted(Span.from_dict(r) for r in data.get("events") or []))
        arguments, has_arguments = _gold_arguments(data.get("events") or [])
    except SpanError as error:
        raise InvalidRecord(line_number, str(error), path=path) from error
    for span in (*entities, *events):
        if not 0 <= span.start_char < span.end_char <= len(text):
            raise InvalidRecord(
                line_number, f"span {span.start_char}-{span.end_char} out of range", path=path
            )
    accept = data.get("accept") or []
    if not isinstance(accept, list) or not all(isinstance(label, str) for label in accept):
        raise InvalidRecord(line_number, "accept must be a list of category labels", path=path)
    meta = data.get("meta")
    coded = meta.get("coded") if isinstance(meta, dict) else None
    if coded is not None and not isinstance(coded, dict):
        raise InvalidRecord(line_number, "meta.coded must be an object", path=path)
    return GoldRecord(
        text=text,
        entities=entities,
        events=events,
        categories=tuple(accept),
        arguments=arguments,
        has_arguments=has_arguments,
        coded=coded,
    )


def _gold_arguments(events: Any) -> tuple[tuple[Argument, ...], bool]:
    """The arguments of the gold events' ``args`` lists, and whether any event has one."""
    found: list[Argument] = []
    has_arguments = False
    for record in events if isinstance(events, list) else []:
        if not isinstance(record, dict) or "args" not in record:
            continue
        has_arguments = True
        trigger = Span.from_dict(record)
        if not isinstance(record["args"], list):
            raise SpanError(
                f"the args of event {trigger.start_char}-{trigger.end_char} must be a list"
            )
        for arg in record["args"]:
            role = arg.get("role") if isinstance(arg, dict) else None
            if not isinstance(role, str) or not role:
                raise SpanError(f"an argument needs a role, got {arg!r}")
            found.append(Argument(trigger, role, Span.from_dict(arg)))
    return tuple(sorted(found)), has_arguments


def evaluate(records: Sequence[GoldRecord], *, suggester: Any) -> EvaluationReport:
    """Run the suggester over the gold texts and score every layer."""
    suggestions = list(suggester.suggest(record.text for record in records))
    return EvaluationReport(
        model_name=suggester.model_name,
        model_version=suggester.model_version,
        records=len(records),
        entities=score_spans((r.entities for r in records), (s.entities for s in suggestions)),
        events=score_spans((r.events for r in records), (s.events for s in suggestions)),
        categories=score_labels(
            (r.categories for r in records), (s.categories for s in suggestions)
        ),
        categories_found=find_categories(
            (r.categories for r in records), (s.categories for s in suggestions)
        ),
        arguments=score_arguments(records, suggestions),
    )


ACTOR_ROLES = frozenset({"ACTOR", "TARGET"})
LOCATION_ROLE = "LOCATION"
COUNT_ROLE = "COUNT"
ARMED = "ARMED_GROUP"


def score_arguments(records: Sequence[GoldRecord], suggestions: Sequence[Any]) -> ArgumentScore:
    """Per-role strict argument match (same trigger span, role and entity span) where the gold
    has arguments, and the coder's-table figures where it has ``meta.coded``."""
    from annotator.nlp.arguments import is_fatal
    from annotator.numbers import parse_count as count_value

    score = ArgumentScore()
    for record, suggestion in zip(records, suggestions, strict=True):
        suggested = tuple(getattr(suggestion, "arguments", ()))
        if record.has_arguments:
            score.records += 1
            g = {_argument_key(a) for a in record.arguments}
            p = {_argument_key(a) for a in suggested}
            score.overall.score_set(p, g)
            for role in {key[2] for key in g | p}:
                prf = score.per_label.setdefault(role, PRF())
                prf.score_set({k for k in p if k[2] == role}, {k for k in g if k[2] == role})
        if not record.coded:
            continue
        text, coded = record.text, record.coded
        named = {_normal(a.entity.text_in(text)) for a in suggested if a.role in ACTOR_ROLES}
        # Notes coded without spans: the suggested entities tell the armed groups.
        spans = record.entities or tuple(getattr(suggestion, "entities", ()))
        armed = {_normal(s.text_in(text)) for s in spans if s.label == ARMED}
        actors = [
            _normal(name)
            for key in ("actor1", "actor2")
            if isinstance(name := coded.get(key), str) and name.strip()
            if key == "actor1" or _normal(name) in armed
        ]
        if actors:
            score.actors_named.notes += 1
            score.actors_named.found += int(all(actor in named for actor in actors))
        location = coded.get("location")
        if isinstance(location, str) and location.strip():
            places = {_normal(a.entity.text_in(text)) for a in suggested if a.role == LOCATION_ROLE}
            score.location_found.notes += 1
            score.location_found.found += int(_normal(location) in places)
        fatalities = coded.get("fatalities")
        if isinstance(fatalities, int) and not isinstance(fatalities, bool):
            written = _written_numbers(record, spans, count_value=count_value)
            if fatalities in written:
                counts = {
                    count.value
                    for a in suggested
                    if a.role == COUNT_ROLE and is_fatal(a.event, text)
                    if (count := count_value(a.entity.text_in(text))) is not None
                }
                score.fatalities_found.notes += 1
                score.fatalities_found.found += int(fatalities in counts)
    return score


# A number as a note writes it: digits ('1,000', '10-15') or a number word ('seven').
_NUMBER_WORD = re.compile(r"\d+(?:,\d{3})*(?:-\d+)?|[A-Za-z]+(?:-[A-Za-z]+)?")


def _written_numbers(record: GoldRecord, spans: Iterable[Span], *, count_value: Any) -> set[int]:
    """The numbers a note writes: its gold counts (CARDINAL spans), or, in a note coded without
    spans, every number in digits or words outside the other entities (a date's '3 May', a
    unit's 'LIB 538') of ``spans``."""
    text = record.text
    if record.entities:
        texts = [s.text_in(text) for s in record.entities if s.label == "CARDINAL"]
    else:
        others = [s for s in spans if s.label != "CARDINAL"]
        texts = [
            match.group()
            for match in _NUMBER_WORD.finditer(text)
            if not any(s.start_char < match.end() and match.start() < s.end_char for s in others)
        ]
    values = (count_value(item) for item in texts)
    return {count.value for count in values if count is not None}


def _argument_key(argument: Argument) -> tuple[int, int, str, int, int]:
    return (
        argument.event.start_char,
        argument.event.end_char,
        argument.role,
        argument.entity.start_char,
        argument.entity.end_char,
    )


def _normal(name: str) -> str:
    """A name as a coder's table and a note may both write it (``arguments.name_key``)."""
    from annotator.nlp.arguments import name_key

    return name_key(name)


def evaluate_file(path: Path | str, *, suggester: Any) -> EvaluationReport:
    """Score the suggester on a gold JSONL file."""
    return evaluate(read_gold(path), suggester=suggester)


def format_report(report: EvaluationReport) -> str:
    """A plain-text table: overall and per-label P/R/F for each layer."""
    lines = [
        f"Model    {report.model_name} {report.model_version}",
        f"Records  {report.records}",
        "",
    ]
    header = f"{'':<28}{'P':>7}{'R':>7}{'F':>7}{'TP':>6}{'FP':>6}{'FN':>6}"
    for title, layer in (
        ("Entities", report.entities),
        ("Events", report.events),
        ("Categories", report.categories),
    ):
        lines.append(header.replace(" " * 28, f"{title:<28}", 1))
        rows = [("overall", layer.overall), *sorted(layer.per_label.items())]
        for name, prf in rows:
            lines.append(
                f"  {name:<26}{prf.precision:>7.3f}{prf.recall:>7.3f}{prf.fscore:>7.3f}"
                f"{prf.tp:>6}{prf.fp:>6}{prf.fn:>6}"
            )
        lines.append("")
    found = report.categories_found
    if found.overall.records:
        lines.append(f"{'Categories found':<28}{'records':>9}{'found':>7}{'share':>7}")
        for name, item in [("overall", found.overall), *sorted(found.per_label.items())]:
            lines.append(f"  {name:<26}{item.records:>9}{item.found:>7}{item.share:>7.3f}")
        lines.append("")
    lines.extend(_argument_lines(report.arguments, header=header))
    return "\n".join(lines).rstrip() + "\n"


def _argument_lines(score: ArgumentScore | None, *, header: str) -> list[str]:
    """The arguments' table: per role where the gold has them, then the coder's-table figures."""
    if score is None:
        return []
    lines: list[str] = []
    if score.records:
        lines.append(header.replace(" " * 28, f"{'Arguments':<28}", 1))
        for name, prf in [("overall", score.overall), *sorted(score.per_label.items())]:
            lines.append(
                f"  {name:<26}{prf.precision:>7.3f}{prf.recall:>7.3f}{prf.fscore:>7.3f}"
                f"{prf.tp:>6}{prf.fp:>6}{prf.fn:>6}"
            )
        lines.append("")
    figures = [
        ("actors named", score.actors_named),
        ("location found", score.location_found),
        ("fatalities found", score.fatalities_found),
    ]
    if any(item.notes for _, item in figures):
        lines.append(f"{'Coded notes':<28}{'notes':>9}{'found':>7}{'share':>7}")
        for name, item in figures:
            lines.append(f"  {name:<26}{item.notes:>9}{item.found:>7}{item.share:>7.3f}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the scores of a model on a gold file; exit 1 on bad input."""
    from annotator.labels import load_scheme
    from annotator.nlp.suggest import load_suggester

    parser = argparse.ArgumentParser(
        prog="python -m annotator.nlp.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", required=True, type=Path, help="gold JSONL file")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="spaCy package name or path")
    parser.add_argument("--labels", default=DEFAULT_LABELS, type=Path, help="label scheme YAML")
    parser.add_argument("--patterns", default=None, type=Path, help="rule patterns folder")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    try:
        scheme = load_scheme(args.labels)
        records = read_gold(args.data)
        suggester = load_suggester(args.model, scheme=scheme, patterns_dir=args.patterns)
        report = evaluate(records, suggester=suggester)
    except AnnotatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_report(report), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
