"""Backups on SQLite and PostgreSQL: ``annotator backup`` made while a reviewer keeps saving
brings back every account, annotation version, gold decision and model version into an empty
database; a database that holds anything is refused and left as it was; a copy of the live
SQLite file is no backup (its latest commits are in the -wal file)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

from annotator import workflow
from annotator.cli import app
from annotator.db import alembic_config, is_current, make_engine, migrate, session_scope
from annotator.formats import read_records
from annotator.labels import LabelScheme
from annotator.models import AnnotationVersion, Gold, ModelVersion, Reviewer, Sentence, utc_now
from annotator.spans import Draft, Span
from annotator.workflow import GoldPolicy, accounts, adjudicating
from annotator.workflow.backup import BackupError, backup, restore

# Two reviewers per sentence; agreeing ones make gold by themselves.
POLICY = GoldPolicy(overlap=2, auto_gold=True)
GROUP = Span(4, 28, "ARMED_GROUP")  # "Kachin Independence Army" in every sentence below
AS_GROUP = Draft(entities=(GROUP,), categories=("BATTLES",))
AS_ORG = Draft(entities=(Span(4, 28, "ORG"),), categories=("BATTLES",))
PASSWORDS = {"ana": "ana-password-1", "ben": "ben-password-2", "cleo": "cleo-password-3"}
# The tables a backup must bring back row for row.
KEPT: dict[str, type[SQLModel]] = {
    "reviewer": Reviewer,
    "annotation_version": AnnotationVersion,
    "gold": Gold,
    "model_version": ModelVersion,
}
# The longest a test waits for the concurrent reviewer: a bound, not a pace.
PATIENCE_SECONDS = 60.0


def head_revision(engine: Engine) -> str:
    return str(ScriptDirectory.from_config(alembic_config(engine)).get_current_head())


def import_reports(engine: Engine, scheme: LabelScheme, folder: Path) -> list[int]:
    for number in range(2):
        lines = [f"The Kachin Independence Army said {number}{k} soldiers died." for k in range(6)]
        (folder / f"report{number}.txt").write_text("\n".join(lines), encoding="utf-8")
    with session_scope(engine) as session:
        workflow.import_records(
            session=session,
            records=read_records(sorted(folder.glob("report*.txt")), scheme=scheme),
            scheme=scheme,
            policy=POLICY,
        )
        return [s.id for s in session.exec(select(Sentence).order_by(Sentence.id)) if s.id]


def save(
    engine: Engine,
    scheme: LabelScheme,
    sentence_id: int,
    reviewer_id: int,
    draft: Draft = AS_GROUP,
    status: str = "accept",
) -> int:
    with session_scope(engine) as session:
        annotation = workflow.save_decision(
            session=session,
            sentence_id=sentence_id,
            reviewer_id=reviewer_id,
            status=status,
            draft=draft,
            scheme=scheme,
            policy=POLICY,
        )
        assert annotation.id is not None
        return annotation.version


def build_team(engine: Engine, scheme: LabelScheme, folder: Path) -> list[int]:
    """Accounts, two reports, decisions with undo, accepted and adjudicated gold and a model
    version; the sentence ids (from the fifth on, nobody has decided them)."""
    ids = import_reports(engine, scheme, folder)
    with session_scope(engine) as session:
        people = {
            name: accounts.create_reviewer(
                session=session,
                name=name,
                password=password,
                role="adjudicator" if name == "cleo" else "annotator",
            ).id
            for name, password in PASSWORDS.items()
        }
    ana, ben, cleo = people["ana"], people["ben"], people["cleo"]
    save(engine, scheme, ids[0], ana)
    save(engine, scheme, ids[0], ben)  # agrees: accepted gold
    save(engine, scheme, ids[1], ana)
    save(engine, scheme, ids[1], ben, AS_ORG)
    with session_scope(engine) as session:
        adjudicating.adjudicate(
            session=session,
            sentence_id=ids[1],
            adjudicator_id=cleo,
            draft=AS_ORG,
            from_annotations=(),
            expected_version=None,
            scheme=scheme,
        )
    save(engine, scheme, ids[2], ana, AS_ORG)
    save(engine, scheme, ids[2], ana)  # changed her mind, then took it back
    with session_scope(engine) as session:
        assert workflow.undo_last(session=session, reviewer_id=ana, policy=POLICY) is not None
    save(engine, scheme, ids[3], ben, Draft(), status="reject")
    with session_scope(engine) as session:
        session.add(
            ModelVersion(
                number=1,
                path=str(folder / "models" / "v1"),
                base_model="en_core_web_sm",
                status="ready",
                metrics={"entities": {"f": 0.81}, "dev_count": 2},
                gold_count=2,
                active=True,
                finished_at=utc_now(),
            )
        )
    return ids


def rows_of(engine: Engine, table: type[SQLModel]) -> list[dict[str, Any]]:
    """Every row of a table, every column, in id order."""
    columns = SQLModel.metadata.tables[str(table.__tablename__)]
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(columns).order_by("id"))]


def kept_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    return {name: rows_of(engine, table) for name, table in KEPT.items()}


class BusyReviewer(threading.Thread):
    """A reviewer who keeps saving decisions, each in its own session, until told to stop;
    ``committed`` holds (sentence, version) of every save whose commit has returned."""

    def __init__(self, engine: Engine, scheme: LabelScheme, sentence_ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.engine, self.scheme, self.sentence_ids = engine, scheme, sentence_ids
        with session_scope(engine) as session:
            self.reviewer_id = accounts.create_reviewer(
                session=session, name="dana", password="dana-password-4", role="annotator"
            ).id
        self.committed: list[tuple[int, int]] = []
        self.failure: BaseException | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + PATIENCE_SECONDS
        turn = 0
        try:
            while not self._stopping.is_set() and time.monotonic() < deadline:
                sentence_id = self.sentence_ids[turn % len(self.sentence_ids)]
                status = "accept" if turn % 2 == 0 else "reject"
                draft = AS_GROUP if status == "accept" else Draft()
                version = save(
                    self.engine, self.scheme, sentence_id, self.reviewer_id, draft, status
                )
                self.committed.append((sentence_id, version))
                turn += 1
        except BaseException as error:  # shown by the test thread in stop()
            self.failure = error

    def wait_for(self, saves: int) -> None:
        """Return once ``saves`` decisions are committed in all."""
        deadline = time.monotonic() + PATIENCE_SECONDS
        while len(self.committed) < saves:
            assert self.failure is None, self.failure
            assert time.monotonic() < deadline, f"only {len(self.committed)} saves"
            time.sleep(0.01)

    def stop(self) -> None:
        self._stopping.set()
        self.join(PATIENCE_SECONDS)
        assert not self.is_alive()
        if self.failure is not None:
            raise self.failure


@pytest.fixture
def target(db_url: str) -> Iterator[Engine]:
    """A new, empty database of the engine's kind (no schema): where a backup is restored."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_a_backup_made_while_a_reviewer_saves_brings_back_everything_committed_before_it(
    engine, target, scheme, tmp_path
):
    ids = build_team(engine, scheme, tmp_path)
    reviewer = BusyReviewer(engine, scheme, ids[4:])
    before = kept_rows(engine)
    reviewer.start()
    try:
        reviewer.wait_for(saves=5)
        committed = list(reviewer.committed)  # every one of them before the backup started
        summary = backup(engine=engine, path=tmp_path / "annotator.backup")
        reviewer.wait_for(saves=len(reviewer.committed) + 5)  # and kept saving after it
    finally:
        reviewer.stop()

    restored = restore(engine=target, path=summary.path)

    after = kept_rows(target)
    for name in ("reviewer", "gold", "model_version"):
        assert after[name] == before[name], name
    assert [r["source"] for r in after["gold"]] == ["accepted", "adjudicated"]
    assert any(r["undone_at"] is not None for r in after["annotation_version"])
    versions = after["annotation_version"]
    assert versions[: len(before["annotation_version"])] == before["annotation_version"]
    dana = {
        (r["sentence_id"], r["version"])
        for r in versions
        if r["reviewer_id"] == reviewer.reviewer_id
    }
    assert set(committed) <= dana
    # One moment of the history, nothing invented or half-written: the first rows of the source's.
    assert versions == rows_of(engine, AnnotationVersion)[: len(versions)]
    assert len(versions) < len(rows_of(engine, AnnotationVersion))
    assert restored.contents == summary.contents
    assert (summary.contents.reviewers, summary.contents.reports) == (4, 2)
    assert (summary.contents.gold, summary.contents.model_versions) == (2, 1)
    assert summary.contents.annotation_versions == len(versions)
    assert restored.revision == restored.from_revision == head_revision(target)
    with session_scope(target) as session:
        for name, password in PASSWORDS.items():
            assert accounts.authenticate(session=session, name=name, password=password).name == name


def test_restore_refuses_a_database_that_holds_anything_and_leaves_it_as_it_was(
    engine, target, scheme, tmp_path
):
    build_team(engine, scheme, tmp_path)
    file = backup(engine=engine, path=tmp_path / "annotator.backup").path
    before = kept_rows(engine)

    with pytest.raises(BackupError, match="is not empty") as refused:
        restore(engine=engine, path=file)

    assert repr(engine.url) in str(refused.value)
    assert "3 reviewer(s), 2 report(s)" in str(refused.value)
    assert kept_rows(engine) == before
    restore(engine=target, path=file)
    with pytest.raises(BackupError, match="is not empty"):
        restore(engine=target, path=file)  # the second time, it holds the first


def test_a_database_with_only_a_model_version_is_not_empty(engine, target, tmp_path):
    file = backup(engine=engine, path=tmp_path / "empty.backup").path
    migrate(target)
    with session_scope(target) as session:
        session.add(ModelVersion(number=1, path="v1", status="ready"))

    with pytest.raises(BackupError, match="1 model version"):
        restore(engine=target, path=file)


def test_a_migrated_database_without_rows_takes_a_restore(
    db_url, migrated_db_url, scheme, tmp_path
):
    source = make_engine(db_url)
    migrate(source)
    target = make_engine(migrated_db_url)
    try:
        build_team(source, scheme, tmp_path)
        file = backup(engine=source, path=tmp_path / "annotator.backup").path

        restore(engine=target, path=file)

        assert kept_rows(target) == kept_rows(source)
    finally:
        source.dispose()
        target.dispose()


def test_a_backup_of_an_older_schema_restores_migrated_to_the_newest(
    migrated_db_url, target, tmp_path
):
    source = make_engine(migrated_db_url)
    try:
        command.downgrade(alembic_config(source), "0003")
        with session_scope(source) as session:
            accounts.create_reviewer(
                session=session, name="ana", password="ana-password-1", role="admin"
            )

        summary = backup(engine=source, path=tmp_path / "old.backup")
        restored = restore(engine=target, path=summary.path)
        assert not is_current(source)  # backing up migrated nothing
    finally:
        source.dispose()

    assert summary.revision == restored.from_revision == "0003"
    assert restored.revision == head_revision(target) != "0003"
    assert is_current(target)
    assert [(r["name"], r["role"]) for r in rows_of(target, Reviewer)] == [("ana", "admin")]


def test_a_file_that_is_no_backup_is_refused(target, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n", encoding="utf-8")

    with pytest.raises(
        BackupError, match="is not a backup: neither a SQLite database nor a pg_dump"
    ):
        restore(engine=target, path=notes)
    with pytest.raises(BackupError, match="no backup file"):
        restore(engine=target, path=tmp_path / "missing.backup")


def test_a_backup_restores_into_its_own_kind_of_database_only(database_kind, target, tmp_path):
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP\x01\x0e" if database_kind == "sqlite" else b"SQLite format 3\x00")

    with pytest.raises(BackupError, match="between SQLite and PostgreSQL is not supported"):
        restore(engine=target, path=other)


def test_a_sqlite_file_of_another_application_is_refused(sqlite_url, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE note (text TEXT)")
    connection.close()
    target = make_engine(sqlite_url)

    with pytest.raises(BackupError, match="not a backup of an annotator database"):
        restore(engine=target, path=other)

    assert not sa.inspect(target).get_table_names()
    target.dispose()


def test_restore_refuses_a_database_of_someone_elses_tables(target, migrated_db_url, tmp_path):
    source = make_engine(migrated_db_url)
    file = backup(engine=source, path=tmp_path / "empty.backup").path
    source.dispose()
    with target.begin() as connection:
        connection.execute(sa.text("CREATE TABLE note (text VARCHAR(20))"))
        connection.execute(sa.text("INSERT INTO note VALUES ('keep me')"))

    with pytest.raises(BackupError, match="tables that are not the annotator's \\(note\\)"):
        restore(engine=target, path=file)

    with target.connect() as connection:
        assert connection.execute(sa.text("SELECT text FROM note")).scalars().all() == ["keep me"]


def test_a_database_without_a_schema_has_nothing_to_back_up(target, tmp_path):
    with pytest.raises(BackupError, match="no annotator schema to back up"):
        backup(engine=target, path=tmp_path / "nothing.backup")
    assert not list(tmp_path.glob("nothing.backup*"))  # not even a temporary file


def test_a_sqlite_backup_never_replaces_the_live_file(migrated_sqlite_url):
    engine = make_engine(migrated_sqlite_url)
    live = Path(str(engine.url.database))
    try:
        with pytest.raises(BackupError, match="is the database itself"):
            backup(engine=engine, path=live)
        assert is_current(engine)
    finally:
        engine.dispose()


def test_a_copy_of_the_live_sqlite_file_misses_committed_decisions_a_backup_does_not(
    migrated_sqlite_url, scheme, tmp_path
):
    engine = make_engine(migrated_sqlite_url)
    try:
        build_team(engine, scheme, tmp_path)
        live = Path(str(engine.url.database))
        # What "backing up" by hand does: copy the database file (cp, rsync of one file).
        copied = tmp_path / "copied.db"
        shutil.copyfile(live, copied)
        summary = backup(engine=engine, path=tmp_path / "annotator.backup")
        committed = len(rows_of(engine, AnnotationVersion))
    finally:
        engine.dispose()

    def versions_in(path: Path) -> int:
        with sqlite3.connect(path) as connection:
            (count,) = connection.execute("SELECT count(*) FROM annotation_version").fetchone()
        connection.close()
        return int(count)

    assert committed == 7
    assert versions_in(copied) < committed  # those commits were in the -wal file, not copied
    assert versions_in(summary.path) == summary.contents.annotation_versions == committed


@pytest.mark.postgres
def test_pg_dump_never_sees_the_password_on_its_command_line(
    migrated_postgres_url, monkeypatch, tmp_path
):
    password = "not-on-the-command-line"
    with_password = sa.engine.make_url(migrated_postgres_url).set(password=password)
    engine = make_engine(with_password.render_as_string(hide_password=False))
    seen: list[list[str]] = []
    passfiles: list[Path] = []
    run = subprocess.run

    def watch(arguments: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
        seen.append(list(arguments))
        for argument in arguments:
            if argument.startswith("--dbname="):
                passfile = Path(parse_qs(urlsplit(argument).query)["passfile"][0])
                assert passfile.stat().st_mode & 0o077 == 0  # this user's only
                assert passfile.read_text(encoding="utf-8").endswith(f":{password}\n")
                passfiles.append(passfile)
        return run(arguments, **options)

    monkeypatch.setattr("annotator.workflow.backup.subprocess.run", watch)
    try:
        backup(engine=engine, path=tmp_path / "annotator.backup")
    finally:
        engine.dispose()

    assert seen and Path(seen[0][0]).name == "pg_dump"
    assert not any(password in argument for arguments in seen for argument in arguments)
    assert passfiles and not any(passfile.exists() for passfile in passfiles)


runner = CliRunner()


def test_the_backup_and_restore_commands_say_what_they_did(engine, db_url, scheme, tmp_path):
    build_team(engine, scheme, tmp_path)
    file = tmp_path / "annotator.backup"
    source = engine.url.render_as_string(hide_password=False)

    done = runner.invoke(app, ["backup", str(file), "--db", source])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"wrote {file} (")
    counts = "3 reviewer(s), 2 report(s), 7 annotation version(s), 2 gold, 1 model version(s)"
    assert done.stdout.rstrip().endswith(counts)

    done = runner.invoke(app, ["restore", str(file), "--db", db_url])
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith(f"restored {file} into ")
    assert done.stdout.rstrip().endswith(counts)


def test_the_installed_command_refuses_a_restore_into_a_database_in_use(
    migrated_sqlite_url, scheme, tmp_path
):
    engine = make_engine(migrated_sqlite_url)
    try:
        build_team(engine, scheme, tmp_path)
        file = backup(engine=engine, path=tmp_path / "annotator.backup").path
        before = kept_rows(engine)

        done = subprocess.run(
            [
                Path(sys.executable).with_name("annotator"),
                "restore",
                file,
                "--db",
                migrated_sqlite_url,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

        assert kept_rows(engine) == before
    finally:
        engine.dispose()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: the database {migrated_sqlite_url} is not empty (3 reviewer(s)")
