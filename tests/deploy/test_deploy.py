"""The team deployment (deploy/): two app processes behind Debian's nginx over one PostgreSQL
database, under the load test at a small size (4 browser reviewers in Chromium, 20 reviewers
through the core, 15 s): every decision stored exactly once, no sentence beyond its overlap,
no error in any browser; the proxy spreads the browser sessions over both processes, keeps each
on one, and passes their websockets. And deploy/start's mistakes are said plainly."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import _postgres_database, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "deploy" / "start"
OVERLAP = 2
BROWSERS = 4
CORE = 20


@dataclass(frozen=True)
class LoadRun:
    """One run of deploy/loadtest.py: its exit status, its figures and its database."""

    status: int
    figures: dict[str, Any]
    url: str
    output: str


@pytest.fixture(scope="module")
def nginx() -> str:
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(path).exists():
        skip_or_fail("no nginx found (apt-get install nginx); the deployment tests need it")
    return path


@pytest.fixture(scope="module")
def load_run(postgres_template: str, chromium: str, nginx: str) -> Iterator[LoadRun]:
    """The load test at a small size on a database of its own, kept until the module ends."""
    with _postgres_database(template=postgres_template) as url:
        done = subprocess.run(
            [
                sys.executable,
                str(ROOT / "deploy" / "loadtest.py"),
                "--seconds",
                "15",
                "--browsers",
                str(BROWSERS),
                "--core",
                str(CORE),
                "--sentences",
                "2000",
                "--overlap",
                str(OVERLAP),
                "--database-url",
                url,
                "--json",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.stdout.strip(), f"the load test printed nothing:\n{done.stderr[-4000:]}"
        yield LoadRun(
            status=done.returncode,
            figures=json.loads(done.stdout),
            url=url,
            output=done.stderr[-4000:],
        )


def scalar(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(query)).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.e2e
@pytest.mark.postgres
def test_every_decision_is_stored_once_and_no_sentence_goes_beyond_its_overlap(
    load_run: LoadRun,
) -> None:
    figures = load_run.figures
    assert load_run.status == 0, (
        figures["failures"],
        figures["problems"],
        figures["database"]["reviewers_mismatched"],
        load_run.output,
    )
    assert figures["problems"] == []  # no error message, traceback or dialog in any browser
    assert figures["reviewers"] == {"browser": BROWSERS, "core": CORE}
    # Everyone worked: each browser reviewer and each core reviewer decided something.
    assert figures["decisions"]["browser"] >= BROWSERS
    assert figures["decisions"]["core"] >= CORE
    assert figures["database"]["reviewers_mismatched"] == []
    # Read here again, not taken from the script: what the database holds. Every decision is
    # one version of its reviewer's one annotation of the sentence.
    url = load_run.url
    versions = scalar(url, "SELECT count(*) FROM annotation_version")
    # (A sentence the page showed again after its accept, and pressed again, holds one version
    # or two; every other press is one version.)
    core, browser = figures["decisions"]["core"], figures["browser_sentences"]
    assert core + browser <= versions <= figures["decisions"]["total"]
    decided = "SELECT count(DISTINCT (sentence_id, reviewer_id)) FROM annotation_version"
    assert scalar(url, "SELECT count(*) FROM annotation") == scalar(url, decided)
    most = (
        "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM annotation "
        "WHERE status IN ('accept', 'reject') GROUP BY sentence_id) AS per_sentence"
    )
    assert scalar(url, most) == OVERLAP  # sentences filled up, and none beyond the overlap


@pytest.mark.e2e
@pytest.mark.postgres
def test_the_proxy_spreads_sessions_over_both_processes_keeps_each_on_one_and_passes_websockets(
    load_run: LoadRun,
) -> None:
    proxy = load_run.figures["proxy"]
    per_process = proxy["sessions_per_process"]
    assert len(per_process) == 2 and sum(per_process.values()) == BROWSERS
    # nginx's log: every request of a session went to the process its route names...
    for route, upstreams in proxy["upstreams_per_route"].items():
        assert upstreams == [f"127.0.0.1:{route}"], proxy
    assert set(proxy["upstreams_per_route"]) == set(per_process)
    # ...its websocket (/_stcore/stream, status 101) too, and the page worked over it.
    assert set(proxy["websockets_per_process"]) == set(per_process)
    assert load_run.figures["decisions"]["browser"] >= BROWSERS


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--processes", "two"], "--processes must be a whole number from 1 to 64, not 'two'"),
        (["--processes", "0"], "--processes must be a whole number from 1 to 64, not '0'"),
        (["--port"], "--port needs a value"),
        (["--workers", "2"], "unknown option '--workers'"),
        (["--port", "8601"], "--port 8601 is also an app process's port"),
    ],
)
def test_deploy_start_refuses_bad_options_with_the_reason(
    arguments: list[str], message: str, nginx: str
) -> None:
    done = subprocess.run(
        [str(START), *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert message in done.stderr


def test_deploy_start_refuses_a_port_in_use(busy_port: int, nginx: str) -> None:
    done = subprocess.run(
        [str(START), "--port", str(busy_port), "--first-app-port", str(busy_port + 1)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert f"port {busy_port} is in use" in done.stderr
