"""Conflict Annotator: label conflict reports sentence by sentence with spaCy suggestions."""

__version__ = "0.1.0"
