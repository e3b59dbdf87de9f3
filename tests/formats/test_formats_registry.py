"""The formats registry: every export format reads back by its name, and every error the formats
raise is a domain error."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import annotator.formats
from annotator.errors import AnnotatorError
from annotator.formats import Record, RecordAnnotation
from annotator.formats.registry import FORMATS, WRITTEN_FORMATS, write_records
from annotator.labels import LabelScheme
from annotator.spans import Span

Reader = Callable[..., tuple[list[Record], list[Any]]]

TEXT = "Junta troops shelled Moebye."
# Entities only, so even CoNLL (which holds nothing else) gives the annotation back whole.
ANNOTATION = RecordAnnotation(
    entities=(Span(0, 12, "ARMED_GROUP"), Span(21, 27, "GPE")),
    events=(),
    categories=(),
    annotator=None,
    status="accept",
)


@pytest.mark.parametrize("name", WRITTEN_FORMATS)
def test_a_written_format_reads_back_by_its_name(
    name: str, scheme: LabelScheme, read_all: Reader, tmp_path: Path
) -> None:
    record = Record(
        text=TEXT, source="in.jsonl", line=1, meta={}, split=False, annotation=ANNOTATION
    )
    path = tmp_path / f"export-{name}"

    assert write_records([record], path, format=name, scheme=scheme) == 1
    records, errors = read_all([path], format=name)

    assert name in FORMATS
    assert errors == []
    assert [(read.text, read.annotation) for read in records] == [(TEXT, ANNOTATION)]


def test_every_error_of_the_formats_is_an_annotator_error() -> None:
    modules = [
        importlib.import_module(f"annotator.formats.{info.name}")
        for info in pkgutil.iter_modules(annotator.formats.__path__)
    ]
    errors = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and value.__module__ == module.__name__
    ]

    assert errors
    # ValueError too, as before the root existed: callers that catch it still do.
    assert [
        error
        for error in errors
        if not (issubclass(error, AnnotatorError) and issubclass(error, ValueError))
    ] == []
