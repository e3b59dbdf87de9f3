"""What the annotate page's browser tests share: waiting for the page, and watching the editor."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlmodel import select

from annotator import workflow
from annotator.config import Settings
from annotator.db import make_engine, session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.models import Sentence
from annotator.workflow import GoldPolicy


def import_report(database_url: str, path: Path, text: str, scheme: LabelScheme) -> list[int]:
    """Import ``text`` as one report (written to ``path``), no suggestions; its sentence ids."""
    path.write_text(text, encoding="utf-8")
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records([path], scheme=scheme),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
        ids = [s.id for s in session.exec(select(Sentence).order_by(Sentence.id))]
    engine.dispose()
    return [int(i) for i in ids if i is not None]


def settle(page: Page) -> None:
    """Let every request the page made come back and the page redraw."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=20_000
    )
    page.wait_for_timeout(300)


# Records, in the browser, each key pressed and each sentence the editor draws, with its time.
WATCH = """() => {
    window.__seen = [];
    const host = [...document.querySelectorAll('.stBidiComponent *')]
        .find(e => e.shadowRoot && e.shadowRoot.querySelector('.ca-text'));
    const text = host.shadowRoot.querySelector('.ca-text');
    const note = () => {
        const words = text.textContent.slice(0, 12);
        const last = window.__seen.filter(e => e[0] === 'draw').pop();
        if (!last || last[2] !== words) window.__seen.push(['draw', performance.now(), words]);
    };
    note();
    new MutationObserver(note).observe(text, {childList: true, subtree: true});
    window.addEventListener('keydown', e => window.__seen.push(['key', performance.now(), e.key]),
        true);
}"""
