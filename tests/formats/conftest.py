"""Fixtures for the format readers: a small label scheme and files written into tmp_path."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from annotator.formats import ImportFailed, InvalidRecord, Record, read_records
from annotator.labels import LabelScheme, parse_scheme


def _label(shortcut: str, **extra: str) -> dict[str, str]:
    return {
        "description": "A test label.",
        "colour": "#123456",
        "shortcut": shortcut,
        "guideline": "Mark it.",
        **extra,
    }


@pytest.fixture(scope="session")
def scheme() -> LabelScheme:
    return parse_scheme(
        {
            "entities": {
                "PERSON": _label("p"),
                "ARMED_GROUP": _label("g"),
                "GPE": _label("s"),
                "DATE": _label("d"),
            },
            "events": {
                "SHELLING": _label("e", category="EXPLOSIONS"),
                "ATTACK": _label("k", category="BATTLES"),
            },
            "roles": {"AGENT": _label("q")},
            "categories": {
                "exclusive": False,
                "labels": {"BATTLES": _label("b"), "EXPLOSIONS": _label("1")},
            },
        },
        path="test-scheme.yml",
    )


@pytest.fixture(scope="session")
def exclusive_scheme(scheme: LabelScheme) -> LabelScheme:
    return dataclasses.replace(scheme, categories_exclusive=True)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write text (UTF-8) or raw bytes to tmp_path/name and return the path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return write


@pytest.fixture
def read_all(scheme: LabelScheme) -> Callable[..., tuple[list[Record], list[InvalidRecord]]]:
    """Consume read_records: the records it yielded and the errors ImportFailed carried."""

    def read(
        paths: Iterable[Path | str], *, scheme: LabelScheme = scheme
    ) -> tuple[list[Record], list[InvalidRecord]]:
        records: list[Record] = []
        try:
            for record in read_records(paths, scheme=scheme):
                records.append(record)
        except ImportFailed as failed:
            return records, failed.errors
        return records, []

    return read
