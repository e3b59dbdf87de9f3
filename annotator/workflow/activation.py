"""Use cases of safe activation: score a model version (the candidate), the active suggester and
the default suggester side by side on the same held-out gold before the candidate becomes the
app's suggester; refuse a candidate that is worse than the active suggester on any layer unless
the caller forces it; go back to the default suggester.

The held-out gold is the candidate's own dev split (the reports its training held out, recorded
in its metrics as ``dev_reports``), read as it stands now, or a gold JSONL file. The candidate
never trained on it; the active version may have (its own split was drawn from other gold),
which flatters the active one and so errs on the side of a warning. A layer is compared where
the held-out gold has it: entities, events, categories, and event arguments where the gold has
any. Worse means a lower F1 on a layer than the active suggester's, by any amount: the figures
are shown with the warning, so that whoever confirms can judge the size of the drop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from annotator import repository
from annotator.config import Settings
from annotator.db import session_scope
from annotator.errors import AnnotatorError
from annotator.labels import load_scheme
from annotator.models import ModelVersion
from annotator.nlp.evaluate import PRF, EvaluationReport, GoldRecord, evaluate, read_gold
from annotator.spans import Draft
from annotator.workflow.training import DEV_REPORTS, ModelNotReady

if TYPE_CHECKING:
    from annotator.nlp import train as nlp_train
    from annotator.nlp.suggest import Suggester

logger = logging.getLogger(__name__)

CANDIDATE, ACTIVE, DEFAULT = "candidate", "active", "default"
ROLES = (CANDIDATE, ACTIVE, DEFAULT)
LAYERS = ("entities", "events", "categories", "arguments")


class NoHeldOut(AnnotatorError, ValueError):
    """A comparison without held-out gold to score on."""


class WorseThanActive(AnnotatorError, ValueError):
    """A candidate that scores below the active suggester on some layer of the held-out gold."""

    def __init__(self, comparison: SuggesterComparison) -> None:
        self.comparison = comparison
        worse = "; ".join(change.describe() for change in comparison.worse())
        super().__init__(
            f"{comparison.candidate.name} is worse than {comparison.active.name}, the active "
            f"suggester, on {comparison.heldout.describe()}: {worse}; not activated"
        )


def version_name(number: int) -> str:
    """How a model version is named in comparisons and messages."""
    return f"model version {number}"


def default_name(settings: Settings) -> str:
    """How the default suggester (the statistical pipeline and the rules) is named."""
    return f"the default suggester ({settings.model} + rules)"


# --- which suggester is active ------------------------------------------------------------


@dataclass(frozen=True)
class ActiveSuggester:
    """What the app and ``import`` suggest with: a model version, or the default suggester."""

    name: str
    model: str
    number: int | None = None
    # The active version's folder is gone, so the default suggester stands in for it.
    missing: int | None = None

    def describe(self) -> str:
        """The suggester, with its pipeline where it is a model version."""
        if self.number is not None:
            return f"{self.name} ({self.model})"
        if self.missing is not None:
            return f"{self.name}; the files of model version {self.missing} are missing"
        return self.name


def active_suggester(*, engine: Engine, settings: Settings) -> ActiveSuggester:
    """The suggester the app uses now (as ``training.suggester_model`` picks it)."""
    with session_scope(engine) as session:
        version = repository.active_model_version(session=session)
        number, path = (None, None) if version is None else (version.number, version.path)
    if number is None or path is None:
        return ActiveSuggester(name=default_name(settings), model=settings.model)
    if not Path(path).exists():
        return ActiveSuggester(name=default_name(settings), model=settings.model, missing=number)
    return ActiveSuggester(name=version_name(number), model=path, number=number)


# --- the held-out gold --------------------------------------------------------------------


@dataclass(frozen=True)
class HeldOutSentence:
    """One held-out gold sentence, named by its report (or file) and place there."""

    report: str
    position: int
    text: str
    # The stored report, for a version's dev split; None for a line of a gold file.
    report_id: int | None = None


@dataclass(frozen=True)
class HeldOut:
    """The gold every suggester of a comparison is scored on, and where it comes from."""

    source: str
    records: tuple[GoldRecord, ...]
    sentences: tuple[HeldOutSentence, ...]

    @property
    def report_count(self) -> int:
        """How many stored reports the sentences come from (0 for a gold file)."""
        return len({s.report_id for s in self.sentences if s.report_id is not None})

    def describe(self) -> str:
        """``the dev split of model version 3 (10 gold sentence(s) from 4 report(s))``."""
        count = f"{len(self.records)} gold sentence(s)"
        if self.report_count:
            count = f"{count} from {self.report_count} report(s)"
        return f"{self.source} ({count})"

    def layers(self) -> tuple[str, ...]:
        """The layers this gold has anything of, in LAYERS order."""
        has = {
            "entities": any(r.entities for r in self.records),
            "events": any(r.events for r in self.records),
            "categories": any(r.categories for r in self.records),
            "arguments": any(r.arguments for r in self.records),
        }
        return tuple(layer for layer in LAYERS if has[layer])


def heldout_state(*, session: Session) -> tuple[Any, ...]:
    """What a comparison's held-out gold depends on, as a cache key: the gold's state."""
    return tuple(repository.gold_state(session=session))


def heldout_of_version(*, session: Session, version: ModelVersion) -> HeldOut:
    """The current gold of the reports the version held out as its dev gold.

    Raises NoHeldOut for a version that recorded none (trained before versions kept their
    split) and for one whose held-out reports have no gold left.
    """
    name = version_name(version.number)
    keys = version.metrics.get(DEV_REPORTS)
    if not keys:
        raise NoHeldOut(
            f"{name} records no held-out gold (it was trained before versions kept their dev "
            "split); compare it on a gold file instead"
        )
    rows = repository.gold_of_report_keys(session=session, report_keys=keys)
    if not rows:
        raise NoHeldOut(f"the reports {name} held out have no gold any more")
    drafts = [Draft.of(gold).without_dangling() for gold, _, _ in rows]
    # Gold stored before arguments existed has none: score them only where the gold has some.
    with_arguments = any(draft.arguments for draft in drafts)
    records = tuple(
        GoldRecord(
            text=sentence.text,
            entities=tuple(sorted(draft.entities)),
            events=tuple(sorted(draft.events)),
            categories=tuple(draft.categories),
            arguments=tuple(sorted(draft.arguments)),
            has_arguments=with_arguments and bool(draft.events),
        )
        for draft, (_, sentence, _) in zip(drafts, rows, strict=True)
    )
    sentences = tuple(
        HeldOutSentence(
            report.name or report.source, sentence.position, sentence.text, report_id=report.id
        )
        for _, sentence, report in rows
    )
    return HeldOut(source=f"the dev split of {name}", records=records, sentences=sentences)


def heldout_of_file(path: Path) -> HeldOut:
    """The gold of a JSONL file (as ``annotator evaluate --data`` reads it)."""
    records = tuple(read_gold(path))
    if not records:
        raise NoHeldOut(f"{path} holds no gold sentence")
    sentences = tuple(
        HeldOutSentence(report=path.name, position=line, text=record.text)
        for line, record in enumerate(records, start=1)
    )
    return HeldOut(source=str(path), records=records, sentences=sentences)


# --- the comparison -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """One suggester's scores on the held-out gold."""

    role: str
    name: str
    report: EvaluationReport

    def f(self, layer: str) -> float:
        """The layer's overall F1."""
        return self.prf(layer, None).fscore

    def prf(self, layer: str, label: str | None) -> PRF:
        """The counts of a layer, overall (``label`` None) or of one label (or role)."""
        if layer == "arguments":
            if self.report.arguments is None:
                return PRF()
            overall, per_label = self.report.arguments.overall, self.report.arguments.per_label
        else:
            scores = getattr(self.report, layer)
            overall, per_label = scores.overall, scores.per_label
        return overall if label is None else per_label.get(label, PRF())

    def labels(self, layer: str) -> set[str]:
        """The labels this suggester or the gold has in a layer."""
        if layer == "arguments":
            return set() if self.report.arguments is None else set(self.report.arguments.per_label)
        return set(getattr(self.report, layer).per_label)


@dataclass(frozen=True)
class LayerChange:
    """A layer's F1 for the candidate and for the active suggester."""

    layer: str
    candidate: float
    active: float

    @property
    def worse(self) -> bool:
        """Whether the candidate scores lower than the active suggester."""
        return self.candidate < self.active

    def describe(self) -> str:
        """``events F1 0.717 against 0.897 (-0.180)``."""
        return (
            f"{self.layer} F1 {self.candidate:.3f} against {self.active:.3f} "
            f"({self.candidate - self.active:+.3f})"
        )


@dataclass(frozen=True)
class LabelRow:
    """One label of one layer: its gold count and each suggester's P/R/F."""

    layer: str
    label: str
    support: int
    figures: dict[str, PRF]


@dataclass(frozen=True)
class SuggesterComparison:
    """The candidate, the active and the default suggester scored on the same held-out gold."""

    heldout: HeldOut
    candidate: Scored
    active: Scored
    default: Scored
    candidate_number: int | None = None
    active_number: int | None = None

    @property
    def scored(self) -> tuple[Scored, Scored, Scored]:
        """The three suggesters, candidate first."""
        return self.candidate, self.active, self.default

    def changes(self) -> list[LayerChange]:
        """Candidate against active on every layer the held-out gold has."""
        return [
            LayerChange(layer, self.candidate.f(layer), self.active.f(layer))
            for layer in self.heldout.layers()
        ]

    def worse(self) -> list[LayerChange]:
        """The layers on which the candidate scores below the active suggester."""
        return [change for change in self.changes() if change.worse]

    def label_rows(self) -> list[LabelRow]:
        """Overall, then per label, of each layer the held-out gold has."""
        rows: list[LabelRow] = []
        for layer in self.heldout.layers():
            labels = set().union(*(scored.labels(layer) for scored in self.scored))
            for label in [None, *sorted(labels)]:
                figures = {scored.role: scored.prf(layer, label) for scored in self.scored}
                gold = figures[CANDIDATE]
                rows.append(LabelRow(layer, label or "overall", gold.tp + gold.fn, figures))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the held-out gold, each suggester's report, the layer changes."""
        return {
            "heldout": {
                "source": self.heldout.source,
                "sentences": len(self.heldout.records),
                "reports": self.heldout.report_count,
            },
            **{
                scored.role: {"name": scored.name, **scored.report.to_dict()}
                for scored in self.scored
            },
            "layers": {
                layer: {scored.role: scored.f(layer) for scored in self.scored}
                for layer in self.heldout.layers()
            },
            "worse": [
                {"layer": c.layer, "candidate": c.candidate, "active": c.active}
                for c in self.worse()
            ],
        }


Loader = Callable[[str], "Suggester"]


def _loader(settings: Settings) -> Loader:
    from annotator.nlp.suggest import load_suggester

    scheme = load_scheme(settings.labels_path)
    return lambda model: load_suggester(model, scheme=scheme, patterns_dir=settings.patterns_dir)


def _score(role: str, name: str, model: str, *, gold: Sequence[GoldRecord], load: Loader) -> Scored:
    logger.info("scoring %s (%s) on %d held-out sentence(s)", name, model, len(gold))
    return Scored(role=role, name=name, report=evaluate(gold, suggester=load(model)))


def _ready(session: Session, number: int) -> ModelVersion:
    version = repository.model_version(session=session, number=number)
    if version is None:
        raise ModelNotReady(f"there is no model version {number}")
    if version.status != "ready":
        raise ModelNotReady(f"model version {number} is {version.status}, not ready")
    return version


def candidate_number(*, engine: Engine) -> int:
    """The version a comparison takes when none is named: the newest ready one not active."""
    with session_scope(engine) as session:
        versions = repository.model_versions(session=session)
    ready = [v.number for v in versions if v.status == "ready" and not v.active]
    if not ready:
        raise ModelNotReady("there is no ready model version that is not active; train one")
    return ready[0]


def compare_suggesters(
    *,
    engine: Engine,
    settings: Settings,
    number: int,
    heldout: Path | None = None,
    load: Loader | None = None,
) -> SuggesterComparison:
    """Score model version ``number``, the active and the default suggester on the version's
    held-out gold (or on the gold file ``heldout``).

    Raises ModelNotReady for a version that is not ready, NoHeldOut without held-out gold.
    """
    with session_scope(engine) as session:
        version = _ready(session, number)
        gold = (
            heldout_of_file(heldout)
            if heldout
            else heldout_of_version(session=session, version=version)
        )
        path = version.path
    load = load or _loader(settings)
    candidate = _score(CANDIDATE, version_name(number), path, gold=gold.records, load=load)
    return _against_active_and_default(
        candidate, gold=gold, engine=engine, settings=settings, load=load, number=number
    )


def compare_trained(
    *,
    engine: Engine,
    settings: Settings,
    train_files: Sequence[Path],
    heldout: Path,
    work_dir: Path,
    train_settings: nlp_train.TrainSettings,
    progress: nlp_train.TrainProgress | None = None,
) -> SuggesterComparison:
    """Train a model on gold files (never on ``heldout``) and score it as the candidate, with
    the active and the default suggester, on the held-out file."""
    from annotator.nlp.train import compare_with_default

    gold = heldout_of_file(heldout)
    trained = compare_with_default(
        train_files,
        heldout,
        scheme=load_scheme(settings.labels_path),
        work_dir=work_dir,
        default_model=settings.model,
        patterns_dir=settings.patterns_dir,
        settings=train_settings,
        progress=progress,
    )
    names = ", ".join(str(path) for path in train_files)
    candidate = Scored(
        CANDIDATE, f"a model trained on {names} ({trained.train_count} sentences)", trained.trained
    )
    default = Scored(DEFAULT, default_name(settings), trained.default)
    return _against_active_and_default(
        candidate,
        gold=gold,
        engine=engine,
        settings=settings,
        load=_loader(settings),
        default=default,
    )


def _against_active_and_default(
    candidate: Scored,
    *,
    gold: HeldOut,
    engine: Engine,
    settings: Settings,
    load: Loader,
    number: int | None = None,
    default: Scored | None = None,
) -> SuggesterComparison:
    active = active_suggester(engine=engine, settings=settings)
    if default is None:
        default = _score(
            DEFAULT, default_name(settings), settings.model, gold=gold.records, load=load
        )
    if active.number is None:
        active_scored = Scored(ACTIVE, active.name, default.report)
    elif active.number == number:
        active_scored = Scored(ACTIVE, active.name, candidate.report)
    else:
        active_scored = _score(ACTIVE, active.name, active.model, gold=gold.records, load=load)
    return SuggesterComparison(
        heldout=gold,
        candidate=candidate,
        active=active_scored,
        default=default,
        candidate_number=number,
        active_number=active.number,
    )


# --- activating ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """A version made active, and the comparison it passed (None when forced unchecked)."""

    version: ModelVersion
    comparison: SuggesterComparison | None
    # The version that was active before; None for the default suggester.
    previous: int | None


def activate_version(
    *,
    engine: Engine,
    settings: Settings,
    number: int,
    force: bool = False,
    heldout: Path | None = None,
    checked: SuggesterComparison | None = None,
    load: Loader | None = None,
) -> Activation:
    """Make a ready model version the app's suggester, if no layer of the held-out gold gets
    worse than with the active suggester; with ``force`` without comparing.

    ``checked`` is a comparison the caller has shown; it is used when it is of this version
    against the suggester active now, else the comparison is made again. Raises
    WorseThanActive (nothing changes), NoHeldOut and ModelNotReady.
    """
    with session_scope(engine) as session:
        _ready(session, number)
    previous = active_suggester(engine=engine, settings=settings).number
    comparison = None
    if not force:
        comparison = checked
        if (
            comparison is None
            or heldout is not None
            or (comparison.candidate_number, comparison.active_number) != (number, previous)
        ):
            comparison = compare_suggesters(
                engine=engine, settings=settings, number=number, heldout=heldout, load=load
            )
        if comparison.worse():
            raise WorseThanActive(comparison)
    with session_scope(engine) as session:
        version = _ready(session, number)
        assert version.id is not None
        repository.set_active_model(session=session, model_version_id=version.id)
        session.refresh(version)
    logger.info("model version %d is active (was %s)", number, previous)
    return Activation(version=version, comparison=comparison, previous=previous)


def activate_default(*, engine: Engine) -> int | None:
    """Make the default suggester the app's again; return the version that was active."""
    with session_scope(engine) as session:
        version = repository.active_model_version(session=session)
        previous = None if version is None else version.number
        repository.clear_active_model(session=session)
    logger.info("the default suggester is active (was model version %s)", previous)
    return previous
