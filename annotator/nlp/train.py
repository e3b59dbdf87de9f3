"""Train a suggester pipeline on the gold with spaCy's own training: ``ner`` for entities,
``spancat`` for event triggers (``doc.spans["events"]``), ``textcat_multilabel`` for categories.

The config is generated offline with spaCy's ``init config`` machinery and adjusted for small
gold sets on a CPU; ``train`` writes it next to the corpus, runs ``spacy.cli.train.train``, puts
the trained components beside the base pipeline the rules read (``add_base_pipeline``), records
in the meta how they combine with the rules (``DEFAULT_COMBINATION``, :mod:`annotator.nlp.combine`)
and scores ``model-best``, as the suggester loads it, per label on the dev gold with
:mod:`annotator.nlp.evaluate`.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import spacy
from spacy.tokens import DocBin
from spacy.util import registry
from thinc.api import Config

from annotator.config import DEFAULT_DEV_SHARE, DEFAULT_MODEL
from annotator.errors import AnnotatorError
from annotator.formats import spacy_docbin
from annotator.formats.records import Record, report_of
from annotator.labels import LabelScheme
from annotator.nlp.combine import BASE_NER, TRAINED_TOK2VEC, Combination
from annotator.nlp.evaluate import EvaluationReport, GoldRecord, evaluate
from annotator.spans import Span
from annotator.tokens import blank_english

logger = logging.getLogger(__name__)

# Measured once on the repository's hand-annotated sentences (train on suggester_dev +
# suggester_blind, 180 sentences; dev = suggester_test, 80), 600 steps, seed 0, 2 CPU cores:
#   from scratch:                        entities F 0.827, events F 0.307, categories F 0.647,
#                                        ARMED_GROUP F 0.746; 39 s
#   tok2vec + ner from en_core_web_sm:   entities F 0.897, events F 0.865, categories F 0.626,
#                                        ARMED_GROUP F 0.792; 63 s
# Starting from the statistical pipeline's weights (the default suggester's) wins clearly, so it
# is the default.
DEFAULT_BASE: str | None = DEFAULT_MODEL

# How the trained components join the rules (annotator.nlp.combine), measured 2026-12 on
# held-out gold the training never saw: (a) train on tests/data/loop_train.jsonl (40 train,
# 10 dev), score on loop_heldout.jsonl (25): 400 steps seed 0, 600 steps seed 0, 400 steps
# seed 1; (b) train on two notes in three of tests/data/notes_dev.jsonl (96 train, 24 dev),
# score on every third note (60): 400 and 600 steps. F1, the default suggester first:
#                                    (a) entities  ARMED_GROUP  events  categories
#   default suggester                    0.960       0.970       0.897     0.875
#   ner, spancat, textcat (replace)   0.941-0.961  0.930-0.971 0.764-0.800 0.667-0.683
#   entities ner_then_rules           0.954-0.961  0.958-0.971
#   entities rules_then_ner           0.967-0.974  0.986-1.000
#   entities ner_gaps_then_rules      0.954-0.960  0.955-0.970
#   entities rules_then_ner_names        0.974       1.000
#   events union                                             0.862-0.875
#   events rules_then_spancat at 0.5                            0.900
#   events rules_then_spancat at 0.9                         0.900-0.915
#   categories textcat / union (with rules events)                     0.667-0.683 / 0.830
#   chosen (below)                       0.974       1.000   0.900-0.915 0.857-0.875
#                                    (b) entities  ARMED_GROUP  events  categories  arguments
#   default suggester                    0.988       0.969       0.987     0.937      0.971
#   ner, spancat, textcat (replace)   0.921-0.927  0.816-0.827 0.764-0.800 0.519-0.565 0.77-0.82
#   entities ner_then_rules           0.947-0.958  0.905-0.928
#   entities rules_then_ner              0.979       0.941
#   entities ner_gaps_then_rules         0.983       0.950
#   entities rules_then_ner_names        0.986       0.960
#   events union                                             0.934-0.966
#   events rules_then_spancat at 0.5                         0.966-0.983
#   events rules_then_spancat at 0.9                            0.987
#   categories textcat / union (with rules events)                     0.519-0.565 / 0.929-0.937
#   chosen (below)                       0.986       0.960      0.987      0.937      0.969
# The rules first, the trained NER's names and the span categorizer's sure triggers (0.9) in
# the gaps they leave, categories derived from the events: +0.014 entity F1, +0.030
# ARMED_GROUP F1 and +0.003 to +0.018 event F1 on (a); on (b), the rules' own development set,
# where the default is near its ceiling, -0.002 entity F1 (ARMED_GROUP -0.009: "Ukrainian
# positions", "Rohingya men") and events and categories unchanged. Replacing the rules, as
# models trained before did, lost 0.03-0.07 entity F1 and 0.10-0.22 event F1.
DEFAULT_COMBINATION = Combination(
    entities="rules_then_ner_names", events="rules_then_spancat", categories="derived"
)

CONFIG_NAME = "config.cfg"
BEST = "model-best"
LAST = "model-last"
META_KEY = "annotator"

# step, total steps, latest dev score (None between evaluations)
TrainProgress = Callable[[int, int, float | None], None]

_progress: ContextVar[tuple[TrainProgress, int] | None] = ContextVar(
    "annotator_train_progress", default=None
)


class TrainingError(AnnotatorError, RuntimeError):
    """Training that cannot start or did not finish, and why."""


@dataclass(frozen=True)
class TrainSettings:
    """How long and how to train; the defaults suit a few hundred sentences on two cores."""

    max_steps: int = 600
    eval_frequency: int = 50
    patience: int = 300
    dropout: float = 0.2
    seed: int = 0
    base: str | None = DEFAULT_BASE
    # How the trained components join the rules (annotator.nlp.combine), stored in the meta.
    combination: Combination = DEFAULT_COMBINATION

    @property
    def rules_base(self) -> str:
        """The pipeline whose tagger, parser and NER the rules run on: the base, else the
        default suggester's."""
        return self.base or DEFAULT_MODEL


# Frozen, so one instance can be every function's default.
DEFAULT_TRAIN_SETTINGS = TrainSettings()


@dataclass(frozen=True)
class TrainResult:
    """What a training left: its folders, spaCy's best scores and our per-label report."""

    output: Path
    best: Path
    last: Path
    train_count: int
    dev_count: int
    steps: int
    seconds: float
    report: EvaluationReport
    spacy_scores: dict[str, Any] = field(default_factory=dict)


@registry.loggers("annotator.ProgressLogger.v1")  # type: ignore[untyped-decorator]
def progress_logger() -> Callable[..., Any]:
    """A spaCy training logger that reports each step to the callback ``train`` installed."""

    def setup(
        nlp: Any, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> tuple[Callable[[dict[str, Any] | None], None], Callable[[], None]]:
        state = {"step": 0}
        installed = _progress.get()

        def log_step(info: dict[str, Any] | None) -> None:
            state["step"] += 1
            score = None if info is None else float(info.get("score") or 0.0)
            if info is not None:
                logger.info(
                    "step %d: score %.3f, losses %s", info["step"], score, info.get("losses")
                )
            if installed is not None:
                callback, total = installed
                callback(min(state["step"], total), total, score)

        return log_step, lambda: None

    return setup


def build_config(
    scheme: LabelScheme, *, settings: TrainSettings = DEFAULT_TRAIN_SETTINGS
) -> Config:
    """The training config: spaCy's efficiency defaults for en, our labels, keys and schedule."""
    from spacy.cli.init_config import init_config

    generated = init_config(
        lang="en",
        pipeline=["ner", "spancat", "textcat_multilabel"],
        optimize="efficiency",
        gpu=False,
    )
    # The trained components' own tok2vec is TRAINED_TOK2VEC, so that the base pipeline's
    # tok2vec, which its tagger and parser listen to, can sit beside it unchanged.
    generated["nlp"]["pipeline"] = [TRAINED_TOK2VEC, "ner", "spancat", "textcat_multilabel"]
    config = Config().from_str(
        generated.to_str(interpolate=False).replace(
            "components.tok2vec", f"components.{TRAINED_TOK2VEC}"
        ),
        interpolate=False,
    )
    for name in ("ner", "spancat"):
        config["components"][name]["model"]["tok2vec"]["upstream"] = TRAINED_TOK2VEC
    config["system"]["seed"] = settings.seed
    spancat = config["components"]["spancat"]
    spancat["spans_key"] = spacy_docbin.SPANS_KEY
    # Event triggers are short; four tokens covers "opened fire on" and compounds.
    spancat["suggester"]["sizes"] = [1, 2, 3, 4]
    training = config["training"]
    training.update(
        {
            "max_steps": settings.max_steps,
            "eval_frequency": settings.eval_frequency,
            "patience": settings.patience,
            "dropout": settings.dropout,
            "max_epochs": 0,
        }
    )
    # Small corpora: batches of a few sentences so that each epoch makes several updates.
    training["batcher"]["size"] = {
        "@schedules": "compounding.v1",
        "start": 32,
        "stop": 256,
        "compound": 1.005,
        "t": 0.0,
    }
    training["logger"] = {"@loggers": "annotator.ProgressLogger.v1"}
    key = spacy_docbin.SPANS_KEY
    training["score_weights"] = {
        "ents_f": 0.5,
        "ents_p": 0.0,
        "ents_r": 0.0,
        "ents_per_type": None,
        f"spans_{key}_f": 0.35,
        f"spans_{key}_p": 0.0,
        f"spans_{key}_r": 0.0,
        "cats_score": 0.15,
    }
    # Every label of the scheme, whether or not the gold has it yet.
    config["initialize"]["components"] = {
        "spancat": {"labels": list(scheme.names("events"))},
        "textcat_multilabel": {"labels": list(scheme.names("categories"))},
    }
    if settings.base is not None:
        # The statistical pipeline's shared tok2vec (for spancat) and its NER (with its own
        # tok2vec), fine-tuned on the gold; the sourced NER is resumed, not re-initialised.
        config["components"][TRAINED_TOK2VEC] = {"source": settings.base, "component": "tok2vec"}
        config["components"]["ner"] = {"source": settings.base}
        width = spacy.util.load_config(_config_of(settings.base))["components"]["tok2vec"]
        spancat["model"]["tok2vec"]["width"] = width["model"]["encode"]["width"]
    return Config(config)


def _config_of(package: str) -> Path:
    # The sourced pipeline's config on disk: a package name or a path.
    path = Path(package)
    if not path.exists():
        path = next(p.parent for p in spacy.util.get_package_path(package).glob("*/config.cfg"))
    return path / "config.cfg"


def write_corpus(
    train: Iterable[Record],
    dev: Iterable[Record],
    directory: Path,
    *,
    scheme: LabelScheme,
) -> spacy_docbin.SplitCounts:
    """Write train.spacy and dev.spacy from two record streams (only accepted ones are kept)."""
    dev_list = list(dev)
    dev_keys = {report_of(record) for record in dev_list}
    categories = scheme.names("categories")
    return spacy_docbin.write(
        [*train, *dev_list], directory, categories=categories, dev_reports=dev_keys
    )


def gold_records_of(path: Path) -> list[GoldRecord]:
    """The Docs of a .spacy file as gold records for :func:`annotator.nlp.evaluate.evaluate`."""
    docs = DocBin().from_bytes(path.read_bytes()).get_docs(blank_english().vocab)
    records = []
    for doc in docs:
        events = doc.spans[spacy_docbin.SPANS_KEY] if spacy_docbin.SPANS_KEY in doc.spans else []
        records.append(
            GoldRecord(
                text=doc.text,
                entities=tuple(Span(e.start_char, e.end_char, e.label_) for e in doc.ents),
                events=tuple(sorted(Span(s.start_char, s.end_char, s.label_) for s in events)),
                categories=tuple(name for name, score in doc.cats.items() if score >= 0.5),
            )
        )
    return records


def count_docs(path: Path) -> int:
    """How many Docs a .spacy file holds."""
    return len(DocBin().from_bytes(path.read_bytes())) if path.exists() else 0


def train(
    corpus: Path,
    *,
    output: Path,
    scheme: LabelScheme,
    settings: TrainSettings = DEFAULT_TRAIN_SETTINGS,
    progress: TrainProgress | None = None,
    name: str = "conflict_suggester",
    version: str = "0.0.1",
    patterns_dir: Path | None = None,
) -> TrainResult:
    """Train on ``corpus``/train.spacy, choose on dev.spacy, leave model-best and model-last
    in ``output`` and score model-best per label on the dev gold."""
    from spacy.cli.train import train as spacy_train

    train_path, dev_path = corpus / spacy_docbin.TRAIN, corpus / spacy_docbin.DEV
    train_count, dev_count = count_docs(train_path), count_docs(dev_path)
    if train_count == 0 or dev_count == 0:
        raise TrainingError(
            f"training needs gold sentences in both train and dev; got {train_count} train "
            f"and {dev_count} dev (add gold from at least two reports)"
        )
    output.mkdir(parents=True, exist_ok=True)
    config = build_config(scheme, settings=settings)
    config_path = output / CONFIG_NAME
    config_path.write_text(config.to_str(), encoding="utf-8")
    overrides = {"paths.train": str(train_path), "paths.dev": str(dev_path)}
    started = time.perf_counter()
    token = _progress.set(None if progress is None else (progress, settings.max_steps))
    printed = io.StringIO()
    try:
        # spaCy prints its own progress table; the core logs it instead.
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            spacy_train(config_path, output, use_gpu=-1, overrides=overrides)
    except (Exception, SystemExit) as error:
        # spaCy's CLI reports a bad config by printing and exiting; keep what it said.
        said = " ".join(printed.getvalue().split()[-60:])
        raise TrainingError(f"spaCy training failed: {error!r} {said}".strip()) from error
    finally:
        _progress.reset(token)
    logger.debug("spaCy training output:\n%s", printed.getvalue())
    seconds = time.perf_counter() - started
    best, last = output / BEST, output / LAST
    for folder in (best, last):
        add_base_pipeline(folder, base=settings.rules_base)
        _stamp_meta(folder, name=name, version=version, settings=settings)
    report = evaluate_pipeline(best, dev_path, scheme=scheme, patterns_dir=patterns_dir)
    meta = json.loads((best / "meta.json").read_text(encoding="utf-8"))
    return TrainResult(
        output=output,
        best=best,
        last=last,
        train_count=train_count,
        dev_count=dev_count,
        steps=settings.max_steps,
        seconds=seconds,
        report=report,
        spacy_scores=dict(meta.get("performance") or {}),
    )


def add_base_pipeline(folder: Path, *, base: str) -> None:
    """Put the trained pipeline in ``folder`` beside the base pipeline the rules need.

    The base's tok2vec, tagger, parser, attribute ruler and lemmatizer come first, unchanged,
    then its NER as ``base_ner`` (disabled: the suggester enables it when the combination uses
    it), then the trained components; ``spacy.load`` of the folder alone still predicts with
    the trained ones.
    """
    trained = spacy.load(folder)
    try:
        nlp = spacy.load(base)
    except OSError as error:
        raise TrainingError(f"cannot load the base pipeline {base!r}: {error}") from error
    if "ner" in nlp.component_names:
        nlp.rename_pipe("ner", BASE_NER)
        nlp.disable_pipe(BASE_NER)
    for component in trained.pipe_names:
        nlp.add_pipe(component, source=trained)
    nlp.meta = {
        key: value
        for key, value in trained.meta.items()
        if key not in {"pipeline", "components", "disabled", "labels"}
    }
    # Written beside the folder and swapped in, so that a failure leaves the trained one.
    staging = folder.with_name(f"{folder.name}.assembling")
    if staging.exists():
        shutil.rmtree(staging)
    nlp.to_disk(staging)
    shutil.rmtree(folder)
    staging.rename(folder)


def _stamp_meta(folder: Path, *, name: str, version: str, settings: TrainSettings) -> None:
    # The suggester names its suggestions after meta name and version, and combines the
    # trained components with the rules as the meta says.
    path = folder / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.update(
        name=name,
        version=version,
        **{
            META_KEY: {
                "trained": True,
                "scheme_ner": True,
                "base": settings.base,
                "rules_base": settings.rules_base,
                "combination": settings.combination.to_dict(),
            }
        },
    )
    path.write_text(json.dumps(meta, indent=2), encoding="utf-8")


def evaluate_pipeline(
    model: Path,
    gold: Path | Sequence[GoldRecord],
    *,
    scheme: LabelScheme,
    patterns_dir: Path | None = None,
) -> EvaluationReport:
    """Score a trained pipeline (as the suggester uses it) on a .spacy file or gold records."""
    from annotator.nlp.suggest import load_suggester

    records = gold_records_of(gold) if isinstance(gold, Path) else list(gold)
    suggester = load_suggester(model, scheme=scheme, patterns_dir=patterns_dir)
    return evaluate(records, suggester=suggester)


def per_label_rows(report: EvaluationReport) -> Iterator[tuple[str, str, float, float, float]]:
    """(layer, label, P, R, F) of every label, overall first in each layer."""
    for layer_name in ("entities", "events", "categories"):
        layer = getattr(report, layer_name)
        yield layer_name, "overall", *_prf(layer.overall)
        for label, prf in sorted(layer.per_label.items()):
            yield layer_name, label, *_prf(prf)


def _prf(prf: Any) -> tuple[float, float, float]:
    return float(prf.precision), float(prf.recall), float(prf.fscore)


@dataclass(frozen=True)
class Comparison:
    """The default suggester and a model trained on other gold, scored on the same held-out
    gold."""

    default: EvaluationReport
    trained: EvaluationReport
    train_count: int
    seconds: float
    combination: Combination = DEFAULT_COMBINATION


def compare_with_default(
    train_files: Sequence[Path],
    heldout: Path,
    *,
    scheme: LabelScheme,
    work_dir: Path,
    default_model: str = DEFAULT_MODEL,
    patterns_dir: Path | None = None,
    settings: TrainSettings = DEFAULT_TRAIN_SETTINGS,
    progress: TrainProgress | None = None,
) -> Comparison:
    """Train on ``train_files`` (a fifth of them chooses model-best) and score it and the
    default suggester on the held-out gold, which training never sees."""
    from annotator.formats import read_records
    from annotator.nlp.evaluate import read_gold
    from annotator.nlp.suggest import load_suggester

    gold = read_gold(heldout)
    records = list(read_records(train_files, scheme=scheme, gold=True))
    dev_keys = spacy_docbin.split_reports(
        (report_of(record) for record in records), dev_share=DEFAULT_DEV_SHARE, seed=settings.seed
    )
    corpus = work_dir / "corpus"
    write_corpus(
        [r for r in records if report_of(r) not in dev_keys],
        [r for r in records if report_of(r) in dev_keys],
        corpus,
        scheme=scheme,
    )
    result = train(
        corpus,
        output=work_dir,
        scheme=scheme,
        settings=settings,
        progress=progress,
        patterns_dir=patterns_dir,
    )
    default = load_suggester(default_model, scheme=scheme, patterns_dir=patterns_dir)
    return Comparison(
        default=evaluate(gold, suggester=default),
        trained=evaluate_pipeline(result.best, gold, scheme=scheme, patterns_dir=patterns_dir),
        train_count=result.train_count,
        seconds=result.seconds,
        combination=settings.combination,
    )


def format_comparison(comparison: Comparison) -> str:
    """A plain-text table: default vs trained P/R/F per entity, event and category label."""
    lines = [
        f"Held-out sentences {comparison.default.records}; trained on "
        f"{comparison.train_count} sentences in {comparison.seconds:.0f} s; with the rules: "
        f"{comparison.combination}",
        "",
    ]
    header = f"{'':<28}{'default P':>10}{'R':>7}{'F':>7}{'trained P':>11}{'R':>7}{'F':>7}"
    for title in ("entities", "events", "categories"):
        default, trained = getattr(comparison.default, title), getattr(comparison.trained, title)
        lines.append(header.replace(" " * 28, f"{title.capitalize():<28}", 1))
        labels = sorted(set(default.per_label) | set(trained.per_label))
        for label in ["overall", *labels]:
            a = default.overall if label == "overall" else default.per_label.get(label)
            b = trained.overall if label == "overall" else trained.per_label.get(label)
            pa, pb = _prf(a) if a else (0.0, 0.0, 0.0), _prf(b) if b else (0.0, 0.0, 0.0)
            lines.append(
                f"  {label:<26}{pa[0]:>10.3f}{pa[1]:>7.3f}{pa[2]:>7.3f}"
                f"{pb[0]:>11.3f}{pb[1]:>7.3f}{pb[2]:>7.3f}"
            )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
