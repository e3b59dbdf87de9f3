"""Use cases, one module each: the only callers of ``annotator.repository``.

``importing`` (reports and the decisions they carry), ``suggesting`` (the suggester over the
stored sentences), ``annotating`` (serve, decide, undo), ``gold`` (the one writer of gold and
its policy), ``adjudicating``, ``agreement``, ``training``, ``exporting`` and ``accounts``.
Each function takes the caller's session (or engine) and decides what is written; the caller
decides when it is committed. The names most callers need are importable from here.
"""

from annotator.spans import Draft
from annotator.workflow.annotating import (
    AnnotationError,
    Undone,
    hold_sentence,
    next_sentence_id,
    progress_of,
    save_decision,
    undo_last,
)
from annotator.workflow.exporting import ExportError, export_records, export_report_keys
from annotator.workflow.gold import GoldPolicy
from annotator.workflow.importing import ImportSummary, content_hash, import_records
from annotator.workflow.suggesting import Progress, SuggestionWorkerFailed, suggest_pending

__all__ = [
    "AnnotationError",
    "Draft",
    "ExportError",
    "GoldPolicy",
    "ImportSummary",
    "Progress",
    "SuggestionWorkerFailed",
    "Undone",
    "content_hash",
    "export_records",
    "export_report_keys",
    "hold_sentence",
    "import_records",
    "next_sentence_id",
    "progress_of",
    "save_decision",
    "suggest_pending",
    "undo_last",
]
