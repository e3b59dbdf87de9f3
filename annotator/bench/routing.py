"""Uncertain-first routing: the model trained on the first N decided sentences, when they were
served in report order and when the least sure came first (``ANNOTATOR_ROUTING=uncertain``).

The pool is the project's own gold (``tests/data/loop_train.jsonl`` and ``notes_dev.jsonl``),
scored by the default suggester as a suggestion run would (``annotator.nlp.uncertainty``); the
same number of decisions is taken from it in each order, a model is trained on each (a fifth of
them chooses model-best, as ``annotator train`` does) and both are scored on held-out gold that
neither saw (``loop_heldout.jsonl`` and ``notes_test.jsonl``). Two trainings: a few minutes, so
the group runs only when asked for (``--only routing``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from annotator.bench.context import FULL, BenchContext
from annotator.bench.results import Row
from annotator.config import DEFAULT_DEV_SHARE, DEFAULT_PATTERNS, PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
POOL = (DATA / "loop_train.jsonl", DATA / "notes_dev.jsonl")
HELDOUT = (DATA / "loop_heldout.jsonl", DATA / "notes_test.jsonl")
# Decisions taken from the pool in each order, and training steps: full and --quick.
DECISIONS = {"full": 60, "quick": 30}
STEPS = {"full": 400, "quick": 150}


def rows(context: BenchContext) -> list[Row]:
    """Held-out entity and event F1 after the same number of decisions, uncertain vs order."""
    from annotator.formats import read_records
    from annotator.formats.records import report_of
    from annotator.formats.spacy_docbin import split_reports
    from annotator.nlp.evaluate import evaluate, read_gold
    from annotator.nlp.train import TrainSettings, evaluate_pipeline, train, write_corpus
    from annotator.nlp.uncertainty import sentence_uncertainty

    # Smaller sizes than the full run's (``--quick``, ``--scale`` below 1): the quick budget.
    size = "quick" if context.sizes.suggest < FULL.suggest else "full"
    decisions, steps = DECISIONS[size], STEPS[size]
    scheme = context.scheme
    pool = list(read_records(list(POOL), scheme=scheme, gold=True))
    heldout = [record for path in HELDOUT for record in read_gold(path)]
    nlp = context.suggester.nlp
    figures = [
        sentence_uncertainty(nlp, doc) or 0.0
        for doc in nlp.pipe([record.text for record in pool], batch_size=context.batch_size)
    ]
    ranked = sorted(range(len(pool)), key=lambda i: (-figures[i], i))
    orders = {"order": list(range(decisions)), "uncertain": ranked[:decisions]}
    settings = TrainSettings(max_steps=steps, seed=context.seed)
    scores: dict[str, tuple[float, float]] = {}
    for routing, chosen in orders.items():
        records = [pool[i] for i in sorted(chosen)]
        dev_keys = split_reports(
            (report_of(r) for r in records), dev_share=DEFAULT_DEV_SHARE, seed=context.seed
        )
        with tempfile.TemporaryDirectory(prefix=f"routing-{routing}-", dir=context.workdir) as work:
            corpus = Path(work) / "corpus"
            write_corpus(
                [r for r in records if report_of(r) not in dev_keys],
                [r for r in records if report_of(r) in dev_keys],
                corpus,
                scheme=scheme,
            )
            result = train(
                corpus,
                output=Path(work),
                scheme=scheme,
                settings=settings,
                patterns_dir=DEFAULT_PATTERNS,
            )
            report = evaluate_pipeline(
                result.best, heldout, scheme=scheme, patterns_dir=DEFAULT_PATTERNS
            )
        scores[routing] = (report.entities.overall.fscore, report.events.overall.fscore)
    default = evaluate(heldout, suggester=context.suggester)
    chosen_figures = sorted(figures[i] for i in orders["uncertain"])
    context.note(
        f"routing: {decisions} of {len(pool)} pool sentences decided in each order, "
        f"{steps} training steps, {len(heldout)} held-out sentences; the uncertain order's "
        f"figures {chosen_figures[0]:.2f}-{chosen_figures[-1]:.2f}; the default suggester on "
        f"the held-out: entity F1 {default.entities.overall.fscore:.3f}, event F1 "
        f"{default.events.overall.fscore:.3f}"
    )
    return [
        Row(
            f"entity F1 after {decisions} decisions: uncertain-first vs report order",
            scores["uncertain"][0],
            "F1",
            scores["order"][0],
        ),
        Row(
            f"event F1 after {decisions} decisions: uncertain-first vs report order",
            scores["uncertain"][1],
            "F1",
            scores["order"][1],
        ),
    ]
