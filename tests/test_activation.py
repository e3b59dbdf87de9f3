"""Safe activation from the command line: compare-suggesters puts a version, the active and the
default suggester side by side on the same held-out gold; activate refuses a version that is
worse on a layer unless forced, and goes back to the default; models and evaluate say which
suggester is active. On SQLite and PostgreSQL, with a model version really trained."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from annotator import config
from annotator.cli import app
from annotator.config import DEFAULT_MODEL
from annotator.db import make_engine, session_scope
from annotator.models import ModelVersion
from annotator.nlp.evaluate import PRF, EvaluationReport, GoldRecord, LayerScore
from annotator.spans import Argument, Span
from annotator.workflow import activation
from tests.conftest import TrainedVersion

DATA = Path(__file__).resolve().parent / "data"
HELDOUT = DATA / "loop_heldout.jsonl"
DEFAULT = f"the default suggester ({DEFAULT_MODEL} + rules)"
# "events F1 0.018 against 0.923 (-0.905)"
FIGURES = re.compile(r"(entities|events|categories|arguments) F1 (\d\.\d{3}) against (\d\.\d{3})")
runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def database_with_gold(url: str, trained: TrainedVersion) -> str:
    """The database with the gold the version was trained on, imported as users do."""
    result = run("import", str(trained.gold), "--gold", "--no-suggest", "--db", url)
    assert result.exit_code == 0, result.output
    return url


def register(
    url: str,
    trained: TrainedVersion,
    *,
    number: int = 1,
    path: str | None = None,
    active: bool = False,
    metrics: dict[str, Any] | None = None,
) -> None:
    """A ready version row for the session's trained pipeline (or another one)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        session.add(
            ModelVersion(
                number=number,
                path=path or trained.path,
                status="ready",
                metrics=trained.metrics if metrics is None else metrics,
                gold_count=trained.gold_count,
                active=active,
            )
        )
    engine.dispose()


def active_line(url: str) -> str:
    result = run("models", "--db", url)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[0]


@pytest.mark.slow
def test_compare_suggesters_scores_the_three_on_the_versions_own_dev_split(
    migrated_db_url: str, trained_version: TrainedVersion
) -> None:
    url = database_with_gold(migrated_db_url, trained_version)
    register(url, trained_version)
    dev_count = trained_version.metrics["dev_count"]
    assert len(trained_version.metrics["dev_reports"]) == dev_count  # one report a line

    result = run("compare-suggesters", "--json", "--db", url)
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["heldout"] == {
        "source": "the dev split of model version 1",
        "sentences": dev_count,
        "reports": dev_count,
    }
    assert found["candidate"]["name"] == "model version 1"
    assert found["candidate"]["model_name"] == "en_conflict_suggester"
    assert found["active"]["name"] == found["default"]["name"] == DEFAULT
    assert {found[role]["records"] for role in activation.ROLES} == {dev_count}
    assert set(found["layers"]) >= {"entities", "events"}
    for layer, figures in found["layers"].items():
        assert figures["candidate"] == found["candidate"][layer]["f"]
        assert figures["active"] == figures["default"]  # nothing is active yet
    worse = {item["layer"] for item in found["worse"]}
    assert worse == {
        layer
        for layer, figures in found["layers"].items()
        if figures["candidate"] < figures["active"]
    }

    table = run("compare-suggesters", "1", "--db", url)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == (
        f"Held-out gold: the dev split of model version 1 ({dev_count} gold sentence(s) "
        f"from {dev_count} report(s))"
    )
    assert lines[1:4] == [
        "Candidate model version 1",
        f"Active    {DEFAULT}",
        f"Default   {DEFAULT}",
    ]
    assert any(line.strip().startswith("ARMED_GROUP") for line in lines)
    assert "candidate" in table.stdout and "support" in table.stdout


@pytest.mark.slow
def test_activate_refuses_a_version_worse_than_the_active_suggester_unless_forced(
    migrated_db_url: str, trained_version: TrainedVersion
) -> None:
    url = database_with_gold(migrated_db_url, trained_version)
    register(url, trained_version, path=trained_version.replacing)

    refused = run("activate", "1", "--db", url)
    assert refused.exit_code == 1
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith(f"error: model version 1 is worse than {DEFAULT}, the active suggester")
    assert "the dev split of model version 1" in line and "--force" in line
    figures = FIGURES.findall(line)
    assert figures, line
    assert all(float(candidate) < float(active) for _, candidate, active in figures)
    assert active_line(url) == f"active: {DEFAULT}"

    forced = run("activate", "1", "--force", "--db", url)
    assert forced.exit_code == 0, forced.output
    assert forced.stdout.startswith(f"model version 1 is active ({trained_version.replacing})")
    assert active_line(url) == f"active: model version 1 ({trained_version.replacing})"

    back = run("activate", "default", "--db", url)
    assert back.exit_code == 0, back.output
    assert back.stdout.strip() == f"{DEFAULT} is active (was model version 1)"
    assert active_line(url) == f"active: {DEFAULT}"


@pytest.mark.slow
def test_activate_passes_a_version_no_worse_on_any_layer_of_a_heldout_file(
    sqlite_url: str, trained_version: TrainedVersion, tmp_path: Path
) -> None:
    url = database_with_gold(sqlite_url, trained_version)
    register(url, trained_version)
    # Gold that is what version 1 suggests: no suggester can score above it.
    heldout = tmp_path / "heldout.jsonl"
    made = run(
        "suggest",
        "--input",
        str(HELDOUT),
        "--output",
        str(heldout),
        "--model",
        trained_version.path,
    )
    assert made.exit_code == 0, made.output

    done = run("activate", "1", "--heldout", str(heldout), "--db", url)
    assert done.exit_code == 0, done.output
    first, second = done.stdout.splitlines()
    assert first == f"model version 1 is active ({trained_version.path})"
    assert second.startswith(f"on {heldout} (25 gold sentence(s)): entities F1 1.000 (was ")
    assert active_line(url) == f"active: model version 1 ({trained_version.path})"


@pytest.mark.slow
def test_evaluate_scores_the_active_suggester_unless_told_otherwise(
    migrated_db_url: str, trained_version: TrainedVersion
) -> None:
    url = migrated_db_url
    plain = run("evaluate", "--data", str(HELDOUT), "--db", url)
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.splitlines()[0] == f"Scored   the active suggester, {DEFAULT}"

    register(url, trained_version, path=trained_version.replacing, active=True)
    active = run("evaluate", "--data", str(HELDOUT), "--json", "--db", url)
    assert active.exit_code == 0, active.output
    report = json.loads(active.stdout)
    assert report["suggester"] == (
        f"the active suggester, model version 1 ({trained_version.replacing})"
    )
    assert (report["model_name"], report["model_version"]) == ("en_conflict_suggester", "1.0.0")

    default = run("evaluate", "--data", str(HELDOUT), "--default", "--json", "--db", url)
    assert default.exit_code == 0, default.output
    report = json.loads(default.stdout)
    assert report["suggester"] == DEFAULT and report["model_name"] == DEFAULT_MODEL

    both = run("evaluate", "--data", str(HELDOUT), "--default", "--model", "x", "--db", url)
    assert both.exit_code == 1 and "--model and --default" in both.stderr


def test_activate_takes_a_version_number_or_default(migrated_db_url: str) -> None:
    result = run("activate", "latest", "--db", migrated_db_url)
    assert result.exit_code == 1
    assert "expected a model version number or 'default', got 'latest'" in result.stderr
    missing = run("activate", "4", "--db", migrated_db_url)
    assert missing.exit_code == 1 and "there is no model version 4" in missing.stderr
    again = run("activate", "default", "--db", migrated_db_url)
    assert again.exit_code == 0 and again.stdout.strip() == f"{DEFAULT} is active"


def test_a_version_without_a_recorded_split_needs_a_heldout_file_or_force(
    migrated_db_url: str, trained_version: TrainedVersion
) -> None:
    # A version trained before versions recorded their dev split.
    old = {key: value for key, value in trained_version.metrics.items() if key != "dev_reports"}
    register(migrated_db_url, trained_version, metrics=old)
    refused = run("activate", "1", "--db", migrated_db_url)
    assert refused.exit_code == 1
    [line] = refused.stderr.strip().splitlines()
    assert "model version 1 records no held-out gold" in line
    assert line.endswith("--heldout FILE, or --force to activate without comparing")
    compared = run("compare-suggesters", "1", "--db", migrated_db_url)
    assert compared.exit_code == 1 and "--heldout FILE" in compared.stderr
    forced = run("activate", "1", "--force", "--db", migrated_db_url)
    assert forced.exit_code == 0, forced.output
    assert "activated with --force, without comparing" in forced.stdout


def test_compare_suggesters_without_a_candidate_says_so(migrated_db_url: str) -> None:
    result = run("compare-suggesters", "--db", migrated_db_url)
    assert result.exit_code == 1
    assert "there is no ready model version that is not active" in result.stderr


# --- the rule, on scores made by hand -------------------------------------------------------


def report(entities: PRF, events: PRF, arguments: PRF | None = None) -> EvaluationReport:
    from annotator.nlp.evaluate import ArgumentScore

    return EvaluationReport(
        model_name="m",
        model_version="1",
        records=1,
        entities=LayerScore(overall=entities, per_label={"GPE": entities}),
        events=LayerScore(overall=events, per_label={"ATTACK": events}),
        categories=LayerScore(),
        arguments=None if arguments is None else ArgumentScore(records=1, overall=arguments),
    )


def comparison_of(
    candidate: EvaluationReport, active: EvaluationReport, *, arguments: bool
) -> activation.SuggesterComparison:
    trigger, place = Span(0, 6, "ATTACK"), Span(10, 15, "GPE")
    gold = GoldRecord(
        text="Attack in Sitt.",
        entities=(place,),
        events=(trigger,),
        categories=(),
        arguments=(Argument(trigger, "LOCATION", place),) if arguments else (),
        has_arguments=arguments,
    )
    heldout = activation.HeldOut(
        source="gold.jsonl",
        records=(gold,),
        sentences=(activation.HeldOutSentence("gold.jsonl", 1, gold.text),),
    )
    return activation.SuggesterComparison(
        heldout=heldout,
        candidate=activation.Scored(activation.CANDIDATE, "model version 2", candidate),
        active=activation.Scored(activation.ACTIVE, "model version 1", active),
        default=activation.Scored(activation.DEFAULT, DEFAULT, active),
    )


def test_a_layer_is_worse_by_any_drop_and_only_where_the_gold_has_it() -> None:
    good, fair = PRF(tp=9, fp=1, fn=1), PRF(tp=8, fp=2, fn=2)
    found = comparison_of(report(good, fair), report(fair, good), arguments=False)
    assert [c.layer for c in found.changes()] == ["entities", "events"]  # no gold categories
    [worse] = found.worse()
    assert worse.describe() == "events F1 0.800 against 0.900 (-0.100)"
    equal = comparison_of(report(good, good), report(good, good), arguments=False)
    assert equal.worse() == []
    # Arguments count where the gold has some.
    with_args = comparison_of(
        report(good, good, arguments=fair), report(good, good, arguments=good), arguments=True
    )
    assert [c.layer for c in with_args.worse()] == ["arguments"]
    rows = {(row.layer, row.label): row for row in with_args.label_rows()}
    assert rows[("entities", "GPE")].support == 10
    assert rows[("arguments", "overall")].figures["candidate"] == fair


def test_going_back_to_the_default_serves_the_defaults_suggestions_again(engine, tmp_path):
    # A sentence suggested by the default at import, then re-suggested by version 1 while it
    # was active: after `activate default` the annotate page serves the default's again.
    from annotator import repository
    from annotator.models import Report, Sentence, Suggestion
    from annotator.workflow import annotating
    from annotator.workflow.training import MODEL_NAME

    assert f"en_{MODEL_NAME}" == config.TRAINED_SUGGESTIONS  # what training names them

    text = "Troops shelled Moebye."
    trained = f"en_{MODEL_NAME}"
    with session_scope(engine) as session:
        report = Report(content_hash="h" * 64, source="r.txt", text=text, n_sentences=1)
        session.add(report)
        session.flush()
        sentence = Sentence(
            report_id=report.id,
            position=0,
            start_char=0,
            end_char=len(text),
            text=text,
            content_hash="s" * 64,
        )
        session.add(sentence)
        session.flush()
        sentence_id = sentence.id
        troops = [{"start": 0, "end": 6, "label": "ARMED_GROUP"}]
        session.add(
            Suggestion(
                sentence_id=sentence_id, model_name="default", model_version="1", entities=troops
            )
        )
        session.add(Suggestion(sentence_id=sentence_id, model_name=trained, model_version="1.0.0"))
        version = ModelVersion(number=1, path=str(tmp_path), status="ready", active=True)
        session.add(version)
    with session_scope(engine) as session:
        served = annotating.latest_suggestion(session=session, sentence_id=sentence_id)
        assert served is not None and served.model_name == trained
        repository.clear_active_model(session=session)
    with session_scope(engine) as session:
        served = annotating.latest_suggestion(session=session, sentence_id=sentence_id)
        assert served is not None and (served.model_name, served.entities) == ("default", troops)
