"""Load test on loopback: app processes behind nginx (deploy/start), browser reviewers
(Playwright, Debian's Chromium, one browser with a context each) and reviewers through the core
(annotator.workflow's annotating functions, in threads of worker processes) accepting
sentences at once for a bounded time, on a PostgreSQL database with a generated corpus and an
overlap. Each reviewer has their own account and login session.

It prints what it measured (reviewers, decisions/s, accept latency: in the browser from the
keydown to the next sentence's text drawn, in the core the call that stores the decision and
serves the next sentence) and checks, in the database and the pages: every decision stored
exactly once (what each reviewer did against the rows; no reviewer with two annotations of a
sentence), no sentence decided by more reviewers than the overlap, and no error message or
traceback in any browser; and in nginx's log that sessions were spread over the processes,
each kept on one, with its websocket passed. Exit status 1 when a check fails.

    .venv/bin/python deploy/loadtest.py --seconds 60 --browsers 20 --core 100

Without --database-url it creates a database on the PostgreSQL server of
ANNOTATOR_TEST_POSTGRES (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and
drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = os.environ.get(
    "ANNOTATOR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "load test password, long enough"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Twenty tabs in one browser: none of them is throttled as a background tab would be.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
START_TIMEOUT = 180.0
# How long a press may take to bring the next sentence: longer is a reviewer left waiting.
STEP_TIMEOUT_MS = 120_000
# After the time is up, how long a page may take to store what it was still sending.
SETTLE_SECONDS = 120.0
# Messages that would mean a reviewer saw something break (annotator/ui/errors.py), and what
# a traceback leaves on a page.
ERROR_TEXTS = (
    "Something went wrong",
    "The database was busy",
    "Not saved",
    "Traceback",
    "IntegrityError",
)

# The sentence on screen, wherever the editor draws it (its own shadow root or the page): its
# text, "" while none is drawn, or None once the page says there is nothing left.
FIND_TEXT = """
(() => {
    const find = (root) => {
        const found = root.querySelector('.ca-text');
        if (found) return found;
        for (const element of root.querySelectorAll('*')) {
            if (element.shadowRoot) {
                const inner = find(element.shadowRoot);
                if (inner) return inner;
            }
        }
        return null;
    };
    // The sentence's own text: not the label badges the editor draws inside it.
    const plain = (node) => {
        if (node.nodeType === Node.TEXT_NODE) return node.textContent;
        if (node.classList && [...node.classList].some((c) => c.startsWith('ca-badge'))) return '';
        return [...node.childNodes].map(plain).join('');
    };
    window.__caText = () => {
        let text = window.__caTextElement;
        if (!text || !text.isConnected) text = window.__caTextElement = find(document);
        if (text) return plain(text).replace(/\s+/g, ' ').trim();
        return document.body.innerText.includes('Nothing left to annotate') ? null : '';
    };
    // The editor's notice that what was done on the sentence drawn ahead was not kept, or a
    // decision not sent (annotator/ui/span_editor/editor.js), drawn with the sentence.
    window.__caDropped = () => {
        const text = window.__caTextElement;
        const notices = text ? text.getRootNode().querySelectorAll('.ca-notice') : [];
        return [...notices].some((n) => /was not kept|was not sent/.test(n.textContent));
    };
    window.__caKeys = [];
    window.addEventListener('keydown', (event) => window.__caKeys.push(performance.now()), true);
})
"""
# True once the editor shows another sentence than ``old`` (or none is left), noting when.
CHANGED = """(old) => {
    const now = window.__caText();
    if (now === old || now === '') return false;
    window.__caDrawn = performance.now();
    window.__caDroppedNow = window.__caDropped();
    return true;
}"""


@dataclass
class Settings:
    """What one run does."""

    seconds: float
    browsers: int
    core: int
    processes: int
    overlap: int
    sentences: int
    core_workers: int
    think: float
    database_url: str | None


@dataclass
class Reviewer:
    """One reviewer's run: what they did and how long each accept took."""

    name: str
    kind: str  # "browser" or "core"
    reviewer_id: int = 0
    decided: list[int] = field(default_factory=list)  # sentence ids (core)
    decisions: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    pressed: list[str] = field(default_factory=list)  # the texts accepted (browser)
    shown_again: int = 0  # sentences accepted, then on screen again and accepted again
    dropped: list[str] = field(default_factory=list)  # presses the page said it did not keep
    route: str = ""  # the browser's annotator_route cookie


# --- the database ---------------------------------------------------------------------------


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """``url``, or a new database on the PostgreSQL server dropped at the end."""
    if url is not None:
        yield url
        return
    admin = sa.create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    name = f"annotator_load_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            sa.engine.make_url(POSTGRES_SERVER)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, settings: Settings) -> tuple[dict[str, int], dict[str, int]]:
    """Migrate, fill in the generated corpus with a suggestion per sentence, and make the
    accounts: (browser reviewers' ids by name, core reviewers' ids by name)."""
    from annotator.bench.corpus import event_categories
    from annotator.bench.database import fill
    from annotator.config import DEFAULT_LABELS
    from annotator.db import make_engine, migrate, session_scope
    from annotator.labels import load_scheme
    from annotator.workflow import accounts

    engine = make_engine(url)
    try:
        migrate(engine)
        with session_scope(engine) as session:
            if session.execute(sa.text("SELECT count(*) FROM sentence")).scalar_one():
                raise SystemExit(f"loadtest: the database {url} has sentences already")
        categories = event_categories(load_scheme(DEFAULT_LABELS))
        fill(engine, count=settings.sentences, seed=14, categories=categories, suggestions=True)
        with engine.begin() as connection:
            # A browser reviewer knows the next sentence by its new text: no two alike.
            connection.execute(
                sa.text(
                    "UPDATE sentence SET text = text || ' (' || id || ')' WHERE id NOT IN "
                    "(SELECT min(id) FROM sentence GROUP BY text)"
                )
            )
        ids: tuple[dict[str, int], dict[str, int]] = ({}, {})
        names = (
            [f"browser{i:02d}" for i in range(1, settings.browsers + 1)],
            [f"core{i:03d}" for i in range(1, settings.core + 1)],
        )
        for kind, group in enumerate(names):
            for name in group:
                with session_scope(engine) as session:
                    account = accounts.create_reviewer(
                        session=session, name=name, password=PASSWORD, role="annotator"
                    )
                    ids[kind][name] = account.id
        return ids
    finally:
        engine.dispose()


# --- reviewers through the core -------------------------------------------------------------


def core_share(
    url: str,
    reviewers: dict[str, int],
    *,
    overlap: int,
    start_at: float,
    seconds: float,
) -> list[Reviewer]:
    """Run these core reviewers, a thread each, from ``start_at`` (wall clock) for
    ``seconds``; each logs in (a login session of their own) and accepts what it is served,
    with its stored suggestion, through the functions the annotate page calls."""
    from annotator.config import Settings as AppSettings
    from annotator.db import make_engine, retrying, session_scope
    from annotator.labels import load_scheme
    from annotator.spans import Draft
    from annotator.workflow import GoldPolicy, accounts, annotating
    from annotator.workflow.annotating import save_decision

    app = replace(AppSettings.from_env().with_overrides(database_url=url), overlap=overlap)
    scheme = load_scheme(app.labels_path)
    policy = GoldPolicy.of(app)
    # An app process's pool, shared by its reviewers (each waits its turn for a connection).
    engine = make_engine(url, pool_size=10, max_overflow=0, pool_timeout=300)
    results = [Reviewer(name=name, kind="core", reviewer_id=rid) for name, rid in reviewers.items()]

    def serve(reviewer_id: int, after_id: int) -> tuple[int, Draft, int | None] | None:
        def work(session: Any) -> tuple[int, Draft, int | None] | None:
            found = annotating.next_sentence_id(
                session=session,
                reviewer_id=reviewer_id,
                after_id=after_id,
                overlap=app.overlap,
                claim_minutes=app.claim_minutes,
                routing=app.routing,
            )
            if found is None:
                return None
            suggestion = annotating.latest_suggestion(session=session, sentence_id=found)
            if suggestion is None:
                return found, Draft(), None
            return found, Draft.of(suggestion), suggestion.id

        return retrying(engine, work)

    def accept(reviewer_id: int, sentence_id: int, draft: Draft, suggestion_id: int | None) -> None:
        retrying(
            engine,
            lambda session: save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer_id,
                status="accept",
                draft=draft,
                scheme=scheme,
                policy=policy,
                suggestion_id=suggestion_id,
                shown=draft,
            ),
        )

    def review(result: Reviewer) -> None:
        try:
            with session_scope(engine) as session:
                account = accounts.authenticate(
                    session=session, name=result.name, password=PASSWORD
                )
                accounts.open_session(session=session, reviewer_id=account.id, hours=1.0)
            time.sleep(max(0.0, start_at - time.time()))
            end = start_at + seconds
            served = serve(result.reviewer_id, 0)
            while served is not None and time.time() < end:
                sentence_id, draft, suggestion_id = served
                began = time.perf_counter()
                accept(result.reviewer_id, sentence_id, draft, suggestion_id)
                result.decided.append(sentence_id)
                served = serve(result.reviewer_id, sentence_id)
                result.latencies_ms.append((time.perf_counter() - began) * 1000)
            result.decisions = len(result.decided)
        except Exception as error:  # reported with the reviewer's name, counted as a failure
            result.decisions = len(result.decided)
            result.problems.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=review, args=(r,)) for r in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    return results


# --- reviewers in the browser ---------------------------------------------------------------


async def browse(
    browser: Any,
    result: Reviewer,
    *,
    url: str,
    ready: asyncio.Event,
    go: asyncio.Event,
    start: list[float],
    seconds: float,
    think: float,
    stored: Callable[[int], int],
) -> None:
    """One reviewer in a browser context of their own: log in through the proxy, then, until
    the time is up, read each sentence for ``think`` seconds, press ``a`` (accept) once and
    wait for the next sentence's text; then wait until what the page was still sending is
    stored (``stored``: the reviewer's decisions in the database)."""
    from playwright.async_api import Error as PlaywrightError

    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(120_000)

    async def on_dialog(dialog: Any) -> None:
        result.problems.append(f"dialog {dialog.type}: {dialog.message}")
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "console",
        lambda message: (
            result.problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: result.problems.append(f"page error: {error}"))
    try:
        await page.goto(url)
        await page.get_by_role("textbox", name="Name").fill(result.name)
        await page.get_by_role("textbox", name="Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.locator(".ca-text").first.wait_for(state="visible")
        await page.evaluate(FIND_TEXT)
        result.route = next(
            (c["value"] for c in await context.cookies() if c["name"] == "annotator_route"), ""
        )
    except PlaywrightError as error:
        result.problems.append(f"could not log in and see a sentence: {error}")
        ready.set()
        await context.close()
        return
    ready.set()
    await go.wait()
    await asyncio.sleep(max(0.0, start[0] - time.time()))
    end = start[0] + seconds
    try:
        while time.time() < end:
            await asyncio.sleep(think)
            # What is on screen as the key goes down: the sentence this press decides.
            old, keys = await page.evaluate("() => [window.__caText(), window.__caKeys.length]")
            if old is None:
                break  # nothing left to annotate
            # Pressed once: a second press would be a second decision, and it would be counted.
            await page.keyboard.press("a")
            result.pressed.append(old)
            await page.wait_for_function(CHANGED, arg=old, polling=25, timeout=STEP_TIMEOUT_MS)
            taken, dropped = await page.evaluate(
                "(keys) => [window.__caDrawn - window.__caKeys[keys], window.__caDroppedNow]", keys
            )
            if dropped:
                # The page said this press was not kept (the server lagged past the editor's
                # wait): not a decision, and not counted as one.
                result.dropped.append(result.pressed.pop())
                continue
            result.latencies_ms.append(float(taken))
            result.decisions += 1
            if old in result.pressed[:-1]:
                result.shown_again += 1
        # The last decisions may still be on their way (the page stores in the background):
        # each press is to be stored within SETTLE_SECONDS, and then the page to be quiet.
        settled = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < settled:
            if await asyncio.to_thread(stored, result.reviewer_id) >= len(set(result.pressed)):
                break
            await page.wait_for_timeout(500)
        await page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
            timeout=60_000,
        )
        await page.wait_for_timeout(1000)
        shown = await page.locator(".stMain").inner_text()
        result.problems.extend(f"the page says {text!r}" for text in ERROR_TEXTS if text in shown)
        if await page.locator('[data-testid="stException"]').count():
            result.problems.append("the page shows an exception")
    except PlaywrightError as error:
        result.problems.append(f"stopped after {result.decisions} decisions: {error}")
    finally:
        await context.close()


async def run_browsers(
    chromium: str,
    reviewers: list[Reviewer],
    *,
    url: str,
    seconds: float,
    think: float,
    stored: Callable[[int], int],
    logged_in: threading.Event,
    go: threading.Event,
    start: list[float],
) -> None:
    """Every browser reviewer at once, in one Chromium: all log in, ``logged_in`` is set, and
    once ``go`` is they work from the wall-clock time ``start[0]`` for ``seconds``."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        ready = [asyncio.Event() for _ in reviewers]
        started = asyncio.Event()
        tasks = [
            asyncio.create_task(
                browse(
                    browser,
                    r,
                    url=url,
                    ready=e,
                    go=started,
                    start=start,
                    seconds=seconds,
                    think=think,
                    stored=stored,
                )
            )
            for r, e in zip(reviewers, ready, strict=True)
        ]
        for event in ready:
            await event.wait()
        logged_in.set()
        await asyncio.to_thread(go.wait)
        started.set()
        await asyncio.gather(*tasks)
        await browser.close()


# --- the deployment ---------------------------------------------------------------------------


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive ports nothing listens on."""
    for _ in range(50):
        first = secrets.randbelow(20_000) + 30_000
        if all(_free(port) for port in range(first, first + count)):
            return first
    raise SystemExit("loadtest: no free consecutive ports found")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@contextmanager
def deployment(url: str, *, processes: int, overlap: int, run_dir: Path) -> Iterator[str]:
    """deploy/start with ``processes`` app processes over the database; the proxy's address."""
    first = free_ports(processes + 1)
    env = {**os.environ, "ANNOTATOR_DATABASE_URL": url, "ANNOTATOR_OVERLAP": str(overlap)}
    log = (run_dir / "deploy-start.log").open("wb")
    started = subprocess.Popen(
        [
            str(ROOT / "deploy" / "start"),
            "--no-init",
            "--processes",
            str(processes),
            "--port",
            str(first),
            "--first-app-port",
            str(first + 1),
            "--run-dir",
            str(run_dir),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
    )
    try:
        assert started.stdout is not None
        line = started.stdout.readline().decode()
        if not line.startswith("ready: "):
            log.flush()
            raise SystemExit(
                "loadtest: deploy/start did not start:\n"
                + (run_dir / "deploy-start.log").read_text(errors="replace")
            )
        yield f"http://127.0.0.1:{first}"
    finally:
        started.send_signal(signal.SIGTERM)
        try:
            started.wait(timeout=60)
        except subprocess.TimeoutExpired:
            started.kill()
        log.close()


# --- what is checked ------------------------------------------------------------------------

LOG_LINE = re.compile(
    r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) route=(?P<route>\S+) '
    r"upstream=(?P<upstream>.*?) set_route=(?P<set>\S*) "
)


def proxy_figures(access_log: Path, browsers: list[Reviewer]) -> dict[str, Any]:
    """From nginx's log: which process each browser session reached, whether it only ever
    reached that one, and how many websockets passed (status 101) per session."""
    upstreams: dict[str, set[str]] = defaultdict(set)
    websockets: Counter[str] = Counter()
    for line in access_log.read_text(errors="replace").splitlines():
        match = LOG_LINE.search(line)
        if match is None or match["route"] == "-":
            continue
        upstreams[match["route"]].add(match["upstream"])
        if match["path"].startswith("/_stcore/stream") and match["status"] == "101":
            websockets[match["route"]] += 1
    sessions = {r.name: r.route for r in browsers}
    per_process = Counter(route for route in sessions.values() if route)
    return {
        "sessions_per_process": dict(sorted(per_process.items())),
        "sticky": all(
            route and upstreams.get(route) == {f"127.0.0.1:{route}"} for route in sessions.values()
        ),
        "upstreams_per_route": {k: sorted(v) for k, v in sorted(upstreams.items())},
        "websockets_per_process": dict(sorted(websockets.items())),
    }


def database_checks(url: str, reviewers: list[Reviewer], *, overlap: int) -> dict[str, Any]:
    """What the database holds against what the reviewers did."""
    from annotator.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            # Every decision is a version of the reviewer's annotation of the sentence.
            stored: dict[int, int] = dict(
                connection.execute(
                    sa.text(
                        "SELECT reviewer_id, count(*) FROM annotation_version "
                        "WHERE status = 'accept' GROUP BY reviewer_id"
                    )
                ).all()
            )
            duplicates = connection.execute(
                sa.text(
                    "SELECT count(*) FROM (SELECT 1 FROM annotation "
                    "GROUP BY sentence_id, reviewer_id HAVING count(*) > 1) AS twice"
                )
            ).scalar_one()
            twice = connection.execute(
                sa.text(
                    "SELECT r.name, v.sentence_id, count(*), min(v.saved_at), max(v.saved_at) "
                    "FROM annotation_version AS v JOIN reviewer AS r ON r.id = v.reviewer_id "
                    "GROUP BY r.name, v.sentence_id HAVING count(*) > 1 ORDER BY r.name"
                )
            ).all()
            beyond = connection.execute(
                sa.text(
                    "SELECT count(*) FROM (SELECT sentence_id FROM annotation WHERE status IN "
                    "('accept', 'reject') GROUP BY sentence_id HAVING count(*) > :overlap) AS o"
                ),
                {"overlap": overlap},
            ).scalar_one()
            miscounted = connection.execute(
                sa.text(
                    "SELECT count(*) FROM sentence AS s WHERE s.n_annotations <> (SELECT count(*) "
                    "FROM annotation AS a WHERE a.sentence_id = s.id "
                    "AND a.status IN ('accept', 'reject'))"
                )
            ).scalar_one()
            rows = connection.execute(
                sa.text(
                    "SELECT v.reviewer_id, v.sentence_id, s.text FROM annotation_version AS v "
                    "JOIN sentence AS s ON s.id = v.sentence_id"
                )
            ).all()
            full = connection.execute(
                sa.text("SELECT count(*) FROM sentence WHERE n_annotations >= :overlap"),
                {"overlap": overlap},
            ).scalar_one()
    finally:
        engine.dispose()
    by_reviewer: dict[int, list[int]] = defaultdict(list)
    texts: dict[int, list[str]] = defaultdict(list)
    for reviewer_id, sentence_id, text in rows:
        by_reviewer[reviewer_id].append(sentence_id)
        texts[reviewer_id].append(" ".join(text.split()))
    # Each decision once: a core reviewer's very sentences, each as often as decided. A browser
    # reviewer's by the texts they pressed on (no two sentences alike): every one stored, none
    # stored that was not pressed on; a sentence the page showed again after its accept and
    # that was pressed again may hold one version or two.
    mismatched = []
    for r in reviewers:
        held = stored.get(r.reviewer_id, 0)
        if r.kind == "core":
            if sorted(by_reviewer[r.reviewer_id]) != sorted(r.decided):
                mismatched.append(f"{r.name} decided {r.decisions}, the database holds {held}")
            continue
        lost = sorted(set(r.pressed) - set(texts[r.reviewer_id]))
        extra = sorted(set(texts[r.reviewer_id]) - set(r.pressed))
        if lost or extra or not len(set(r.pressed)) <= held <= len(r.pressed):
            mismatched.append(
                f"{r.name} pressed {len(r.pressed)} times on {len(set(r.pressed))} sentences, "
                f"the database holds {held} decisions; pressed on, not stored: {lost[:3]}; "
                f"stored, not pressed on: {extra[:3]}"
            )
    return {
        "stored_decisions": sum(stored.values()),
        "duplicate_annotations": duplicates,
        # A reviewer who accepted a sentence and was shown it again (the page went back to it)
        # decides it again: a second version, stored once like every decision.
        "decided_again": len(twice),
        "decided_again_examples": [
            f"{name} decided sentence {sentence} {times} times, from {first} to {last}"
            for name, sentence, times, first, last in twice[:5]
        ],
        "sentences_beyond_overlap": beyond,
        "sentences_miscounted": miscounted,
        "sentences_at_overlap": full,
        "reviewers_mismatched": mismatched,
    }


def decisions_counter(url: str) -> Callable[[int], int]:
    """How many decisions a reviewer has in the database (one engine, for every thread)."""
    engine = sa.create_engine(url, pool_size=2, max_overflow=2)

    def count(reviewer_id: int) -> int:
        with engine.connect() as connection:
            query = sa.text("SELECT count(*) FROM annotation_version WHERE reviewer_id = :r")
            return int(connection.execute(query, {"r": reviewer_id}).scalar_one())

    return count


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def latency(reviewers: list[Reviewer]) -> dict[str, float | int | None]:
    values = [v for r in reviewers for v in r.latencies_ms]
    p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
    return {
        "count": len(values),
        "p50_ms": None if p50 is None else round(p50, 1),
        "p95_ms": None if p95 is None else round(p95, 1),
    }


# --- the run --------------------------------------------------------------------------------


def run(settings: Settings) -> dict[str, Any]:
    """Seed, deploy, drive every reviewer for the bounded time, and check; the figures."""
    chromium = shutil.which("chromium")
    if settings.browsers and chromium is None:
        raise SystemExit("loadtest: no chromium (apt-get install chromium) for --browsers")
    with (
        database(settings.database_url) as url,
        tempfile.TemporaryDirectory(prefix="annotator-load-") as work,
    ):
        browser_ids, core_ids = seed(url, settings)
        run_dir = Path(work)
        browsers = [Reviewer(name=n, kind="browser", reviewer_id=i) for n, i in browser_ids.items()]
        counter = decisions_counter(url)
        with deployment(
            url, processes=settings.processes, overlap=settings.overlap, run_dir=run_dir
        ) as address:
            logged_in, go, start = threading.Event(), threading.Event(), [0.0]
            thread = threading.Thread(
                target=lambda: asyncio.run(
                    run_browsers(
                        chromium or "",
                        browsers,
                        url=address,
                        seconds=settings.seconds,
                        think=settings.think,
                        stored=counter,
                        logged_in=logged_in,
                        go=go,
                        start=start,
                    )
                )
            )
            if browsers:
                thread.start()
                logged_in.wait()
            # Time for the core's worker processes to import the app and log their reviewers in.
            start[0] = time.time() + 5.0 + settings.core / 10
            go.set()
            core = run_core(url, core_ids, settings, start_at=start[0])
            if browsers:
                thread.join()
        reviewers = [*browsers, *core]
        checks = database_checks(url, reviewers, overlap=settings.overlap)
        proxy = proxy_figures(run_dir / "nginx-access.log", browsers)
    decisions = {
        "browser": sum(r.decisions for r in browsers),
        "core": sum(r.decisions for r in core),
    }
    problems = [f"{r.name}: {p}" for r in reviewers for p in r.problems]
    figures: dict[str, Any] = {
        "reviewers": {"browser": len(browsers), "core": len(core)},
        "processes": settings.processes,
        "overlap": settings.overlap,
        "sentences": settings.sentences,
        "seconds": settings.seconds,
        "decisions": {**decisions, "total": sum(decisions.values())},
        "decisions_per_second": {
            kind: round(count / settings.seconds, 1) for kind, count in decisions.items()
        }
        | {"total": round(sum(decisions.values()) / settings.seconds, 1)},
        "accept": {"browser": latency(browsers), "core": latency(core)},
        "browser_think_seconds": settings.think,
        "browser_shown_again": sum(r.shown_again for r in browsers),
        "browser_sentences": sum(len(set(r.pressed)) for r in browsers),
        "browser_dropped_with_notice": sum(len(r.dropped) for r in browsers),
        "database": checks,
        "proxy": proxy,
        "problems": problems,
    }
    failures = []
    if problems:
        failures.append(f"{len(problems)} problem(s) in the reviewers' runs")
    if checks["reviewers_mismatched"]:
        failures.append("what reviewers did differs from what the database holds")
    if checks["duplicate_annotations"]:
        failures.append(f"{checks['duplicate_annotations']} reviewer(s) with two annotations")
    if checks["sentences_beyond_overlap"]:
        failures.append(f"{checks['sentences_beyond_overlap']} sentence(s) beyond the overlap")
    if checks["sentences_miscounted"]:
        failures.append(f"{checks['sentences_miscounted']} sentence(s) with a wrong count")
    if browsers and not proxy["sticky"]:
        failures.append("a browser session reached more than one process")
    if len(browsers) >= settings.processes and len(proxy["sessions_per_process"]) < min(
        settings.processes, len(browsers)
    ):
        failures.append("the browser sessions did not reach every process")
    if any(r.route and not proxy["websockets_per_process"].get(r.route) for r in browsers):
        failures.append("a browser session's websocket did not pass the proxy")
    figures["failures"] = failures
    figures["ok"] = not failures
    return figures


def run_core(
    url: str, ids: dict[str, int], settings: Settings, *, start_at: float
) -> list[Reviewer]:
    """The core reviewers, spread over worker processes, all starting at ``start_at`` (the
    wall clock)."""
    if not ids:
        return []
    names = list(ids)
    workers = max(1, min(settings.core_workers, len(names)))
    shares = [names[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [
            pool.submit(
                core_share,
                url,
                {name: ids[name] for name in share},
                overlap=settings.overlap,
                start_at=start_at,
                seconds=settings.seconds,
            )
            for share in shares
        ]
        results = [reviewer for future in futures for reviewer in future.result()]
    order = {name: index for index, name in enumerate(names)}
    return sorted(results, key=lambda r: order[r.name])


def report(figures: dict[str, Any]) -> str:
    """The figures as lines a person reads."""
    accept = figures["accept"]
    rate = figures["decisions_per_second"]
    db = figures["database"]
    lines = [
        f"reviewers        {figures['reviewers']['browser']} in browsers + "
        f"{figures['reviewers']['core']} through the core, {figures['processes']} app "
        f"processes behind nginx, overlap {figures['overlap']}, {figures['sentences']} sentences",
        f"decisions        {figures['decisions']['total']} in {figures['seconds']} s "
        f"(browser {figures['decisions']['browser']}, core {figures['decisions']['core']})",
        f"decisions/s      {rate['total']} (browser {rate['browser']}, core {rate['core']})",
        f"accept, browser  p50 {accept['browser']['p50_ms']} ms, p95 {accept['browser']['p95_ms']}"
        " ms (keydown to the next sentence's text drawn)",
        f"accept, core     p50 {accept['core']['p50_ms']} ms, p95 {accept['core']['p95_ms']} ms"
        " (store the decision and serve the next sentence)",
        f"database         {db['stored_decisions']} stored, {db['duplicate_annotations']} "
        f"doubled, {db['decided_again']} sentences decided again by a reviewer shown them again, "
        f"{db['sentences_beyond_overlap']} beyond the overlap, {db['sentences_at_overlap']} "
        "sentences at the overlap",
        f"proxy            sessions per process {figures['proxy']['sessions_per_process']}, "
        f"sticky {figures['proxy']['sticky']}, "
        f"websockets {figures['proxy']['websockets_per_process']}",
    ]
    lines.extend(f"problem          {p}" for p in figures["problems"][:20])
    lines.extend(f"FAILED           {f}" for f in figures["failures"])
    lines.append("ok" if figures["ok"] else "FAILED")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long reviewers work")
    parser.add_argument("--browsers", type=int, default=20, help="reviewers in Chromium")
    parser.add_argument("--core", type=int, default=100, help="reviewers through the core")
    parser.add_argument("--processes", type=int, default=2, help="app processes behind nginx")
    parser.add_argument("--overlap", type=int, default=2, help="ANNOTATOR_OVERLAP")
    parser.add_argument("--sentences", type=int, default=20000, help="sentences in the corpus")
    parser.add_argument(
        "--core-workers", type=int, default=2, help="processes the core reviewers' threads share"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="seconds a browser reviewer reads a sentence before accepting it",
    )
    parser.add_argument(
        "--database-url", help="an empty PostgreSQL database to use (default: a new one)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    for name in ("seconds", "processes", "overlap", "sentences", "core_workers"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be above 0")
    for name in ("browsers", "core", "think"):
        if getattr(args, name) < 0:
            parser.error(f"--{name} must be 0 or more")
    settings = Settings(
        seconds=args.seconds,
        browsers=args.browsers,
        core=args.core,
        processes=args.processes,
        overlap=args.overlap,
        sentences=args.sentences,
        core_workers=args.core_workers,
        think=args.think,
        database_url=args.database_url,
    )
    figures = run(settings)
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
