"""spaCy's binary training data: ``train.spacy`` and ``dev.spacy`` DocBins, split by report.

Entities are ``doc.ents``, event triggers ``doc.spans[spans_key]``, and ``doc.cats`` holds every
category of the scheme as 0.0 or 1.0, the shape ``spacy train`` expects for ``ner``,
``spancat`` and ``textcat_multilabel``. The events' arguments are
``doc.user_data["arguments"]``: a list of ``{"event": {start, end, label}, "role", "start", "end",
"label"}`` (``Argument.to_dict``, character offsets), JSON as it is, so any script reads it
without this package; the DocBin stores user data for it. Docs come from the blank English
tokenizer the annotator checks spans against, so every span aligns strictly.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.tokens import Doc, DocBin
from spacy.tokens import Span as DocSpan

from annotator.errors import AnnotatorError
from annotator.formats.checks import (
    AnnotationProblem,
    FileArgument,
    FileSpan,
    build_annotation,
    category_label,
)
from annotator.formats.files import replacing_file
from annotator.formats.records import (
    DEFAULT_OPTIONS,
    InvalidRecord,
    ReadOptions,
    Record,
    report_of,
)
from annotator.labels import LabelScheme
from annotator.spans import Span, SpanError
from annotator.tokens import blank_english

SPANS_KEY = "events"
TRAIN = "train.spacy"
DEV = "dev.spacy"
# Only what the annotations set; ORTH and spacing are always stored.
ATTRS = ("ENT_IOB", "ENT_TYPE")
# The key of ``doc.user_data`` that holds the events' arguments.
ARGUMENTS_KEY = "arguments"


class DocBinError(AnnotatorError, ValueError):
    """A record that cannot become a training Doc."""


@dataclass(frozen=True)
class SplitCounts:
    """How many sentences went to each file."""

    train: int
    dev: int


def split_reports(keys: Iterable[str], *, dev_share: float, seed: int) -> frozenset[str]:
    """The reports that go to dev: a seeded shuffle, ``dev_share`` of them (at least one, and
    never all, when there are two or more and the share is above zero)."""
    if not 0.0 <= dev_share < 1.0:
        raise ValueError(f"the dev share must be at least 0 and below 1, got {dev_share}")
    ordered = sorted(set(keys))
    random.Random(seed).shuffle(ordered)
    count = round(len(ordered) * dev_share)
    if dev_share > 0 and len(ordered) >= 2:
        count = min(max(count, 1), len(ordered) - 1)
    return frozenset(ordered[:count])


def doc_of(record: Record, *, categories: Sequence[str], spans_key: str = SPANS_KEY) -> Doc:
    """The training Doc of an annotated record."""
    doc = blank_english().make_doc(record.text)
    annotation = record.annotation
    if annotation is None:
        raise DocBinError(f"{record.source}:{record.line}: no annotation to train on")

    def aligned(spans: Iterable[Span]) -> list[DocSpan]:
        found: list[DocSpan] = []
        for span in spans:
            piece = doc.char_span(
                span.start_char, span.end_char, label=span.label, alignment_mode="strict"
            )
            if piece is None:
                raise DocBinError(
                    f"{record.source}:{record.line}: span {span.start_char}-{span.end_char} "
                    f"{span.label} is not on token boundaries"
                )
            found.append(piece)
        return found

    doc.ents = aligned(annotation.entities)
    doc.spans[spans_key] = aligned(annotation.events)
    chosen = set(annotation.categories)
    doc.cats = {name: 1.0 if name in chosen else 0.0 for name in categories}
    if annotation.arguments:
        doc.user_data[ARGUMENTS_KEY] = [a.to_dict() for a in sorted(set(annotation.arguments))]
    return doc


def write(
    records: Iterable[Record],
    directory: Path | str,
    *,
    categories: Sequence[str],
    dev_reports: Collection[str],
    spans_key: str = SPANS_KEY,
) -> SplitCounts:
    """Write train.spacy and dev.spacy into ``directory``; a report in ``dev_reports`` goes to
    dev. Records that are not accepted are left out. Each file is replaced atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    train = DocBin(attrs=ATTRS, store_user_data=True)
    dev = DocBin(attrs=ATTRS, store_user_data=True)
    for record in records:
        if record.annotation is None or record.annotation.status != "accept":
            continue
        doc = doc_of(record, categories=categories, spans_key=spans_key)
        (dev if report_of(record) in dev_reports else train).add(doc)
    for name, docs in ((TRAIN, train), (DEV, dev)):
        with replacing_file(directory / name) as temporary:
            temporary.write_bytes(docs.to_bytes())
    return SplitCounts(train=len(train), dev=len(dev))


def read(
    path: Path, source: str, scheme: LabelScheme, options: ReadOptions = DEFAULT_OPTIONS
) -> Iterator[Record | InvalidRecord]:
    """Each Doc of a .spacy file as an accepted record, numbered from 1 in file order.

    Events are read from ``doc.spans["events"]``, or from the only span group there is, and
    their arguments from ``doc.user_data["arguments"]``.
    """
    try:
        docs = DocBin().from_bytes(path.read_bytes())
    except (ValueError, KeyError, TypeError) as error:
        yield InvalidRecord(source, 0, f"not a spaCy DocBin ({error})")
        return
    for number, doc in enumerate(docs.get_docs(blank_english().vocab), start=1):
        if not doc.text.strip():
            # A blank text is a Record too: the import skips and counts it.
            yield Record(
                text=doc.text, source=source, line=number, meta={}, split=False, annotation=None
            )
            continue
        groups = list(doc.spans)
        key = SPANS_KEY if SPANS_KEY in groups else groups[0] if len(groups) == 1 else None
        events = (
            [FileSpan(s.start_char, s.end_char, s.label_, layer="events") for s in doc.spans[key]]
            if key
            else []
        )
        entities = [
            FileSpan(e.start_char, e.end_char, e.label_, layer="entities") for e in doc.ents
        ]
        try:
            arguments = _arguments_of(doc)
            # doc.cats names every category, chosen (1.0) or not (0.0), and each must be the
            # scheme's (or the label map's); build_annotation checks the chosen ones.
            for name in sorted(doc.cats):
                category_label(name, scheme=scheme, options=options)
            annotation = build_annotation(
                doc.text,
                spans=[*entities, *events],
                categories=[name for name, score in doc.cats.items() if score >= 0.5],
                annotator=None,
                status="accept",
                scheme=scheme,
                options=options,
                arguments=arguments,
            )
        except AnnotationProblem as problem:
            yield InvalidRecord(source, number, str(problem))
            continue
        yield Record(
            text=doc.text, source=source, line=number, meta={}, split=False, annotation=annotation
        )


def _arguments_of(doc: Doc) -> list[FileArgument]:
    """The arguments a Doc's user data holds, as the file spells their labels."""
    raw = doc.user_data.get(ARGUMENTS_KEY, [])
    # The DocBin's msgpack gives a list back as a tuple.
    if not isinstance(raw, list | tuple):
        raise AnnotationProblem(f'user_data["{ARGUMENTS_KEY}"] must be a list, got {raw!r}')
    found = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise AnnotationProblem(
                f'user_data["{ARGUMENTS_KEY}"][{index}] must be an object, got {item!r}'
            )
        try:
            event = Span.from_dict(item.get("event"))
            entity = Span.from_dict({key: item.get(key) for key in ("start", "end", "label")})
        except SpanError as error:
            raise AnnotationProblem(f'user_data["{ARGUMENTS_KEY}"][{index}]: {error}') from None
        role = item.get("role")
        if not isinstance(role, str) or not role:
            raise AnnotationProblem(
                f'user_data["{ARGUMENTS_KEY}"][{index}]: "role" must be a role name, got {role!r}'
            )
        found.append(
            FileArgument(
                FileSpan(event.start_char, event.end_char, event.label),
                role,
                FileSpan(entity.start_char, entity.end_char, entity.label),
            )
        )
    return found
