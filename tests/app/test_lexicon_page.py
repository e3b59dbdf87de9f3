"""The annotate page learns at once (AppTest, real SQLite): a name marked and a wrong suggestion
removed in one sentence show in the next one's suggestions, as suggestions to confirm."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from annotator.db import session_scope
from annotator.models import Sentence, Suggestion

REPORT = (
    "Arakan Army fighters attacked Yangon police in Maungdaw. "
    "Later the Arakan Army said Yangon police had fled."
)
PASSWORD = "correct horse battery"


@pytest.fixture
def database(app_database, monkeypatch, scheme, tmp_path):
    """One report of two sentences, both suggested by a suggester that misses the group's
    name and takes "Yangon" for an organisation."""
    monkeypatch.setenv("ANNOTATOR_OVERLAP", "1")
    app_database.add_accounts({"ana": "annotator"}, password=PASSWORD)
    path = tmp_path / "report.txt"
    path.write_text(REPORT, encoding="utf-8")
    app_database.import_file(path, scheme=scheme)
    with session_scope(app_database.engine) as session:
        for sentence in session.exec(select(Sentence).order_by(Sentence.id)):
            start = sentence.text.index("Yangon")
            session.add(
                Suggestion(
                    sentence_id=sentence.id,
                    model_name="test_model",
                    model_version="1.0",
                    entities=[{"start": start, "end": start + 6, "label": "ORG"}],
                )
            )
    return app_database.engine


def editor_data(at: AppTest) -> dict[str, Any]:
    (element,) = [e for e in at.get("bidi_component") if e.key == "annotate_editor"]
    return json.loads(element.proto.json)


def press(at: AppTest, event: str, **value: Any) -> AppTest:
    """What the browser does when the editor sends an event: set its trigger, rerun."""
    (element,) = [e for e in at.get("bidi_component") if e.key == "annotate_editor"]
    states = at._tree.get_widget_states()
    trigger = states.widgets.add()
    trigger.id = f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events"
    trigger.json_trigger_value = json.dumps([{"event": event, "value": value}])
    return at._run(states)


def shown(at: AppTest) -> list[tuple[str, str, bool]]:
    data = editor_data(at)
    return [
        (data["text"][s["start"] : s["end"]], s["label"], s["suggested"]) for s in data["entities"]
    ]


def test_the_next_sentence_suggests_what_the_reviewer_just_taught(database, run_page):
    at = run_page("pages/annotate.py", "ana")
    data = editor_data(at)
    first, text = data["sentence_id"], data["text"]
    assert shown(at) == [("Yangon", "ORG", True)]
    press(
        at,
        "edit",
        action="remove",
        sentence_id=first,
        layer="entities",
        index=0,
        start=text.index("Yangon"),
        end=text.index("Yangon") + 6,
    )
    press(
        at,
        "edit",
        action="add",
        sentence_id=first,
        start=0,
        end=len("Arakan Army"),
        label="ARMED_GROUP",
    )
    press(at, "decide", action="accept", sentence_id=first)
    assert not at.exception and not at.error
    data = editor_data(at)
    assert data["sentence_id"] != first
    # The name marked once is suggested; the organisation removed once is not.
    assert shown(at) == [("Arakan Army", "ARMED_GROUP", True)]
    captions = " ".join(str(c.value) for c in at.caption)
    assert r"Suggested by test\_model 1.0 and the gold lexicon" in captions
