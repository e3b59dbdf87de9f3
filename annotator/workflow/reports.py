"""Reports: what is stored and how far along each report is, a report's display name, and
deleting reports with everything that hangs on them."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from annotator import repository
from annotator.errors import AnnotatorError
from annotator.repository import ReportProgress
from annotator.workflow.gold import discard_gold_of_reports
from annotator.workflow.lexicon import forget_reports

log = logging.getLogger(__name__)

# The longest display name (the column's size).
MAX_NAME_CHARS = 200

__all__ = [
    "MAX_NAME_CHARS",
    "DeletedReports",
    "ReportError",
    "ReportProgress",
    "ReportsOverview",
    "delete_reports",
    "display_name",
    "list_reports",
    "remove_reports",
    "rename_report",
    "reports_overview",
]


class ReportError(AnnotatorError, ValueError):
    """A report that does not exist, a name that cannot be one, or gold that would be lost."""


@dataclass(frozen=True)
class ReportsOverview:
    """What is stored (reports, sentences, suggestions, annotations, gold: counted) and the
    most recently imported reports with their progress, newest first."""

    counts: dict[str, int]
    reports: list[ReportProgress]


@dataclass(frozen=True)
class DeletedReports:
    """What a deletion took away: reports, their sentences and the sentences' gold."""

    reports: int
    sentences: int
    gold: int


def display_name(report: ReportProgress) -> str:
    """How a report is shown: the name someone gave it, else where it came from."""
    return report.name or report.source


def reports_overview(*, session: Session, limit: int) -> ReportsOverview:
    """The stored rows counted, and the latest ``limit`` reports with their progress."""
    return ReportsOverview(
        counts=repository.count_rows(session=session),
        reports=repository.report_progress(session=session, limit=limit),
    )


def list_reports(*, session: Session, limit: int | None = None) -> list[ReportProgress]:
    """Every report (or the latest ``limit``), newest first, with its progress."""
    return repository.report_progress(session=session, limit=limit)


def _existing(*, session: Session, report_ids: Collection[int]) -> list[ReportProgress]:
    found = repository.report_progress(session=session, report_ids=set(report_ids))
    missing = sorted(set(report_ids) - {report.id for report in found})
    if missing:
        listed = ", ".join(str(report_id) for report_id in missing)
        raise ReportError(f"no report with id {listed} (annotator reports list shows them)")
    return found


def delete_reports(
    *, session: Session, report_ids: Sequence[int], force: bool = False
) -> DeletedReports:
    """Delete reports with their sentences, suggestions, claims, annotations (every version)
    and gold, in the caller's transaction. A report with gold is deleted only with ``force``:
    gold is the settled work of reviewers and adjudicators."""
    found = _existing(session=session, report_ids=report_ids)
    with_gold = [report for report in found if report.gold]
    if with_gold and not force:
        listed = "; ".join(
            f"report {report.id} ({display_name(report)}) has gold on {report.gold} of its "
            f"{report.sentences} sentence(s)"
            for report in with_gold
        )
        raise ReportError(f"{listed}; nothing was deleted (delete it with its gold: --force)")
    return remove_reports(session=session, report_ids=[report.id for report in found])


def remove_reports(*, session: Session, report_ids: Collection[int]) -> DeletedReports:
    """Delete these reports and everything on them, gold included, without asking (an import
    taking back what it stored); ids that no longer exist are passed over."""
    found = repository.report_progress(session=session, report_ids=set(report_ids))
    ids = [report.id for report in found]
    gold = discard_gold_of_reports(session=session, report_ids=ids)
    forget_reports(session=session, report_ids=ids)
    repository.delete_reports(session=session, report_ids=ids)
    log.info("deleted report(s) %s", ids)
    return DeletedReports(
        reports=len(ids), sentences=sum(report.sentences for report in found), gold=gold
    )


def rename_report(*, session: Session, report_id: int, name: str) -> str | None:
    """Give a report a display name; an empty name shows it by its source again. Return the
    name stored (None for none)."""
    cleaned = " ".join(name.split()) or None
    if cleaned is not None and len(cleaned) > MAX_NAME_CHARS:
        raise ReportError(
            f"a report's name may have {MAX_NAME_CHARS} characters; this one has {len(cleaned)}"
        )
    if not repository.rename_report(session=session, report_id=report_id, name=cleaned):
        raise ReportError(f"no report with id {report_id} (annotator reports list shows them)")
    return cleaned
