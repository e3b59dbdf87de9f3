"""One training at a time across app processes: trainings and learning curves share one lock of
the database (a PostgreSQL advisory lock, a file lock beside a SQLite file), which another
process's start meets with the message the Models page and the CLI show, and which is free again
after a training or a curve succeeds or fails (SQLite and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select
from typer.testing import CliRunner

from annotator.cli import app
from annotator.config import Settings
from annotator.db import session_scope
from annotator.models import ModelVersion
from annotator.nlp.train import TrainingError, TrainSettings
from annotator.workflow import training

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
# As short as a real training goes: this is about the lock, not the model.
TINY = TrainSettings(base=None, max_steps=4, eval_frequency=2, patience=4)
runner = CliRunner()

# Another process (an app server, the CLI) drawing a learning curve: it holds the training lock
# and, unlike a training, leaves no version in training behind it. It prints once it holds the
# lock and hangs until killed.
CURVE_AND_HANG = """
import sys, time
from annotator.config import Settings
from annotator.db import make_engine
from annotator.workflow import training

url = sys.argv[1]
def hang():
    print("holding", flush=True)
    time.sleep(600)
training.learning_curve(
    engine=make_engine(url),
    settings=Settings.from_env().with_overrides(database_url=url),
    on_start=hang,
)
"""

# Another process training: it holds the lock with its version 1 in training, and hangs.
TRAIN_AND_HANG = """
import sys, time
from pathlib import Path
from annotator.config import Settings
from annotator.db import make_engine
from annotator.workflow import training

url, output = sys.argv[1], Path(sys.argv[2])
def hang(version):
    print("holding", flush=True)
    time.sleep(600)
training.train_from_gold(
    engine=make_engine(url),
    settings=Settings.from_env().with_overrides(database_url=url),
    output=output,
    on_claim=hang,
)
"""

# Another process asking for the lock and saying whether it got it.
TRY_LOCK = """
import sys
from annotator.db import make_engine
from annotator.workflow import training

try:
    with training.training_lock(make_engine(sys.argv[1])):
        print("taken")
except training.TrainingBusy as error:
    print(f"busy: {error}")
"""


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def settings_for(url: str) -> Settings:
    return Settings.from_env().with_overrides(database_url=url)


def lock_from_another_process(url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", TRY_LOCK, url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def import_gold(url: str, path: Path) -> None:
    result = runner.invoke(app, ["import", str(path), "--gold", "--no-suggest", "--db", url])
    assert result.exit_code == 0, result.output


@pytest.fixture
def curve_elsewhere(engine: Engine) -> Iterator[subprocess.Popen[str]]:
    """A learning curve holding the training lock in another process, killed afterwards."""
    worker = subprocess.Popen(
        [sys.executable, "-c", CURVE_AND_HANG, url_of(engine)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "holding", "the curve never took the lock"
        yield worker
    finally:
        worker.kill()
        worker.wait(timeout=30)


def versions(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(ModelVersion)).one())


def test_a_curve_in_another_process_refuses_a_training_here_and_in_the_cli(
    engine: Engine, curve_elsewhere: subprocess.Popen[str]
) -> None:
    url = url_of(engine)
    with pytest.raises(training.TrainingBusy, match=f"^{training.ELSEWHERE}$"):
        training.train_from_gold(engine=engine, settings=settings_for(url), train_settings=TINY)
    with pytest.raises(training.TrainingBusy, match=f"^{training.ELSEWHERE}$"):
        training.learning_curve(engine=engine, settings=settings_for(url), train_settings=TINY)
    state = training.TrainingState()
    with pytest.raises(training.TrainingBusy, match=f"^{training.ELSEWHERE}$"):
        training.start_learning_curve(
            engine=engine, settings=settings_for(url), state=state, number=1
        )
    # What an admin sees on the command line: the reason, no traceback.
    result = runner.invoke(app, ["train", "--max-steps", "4", "--base", "none", "--db", url])
    assert result.exit_code == 1
    assert f"not started: {training.ELSEWHERE}" in result.output
    assert "Traceback" not in result.output
    assert versions(engine) == 0  # refused before a version was numbered
    # Killed with the lock held (kill -9): the lock goes with the process.
    curve_elsewhere.kill()
    curve_elsewhere.wait(timeout=30)
    assert lock_from_another_process(url) == "taken"


def test_a_training_in_another_process_names_its_version(engine: Engine, tmp_path: Path) -> None:
    url = url_of(engine)
    worker = subprocess.Popen(
        [sys.executable, "-c", TRAIN_AND_HANG, url, str(tmp_path / "v1")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "holding", "the training never took the lock"
        assert lock_from_another_process(url) == "busy: model version 1 is still training"
    finally:
        worker.kill()
        worker.wait(timeout=30)


def test_the_lock_is_free_again_after_a_training_fails_and_after_one_succeeds(
    engine: Engine, tmp_path: Path
) -> None:
    url = url_of(engine)
    # No gold at all: the training takes the lock, numbers its version and fails on the data.
    with pytest.raises(training.TrainingFailed, match="train and dev"):
        training.train_from_gold(
            engine=engine, settings=settings_for(url), output=tmp_path / "v1", train_settings=TINY
        )
    assert lock_from_another_process(url) == "taken"
    with pytest.raises(TrainingError, match="needs gold in both train and dev"):
        training.learning_curve(engine=engine, settings=settings_for(url), train_settings=TINY)
    assert lock_from_another_process(url) == "taken"

    import_gold(url, DATA / "loop_heldout.jsonl")
    version = training.train_from_gold(
        engine=engine, settings=settings_for(url), output=tmp_path / "v2", train_settings=TINY
    )
    assert (version.number, version.status) == (2, "ready")
    assert lock_from_another_process(url) == "taken"
