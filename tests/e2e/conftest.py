"""The app in a real browser: Streamlit on a free port over a temporary SQLite database, driven by
Playwright through Debian's Chromium. A page fails its test when a dialog opens, a script error is
thrown or anything is logged to the console as an error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from annotator.db import make_engine, session_scope
from annotator.workflow import accounts

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 60.0
PORT_ATTEMPTS = 5
# The browser tests log in as this admin (admins may open every page, the annotate page too).
REVIEWER = "e2e"
PASSWORD = "e2e password, long enough"

pytestmark = pytest.mark.e2e


@dataclass
class App:
    """A running app: its address, its database, its log and its server process."""

    url: str
    database_url: str
    log: Path
    port: int
    process: subprocess.Popen[bytes] = field(repr=False)


def _free_port() -> int:
    # A port the kernel picks at random, not one counted up from a base: xdist workers, and other
    # test runs on the machine, do not all reach for the same ones.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _PortTaken(RuntimeError):
    """Another process bound the port between choosing it and the app binding it."""


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if process.poll() is not None:
            if "is not available" in output:
                raise _PortTaken(output)
            raise RuntimeError(f"the app exited with {process.returncode}:\n{output}")
        # Until this app says it listens, whatever answers on the port is some other server.
        if "Local URL:" in output:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
        time.sleep(0.2)
    raise RuntimeError(f"the app did not answer within {START_TIMEOUT:.0f}s:\n{log.read_text()}")


def _run_streamlit(*, port: int, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    """``streamlit run app.py`` on a port over a database, its output written to ``log``."""
    env = {
        **os.environ,
        "ANNOTATOR_DATABASE_URL": database_url,
        # One reviewer per sentence: an accepted annotation is the gold at once.
        "ANNOTATOR_OVERLAP": "1",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        # The log is read while the app starts: it says when the app listens.
        "PYTHONUNBUFFERED": "1",
    }
    streamlit = Path(sys.executable).parent / "streamlit"
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                str(streamlit),
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def database_url(migrated_sqlite_url: str) -> str:
    """A migrated SQLite database for one app, with no reports and one account (REVIEWER)."""
    engine = make_engine(migrated_sqlite_url)
    with session_scope(engine) as session:
        accounts.create_reviewer(session=session, name=REVIEWER, password=PASSWORD, role="admin")
    engine.dispose()
    return migrated_sqlite_url


@pytest.fixture
def start_app(tmp_path: Path, database_url: str) -> Iterator[Callable[..., App]]:
    """Start the app (``streamlit run app.py``) on a free port (or on ``port=``, as a restart
    does) over ``database_url``."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(port: int | None = None) -> App:
        for _ in range(PORT_ATTEMPTS if port is None else 1):
            chosen = _free_port() if port is None else port
            log = tmp_path / f"streamlit-{chosen}-{len(processes)}.log"
            process = _run_streamlit(port=chosen, database_url=database_url, log=log)
            processes.append(process)
            url = f"http://127.0.0.1:{chosen}"
            try:
                _wait_healthy(url, process, log)
            except _PortTaken:
                continue
            return App(url=url, database_url=database_url, log=log, port=chosen, process=process)
        raise RuntimeError(f"no free port for the app in {PORT_ATTEMPTS} attempts")

    yield start
    for process in processes:
        _stop(process)


@pytest.fixture
def restart_app(start_app: Callable[..., App]) -> Callable[[App], App]:
    """Restart a running app: stop its server process and start a new one on the same port and
    database, as an open tab sees a server restart."""

    def restart(app: App) -> App:
        _stop(app.process)
        return start_app(port=app.port)

    return restart


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    """Debian's Chromium, headless, one per test session."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Problems:
    """Everything a page did that a person would call broken or dangerous."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.dialogs or self.errors)


@pytest.fixture
def problems() -> Problems:
    """Dialogs and console / script errors seen by :func:`page`."""
    return Problems()


@pytest.fixture
def page(browser: Browser, problems: Problems) -> Iterator[Page]:
    """A fresh browser page that records dialogs and errors; the test fails if any happened."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)

    def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
        problems.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda message: (
            problems.errors.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.errors.append(f"page error: {error}"))
    yield page
    context.close()
    assert not problems, f"the page misbehaved: {problems}"


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save a full-page PNG of a page under artifacts/screenshots/<name>.png."""

    def save(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def log_in() -> Callable[[Page, str], None]:
    """Open the app at an address and log in through its login page, as a reviewer does."""
    return _log_in


def _log_in(page: Page, url: str, name: str = REVIEWER, password: str = PASSWORD) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible()
