"""Drive the annotate page in a process of its own and report timings and peak memory as JSON.

Run by the annotate rows of the benchmark, once per database size, as
``python -m annotator.bench.app_driver --db URL --reviewer-id ID --accepts N --trivial-runs N``.
The page runs under Streamlit's ``AppTest`` exactly as in tests/app: first a trivial one-button
page (the floor Streamlit itself sets on a rerun), then the annotate page, accepting sentence
after sentence. Peak memory is this process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from annotator.bench.results import peak_rss_mb
from annotator.config import PROJECT_ROOT

TRIVIAL_PAGE = """
import streamlit as st

st.button("Next", key="trivial_next")
"""
WARM_UP = 3


def rerun_times(step: Any, runs: int) -> list[float]:
    """Milliseconds of each of ``runs`` calls of ``step``, after a few untimed ones."""
    for _ in range(WARM_UP):
        step()
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return times


def keep_compiled_scripts() -> None:
    """Compile each page once, as a Streamlit server does.

    AppTest makes a new script cache on every run, so every rerun parses and compiles the page
    again (3 ms for the annotate page, nothing for a three-line one); a server compiles a page
    once and reruns the bytecode. One shared cache makes both pages rerun as they would served.
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = lambda: shared  # type: ignore[attr-defined,assignment]
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[attr-defined,assignment]


def login_session(reviewer_id: int) -> str:
    """A login session of the reviewer, as the login page opens one: the token the gate keeps."""
    from annotator.db import make_engine, session_scope
    from annotator.workflow import accounts

    engine = make_engine(os.environ["ANNOTATOR_DATABASE_URL"])
    with session_scope(engine) as session:
        token = accounts.open_session(session=session, reviewer_id=reviewer_id, hours=1)
    engine.dispose()
    return token


def press_accept(page: Any) -> None:
    """Accept the sentence on screen as the reviewer's key does: the span editor sends its
    ``decide`` event (with the sentence it shows) and the page reruns."""
    import json

    from annotator.ui.annotate import EDITOR

    (editor,) = [e for e in page.get("bidi_component") if e.key == EDITOR]
    shown = json.loads(editor.proto.json)["sentence_id"]
    states = page._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = f"$$STREAMLIT_INTERNAL_KEY_{editor.proto.id}__events"
    event = {"event": "decide", "value": {"action": "accept", "sentence_id": shown}}
    trigger.json_trigger_value = json.dumps([event])
    page._run(states)


def drive(*, reviewer_id: int, accepts: int, trivial_runs: int) -> dict[str, Any]:
    """Time the trivial page's reruns and the annotate page's accepts; check every accept."""
    from streamlit.testing.v1 import AppTest

    from annotator.ui import auth

    keep_compiled_scripts()

    trivial = AppTest.from_string(TRIVIAL_PAGE, default_timeout=60).run()
    trivial_ms = rerun_times(lambda: trivial.button(key="trivial_next").click().run(), trivial_runs)

    page = AppTest.from_file(str(PROJECT_ROOT / "pages" / "annotate.py"), default_timeout=60)
    page.session_state[auth.SESSION] = login_session(reviewer_id)
    page.run()
    served: list[int] = []

    def accept() -> None:
        press_accept(page)
        if page.exception:
            raise RuntimeError(f"the annotate page failed: {page.exception[0].value}")
        served.append(int(page.session_state["annotate_draft"]["sentence_id"]))

    accept_ms = rerun_times(accept, accepts)
    if len(set(served)) != len(served):
        raise RuntimeError("an accepted sentence was served again")
    return {
        "trivial_ms": trivial_ms,
        "accept_ms": accept_ms,
        "peak_rss_mb": peak_rss_mb(),
        "served": len(served),
    }


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, drive the pages, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="database URL the page opens")
    parser.add_argument("--reviewer-id", type=int, required=True)
    parser.add_argument("--accepts", type=int, default=50)
    parser.add_argument("--trivial-runs", type=int, default=50)
    args = parser.parse_args(argv)
    os.environ["ANNOTATOR_DATABASE_URL"] = args.db
    # Fixed here so that the reviewer's environment does not change what is measured.
    os.environ["ANNOTATOR_OVERLAP"] = "2"
    os.environ["ANNOTATOR_CLAIM_MINUTES"] = "5"
    result = drive(
        reviewer_id=args.reviewer_id, accepts=args.accepts, trivial_runs=args.trivial_runs
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
