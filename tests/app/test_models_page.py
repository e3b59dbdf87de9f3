"""The models page, driven by AppTest against a real SQLite database and real spaCy training."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from annotator import repository
from annotator.cli import app
from annotator.db import session_scope
from annotator.models import ModelVersion, Sentence, Suggestion
from annotator.ui import models as view
from annotator.ui import render

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PASSWORD = "correct horse battery"
runner = CliRunner()


@pytest.fixture
def database(app_database):
    """No reports yet; root (admin) and ana (annotator) can log in."""
    app_database.add_accounts({"root": "admin", "ana": "annotator"}, password=PASSWORD)
    yield app_database.engine
    # A job still running would hold the process-wide training lock for the next test.
    thread = view.job_for(app_database.url).thread
    if thread is not None:
        thread.join(timeout=300)


@pytest.fixture
def open_page(run_page):
    """A page, logged in as ``name`` (training takes a while: a run may take minutes)."""

    def open_models(name: str, page: str = "models") -> AppTest:
        return run_page(f"pages/{page}.py", name, timeout=300)

    return open_models


def import_file(engine, path: Path, *options: str) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["import", str(path), *options, "--db", url])
    assert result.exit_code == 0, result.output


def add_version(engine, number: int, *, active: bool = False, entity_f: float = 0.5) -> None:
    """A ready version row with scores (its pipeline is not needed to list or activate it)."""
    metrics = {
        "entities": {
            "f": entity_f,
            "per_label": {
                "ARMED_GROUP": {"p": 0.8, "r": 0.6, "f": 0.686, "tp": 6, "fp": 1, "fn": 4}
            },
        },
        "events": {"f": 0.4, "per_label": {}},
        "categories": {"f": 0.3, "per_label": {}},
        "train_count": 40,
        "dev_count": 10,
    }
    with session_scope(engine) as session:
        session.add(
            ModelVersion(
                number=number,
                path=f"/nowhere/v{number}",
                status="ready",
                metrics=metrics,
                gold_count=50,
                active=active,
            )
        )


def active_number(engine) -> int | None:
    with session_scope(engine) as session:
        version = repository.active_model_version(session=session)
        return None if version is None else version.number


def wait_for_job(at: AppTest) -> AppTest:
    """Rerun the page until its background job is over (the progress bar is gone)."""
    deadline = time.monotonic() + 300
    while at.get("progress") and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert not at.get("progress"), "the background job did not finish"
    return at


def test_an_annotator_is_refused(database, open_page):
    at = open_page("ana")
    assert any("not open to the annotator role" in e.value for e in at.error)
    assert not at.button


def test_the_admin_sees_every_version_with_its_scores(database, open_page):
    add_version(database, 1, active=True, entity_f=0.5)
    add_version(database, 2, entity_f=0.75)
    at = open_page("root")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["version"]) == [2, 1]
    assert list(table["active"]) == [False, True]
    assert list(table["entity F1"]) == [0.75, 0.5]
    # The newest version, the one to decide on, is shown first, with its per-label scores.
    assert at.selectbox(key="models_version").value == 2
    labels = at.dataframe[1].value
    assert list(labels["label"]) == ["ARMED_GROUP"] and list(labels["support"]) == [10]
    assert "model version 1" in at.caption[0].value


def test_a_version_that_cannot_be_compared_is_activated_after_a_confirmation(database, open_page):
    add_version(database, 1, active=True)
    add_version(database, 2)  # trained before versions recorded their dev split
    at = open_page("root")
    assert any("Model version 2 cannot be compared" in e.value for e in at.error)
    at.button(key="models_activate").click().run()
    assert active_number(database) == 1  # not yet
    assert any("could not be compared" in w.value for w in at.warning)
    at.button(key="models_activate_confirm").click().run()
    assert not at.exception
    assert active_number(database) == 2
    assert "The app suggests with model version 2" in at.caption[0].value


def register(engine, trained, number: int, *, path: str, active: bool = False) -> None:
    """A ready version of the session's trained pipeline (with its recorded dev split)."""
    with session_scope(engine) as session:
        session.add(
            ModelVersion(
                number=number,
                path=path,
                status="ready",
                metrics=trained.metrics,
                gold_count=trained.gold_count,
                active=active,
            )
        )


def button_keys(at: AppTest) -> set[str]:
    return {button.key for button in at.button}


@pytest.mark.slow
def test_the_page_compares_before_activating_and_warns_of_a_worse_version(
    database, app_database, trained_version, scheme, open_page
):
    app_database.import_file(trained_version.gold, scheme=scheme, gold=True)
    register(database, trained_version, 1, path=trained_version.replacing)
    dev_count = trained_version.metrics["dev_count"]
    at = open_page("root")
    assert not at.exception
    assert any(
        f"Scored on the dev split of model version 1 ({dev_count} gold sentence(s) from "
        f"{dev_count} report(s))" in c.value
        for c in at.caption
    )
    layers = at.dataframe[1].value
    assert list(layers.columns) == ["layer", "version 1 F1", "active F1", "default F1", "change"]
    assert {"entities", "events"} <= set(layers["layer"])
    # Nothing is active: the active suggester is the default one.
    assert list(layers["active F1"]) == list(layers["default F1"])
    labels = at.dataframe[2].value
    assert "ARMED_GROUP" in set(labels["label"]) and "candidate F1" in labels.columns
    sentences = at.dataframe[3].value
    assert len(sentences) == dev_count and set(sentences.columns) == {"report", "sentence", "text"}
    worse = [row.layer for row in layers.itertuples() if row.change < 0]
    assert worse, layers
    [warning] = [w.value for w in at.warning]
    assert "Version 1 is worse than the active suggester" in warning
    assert all(f"{layer} F1" in warning for layer in worse)

    # Activating asks first, and Cancel leaves the default suggester active.
    at.button(key="models_activate").click().run()
    assert active_number(database) is None
    assert any("Activate version 1 although it is worse" in w.value for w in at.warning)
    at.button(key="models_activate_cancel").click().run()
    assert "models_activate_confirm" not in button_keys(at)
    assert active_number(database) is None
    at.button(key="models_activate").click().run()
    at.button(key="models_activate_confirm").click().run()
    assert not at.exception
    assert active_number(database) == 1
    assert "The app suggests with model version 1" in at.caption[0].value

    # And back to the default suggester.
    at.button(key="models_default").click().run()
    assert not at.exception
    assert active_number(database) is None
    assert "The app suggests with the default suggester" in at.caption[0].value
    assert "models_default" not in button_keys(at)


@pytest.mark.slow
def test_a_version_no_worse_than_the_active_one_is_activated_in_one_click(
    database, app_database, trained_version, scheme, open_page
):
    app_database.import_file(trained_version.gold, scheme=scheme, gold=True)
    register(database, trained_version, 1, path=trained_version.path, active=True)
    # The same pipeline again: it scores exactly as the active version does.
    register(database, trained_version, 2, path=trained_version.path)
    at = open_page("root")
    assert not at.exception
    layers = at.dataframe[1].value
    assert list(layers["version 2 F1"]) == list(layers["active F1"])
    assert any("no worse than the active suggester" in s.value for s in at.success)
    assert not at.warning
    at.button(key="models_activate").click().run()
    assert not at.exception
    assert active_number(database) == 2


def test_a_failed_training_shows_its_error_and_keeps_the_active_model(
    database, tmp_path, open_page
):
    add_version(database, 1, active=True)
    # Gold from one report only: there is nothing to hold out as dev gold.
    one = tmp_path / "one.jsonl"
    one.write_text(
        '{"text": "RSF gunmen killed 12 villagers.", "spans": [{"start": 0, "end": 3, '
        '"label": "ARMED_GROUP"}], "events": [], "accept": []}\n',
        encoding="utf-8",
    )
    import_file(database, one, "--gold", "--no-suggest")
    at = open_page("root")
    at.button(key="models_train").click().run()
    wait_for_job(at)
    assert not at.exception
    [error] = [e.value for e in at.error if "Training of model version 2 failed" in e.value]
    assert "train and dev" in error
    assert "The active model is unchanged: model version 1" in error
    assert active_number(database) == 1
    with session_scope(database) as session:
        failed = repository.model_version(session=session, number=2)
        assert failed is not None and failed.status == "failed"


def test_without_gold_the_train_button_is_disabled(database, open_page):
    at = open_page("root")
    assert at.button(key="models_train").disabled
    assert any("No gold yet" in c.value for c in at.caption)


@pytest.mark.slow
def test_train_activate_and_resuggest_from_the_page(database, tmp_path, open_page):
    # The plain report first: it is the sentence the annotate page serves.
    plain = tmp_path / "plain.txt"
    plain.write_text("Junta troops shelled Kani on Monday.", encoding="utf-8")
    import_file(database, plain, "--no-suggest")
    import_file(database, DATA / "loop_heldout.jsonl", "--gold", "--no-suggest")
    at = open_page("root")
    at.number_input(key="models_options_steps").set_value(20)
    at.radio(key="models_options_base").set_value("scratch")
    at.button(key="models_train").click().run()
    assert at.button(key="models_train").disabled  # one training at a time
    wait_for_job(at)
    assert not at.exception
    assert any("Model version 1 is trained" in s.value for s in at.success)
    assert list(at.dataframe[0].value["status"]) == ["ready"]

    at.button(key="models_activate").click().run()
    if "models_activate_confirm" in button_keys(at):  # a layer got worse: confirm
        at.button(key="models_activate_confirm").click().run()
    assert active_number(database) == 1
    assert any("1 sentence(s) without an annotation" in c.value for c in at.caption)
    at.button(key="models_resuggest").click().run()
    assert "with model version 1" in at.get("progress")[0].proto.text
    at.run()
    # Resumable: nothing is left to do, so a second run would suggest nothing.
    assert at.button(key="models_resuggest").disabled
    # The import page suggests with the active version too.
    reports = open_page("root", "reports")
    upload = ("new.txt", b"Police arrested 12 students in Yangon.", "text/plain")
    reports.get("file_uploader")[0].set_value([upload]).run()
    reports.button(key="reports_import").click().run()
    assert not reports.exception
    with session_scope(database) as session:
        query = select(Sentence.text, Suggestion.model_name, Suggestion.model_version).join(
            Suggestion, col(Suggestion.sentence_id) == Sentence.id
        )
        rows = session.exec(query).all()
    assert ("Police arrested 12 students in Yangon.", "en_conflict_suggester", "1.0.0") in rows
    assert {(name, version) for _, name, version in rows} == {("en_conflict_suggester", "1.0.0")}

    annotate = open_page("root", "annotate")
    shown = render.markdown_literal("Suggested by en_conflict_suggester 1.0.0")  # as written
    assert any(shown in c.value for c in annotate.caption)

    at.button(key="models_curve").click().run()
    wait_for_job(at)
    assert not at.exception
    with session_scope(database) as session:
        version = repository.model_version(session=session, number=1)
        curve = version.metrics["learning_curve"]
    assert [point["share"] for point in curve] == [0.25, 0.5, 0.75, 1.0]
    # The per-label bar chart and now the learning curve, drawn from what was stored.
    charts = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    assert len(charts) == 2 and '"dev F1"' in charts[1]
