"""Use cases of the training loop: train on the gold as a numbered model version, activate a
version, draw a learning curve, re-suggest the unannotated sentences with a version.

One training runs at a time across every process on a database (app servers, the CLI):
trainings and learning curves share one lock of the database (:func:`training_lock`, a
PostgreSQL advisory lock or, for a SQLite file, a file lock beside it), and a version that is
still ``training`` and recent refuses a second start too. A version records the process
training it (pid and host): one whose process is gone (``kill -9``, a crash) is marked failed
at the next start or look at the models, instead of blocking training until it is
``STALE_AFTER`` old. A failed training is recorded on its version with the error; the active
version stays as it was.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from annotator import config, repository
from annotator.config import Settings
from annotator.db import session_scope
from annotator.errors import AnnotatorError
from annotator.formats import spacy_docbin
from annotator.formats.records import Record, report_of
from annotator.labels import LabelScheme, load_scheme
from annotator.models import ModelVersion, utc_now
from annotator.nlp import train as nlp_train
from annotator.workflow.engines import EngineChoice, SuggesterSource
from annotator.workflow.exporting import export_records, export_report_keys
from annotator.workflow.suggesting import Progress, count_pending, suggest_pending

if TYPE_CHECKING:
    from annotator.nlp.evaluate import EvaluationReport
    from annotator.nlp.suggest import Suggester

logger = logging.getLogger(__name__)

MODEL_NAME = config.TRAINED_MODEL_NAME
# A training older than this that never finished died with its process (one on another host,
# whose process cannot be asked).
STALE_AFTER = timedelta(hours=6)
PROCESS_GONE = "the training process is gone"
CURVE_SHARES = (0.25, 0.5, 0.75, 1.0)
# The metrics key of the reports (content hashes) a version held out as its dev gold.
DEV_REPORTS = "dev_reports"

# The threads of this process; the database lock below keeps other processes out.
_lock = threading.Lock()
# The PostgreSQL advisory lock key of the training slot (advisory locks are per database).
TRAINING_LOCK_KEY = 0x616E6E6F_74726169  # "annotrai"
# Beside a SQLite database file: the file whose lock is the training slot.
LOCK_SUFFIX = ".training-lock"
IN_THIS_PROCESS = "a training is running in this process"
ELSEWHERE = "a training or a learning curve is running in another process"


class TrainingBusy(AnnotatorError, RuntimeError):
    """Another training is running."""


@contextmanager
def training_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's one training slot while the block runs, or raise TrainingBusy at
    once: a training or a learning curve holds it in this process or in another one (an app
    server, the CLI) on the same database.

    PostgreSQL: ``pg_try_advisory_lock`` on a connection of its own, kept for the block;
    a process that dies loses its connection and with it the lock. SQLite (one machine): an
    exclusive ``flock`` of a file beside the database, which the kernel drops with the process.
    Both are released when the block ends, whether it returned or raised.
    """
    if not _lock.acquire(blocking=False):
        raise TrainingBusy(IN_THIS_PROCESS)
    try:
        if engine.dialect.name == "postgresql":
            with _advisory_lock(engine):
                yield
        else:
            with _file_lock(engine):
                yield
    finally:
        _lock.release()


def _busy_elsewhere(engine: Engine) -> TrainingBusy:
    """What a refused start says: the version in training when one is, as the page and the CLI
    said before the lock, else that something holds the slot."""
    with session_scope(engine) as session:
        running = repository.trainings_started_since(session=session, since=utc_now() - STALE_AFTER)
        if running:
            return TrainingBusy(f"model version {running[0].number} is still training")
    return TrainingBusy(ELSEWHERE)


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    # Autocommit: a training lasts minutes, and no transaction stays open that long for it.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        taken = connection.execute(sa.select(sa.func.pg_try_advisory_lock(TRAINING_LOCK_KEY)))
        if not taken.scalar_one():
            raise _busy_elsewhere(engine)
        try:
            yield
        finally:
            try:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(TRAINING_LOCK_KEY)))
            except DBAPIError:
                # A broken connection must not go back to the pool holding the lock: closing
                # it for good ends its server session, and the lock with it.
                logger.exception("could not release the training lock; closing its connection")
                connection.invalidate()


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database
    if not database or database == ":memory:":  # one process's database: the thread lock does
        yield
        return
    path = Path(database).with_name(Path(database).name + LOCK_SUFFIX)
    # The file stays: removing it would let a process lock a file another has just replaced.
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy_elsewhere(engine) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class TrainingFailed(AnnotatorError, RuntimeError):
    """A training that failed; its version is marked failed with the same error."""

    def __init__(self, number: int, error: str) -> None:
        super().__init__(f"training of model version {number} failed: {error}")
        self.number = number
        self.error = error


class ModelNotReady(AnnotatorError, ValueError):
    """A model version that does not exist or did not finish training."""


TRAINING = "training"
CURVE = "learning curve"


@dataclass
class TrainingState:
    """What a background job (a training or a learning curve) is doing, for a page to poll."""

    number: int | None = None
    step: int = 0
    total: int = 0
    phase: str = "idle"
    error: str | None = None
    kind: str = TRAINING
    thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """True while the worker thread lives."""
        return self.thread is not None and self.thread.is_alive()


def dev_split(*, engine: Engine, seed: int = 0) -> frozenset[str]:
    """The reports (content hashes) whose gold a training holds out as its dev gold."""
    with session_scope(engine) as session:
        return spacy_docbin.split_reports(
            export_report_keys(session=session), dev_share=config.DEFAULT_DEV_SHARE, seed=seed
        )


def gold_corpus(
    *,
    engine: Engine,
    scheme: LabelScheme,
    directory: Path,
    seed: int = 0,
    dev_reports: frozenset[str] | None = None,
) -> int:
    """Export the gold as train.spacy/dev.spacy (split by report, or with ``dev_reports`` as
    dev) into ``directory``; return how many gold sentences there are."""
    if dev_reports is None:
        dev_reports = dev_split(engine=engine, seed=seed)
    with session_scope(engine) as session:
        counts = spacy_docbin.write(
            export_records(session=session),
            directory,
            categories=scheme.names("categories"),
            dev_reports=dev_reports,
        )
    return counts.train + counts.dev


def _process_gone(version: ModelVersion) -> bool:
    """Whether the process that claimed a training has ended. Only a process on this host can
    be asked; one elsewhere, or a version claimed before versions named their process, is
    taken to be alive (``STALE_AFTER`` ends it)."""
    if version.pid is None or version.host != socket.gethostname():
        return False
    try:
        os.kill(version.pid, 0)  # signal 0: is there such a process, nothing sent
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False


def _running_trainings(*, session: Session, now: datetime) -> list[ModelVersion]:
    """The trainings still running: first those that are stale or whose process is gone are
    marked failed."""
    repository.fail_stale_trainings(
        session=session, before=now - STALE_AFTER, error="interrupted: the training stopped"
    )
    running = []
    for version in repository.trainings_started_since(session=session, since=now - STALE_AFTER):
        if _process_gone(version):
            logger.warning(
                "model version %d: its training process %s on %s is gone; marked failed",
                version.number,
                version.pid,
                version.host,
            )
            repository.fail_training(session=session, number=version.number, error=PROCESS_GONE)
        else:
            running.append(version)
    return running


def _claim(
    *, engine: Engine, base: str | None, path: Path | None, models_dir: Path
) -> ModelVersion:
    now = utc_now()
    with session_scope(engine) as session:
        running = _running_trainings(session=session, now=now)
        if running:
            raise TrainingBusy(f"model version {running[0].number} is still training")
        number = repository.next_model_number(session=session)
        version = ModelVersion(
            number=number,
            path=str(path or models_dir / f"v{number}"),
            base_model=base,
            status="training",
            created_at=now,
            pid=os.getpid(),
            host=socket.gethostname(),
        )
        session.add(version)
        try:
            session.flush()
        except IntegrityError as error:  # another process took the number a moment ago
            raise TrainingBusy("another training started at the same time") from error
    return version


def _finish(*, engine: Engine, number: int, **values: Any) -> ModelVersion:
    with session_scope(engine) as session:
        version = repository.model_version(session=session, number=number)
        assert version is not None
        for name, value in values.items():
            setattr(version, name, value)
        version.finished_at = utc_now()
        session.add(version)
    return version


def metrics_of(result: nlp_train.TrainResult) -> dict[str, Any]:
    """What a version stores of its training: per-label dev scores and the run's figures."""
    report = result.report.to_dict()
    return {
        "entities": report["entities"],
        "events": report["events"],
        "categories": report["categories"],
        "train_count": result.train_count,
        "dev_count": result.dev_count,
        "seconds": round(result.seconds, 1),
    }


def train_from_gold(
    *,
    engine: Engine,
    settings: Settings,
    output: Path | None = None,
    progress: nlp_train.TrainProgress | None = None,
    train_settings: nlp_train.TrainSettings | None = None,
    on_claim: Callable[[ModelVersion], None] | None = None,
) -> ModelVersion:
    """Train on the current gold and store the result as the next numbered model version.

    Raises TrainingBusy when a training is running and TrainingFailed when this one fails
    (its version is then marked failed with the error; the active version is not touched).
    """
    train_settings = train_settings or nlp_train.TrainSettings()
    with training_lock(engine):
        version = _claim(
            engine=engine,
            base=train_settings.base,
            path=output,
            models_dir=settings.models_dir,
        )
        number = version.number
        if on_claim is not None:
            on_claim(version)
        folder = Path(version.path)
        try:
            scheme = load_scheme(settings.labels_path)
            with tempfile.TemporaryDirectory(prefix="annotator-corpus-") as corpus:
                # Recorded, so that activation compares suggesters on what it never saw.
                dev_reports = dev_split(engine=engine)
                gold_count = gold_corpus(
                    engine=engine, scheme=scheme, directory=Path(corpus), dev_reports=dev_reports
                )
                result = nlp_train.train(
                    Path(corpus),
                    output=folder,
                    scheme=scheme,
                    settings=train_settings,
                    progress=progress,
                    name=MODEL_NAME,
                    version=f"{number}.0.0",
                    patterns_dir=settings.patterns_dir,
                )
        except Exception as error:
            logger.exception("training of model version %d failed", number)
            message = str(error) or type(error).__name__
            _finish(engine=engine, number=number, status="failed", error=message)
            raise TrainingFailed(number, message) from error
        return _finish(
            engine=engine,
            number=number,
            status="ready",
            path=str(result.best),
            metrics={**metrics_of(result), DEV_REPORTS: sorted(dev_reports)},
            gold_count=gold_count,
        )


def _check_idle(state: TrainingState) -> None:
    if state.running or _lock.locked():
        raise TrainingBusy(IN_THIS_PROCESS)


def _reset(state: TrainingState, *, kind: str, number: int | None) -> None:
    state.step, state.total, state.error, state.number = 0, 0, None, number
    state.kind, state.phase = kind, "starting"


def _in_background(state: TrainingState, job: Callable[[], None], *, done: threading.Event) -> None:
    def work() -> None:
        try:
            job()
            state.phase = "ready"
        except (TrainingBusy, TrainingFailed, nlp_train.TrainingError) as error:
            state.phase, state.error = "failed", str(error)
        except Exception as error:  # the thread must not die silently
            logger.exception("background %s failed", state.kind)
            state.phase, state.error = "failed", str(error) or type(error).__name__
        finally:
            done.set()

    state.thread = threading.Thread(target=work, name=f"annotator-{state.kind}", daemon=True)
    state.thread.start()


def _follow(state: TrainingState) -> nlp_train.TrainProgress:
    def progress(step: int, total: int, _score: float | None) -> None:
        state.step, state.total = step, total

    return progress


def start_training(
    *,
    engine: Engine,
    settings: Settings,
    state: TrainingState,
    output: Path | None = None,
    train_settings: nlp_train.TrainSettings | None = None,
) -> TrainingState:
    """Train in a background thread so that the app stays usable; ``state`` follows it.

    Raises TrainingBusy at once when a training is running (here or in the database).
    """
    _check_idle(state)
    claimed = threading.Event()

    def claim(version: ModelVersion) -> None:
        state.number, state.phase = version.number, "training"
        claimed.set()

    def job() -> None:
        train_from_gold(
            engine=engine,
            settings=settings,
            output=output,
            progress=_follow(state),
            train_settings=train_settings,
            on_claim=claim,
        )

    _reset(state, kind=TRAINING, number=None)
    _in_background(state, job, done=claimed)
    claimed.wait(timeout=30)
    if state.phase == "failed" and state.number is None and state.error:
        raise TrainingBusy(state.error)
    return state


def start_learning_curve(
    *,
    engine: Engine,
    settings: Settings,
    state: TrainingState,
    number: int,
    train_settings: nlp_train.TrainSettings | None = None,
) -> TrainingState:
    """Draw the learning curve in a background thread and store it on version ``number``.

    Raises TrainingBusy at once when a training or a curve is running (here or in another
    process on the database).
    """
    _check_idle(state)
    _reset(state, kind=CURVE, number=number)
    started = threading.Event()
    refused: list[TrainingBusy] = []

    def job() -> None:
        state.phase = "training"
        try:
            learning_curve(
                engine=engine,
                settings=settings,
                train_settings=train_settings,
                progress=_follow(state),
                number=number,
                on_start=started.set,
            )
        except TrainingBusy as error:
            refused.append(error)
            raise

    _in_background(state, job, done=started)
    started.wait(timeout=30)
    if refused:
        raise TrainingBusy(str(refused[0]))
    return state


def activate(*, engine: Engine, number: int) -> ModelVersion:
    """Make a ready model version the one the app suggests with."""
    with session_scope(engine) as session:
        version = repository.model_version(session=session, number=number)
        if version is None or version.id is None:
            raise ModelNotReady(f"there is no model version {number}")
        if version.status != "ready":
            raise ModelNotReady(f"model version {number} is {version.status}, not ready")
        repository.set_active_model(session=session, model_version_id=version.id)
        session.refresh(version)
    return version


def model_versions(*, engine: Engine) -> list[ModelVersion]:
    """Every model version, newest first."""
    with session_scope(engine) as session:
        return repository.model_versions(session=session)


def active_model_path(*, engine: Engine) -> str | None:
    """The pipeline path of the active model version, or None for the default suggester."""
    with session_scope(engine) as session:
        version = repository.active_model_version(session=session)
        return None if version is None else version.path


def suggester_model(*, engine: Engine, settings: Settings) -> str:
    """The pipeline to suggest with: the active model version, else the configured model."""
    path = active_model_path(engine=engine)
    if path is None:
        return settings.model
    if not Path(path).exists():
        # A database copied without its models folder must not stop annotation.
        logger.warning("the active model %s is missing; suggesting with %s", path, settings.model)
        return settings.model
    return path


def pending_resuggestion(*, engine: Engine, suggester: Suggester) -> int:
    """How many sentences without an annotation or gold lack this suggester's suggestion."""
    return count_pending(engine=engine, suggester=suggester, unannotated_only=True)


def resuggest(
    *,
    engine: Engine,
    settings: Settings,
    number: int,
    progress: Progress | None = None,
    suggester: Suggester | None = None,
) -> int:
    """Suggest with a model version for every sentence without an annotation or gold yet.

    Suggestions are stored per model version and committed per batch, so running it again
    after an interruption continues where it stopped. ``suggester`` is the version's pipeline
    when the caller has it loaded already.
    """
    from annotator.nlp.suggest import load_suggester

    with session_scope(engine) as session:
        version = repository.model_version(session=session, number=number)
    if version is None:
        raise ModelNotReady(f"there is no model version {number}")
    if version.status != "ready":
        raise ModelNotReady(f"model version {number} is {version.status}, not ready")
    if suggester is None:
        suggester = load_suggester(
            version.path,
            scheme=load_scheme(settings.labels_path),
            patterns_dir=settings.patterns_dir,
        )
    return suggest_pending(
        engine=engine,
        suggester=suggester,
        batch_size=settings.batch_size,
        progress=progress,
        unannotated_only=True,
        uncertainty=settings.routing == "uncertain",
        # ANNOTATOR_ENGINE (or --engine): the version's folder must be at this path on the workers.
        on=EngineChoice.of(settings),
        source=SuggesterSource.of(settings, model=version.path, suggester=suggester),
    )


@dataclass(frozen=True)
class CurvePoint:
    """Dev scores of a model trained on a share of the training gold."""

    share: float
    train_count: int
    entities_f: float
    events_f: float
    categories_f: float
    per_label: dict[str, float]


@dataclass(frozen=True)
class CurveBaseline:
    """The default suggester's dev scores, the line a learning curve is drawn against."""

    model: str
    entities_f: float
    events_f: float
    categories_f: float
    per_label: dict[str, float]


@dataclass(frozen=True)
class LearningCurve:
    """A model trained on each share of the training gold, and the default suggester, scored
    on the same dev gold."""

    points: list[CurvePoint]
    default: CurveBaseline

    def to_dict(self) -> dict[str, Any]:
        """``{points: [...], default: {...}}``, as ``annotator learning-curve --json`` prints."""
        return {"points": [asdict(p) for p in self.points], "default": asdict(self.default)}


def _layer_figures(report: EvaluationReport) -> dict[str, Any]:
    return {
        "entities_f": report.entities.overall.fscore,
        "events_f": report.events.overall.fscore,
        "categories_f": report.categories.overall.fscore,
        "per_label": {
            label: prf.fscore
            for layer in (report.entities, report.events, report.categories)
            for label, prf in layer.per_label.items()
        },
    }


def learning_curve(
    *,
    engine: Engine,
    settings: Settings,
    shares: Sequence[float] = CURVE_SHARES,
    train_settings: nlp_train.TrainSettings | None = None,
    progress: nlp_train.TrainProgress | None = None,
    number: int | None = None,
    on_start: Callable[[], None] | None = None,
) -> LearningCurve:
    """Dev F1 per layer after training on each share of the training gold (the dev gold stays
    whole; each share is a real training), and the default suggester's on the same dev gold.

    ``progress`` gets the steps of all the trainings as one count. With ``number`` the curve
    is also stored in that version's metrics (``learning_curve``, ``learning_curve_default``,
    ``learning_curve_at``); ``on_start`` is called once the curve holds the training lock.
    Raises TrainingBusy while a training runs and TrainingError when the gold cannot be split.
    """
    if not shares or any(not 0.0 < share <= 1.0 for share in shares):
        raise ValueError(f"shares must lie in (0, 1]; got {list(shares)}")
    train_settings = train_settings or nlp_train.TrainSettings()
    with training_lock(engine):
        _refuse_while_training(engine=engine)
        if number is not None:
            with session_scope(engine) as session:
                if repository.model_version(session=session, number=number) is None:
                    raise ModelNotReady(f"there is no model version {number}")
        if on_start is not None:
            on_start()
        curve = _curve(
            engine=engine,
            settings=settings,
            shares=shares,
            train_settings=train_settings,
            progress=progress,
        )
    if number is not None:
        with session_scope(engine) as session:
            version = repository.model_version(session=session, number=number)
            if version is not None:
                drawn = curve.to_dict()
                version.metrics = {
                    **version.metrics,
                    "learning_curve": drawn["points"],
                    "learning_curve_default": drawn["default"],
                    "learning_curve_at": utc_now().isoformat(timespec="seconds"),
                }
                session.add(version)
    return curve


def _refuse_while_training(*, engine: Engine) -> None:
    # A training in another process (another app server, the CLI) shares the CPU too.
    with session_scope(engine) as session:
        running = _running_trainings(session=session, now=utc_now())
    if running:
        raise TrainingBusy(f"model version {running[0].number} is still training")


def _curve(
    *,
    engine: Engine,
    settings: Settings,
    shares: Sequence[float],
    train_settings: nlp_train.TrainSettings,
    progress: nlp_train.TrainProgress | None,
) -> LearningCurve:
    from annotator.nlp.evaluate import evaluate
    from annotator.nlp.suggest import load_suggester

    scheme = load_scheme(settings.labels_path)
    with session_scope(engine) as session:
        records = list(export_records(session=session))
        dev_reports = spacy_docbin.split_reports(
            export_report_keys(session=session), dev_share=config.DEFAULT_DEV_SHARE, seed=0
        )
    dev = [record for record in records if report_of(record) in dev_reports]
    train = [record for record in records if report_of(record) not in dev_reports]
    if not dev or not train:
        raise nlp_train.TrainingError(
            f"the learning curve needs gold in both train and dev; got {len(train)} train and "
            f"{len(dev)} dev (add gold from at least two reports)"
        )
    steps = train_settings.max_steps
    total = steps * len(shares)
    points: list[CurvePoint] = []
    baseline: CurveBaseline | None = None
    for index, share in enumerate(shares):
        before = index * steps

        def advance(step: int, _total: int, score: float | None, before: int = before) -> None:
            if progress is not None:
                progress(before + step, total, score)

        advance(0, steps, None)
        part = _share_of(train, share)
        with tempfile.TemporaryDirectory(prefix="annotator-curve-") as work:
            corpus = Path(work) / "corpus"
            nlp_train.write_corpus(part, dev, corpus, scheme=scheme)
            result = nlp_train.train(
                corpus,
                output=Path(work) / "model",
                scheme=scheme,
                settings=train_settings,
                progress=advance,
                patterns_dir=settings.patterns_dir,
            )
            if baseline is None:
                # The same dev gold, read back as the trained models are scored on it.
                default = load_suggester(
                    settings.model, scheme=scheme, patterns_dir=settings.patterns_dir
                )
                report = evaluate(
                    nlp_train.gold_records_of(corpus / spacy_docbin.DEV), suggester=default
                )
                baseline = CurveBaseline(
                    model=f"{default.model_name} {default.model_version}",
                    **_layer_figures(report),
                )
        points.append(
            CurvePoint(share=share, train_count=result.train_count, **_layer_figures(result.report))
        )
    if progress is not None:
        progress(total, total, None)
    assert baseline is not None  # shares is not empty
    return LearningCurve(points=points, default=baseline)


def _share_of(records: Sequence[Record], share: float) -> list[Record]:
    # The first reports in a fixed order, so that each share contains the smaller ones.
    keys = sorted({report_of(record) for record in records})
    count = max(1, round(len(keys) * share))
    chosen = set(keys[:count])
    return [record for record in records if report_of(record) in chosen]


# --- what the models page shows -----------------------------------------------------------


@dataclass(frozen=True)
class ModelsOverview:
    """What the models page shows: how much gold there is to train on, and every model
    version, newest first."""

    gold: int
    versions: list[ModelVersion]

    @property
    def active(self) -> ModelVersion | None:
        """The version the app suggests with; None for the default suggester."""
        return next((version for version in self.versions if version.active), None)


def models_overview(*, session: Session) -> ModelsOverview:
    """The gold count and the model versions, read in the caller's session; a training whose
    process is gone is marked failed first, so that it is never shown as running."""
    _running_trainings(session=session, now=utc_now())
    return ModelsOverview(
        gold=repository.count_gold(session=session),
        versions=repository.model_versions(session=session),
    )
