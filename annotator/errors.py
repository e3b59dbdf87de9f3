"""The root of every error the annotator raises on purpose.

A domain error names a problem the user can act on (an unknown model, a file that does not
parse, a span off token boundaries); the edges show it in one line: the CLI prints it and
exits 1, a page shows it with ``st.error``. Anything else that escapes is a bug.
"""

from __future__ import annotations


class AnnotatorError(Exception):
    """A problem the user can act on, said in one line by ``str(error)``."""
