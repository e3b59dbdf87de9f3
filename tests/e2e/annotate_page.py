"""What the annotate page's browser tests share: waiting for the page, and watching the editor."""

from __future__ import annotations

from playwright.sync_api import Page


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
