"""Accept and see the next sentence in a browser: the annotate page served by a real
``streamlit run`` per database size, driven by Playwright through Chromium, one reviewer
pressing ``a`` again and again.

The figure is what a reviewer feels: from the keydown (a listener in the capture phase, before
the editor hears the key) to the editor's ``.ca-text`` holding the next sentence (a
MutationObserver), both ``performance.now()`` in the page and read back with
``page.evaluate``. Its baseline is the same keydown to the server's answer drawn (the editor
idle again: the decision stored, the sentence confirmed, the one after it sent ahead), which is
what a reviewer waited for before the sentence was sent ahead. Two animation frames after the
new text (its frame painted by then) are reported too. Each press waits until the editor is idle
again, as a reviewer reading the sentence gives it time to.

Chromium is Debian's (``shutil.which("chromium")``), as the browser tests use it; without it (or
without Playwright) the group says so in a note and gives no rows.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from annotator.bench.annotate import annotate_databases
from annotator.bench.context import BenchContext, BenchError
from annotator.bench.database import clear_decisions
from annotator.bench.results import Row, Target, median, percentile, short_count
from annotator.config import PROJECT_ROOT
from annotator.db import session_scope
from annotator.workflow import accounts

if TYPE_CHECKING:
    from playwright.sync_api import Page

REVIEWER = "bench_browser"
PASSWORD = "bench browser password"
START_SECONDS = 90.0
WARM_UP = 3
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]

# Installed once per page: the time of each decision key pressed, and of each sentence drawn.
WATCH = """() => {
    const host = [...document.querySelectorAll('.stBidiComponent *')]
        .find(e => e.shadowRoot && e.shadowRoot.querySelector('.ca-text'));
    const text = host.shadowRoot.querySelector('.ca-text');
    const root = host.shadowRoot.querySelector('.ca-editor');
    const bench = window.__bench = {keys: [], draws: [], frames: [], idle: [], text, root};
    new MutationObserver(() => {
        const words = text.textContent;
        bench.draws.push([performance.now(), words]);
        requestAnimationFrame(() => requestAnimationFrame(
            () => bench.frames.push([performance.now(), words])));
    }).observe(text, {childList: true, subtree: true, characterData: true});
    new MutationObserver(() => {
        if (root.dataset.state === 'idle') bench.idle.push(performance.now());
    }).observe(root, {attributes: true, attributeFilter: ['data-state']});
    window.addEventListener('keydown', e => {
        if (e.key === 'a') window.__bench.keys.push(performance.now());
    }, true);
}"""
# The sentence on screen, once the editor waits for nothing (no request in flight, none queued).
IDLE_TEXT = """() => {
    const bench = window.__bench;
    return bench.root.dataset.state === 'idle' ? bench.text.textContent : null;
}"""
# Milliseconds from the last key pressed to the first draw after it of another text, to the
# first frame after that draw, and to the editor idle again (the server's answer drawn).
LAST_PRESS = """before => {
    const bench = window.__bench;
    const key = bench.keys[bench.keys.length - 1];
    const draw = bench.draws.find(([at, text]) => at >= key && text !== before);
    const frame = bench.frames.find(([at, text]) => at >= key && text !== before);
    const idle = bench.idle.find(at => at >= key);
    return draw && frame && idle ? [draw[0] - key, frame[0] - key, idle - key] : null;
}"""


@dataclass
class _Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def rows(context: BenchContext) -> list[Row]:
    """Median and p95 of keydown -> next sentence drawn, at the small and the large size."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        context.note("browser: skipped, no Chromium (apt install chromium) or no Playwright")
        return []
    sizes = context.sizes
    engines = annotate_databases(context, "browser")
    timings: dict[str, list[_Press]] = {label: [] for label in engines}
    with _servers(engines, context.workdir) as servers, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            pages = {label: _logged_in(browser, server.url) for label, server in servers.items()}
            for page in pages.values():
                for _ in range(WARM_UP):
                    _press_accept(page)
            # Alternating sizes, so that a slower spell of a shared machine hits both alike.
            for _ in range(sizes.repeats):
                for label, page in pages.items():
                    timings[label].extend(_press_accept(page) for _ in range(sizes.accepts))
        finally:
            browser.close()
    small, large = short_count(sizes.annotate_small), short_count(sizes.annotate_large)
    context.note(
        f"browser: {sizes.repeats} x {sizes.accepts} accepts per size (after {WARM_UP} untimed) "
        "in headless Chromium, one streamlit run per size on loopback; overlap 2, one reviewer"
    )
    drawn = {label: [press.drawn for press in presses] for label, presses in timings.items()}
    answered = [press.answered for press in timings["small"]]
    painted = {label: [press.painted for press in presses] for label, presses in timings.items()}
    name = "accept -> next sentence drawn in Chromium (keydown to .ca-text)"
    versus = "vs the server's answer drawn"
    return [
        Row(
            f"{name}, median, {small} sentences {versus}",
            median(drawn["small"]),
            "ms",
            median(answered),
            Target("<=", 60.0, on="value"),
        ),
        Row(
            f"{name}, p95, {small} sentences {versus}",
            percentile(drawn["small"], 0.95),
            "ms",
            percentile(answered, 0.95),
        ),
        Row(
            f"{name}, median, {large} vs {small} sentences",
            median(drawn["large"]),
            "ms",
            median(drawn["small"]),
            Target("<=", 1.25),
        ),
        Row(
            f"{name}, p95, {large} vs {small} sentences",
            percentile(drawn["large"], 0.95),
            "ms",
            percentile(drawn["small"], 0.95),
        ),
        Row(
            "accept -> two animation frames after the next sentence drawn (painted by then), "
            f"median, {large} vs {small}",
            median(painted["large"]),
            "ms",
            median(painted["small"]),
        ),
    ]


@dataclass(frozen=True)
class _Press:
    """Milliseconds from one keydown to the next sentence drawn, to the first frame painted
    after it, and to the server's answer drawn."""

    drawn: float
    painted: float
    answered: float


def _press_accept(page: Page) -> _Press:
    """Press ``a`` on the sentence on screen and wait for the server's answer."""
    before = page.wait_for_function(IDLE_TEXT).json_value()
    page.keyboard.press("a")
    # The server answered and sent the sentence after it ahead: the next press finds it.
    page.wait_for_function(
        "before => { const t = window.__bench.text.textContent;"
        " return t !== before && window.__bench.root.dataset.state === 'idle'; }",
        arg=before,
    )
    page.wait_for_function(
        "before => { const bench = window.__bench, key = bench.keys[bench.keys.length - 1];"
        " return bench.frames.some(([at, text]) => at >= key && text !== before); }",
        arg=before,
    )
    elapsed = page.evaluate(LAST_PRESS, before)
    if elapsed is None:
        raise BenchError("the editor drew no new sentence after the key was pressed")
    drawn, painted, answered = (float(value) for value in elapsed)
    return _Press(drawn=drawn, painted=painted, answered=answered)


def _logged_in(browser: Any, url: str) -> Page:
    """A page of its own, logged in as the bench reviewer, on the annotate page."""
    page: Page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.get_by_role("textbox", name="Name").fill(REVIEWER)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator(".ca-text").wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.stBidiComponent *')]"
        ".some(e => e.shadowRoot && e.shadowRoot.querySelector('.ca-editor[data-state]'))"
    )
    page.evaluate(WATCH)
    return page


def _account(engine: Engine) -> None:
    """The bench reviewer, with the password the browser logs in with."""
    with session_scope(engine) as session:
        known = {reviewer.name for reviewer in accounts.list_reviewers(session=session)}
        if REVIEWER in known:
            accounts.set_password(session=session, name=REVIEWER, password=PASSWORD)
        else:
            accounts.create_reviewer(
                session=session, name=REVIEWER, password=PASSWORD, role="annotator"
            )


@contextmanager
def _servers(engines: dict[str, Engine], workdir: Path) -> Iterator[dict[str, _Server]]:
    """One ``streamlit run app.py`` per database, on free ports, stopped on the way out."""
    started: dict[str, _Server] = {}
    try:
        for label, engine in engines.items():
            clear_decisions(engine)
            _account(engine)
            url = engine.url.render_as_string(hide_password=False)
            started[label] = _start(url, workdir / f"streamlit-{label}.log")
        for server in started.values():
            _wait_healthy(server)
        yield started
    finally:
        for server in started.values():
            server.process.terminate()
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()


def _start(database_url: str, log: Path) -> _Server:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = {
        "ANNOTATOR_DATABASE_URL": database_url,
        # As the page rows: fixed here, so that the shell's settings do not change what is measured.
        "ANNOTATOR_OVERLAP": "2",
        "ANNOTATOR_CLAIM_MINUTES": "5",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    # The server inherits what this process was started with, these set on top (env(1)): the
    # benchmark itself reads no settings from it.
    command = [
        "env",
        *(f"{name}={value}" for name, value in settings.items()),
        str(Path(sys.executable).parent / "streamlit"),
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    return _Server(url=f"http://127.0.0.1:{port}", process=process, log=log)


def _wait_healthy(server: _Server) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"streamlit run exited:\n{server.log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"streamlit run did not answer within {START_SECONDS:.0f} s")
