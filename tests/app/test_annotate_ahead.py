"""The sentence sent ahead on the annotate page (AppTest, real SQLite): it is claimed for the
reviewer, so no one else is served it beyond its overlap; the claim lapses and is released like
any other; a decision serves it only while it is still the reviewer's, else what the routing
serves, and says so."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from annotator import repository, workflow
from annotator.config import Settings
from annotator.db import session_scope
from annotator.models import Annotation, Claim, Sentence, utc_now
from annotator.workflow import GoldPolicy

REPORT = (
    "Junta troops clashed with the Arakan Army near Sittwe.\n"
    "Police arrested 12 protesters in Yangon.\n"
    "Residents fled to Thailand.\n"
    "Fighting went on in Lashio."
)
PASSWORD = "correct horse battery"
CLAIM_MINUTES = 5


@pytest.fixture
def sentences(app_database, monkeypatch, scheme, tmp_path) -> list[int]:  # type: ignore[no-untyped-def]
    """One report of four sentences; ana reviews, one reviewer per sentence."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    monkeypatch.setenv("ANNOTATOR_CLAIM_MINUTES", str(CLAIM_MINUTES))
    app_database.add_accounts({"ana": "annotator"}, password=PASSWORD)
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    with session_scope(app_database.engine) as session:
        return [int(s.id) for s in session.exec(select(Sentence).order_by(Sentence.id))]


def editor_data(at: AppTest) -> dict[str, Any]:
    (element,) = [e for e in at.get("bidi_component") if e.key == "annotate_editor"]
    return json.loads(element.proto.json)


def decide(at: AppTest, action: str) -> AppTest:
    """What the browser sends when a decision key is pressed on the sentence it shows."""
    (element,) = [e for e in at.get("bidi_component") if e.key == "annotate_editor"]
    shown = editor_data(at)["sentence_id"]
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events"
    value = {"action": action, "sentence_id": shown, "request": f"r-{action}-{shown}"}
    trigger.json_trigger_value = json.dumps([{"event": "decide", "value": value}])
    return at._run(states)


def claims_of(engine, name: str) -> list[int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        reviewer = repository.reviewer_named(session=session, name=name)
        assert reviewer is not None
        rows = session.exec(select(Claim.sentence_id).where(Claim.reviewer_id == reviewer.id))
        return sorted(int(sentence_id) for sentence_id in rows)


def served_to(engine, name: str, *, minutes_later: float = 0.0) -> int | None:  # type: ignore[no-untyped-def]
    """Route another reviewer through the core, as the page would, ``minutes_later``."""
    with session_scope(engine) as session:
        reviewer = repository.ensure_reviewer(session=session, name=name)
        return workflow.next_sentence_id(
            session=session,
            reviewer_id=int(reviewer.id),
            overlap=1,
            claim_minutes=CLAIM_MINUTES,
            now=utc_now() + timedelta(minutes=minutes_later),
        )


def decisions(engine, sentence_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        rows = session.exec(select(Annotation).where(Annotation.sentence_id == sentence_id))
        names = {r.id: r.name for r in repository.list_reviewers(session=session)}
        return sorted((names[a.reviewer_id], a.status) for a in rows)


def test_the_sentence_sent_ahead_is_claimed_so_no_one_else_is_served_it(
    sentences, app_database, run_page
):
    first, second, third, fourth = sentences
    at = run_page("pages/annotate.py", "ana")
    data = editor_data(at)
    assert data["sentence_id"] == first
    assert data["ahead"]["sentence_id"] == second
    assert data["ahead"]["text"] == "Police arrested 12 protesters in Yangon."
    assert data["ahead"]["serving"] != data["serving"]
    assert claims_of(app_database.engine, "ana") == [first, second]
    # With one reviewer per sentence, the next reviewer is served neither of ana's.
    assert served_to(app_database.engine, "ben") == third

    decide(at, "accept")
    assert not at.exception
    data = editor_data(at)
    assert (
        data["sentence_id"] == second
        and data["serving"] == at.session_state["annotate_draft"]["serving"]
    )
    assert data["ahead"]["sentence_id"] == fourth  # ben holds the third
    assert data["answered"] == f"r-accept-{first}"
    # The decided sentence's claim went with the decision; the two on screen stay claimed.
    assert claims_of(app_database.engine, "ana") == [second, fourth]
    assert decisions(app_database.engine, first) == [("ana", "accept")]


def test_the_sentence_sent_ahead_keeps_its_serving_when_the_server_serves_it(sentences, run_page):
    at = run_page("pages/annotate.py", "ana")
    ahead = editor_data(at)["ahead"]
    decide(at, "skip")
    data = editor_data(at)
    # The editor drew it under this serving already: the server's draw confirms it.
    assert (data["sentence_id"], data["serving"]) == (ahead["sentence_id"], ahead["serving"])
    assert data["text"] == ahead["text"] and data["notice"] == "Saved: skip."


def test_the_claim_on_the_sentence_sent_ahead_lapses_like_any_other(
    sentences, app_database, run_page
):
    first, second, *_ = sentences
    run_page("pages/annotate.py", "ana")
    assert served_to(app_database.engine, "ben", minutes_later=CLAIM_MINUTES - 1) not in (
        first,
        second,
    )
    # Once ana's claims have lapsed, both of her sentences are served again: the first first.
    assert served_to(app_database.engine, "cy", minutes_later=CLAIM_MINUTES + 1) == first


def test_a_sentence_sent_ahead_and_decided_by_someone_else_is_not_served(
    sentences, app_database, scheme, run_page
):
    first, second, third, fourth = sentences
    at = run_page("pages/annotate.py", "ana")
    assert editor_data(at)["ahead"]["sentence_id"] == second
    # Another reviewer decides it through the core (not through routing: a script, an import).
    with session_scope(app_database.engine) as session:
        ben = repository.ensure_reviewer(session=session, name="ben")
        workflow.save_decision(
            session=session,
            sentence_id=second,
            reviewer_id=int(ben.id),
            status="accept",
            draft=workflow.Draft(),
            scheme=scheme,
            policy=GoldPolicy.of(Settings.from_env()),
        )
    decide(at, "accept")
    assert not at.exception and not at.error
    data = editor_data(at)
    assert data["sentence_id"] == third and data["ahead"]["sentence_id"] == fourth
    assert "taken meanwhile" in data["notice"]
    assert decisions(app_database.engine, first) == [("ana", "accept")]
    assert decisions(app_database.engine, second) == [("ben", "accept")]
    assert claims_of(app_database.engine, "ana") == [third, fourth]


def test_undo_serves_the_decided_sentence_again_with_the_next_one_ahead(
    sentences, app_database, run_page
):
    first, second, *_ = sentences
    at = run_page("pages/annotate.py", "ana")
    decide(at, "accept")
    decide(at, "undo")
    assert not at.exception
    data = editor_data(at)
    assert (data["sentence_id"], data["ahead"]["sentence_id"]) == (first, second)
    assert claims_of(app_database.engine, "ana") == [first, second]
    assert decisions(app_database.engine, first) == []
    decide(at, "reject")
    assert editor_data(at)["sentence_id"] == second
    assert decisions(app_database.engine, first) == [("ana", "reject")]


def test_the_last_sentence_is_sent_without_one_ahead(sentences, run_page):
    at = run_page("pages/annotate.py", "ana")
    for _ in range(3):
        decide(at, "accept")
    data = editor_data(at)
    assert data["text"] == "Fighting went on in Lashio." and data["ahead"] is None
    decide(at, "accept")
    assert any("Nothing left" in s.value for s in at.success)
