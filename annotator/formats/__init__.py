"""Readers and writers for the files the annotator imports and exports; no database, no UI."""

from annotator.formats.records import (
    ImportFailed,
    InvalidRecord,
    Record,
    RecordAnnotation,
    Status,
)
from annotator.formats.registry import read_file, read_records, validate_records

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
