"""Suggesting on a distributed engine: Ray or Dask distributed, the pipeline loaded once per worker.

The driver (the command or the app) reads the texts batch by batch, sends each batch to a worker
and stores or writes what comes back, in order, with a few batches in flight per worker so that
no worker waits on the driver. A worker never sees the database: it needs the annotator package,
the pipeline (a package name, or a model folder at the same path on every machine) and the label
and pattern files, which it loads once (``SuggesterSource.load``) and keeps for every batch of
the run. Nothing loaded is pickled: the source names what to load.

* Ray: one actor per CPU of the cluster (``ray.remote(num_cpus=1)``), each loading the pipeline
  when it starts; ``address`` is ``auto`` (the cluster this machine belongs to), ``ray://host:port``
  (Ray Client) or a cluster's ``host:port``.
* Dask: one task per batch on the workers of a ``distributed`` scheduler (``tcp://host:port``);
  each worker process keeps the loaded pipeline as an attribute of its ``Worker`` (keyed by the
  source, so a second run with the same pipeline loads nothing).

Without an address a local cluster of the engine is started, one single-threaded worker per core,
and shut down after the run.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from annotator.config import DEFAULT_ENGINE, ENGINES, Settings
from annotator.errors import AnnotatorError

if TYPE_CHECKING:
    from annotator.nlp.lexicon import GoldLexicon
    from annotator.nlp.suggest import Suggester, Suggestion
    from annotator.nlp.suggest_file import BatchSuggest

log = logging.getLogger(__name__)

P = TypeVar("P")
R = TypeVar("R")
# What a worker does with a batch: the loaded suggester and the batch in, the result out. A
# module-level function, so that it travels by name.
Job = Callable[["Suggester", P], R]

# Batches in flight per worker: one being suggested and one waiting, so that a worker never idles
# while the driver stores the last one.
IN_FLIGHT = 2
# How long to wait for a cluster's port to answer before saying it cannot be reached.
CONNECT_SECONDS = 5.0
# A Ray client is let in again this many times, after a pause that grows by this many seconds.
RAY_CLIENT_ATTEMPTS = 3
RAY_CLIENT_PAUSE = 2.0
# The pip extra that installs both engines.
EXTRA = "conflict-annotator[cluster]"


class EngineError(AnnotatorError, RuntimeError):
    """An engine that cannot be used: unknown, not installed, or its cluster unreachable."""


class EngineWorkerFailed(EngineError):
    """A worker of the engine failed (its pipeline did not load, or it died); the batches stored
    before stay stored."""


@dataclass(frozen=True)
class EngineChoice:
    """Which engine suggests (``local``, ``ray`` or ``dask``), on which existing cluster (None:
    a local one, ``workers`` single-threaded workers, by default one per core)."""

    name: str = DEFAULT_ENGINE
    address: str | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise EngineError(f"--engine must be one of {', '.join(ENGINES)}, not {self.name!r}")
        if self.address is not None:
            if self.name == "local":
                raise EngineError("--address names a cluster: give --engine ray or dask with it")
            _check_address(self.name, self.address)
        if self.workers is not None and self.workers < 1:
            raise EngineError(f"a local cluster needs at least one worker, not {self.workers}")

    @property
    def distributed(self) -> bool:
        """Whether a Ray or Dask cluster suggests (not this process)."""
        return self.name != "local"

    @classmethod
    def of(cls, settings: Settings) -> EngineChoice:
        """The engine the settings name (ANNOTATOR_ENGINE, ANNOTATOR_ENGINE_ADDRESS)."""
        return cls(name=settings.engine, address=settings.engine_address)

    def describe(self) -> str:
        """One phrase for messages: ``ray at ray://head:10001``, ``a local dask cluster``."""
        if not self.distributed:
            return "this process"
        return f"{self.name} at {self.address}" if self.address else f"a local {self.name} cluster"


@dataclass(frozen=True)
class SuggesterSource:
    """What a worker loads: the pipeline's name or path, the label scheme and patterns, and the
    gold lexicon to apply (file mode); with ``model_name``/``model_version`` the loaded suggester
    must be that one (so that a worker with other patterns cannot store under this version)."""

    model: str
    labels_path: str
    patterns_dir: str
    model_name: str | None = None
    model_version: str | None = None
    lexicon: GoldLexicon | None = None

    @classmethod
    def of(
        cls,
        settings: Settings,
        *,
        model: str | Path | None = None,
        suggester: Suggester | None = None,
        lexicon: GoldLexicon | None = None,
    ) -> SuggesterSource:
        """The source of the settings' pipeline (or ``model``), checked against ``suggester``."""
        return cls(
            model=str(model if model is not None else settings.model),
            labels_path=str(settings.labels_path),
            patterns_dir=str(settings.patterns_dir),
            model_name=suggester.model_name if suggester is not None else None,
            model_version=suggester.model_version if suggester is not None else None,
            lexicon=lexicon,
        )

    def key(self) -> tuple[str, ...]:
        """What identifies the loaded suggester on a worker (the lexicon by its size and id:
        a lexicon is shipped once per run)."""
        lexicon = "" if self.lexicon is None else f"{len(self.lexicon)}:{id(self.lexicon)}"
        return (self.model, self.labels_path, self.patterns_dir, lexicon)

    def load(self) -> Suggester:
        """The suggester, loaded in this process (a worker's, once)."""
        from annotator.labels import load_scheme
        from annotator.nlp.lexicon import learned_suggester
        from annotator.nlp.suggest import load_suggester

        suggester = load_suggester(
            self.model, scheme=load_scheme(self.labels_path), patterns_dir=Path(self.patterns_dir)
        )
        loaded = (suggester.model_name, suggester.model_version)
        wanted = (self.model_name or loaded[0], self.model_version or loaded[1])
        if loaded != wanted:
            raise EngineError(
                f"a worker loaded {' '.join(loaded)} from {self.model!r}, not {' '.join(wanted)}: "
                "give every worker the same pipeline and patterns as the driver"
            )
        log.info("worker %d loaded %s %s", os.getpid(), *loaded)
        if self.lexicon is not None:
            suggester = learned_suggester(suggester, self.lexicon)
        return suggester


class SuggestionPool(Protocol):
    """Workers that each hold a loaded suggester."""

    workers: int

    def map(self, job: Job[P, R], payloads: Iterable[P]) -> Iterator[tuple[P, R]]:
        """Each payload with what ``job`` made of it on a worker, in the payloads' order; only a
        few payloads per worker are read ahead."""
        ...


def _check_address(name: str, address: str) -> None:
    """Refuse an address the engine cannot take, naming the forms it can."""
    if name == "ray":
        if address == "auto":
            return
        if address.startswith("ray://") or "://" not in address:
            _host_port(address, name)
            return
        raise EngineError(
            f"--address {address!r}: Ray takes auto, ray://host:port or a cluster's host:port"
        )
    if not address.startswith(("tcp://", "tls://")):
        raise EngineError(f"--address {address!r}: Dask takes a scheduler's tcp://host:port")
    _host_port(address, name)


def _host_port(address: str, name: str) -> tuple[str, int]:
    parts = urlsplit(address if "://" in address else f"//{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise EngineError(f"--address {address!r}: the {name} cluster's host:port is missing")
    return parts.hostname, port


def _reachable(name: str, address: str) -> None:
    """Fail in seconds, with the address, where nothing listens (Ray Client waits 30 s)."""
    if address == "auto":
        return
    host, port = _host_port(address, name)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_SECONDS):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise EngineError(f"cannot reach the {name} cluster at {address}: {reason}") from None


def _engine_module(name: str) -> ModuleType:
    try:
        if name == "ray":
            import ray

            return ray
        import distributed

        return distributed
    except ImportError:
        package = "ray" if name == "ray" else "dask distributed"
        raise EngineError(
            f"--engine {name} needs {package}, which is not installed: pip install '{EXTRA}'"
        ) from None


def local_workers() -> int:
    """The size of a local cluster: one worker per core."""
    return max(1, os.cpu_count() or 1)


def check_engine(choice: EngineChoice) -> ModuleType | None:
    """Raise EngineError, in seconds, where the engine is not installed or its cluster does not
    answer; the engine's module (None for local)."""
    if not choice.distributed:
        return None
    module = _engine_module(choice.name)
    if choice.address is not None:
        _reachable(choice.name, choice.address)
    return module


@contextmanager
def suggestion_pool(choice: EngineChoice, source: SuggesterSource) -> Iterator[SuggestionPool]:
    """Workers of the chosen engine, each with the source's suggester loaded once; a local
    cluster (no address) is shut down when the block ends."""
    module = check_engine(choice)
    if module is None:
        raise EngineError("the local engine suggests in this process; it has no pool")
    workers = choice.workers or local_workers()
    if choice.name == "ray":
        with _ray_pool(module, choice, source, workers) as pool:
            yield pool
    else:
        with _dask_pool(module, choice, source, workers) as dask_pool:
            yield dask_pool


def _ordered(
    submit: Callable[[P], Any], result: Callable[[Any], R], payloads: Iterable[P], *, window: int
) -> Iterator[tuple[P, R]]:
    """Submit payloads keeping ``window`` in flight; yield them with their results in order."""
    flight: deque[tuple[P, Any]] = deque()
    for payload in payloads:
        flight.append((payload, submit(payload)))
        if len(flight) >= window:
            done, handle = flight.popleft()
            yield done, result(handle)
    while flight:
        done, handle = flight.popleft()
        yield done, result(handle)


# Ray -------------------------------------------------------------------------------------------


class _SuggesterActor:
    """A Ray actor holding a loaded suggester for the run."""

    def __init__(self, source: SuggesterSource) -> None:
        self.suggester = source.load()

    def run(self, job: Job[P, R], payload: P) -> R:
        """Do the job with the loaded suggester."""
        return job(self.suggester, payload)


@dataclass
class _RayPool(Generic[P, R]):
    ray: ModuleType
    actors: list[Any]
    workers: int

    def map(self, job: Job[P, R], payloads: Iterable[P]) -> Iterator[tuple[P, R]]:
        turn = {"next": 0}

        def submit(payload: P) -> Any:
            actor = self.actors[turn["next"] % len(self.actors)]
            turn["next"] += 1
            return actor.run.remote(job, payload)

        def result(handle: Any) -> R:
            try:
                return self.ray.get(handle)  # type: ignore[no-any-return]
            except Exception as error:
                raise EngineWorkerFailed(f"a Ray worker failed: {_reason(error)}") from None

        return _ordered(submit, result, payloads, window=IN_FLIGHT * len(self.actors))


@contextmanager
def _ray_pool(
    ray: ModuleType, choice: EngineChoice, source: SuggesterSource, workers: int
) -> Iterator[_RayPool[Any, Any]]:
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
        for attempt in range(1, RAY_CLIENT_ATTEMPTS + 1):
            try:
                if choice.address is not None:
                    ray.init(address=choice.address, **options)
                else:
                    # "local": a new cluster, even where `ray start` left one this could join.
                    ray.init(address="local", num_cpus=workers, include_dashboard=False, **options)
                break
            except ConnectionAbortedError:
                # A busy head can fail to start the server of a new client ("Initialization
                # failure from server"); the next try usually gets in.
                ray.shutdown()
                if attempt == RAY_CLIENT_ATTEMPTS:
                    raise EngineError(
                        f"cannot start Ray on {choice.describe()}: the cluster refused "
                        f"{RAY_CLIENT_ATTEMPTS} connections (Initialization failure from server)"
                    ) from None
                time.sleep(RAY_CLIENT_PAUSE * attempt)
            except (ConnectionError, ValueError, RuntimeError) as error:
                raise EngineError(
                    f"cannot start Ray on {choice.describe()}: {_reason(error)}"
                ) from None
        started = True
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1)) if choice.address else workers
        actor = ray.remote(num_cpus=1)(_SuggesterActor)
        actors = [actor.remote(source) for _ in range(max(1, cpus))]
        yield _RayPool(ray, actors, len(actors))
        for handle in actors:
            ray.kill(handle)
    finally:
        if started:
            ray.shutdown()


# Dask ------------------------------------------------------------------------------------------

# The attribute of a Dask worker that holds its loaded suggester: (source key, suggester).
WORKER_ATTRIBUTE = "annotator_suggester"


def _dask_run(source: SuggesterSource, job: Job[P, R], payload: P) -> R:
    """A Dask task: the job with this worker's suggester, loaded on its first task."""
    from distributed import get_worker

    worker = get_worker()
    held = getattr(worker, WORKER_ATTRIBUTE, None)
    if held is None or held[0] != source.key():
        held = (source.key(), source.load())
        setattr(worker, WORKER_ATTRIBUTE, held)
    suggester: Suggester = held[1]
    return job(suggester, payload)


@dataclass
class _DaskPool(Generic[P, R]):
    client: Any
    source: Any  # the source, scattered to every worker once
    workers: int

    def map(self, job: Job[P, R], payloads: Iterable[P]) -> Iterator[tuple[P, R]]:
        def submit(payload: P) -> Any:
            return self.client.submit(_dask_run, self.source, job, payload, pure=False)

        def result(future: Any) -> R:
            try:
                return future.result()  # type: ignore[no-any-return]
            except EngineError:
                raise
            except Exception as error:
                raise EngineWorkerFailed(f"a Dask worker failed: {_reason(error)}") from None

        return _ordered(submit, result, payloads, window=IN_FLIGHT * self.workers)


@contextmanager
def _dask_pool(
    distributed: ModuleType, choice: EngineChoice, source: SuggesterSource, workers: int
) -> Iterator[_DaskPool[Any, Any]]:
    cluster = None
    try:
        if choice.address is not None:
            client = distributed.Client(choice.address, timeout=f"{CONNECT_SECONDS:.0f}s")
        else:
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
            client = distributed.Client(cluster)
    except OSError as error:
        where = choice.address or "a local cluster"
        raise EngineError(f"cannot reach the Dask cluster at {where}: {_reason(error)}") from None
    try:
        threads = sum(client.nthreads().values()) or 1
        scattered = client.scatter(source, broadcast=True)
        yield _DaskPool(client, scattered, threads)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _reason(error: BaseException) -> str:
    """The first line of what an engine raised (a remote error carries the worker's traceback)."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        error = cause
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def suggest_on(pool: SuggestionPool, *, batch_size: int) -> BatchSuggest:
    """File mode on a cluster: batches of texts suggested by the pool's workers, in order."""
    from annotator.nlp.suggest_file import suggest_texts

    def suggest(batches: Iterable[list[str]]) -> Iterator[list[Suggestion]]:
        payloads = ((texts, batch_size) for texts in batches)
        for _, suggestions in pool.map(suggest_texts, payloads):
            yield suggestions

    return suggest
