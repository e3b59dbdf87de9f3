"""spaCy export of the gold: ``annotator export --format spacy`` against building the same
DocBins straight from the same rows."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from spacy.tokens import DocBin
from sqlalchemy.engine import Engine

from annotator.bench.context import BenchContext, BenchError
from annotator.bench.results import Row, Target, short_count, timed
from annotator.config import DEFAULT_DEV_SHARE
from annotator.db import session_scope
from annotator.formats import spacy_docbin
from annotator.models import Gold, Report, Sentence
from annotator.tokens import blank_english
from annotator.workflow.exporting import ExportChoice, write_export

SEED = 0


def direct_docbins(engine: Engine, *, categories: list[str], output: Path) -> tuple[int, int]:
    """Read the gold with one streamed Core query and build train.spacy and dev.spacy from the
    rows, with nothing in between; return (train, dev) counts."""
    sentence, report, gold = (
        Sentence.__table__,  # type: ignore[attr-defined]
        Report.__table__,  # type: ignore[attr-defined]
        Gold.__table__,  # type: ignore[attr-defined]
    )
    query = (
        sa.select(
            sentence.c.text,
            report.c.content_hash,
            gold.c.entities,
            gold.c.events,
            gold.c.categories,
        )
        .join(sentence, sentence.c.id == gold.c.sentence_id)
        .join(report, report.c.id == sentence.c.report_id)
        .order_by(sentence.c.id)
    )
    nlp = blank_english()
    train, dev = DocBin(attrs=spacy_docbin.ATTRS), DocBin(attrs=spacy_docbin.ATTRS)
    with engine.connect() as connection:
        keys = connection.execute(sa.select(report.c.content_hash).distinct()).scalars().all()
        dev_reports = spacy_docbin.split_reports(keys, dev_share=DEFAULT_DEV_SHARE, seed=SEED)
        rows = connection.execution_options(yield_per=2000).execute(query)
        for text, key, entities, events, chosen in rows:
            doc = nlp.make_doc(text)
            doc.ents = [_span(doc, span) for span in entities]
            doc.spans[spacy_docbin.SPANS_KEY] = [_span(doc, span) for span in events]
            doc.cats = {name: 1.0 if name in chosen else 0.0 for name in categories}
            (dev if key in dev_reports else train).add(doc)
    output.mkdir(parents=True, exist_ok=True)
    (output / spacy_docbin.TRAIN).write_bytes(train.to_bytes())
    (output / spacy_docbin.DEV).write_bytes(dev.to_bytes())
    return len(train), len(dev)


def _span(doc: Any, span: dict[str, Any]) -> Any:
    piece = doc.char_span(span["start"], span["end"], label=span["label"])
    if piece is None:
        raise BenchError(f"gold span {span} is not on token boundaries of {doc.text!r}")
    return piece


def rows(context: BenchContext) -> list[Row]:
    """Seconds to export the gold as DocBins, against the direct build."""
    count = context.sizes.export
    engine, note = context.databases.filled(
        "export", count=count, seed=context.seed, categories=context.categories, gold=True
    )
    context.note(f"export, {short_count(count)} gold sentences: {note}")
    categories = list(context.scheme.names("categories"))
    choice = ExportChoice(format="spacy", dev_share=DEFAULT_DEV_SHARE, seed=SEED)
    blank_english()

    def export(output: Path) -> str:
        # What ``annotator export --format spacy`` and the export page run.
        with session_scope(engine) as session:
            return write_export(choice, session=session, scheme=context.scheme, output=output)

    best_real = best_direct = float("inf")
    for attempt in range(context.sizes.export_repeats):
        real_dir = context.workdir / f"export-{attempt}"
        direct_dir = context.workdir / f"direct-{attempt}"
        seconds, _ = timed(partial(export, real_dir))
        best_real = min(best_real, seconds)
        seconds, counts = timed(
            partial(direct_docbins, engine, categories=categories, output=direct_dir)
        )
        best_direct = min(best_direct, seconds)
    same = all(
        (real_dir / name).read_bytes() == (direct_dir / name).read_bytes()
        for name in (spacy_docbin.TRAIN, spacy_docbin.DEV)
    )
    exported = tuple(
        len(DocBin().from_bytes((real_dir / name).read_bytes()))
        for name in (spacy_docbin.TRAIN, spacy_docbin.DEV)
    )
    if exported != counts:
        raise BenchError(f"the export wrote {exported} train/dev docs, the direct build {counts}")
    context.note(
        f"export: {counts[0]:,} train and {counts[1]:,} dev docs; files "
        f"{'byte-identical to' if same else 'equal in counts to'} the direct build; best of "
        f"{context.sizes.export_repeats}"
    )
    return [
        Row(
            f"spaCy export of {short_count(count)} gold sentences vs building the DocBins directly",
            best_real,
            "s",
            best_direct,
            Target("<=", 1.5),
        )
    ]
