"""Readers and writers for the files the annotator imports and exports; no database, no UI."""

from annotator.formats.records import (
    ImportFailed,
    InvalidRecord,
    Record,
    RecordAnnotation,
)
from annotator.formats.registry import read_file, read_records, validate_records
from annotator.spans import Status

__all__ = [
    "ImportFailed",
    "InvalidRecord",
    "Record",
    "RecordAnnotation",
    "Status",
    "read_file",
    "read_records",
    "validate_records",
]
