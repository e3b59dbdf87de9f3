"""CSV cells that are safe to open in a spreadsheet: no report text runs as a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, after a tab or carriage return, whatever follows) as a formula, so a report containing
``=cmd|' /C calc'!A0`` could run a program on the machine of whoever opens an export. Such a
cell is written with a leading apostrophe, which spreadsheets show as text and do not display
(OWASP's advice on CSV injection); ``unescape_cell`` takes it off again, so a file the annotator
wrote reads back as it was. A number (``-12``, ``+3.5``) is no formula and is left as it is.
"""

from __future__ import annotations

import re
from typing import TypeVar

# What makes a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = frozenset("=+-@\t\r")
ESCAPE = "'"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

Cell = TypeVar("Cell")


def _needs_escape(value: str) -> bool:
    if value[:1] in FORMULA_PREFIXES:
        return _NUMBER.fullmatch(value) is None
    # A text that already starts like an escaped cell gets one more apostrophe, so that
    # unescaping gives it back unchanged.
    return value[:1] == ESCAPE and _is_escaped(value)


def _is_escaped(value: str) -> bool:
    return value[:1] == ESCAPE and (value[1:2] in FORMULA_PREFIXES or value[1:2] == ESCAPE)


def escape_cell(value: Cell) -> Cell:
    """The value as a spreadsheet shows it without running it: a string that starts like a
    formula gets a leading apostrophe; numbers, other strings and other values are unchanged."""
    if isinstance(value, str) and _needs_escape(value):
        return ESCAPE + value  # type: ignore[return-value]
    return value


def unescape_cell(value: str) -> str:
    """A cell of a CSV the annotator wrote, without the apostrophe ``escape_cell`` added."""
    return value[1:] if _is_escaped(value) else value
