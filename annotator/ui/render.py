"""The report text around the span editor as HTML: every piece of report text escaped.

The sentence itself is drawn by the span editor component (DOM text nodes only); this module
renders what surrounds it: the source line and the dimmed neighbouring sentences.
"""

from __future__ import annotations

from html import escape
from pathlib import PurePath

STYLE = """
<style>
.ca-context { color: #8a8a8a; font-size: 1.0rem; line-height: 1.6; margin: 0.3rem 0; }
.ca-source { font-family: system-ui, sans-serif; font-size: 0.85rem; color: #6b7280; }
.ca-source b { color: #374151; font-weight: 600; }
</style>
"""


def context_html(text: str) -> str:
    """A neighbouring sentence, dimmed and escaped."""
    return f'<div class="ca-context">{escape(text)}</div>'


def source_html(source: str, *, position: int, total: int) -> str:
    """Where the sentence comes from (the report's source may be hostile: escaped)."""
    name = PurePath(source).name or source
    return (
        f'<div class="ca-source" title="{escape(source, quote=True)}"><b>{escape(name)}</b>'
        f" · sentence {position + 1} of {total}</div>"
    )
