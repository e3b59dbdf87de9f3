"""User mistakes end the real ``annotator`` command with one line and exit 1, never a traceback;
every error the annotator raises on purpose is an AnnotatorError, so that one handler sees it."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import annotator
from annotator.cli import app
from annotator.errors import AnnotatorError

# The console script pyproject.toml installs ([project.scripts] annotator = "annotator.cli:app").
ANNOTATOR = Path(sys.executable).with_name("annotator")


def annotator_command(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed command as a user would, with the database under ``tmp_path``."""
    env = {**os.environ, "ANNOTATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'annotator.db'}"}
    return subprocess.run(
        [str(ANNOTATOR), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *, naming: str) -> None:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and naming in lines[0]


@pytest.fixture
def records(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"text": "Troops shelled Lashio."}) + "\n", encoding="utf-8")
    return path


def test_the_console_script_is_installed() -> None:
    assert ANNOTATOR.is_file(), f"{ANNOTATOR} missing: pip install -e . installs it"


def test_suggest_with_an_unknown_model_names_it(tmp_path: Path, records: Path) -> None:
    output = tmp_path / "out.jsonl"
    done = annotator_command(
        "suggest",
        "--model",
        "no_such_model",
        "--input",
        str(records),
        "--output",
        str(output),
        tmp_path=tmp_path,
    )
    assert_one_line_error(done, naming="'no_such_model'")
    assert not output.exists()


def test_suggest_with_a_missing_input_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    output = tmp_path / "out.jsonl"
    done = annotator_command(
        "suggest", "--input", str(missing), "--output", str(output), tmp_path=tmp_path
    )
    assert_one_line_error(done, naming=f"{missing}: cannot be read")


def test_evaluate_with_a_missing_gold_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "gold.jsonl"
    done = annotator_command("evaluate", "--data", str(missing), tmp_path=tmp_path)
    assert_one_line_error(done, naming=f"{missing}: cannot be read")


@pytest.mark.parametrize(
    ("url", "naming"),
    [
        ("nosuchdb://x", "'nosuchdb'"),
        ("not a url", "'not a url' is not a database URL"),
        ("postgresql://ana:s3cret@localhost:port/db", "postgresql://ana:***@localhost"),
    ],
    ids=["unknown kind", "unparsable", "bad port"],
)
def test_a_bad_database_url_is_named_without_its_password(
    tmp_path: Path, url: str, naming: str
) -> None:
    done = annotator_command("stats", "--db", url, tmp_path=tmp_path)
    assert_one_line_error(done, naming=naming)
    assert "s3cret" not in done.stderr


def test_a_missing_label_scheme_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "scheme.yml"
    done = annotator_command("agreement", "--labels", str(missing), tmp_path=tmp_path)
    assert_one_line_error(done, naming=str(missing))


def test_the_handler_covers_subcommands_too(sqlite_url: str) -> None:
    result = CliRunner().invoke(
        app, ["users", "password", "nobody", "--db", sqlite_url], input="a long password\n"
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["error: no reviewer named 'nobody'"]


def domain_modules() -> list[str]:
    """Every module under annotator/ but the Alembic scripts (they run only inside Alembic:
    env.py migrates when imported) and ``__main__`` modules (importing one runs a command)."""
    return [
        info.name
        for info in pkgutil.walk_packages(annotator.__path__, prefix="annotator.")
        if not info.name.startswith("annotator.migrations") and not info.name.endswith("__main__")
    ]


def exception_classes(module_name: str) -> list[type[BaseException]]:
    """The public exception classes a module defines (not those it imports).

    A private one (prodigy's ``_Problem``) is caught in its own module and turned into a domain
    error there; it never reaches an edge.
    """
    return [
        value
        for value in vars(importlib.import_module(module_name)).values()
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and value.__module__ == module_name
        and not value.__name__.startswith("_")
    ]


def test_every_exception_class_derives_from_annotator_error() -> None:
    outside = [
        f"{name}.{error.__qualname__}"
        for name in domain_modules()
        for error in exception_classes(name)
        if not issubclass(error, AnnotatorError)
    ]
    assert outside == []
