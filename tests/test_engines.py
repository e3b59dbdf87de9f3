"""Suggesting on a real Ray or Dask cluster (local ones of two single-CPU workers, started once
for the module) gives what suggesting here gives, record for record: the lines ``annotator
suggest`` writes (with the gold lexicon too), and the suggestion stored for every sentence
(SQLite and PostgreSQL), resuming where a run stopped. A wrong --engine or --address, or an engine
that is not installed, ends the command with one line. ``annotator resuggest`` on a cluster
stores what it stores here."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from annotator import workflow
from annotator.cli import app
from annotator.config import TRAINED_SUGGESTIONS, Settings
from annotator.db import make_engine, session_scope
from annotator.formats import Record
from annotator.models import ModelVersion, Sentence, Suggestion
from annotator.nlp.lexicon import GoldLexicon, VoteCount, learned_suggester
from annotator.nlp.suggest import Suggester
from annotator.nlp.suggest_file import suggest_file
from annotator.workflow import GoldPolicy
from annotator.workflow.engines import EngineChoice, SuggesterSource, suggest_on, suggestion_pool
from tests.conftest import TrainedVersion

ROOT = Path(__file__).resolve().parent.parent
RAY = Path(sys.executable).with_name("ray")
# 60 sentences of notes: a few batches of 8 x batch size 4 per worker.
TEXTS = [
    json.loads(line)["text"]
    for line in (ROOT / "tests" / "data" / "notes_test.jsonl").read_text().splitlines()[:60]
]
BATCH_SIZE = 4
LEXICON_TEXT = "Maungdaw residents said the Arakan Army had left Maungdaw."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A Dask scheduler with two single-threaded worker processes, for the module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield str(cluster.scheduler_address)


def ray_client_connects(address: str) -> bool:
    """Whether a Ray client (a process of its own) connects to the cluster at ``address``."""
    script = f"import ray; ray.init(address={address!r}); ray.shutdown()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, timeout=120, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Ray head node of two CPUs (``ray start --head``) with its Ray Client port, for the
    module; stopped by its process group."""
    port, client = free_port(), free_port()
    head = subprocess.Popen(
        [
            str(RAY),
            "start",
            "--head",
            "--block",
            "--num-cpus=2",
            f"--port={port}",
            f"--ray-client-server-port={client}",
            "--include-dashboard=false",
            "--disable-usage-stats",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "RAY_AUTH_MODE": "disabled"},
        # Started in the work tree, its Ray Client server fails to start a client's server.
        cwd=tmp_path_factory.mktemp("ray"),
    )
    try:
        deadline = time.monotonic() + 120
        while not answers(client):
            assert head.poll() is None, "ray start --head ended"
            assert time.monotonic() < deadline, "the Ray head never opened its client port"
            time.sleep(0.5)
        address = f"ray://127.0.0.1:{client}"
        # A head just up can refuse its first clients ("Initialization failure from server")
        # while its agents still start, more so on a loaded machine: one client gets in first.
        for attempt in range(4):
            if ray_client_connects(address):
                break
            assert attempt < 3, f"no Ray client got into the head at {address}"
        yield address
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        # The head's processes that outlive the TERM (GCS, raylet) are in its group.
        try:
            os.killpg(head.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture(params=["ray", "dask"])
def cluster(request: pytest.FixtureRequest) -> EngineChoice:
    """Each engine's cluster, one after the other."""
    name = str(request.param)
    return EngineChoice(name=name, address=str(request.getfixturevalue(f"{name}_address")))


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    lines = [json.dumps({"text": text, "meta": {"n": n}}) for n, text in enumerate(TEXTS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.from_env()


def local_lines(source: Path, target: Path, suggester: Suggester) -> list[str]:
    suggest_file(source, target, suggester=suggester, batch_size=BATCH_SIZE)
    return target.read_text(encoding="utf-8").splitlines()


def test_annotator_suggest_on_a_cluster_writes_the_lines_of_a_local_run(
    cluster: EngineChoice, records: Path, suggester: Suggester, tmp_path: Path
) -> None:
    expected = local_lines(records, tmp_path / "local.jsonl", suggester)
    output = tmp_path / "cluster.jsonl"
    address = cluster.address
    assert address is not None
    result = CliRunner().invoke(
        app,
        ["suggest", "--input", str(records), "--output", str(output), "--no-lexicon"]
        + ["--engine", cluster.name, "--address", address],
        env={"ANNOTATOR_BATCH_SIZE": str(BATCH_SIZE)},
    )

    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8").splitlines() == expected
    assert sum(bool(json.loads(line)["spans"]) for line in expected) > len(TEXTS) // 2


def test_the_gold_lexicon_is_applied_on_the_workers_as_here(
    cluster: EngineChoice, suggester: Suggester, settings: Settings, tmp_path: Path
) -> None:
    learned = GoldLexicon.from_votes(
        [
            VoteCount(
                layer="entities",
                phrase="maungdaw",
                label="LOC",
                kept=True,
                name=True,
                adjudicated=True,
                votes=1,
                latest=datetime(2026, 1, 1, tzinfo=UTC),
            )
        ]
    )
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"text": LEXICON_TEXT}) + "\n", encoding="utf-8")
    expected = local_lines(source, tmp_path / "local.jsonl", learned_suggester(suggester, learned))
    learned_spans = {(span["text"], span["label"]) for span in json.loads(expected[0])["spans"]}
    assert ("Maungdaw", "LOC") in learned_spans

    with suggestion_pool(cluster, SuggesterSource.of(settings, lexicon=learned)) as pool:
        suggest_file(
            source,
            tmp_path / "cluster.jsonl",
            batch_size=BATCH_SIZE,
            suggest=suggest_on(pool, batch_size=BATCH_SIZE),
        )

    assert (tmp_path / "cluster.jsonl").read_text(encoding="utf-8").splitlines() == expected


def stored(engine: Engine) -> dict[str, tuple[Any, ...]]:
    """Every sentence's stored suggestion, by text."""
    with session_scope(engine) as session:
        rows = session.execute(
            sa.select(
                Sentence.text,
                Suggestion.model_name,
                Suggestion.model_version,
                Suggestion.entities,
                Suggestion.events,
                Suggestion.categories,
                Suggestion.arguments,
            ).join(Suggestion, Suggestion.sentence_id == Sentence.id)
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_pending_suggestions_on_a_cluster_are_stored_as_a_local_run_stores_them(
    cluster: EngineChoice,
    engine: Engine,
    scheme: Any,
    suggester: Suggester,
    settings: Settings,
) -> None:
    record = Record(
        text="\n".join(TEXTS), source="notes.txt", line=1, meta={}, split=True, annotation=None
    )
    with session_scope(engine) as session:
        workflow.import_records(
            session=session, records=[record], scheme=scheme, policy=GoldPolicy.of(settings)
        )
    assert workflow.suggest_pending(engine=engine, suggester=suggester, batch_size=BATCH_SIZE) > 0
    expected = stored(engine)
    # An interrupted run: the first sentences keep their suggestions, the rest lack one.
    with session_scope(engine) as session:
        first = sorted(session.execute(sa.select(Sentence.id)).scalars())[:10]
        session.execute(sa.delete(Suggestion).where(Suggestion.sentence_id.not_in(first)))
    seen: list[tuple[int, int]] = []

    done = workflow.suggest_pending(
        engine=engine,
        suggester=suggester,
        batch_size=BATCH_SIZE,
        progress=lambda done, total: seen.append((done, total)),
        on=cluster,
        source=SuggesterSource.of(settings, suggester=suggester),
    )

    assert done == len(expected) - len(first)
    assert stored(engine) == expected
    assert seen[0] == (0, done) and seen[-1] == (done, done) and len(seen) > 2


def test_without_an_address_a_local_cluster_runs_and_is_shut_down(
    records: Path, suggester: Suggester, settings: Settings, tmp_path: Path
) -> None:
    expected = local_lines(records, tmp_path / "local.jsonl", suggester)
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    choice = EngineChoice(name="dask", workers=2)

    with suggestion_pool(choice, SuggesterSource.of(settings)) as pool:
        assert pool.workers == 2
        suggest_file(
            records,
            tmp_path / "cluster.jsonl",
            batch_size=BATCH_SIZE,
            suggest=suggest_on(pool, batch_size=BATCH_SIZE),
        )

    assert (tmp_path / "cluster.jsonl").read_text(encoding="utf-8").splitlines() == expected
    left = {
        child.pid
        for child in psutil.Process().children(recursive=True)
        if child.is_running() and child.status() != psutil.STATUS_ZOMBIE
    }
    assert left <= before


def closed_port() -> int:
    port = free_port()
    assert not answers(port)
    return port


@pytest.mark.parametrize(
    ("flags", "naming"),
    [
        (["--engine", "spark"], "--engine must be one of local, ray, dask, not 'spark'"),
        (["--address", "tcp://127.0.0.1:8786"], "give --engine ray or dask with it"),
        (["--engine", "dask", "--address", "ray://127.0.0.1:10001"], "Dask takes a scheduler's"),
        (["--engine", "ray", "--address", "tcp://127.0.0.1:10001"], "Ray takes auto, ray://"),
        (["--engine", "dask", "--address", "tcp://scheduler"], "host:port is missing"),
        (["--engine", "dask", "--address", "tcp://127.0.0.1:{port}"], "cannot reach the dask"),
        (["--engine", "ray", "--address", "ray://127.0.0.1:{port}"], "cannot reach the ray"),
    ],
)
@pytest.mark.parametrize("command", ["suggest", "import", "resuggest"])
def test_a_wrong_engine_or_address_ends_the_command_in_one_line(
    command: str, flags: list[str], naming: str, records: Path, tmp_path: Path
) -> None:
    port = closed_port()
    flags = [flag.format(port=port) for flag in flags]
    db = f"sqlite:///{tmp_path / 'a.db'}"
    arguments = {
        "suggest": ["suggest", "--input", str(records), "--output", str(tmp_path / "o.jsonl")],
        "import": ["import", str(records), "--db", db],
        "resuggest": ["resuggest", "1", "--db", db],
    }[command]

    result = CliRunner().invoke(app, arguments + flags)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and naming in lines[0], lines
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "a.db").exists()


@pytest.mark.parametrize(("engine", "module"), [("ray", "ray"), ("dask", "distributed")])
def test_an_engine_not_installed_says_which_package_to_install(
    engine: str, module: str, records: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What importing a package that is not installed raises.
    monkeypatch.setitem(sys.modules, module, None)
    output = tmp_path / "o.jsonl"

    result = CliRunner().invoke(
        app, ["suggest", "--input", str(records), "--output", str(output), "--engine", engine]
    )

    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [
        f"error: --engine {engine} needs {'ray' if engine == 'ray' else 'dask distributed'}, "
        "which is not installed: pip install 'conflict-annotator[cluster]'"
    ]


def test_annotator_engine_must_name_an_engine(records: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["suggest", "--input", str(records), "--output", str(tmp_path / "o.jsonl")],
        env={"ANNOTATOR_ENGINE": "spark"},
    )

    assert result.exit_code == 1, result.output
    assert "ANNOTATOR_ENGINE='spark': use one of local, ray, dask" in result.stderr


@pytest.mark.slow
def test_annotator_resuggest_on_a_cluster_stores_what_a_local_resuggest_stores(
    dask_address: str,
    migrated_sqlite_url: str,
    trained_version: TrainedVersion,
    scheme: Any,
    settings: Settings,
) -> None:
    from annotator.workflow import training

    url = migrated_sqlite_url
    engine = make_engine(url)
    record = Record(
        text="\n".join(TEXTS[:20]), source="notes.txt", line=1, meta={}, split=True, annotation=None
    )
    with session_scope(engine) as session:
        workflow.import_records(
            session=session, records=[record], scheme=scheme, policy=GoldPolicy.of(settings)
        )
        session.add(
            ModelVersion(
                number=1,
                path=trained_version.path,
                status="ready",
                metrics=trained_version.metrics,
                gold_count=trained_version.gold_count,
            )
        )
        sentences = len(session.execute(sa.select(Sentence.id)).all())
    local = settings.with_overrides(database_url=url)
    assert training.resuggest(engine=engine, settings=local, number=1) == sentences
    expected = {text: row for text, row in stored(engine).items() if row[0] == TRAINED_SUGGESTIONS}
    assert len(expected) == sentences
    with session_scope(engine) as session:
        session.execute(sa.delete(Suggestion).where(Suggestion.model_name == TRAINED_SUGGESTIONS))

    result = CliRunner().invoke(
        app, ["resuggest", "1", "--db", url, "--engine", "dask", "--address", dask_address]
    )

    assert result.exit_code == 0, result.output
    assert f"suggested {sentences} sentence(s) with model version 1" in result.stdout
    assert {t: r for t, r in stored(engine).items() if r[0] == TRAINED_SUGGESTIONS} == expected
    engine.dispose()
