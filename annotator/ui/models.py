"""Views of the models page: train in the background with a live progress bar, the versions and
their per-label scores, the learning curve, activation and re-suggestion.

The background job's state lives in a ``st.cache_resource`` object per database, so that a
rerun, another tab or another admin sees the training that is running and its outcome.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from annotator.config import Settings
from annotator.errors import AnnotatorError
from annotator.models import ModelVersion
from annotator.nlp import train as nlp_train
from annotator.nlp.rules import SuggesterError
from annotator.ui import render, resources
from annotator.ui.errors import show_error
from annotator.workflow import activation, training

# The sections of a model's scores: its two span layers and its categories.
SCORED = ("entities", "events", "categories")
SCRATCH = "scratch"


@st.cache_resource(show_spinner=False)
def job_for(database_url: str) -> training.TrainingState:
    """The one background job (training or learning curve) of a database in this process."""
    del database_url  # the cache key only
    return training.TrainingState()


def job() -> training.TrainingState:
    """The background job of the configured database."""
    return job_for(resources.settings().database_url)


def version_name(version: ModelVersion | None) -> str:
    """How the page names a model version, or the default suggester when there is none."""
    return "the default suggester" if version is None else f"model version {version.number}"


def train_options(*, key: str) -> nlp_train.TrainSettings:
    """The training settings chosen in a collapsed expander; the defaults suit small gold."""
    defaults = nlp_train.TrainSettings()
    base = defaults.base or SCRATCH
    with st.expander("Training options"):
        steps = st.number_input(
            "Maximum training steps",
            min_value=10,
            max_value=20_000,
            value=defaults.max_steps,
            step=50,
            key=f"{key}_steps",
        )
        start = st.radio(
            "Start from",
            [base, SCRATCH] if base != SCRATCH else [SCRATCH],
            format_func=lambda name: "random weights" if name == SCRATCH else f"{name} weights",
            horizontal=True,
            key=f"{key}_base",
            help="Starting from the statistical pipeline scored clearly better on small gold.",
        )
    steps = int(steps)
    return nlp_train.TrainSettings(
        max_steps=steps,
        eval_frequency=min(defaults.eval_frequency, steps),
        patience=min(defaults.patience, steps),
        base=None if start == SCRATCH else str(start),
    )


def train_button(
    *,
    state: training.TrainingState,
    settings: Settings,
    options: nlp_train.TrainSettings,
    gold_count: int,
    key: str,
) -> None:
    """The button that starts a background training; disabled while a job runs."""
    if gold_count == 0:
        st.caption("No gold yet: annotate or import gold sentences before training.")
    clicked = st.button(
        f"Train from the gold ({gold_count} sentences)",
        type="primary",
        disabled=state.running or gold_count == 0,
        key=f"{key}_train",
    )
    if clicked:
        try:
            training.start_training(
                engine=resources.engine(),
                settings=settings,
                state=state,
                train_settings=options,
            )
        except training.TrainingBusy as error:
            show_error(f"Not started: {error}")
            return
        st.rerun()


def job_status(
    *, state: training.TrainingState, active: ModelVersion | None, versions: list[ModelVersion]
) -> None:
    """A live progress bar while the job runs; afterwards its outcome."""
    if state.running:
        _progress(state)
        return
    elsewhere = [v.number for v in versions if v.status == "training"]
    if elsewhere:
        st.info(f"Model version {elsewhere[0]} is training in another process.")
    if state.phase == "idle":
        return
    if state.phase == "failed":
        message = state.error or "unknown error"
        if state.kind == training.CURVE:
            message = f"the learning curve failed: {message}"
        show_error(
            f"{message[:1].upper()}{message[1:]}. The active model is unchanged: "
            f"{version_name(active)}."
        )
    elif state.phase == "ready" and state.kind == training.TRAINING:
        st.success(f"Model version {state.number} is trained; make it active to suggest with it.")
    elif state.phase == "ready":
        st.success(f"The learning curve is stored on model version {state.number}.")


@st.fragment(run_every=1.0)
def _progress(state: training.TrainingState) -> None:
    # Polls the worker without blocking the page; when it ends, the whole page is redrawn
    # so that the versions table shows the new version.
    if not state.running:
        st.rerun()
    st.progress(_fraction(state), text=_progress_text(state))


def _fraction(state: training.TrainingState) -> float:
    return min(1.0, state.step / state.total) if state.total else 0.0


def _progress_text(state: training.TrainingState) -> str:
    if state.phase == "starting" or not state.total:
        return "Preparing the gold..."
    if state.step >= state.total:
        return "Scoring on the dev gold..."
    if state.kind == training.CURVE:
        count = len(training.CURVE_SHARES)
        model = min(count, state.step * count // state.total + 1)
        return (
            f"Learning curve: training model {model} of {count} (step {state.step} / {state.total})"
        )
    return f"Training model version {state.number}: step {state.step} / {state.total}"


def _f(metrics: dict[str, Any], layer: str) -> float | None:
    value = metrics.get(layer, {}).get("f")
    return None if value is None else float(value)


def versions_table(versions: list[ModelVersion]) -> None:
    """One row per model version: when, on how much gold, its state and overall dev F1."""
    if not versions:
        st.info("No model version yet: train one from the gold.")
        return
    frame = pd.DataFrame(
        [
            {
                "version": v.number,
                "trained": v.created_at,
                "gold": v.gold_count,
                "status": v.status,
                "active": v.active,
                "entity F1": _f(v.metrics, "entities"),
                "event F1": _f(v.metrics, "events"),
                "category F1": _f(v.metrics, "categories"),
                "error": v.error or "",
            }
            for v in versions
        ]
    )
    f1 = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "trained": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "entity F1": f1,
            "event F1": f1,
            "category F1": f1,
        },
    )


def pick_version(versions: list[ModelVersion], *, key: str) -> ModelVersion | None:
    """The version whose details the page shows; the newest first, the one to decide on."""
    ready = [v for v in versions if v.status == "ready"]
    if not ready:
        return None
    numbers = [v.number for v in ready]
    active = next((v.number for v in ready if v.active), None)
    number = st.selectbox(
        "Model version",
        numbers,
        index=0,
        format_func=lambda n: f"version {n}" + (" (active)" if n == active else ""),
        key=f"{key}_version",
    )
    return next(v for v in ready if v.number == number)


def per_label_metrics(version: ModelVersion) -> None:
    """Precision, recall and F1 of every label on the dev gold, as a table and a bar chart."""
    rows = [
        {
            "layer": layer,
            "label": label,
            "precision": prf["p"],
            "recall": prf["r"],
            "F1": prf["f"],
            "support": int(prf["tp"]) + int(prf["fn"]),
        }
        for layer in SCORED
        for label, prf in version.metrics.get(layer, {}).get("per_label", {}).items()
    ]
    if not rows:
        st.info(f"Model version {version.number} has no per-label scores.")
        return
    frame = pd.DataFrame(rows)
    st.caption(
        f"Scored on {version.metrics.get('dev_count', 0)} dev gold sentence(s); trained on "
        f"{version.metrics.get('train_count', 0)}. Support is the number of gold spans."
    )
    f = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"precision": f, "recall": f, "F1": f},
    )
    st.bar_chart(frame, x="label", y="F1", color="layer", horizontal=True)


def back_to_default(active: ModelVersion | None, *, settings: Settings, key: str) -> None:
    """A button that makes the default suggester the app's again while a version is active."""
    if active is None:
        return
    if st.button(
        f"Go back to {activation.default_name(settings)}",
        key=f"{key}_default",
        help="Import and the annotate page suggest with the statistical pipeline and the rules "
        "again; the model versions stay, to activate later.",
    ):
        activation.activate_default(engine=resources.engine())
        st.rerun()


@st.cache_data(show_spinner="Scoring the suggesters on the held-out gold...", max_entries=8)
def _comparison(
    number: int, active: int | None, gold: Any, configured: tuple[str, ...], _settings: Settings
) -> activation.SuggesterComparison:
    # Keyed by the versions, the gold's state and the settings that change a score: a new gold
    # decision or another active version makes it again; the pipelines are loaded for it alone.
    del active, gold, configured  # the cache key only
    return activation.compare_suggesters(
        engine=resources.engine(), settings=_settings, number=number
    )


def comparison(
    version: ModelVersion, *, settings: Settings, key: str
) -> activation.SuggesterComparison | None:
    """The version, the active and the default suggester side by side on the version's held-out
    gold, per layer and per label, with a warning naming the layers that get worse; None when
    the version is the active one or cannot be compared (the reason is shown)."""
    if version.active:
        return None
    try:
        with resources.session() as session:
            gold = activation.heldout_state(session=session)
            active = activation.active_suggester(engine=resources.engine(), settings=settings)
        configured = tuple(
            str(value)
            for value in (
                settings.database_url,
                settings.model,
                settings.labels_path,
                settings.patterns_dir,
            )
        )
        found = _comparison(version.number, active.number, gold, configured, settings)
    except AnnotatorError as error:
        show_error(f"Model version {version.number} cannot be compared before activating: {error}")
        return None
    heldout = found.heldout
    st.markdown(f"**Before activating: version {version.number}, the active and the default**")
    st.caption(
        render.markdown_literal(
            f"Scored on {heldout.describe()}: gold version {version.number} never trained on. "
            f"Active: {found.active.name}. Default: {found.default.name}."
        )
    )
    layers = pd.DataFrame(
        [
            {
                "layer": change.layer,
                f"version {version.number} F1": change.candidate,
                "active F1": change.active,
                "default F1": found.default.f(change.layer),
                "change": change.candidate - change.active,
            }
            for change in found.changes()
        ]
    )
    f = st.column_config.NumberColumn(format="%.3f")
    numbers = [name for name in layers.columns if name != "layer"]
    st.dataframe(layers, hide_index=True, width="stretch", column_config=dict.fromkeys(numbers, f))
    with st.expander("Per label"):
        labels = pd.DataFrame(
            [
                {
                    "layer": row.layer,
                    "label": row.label,
                    "support": row.support,
                    **{
                        f"{role} {name}": value
                        for role, prf in row.figures.items()
                        for name, value in (
                            ("P", prf.precision),
                            ("R", prf.recall),
                            ("F1", prf.fscore),
                        )
                    },
                }
                for row in found.label_rows()
            ]
        )
        scores = [name for name in labels.columns if name not in {"layer", "label", "support"}]
        st.dataframe(
            labels, hide_index=True, width="stretch", column_config=dict.fromkeys(scores, f)
        )
    with st.expander(f"The held-out sentences ({len(heldout.sentences)})"):
        st.dataframe(
            pd.DataFrame(
                [
                    {"report": s.report, "sentence": s.position + 1, "text": s.text}
                    for s in heldout.sentences
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    worse = found.worse()
    if worse:
        st.warning(
            render.markdown_literal(
                f"Version {version.number} is worse than the active suggester "
                f"({found.active.name}) on {len(worse)} layer(s): "
                + "; ".join(change.describe() for change in worse)
            ),
            icon="⚠️",
        )
    else:
        st.success(f"Version {version.number} is no worse than the active suggester on any layer.")
    return found


def activate_button(
    version: ModelVersion,
    *,
    checked: activation.SuggesterComparison | None,
    settings: Settings,
    key: str,
) -> None:
    """Make the version the app's suggester (import and re-suggestion use it from then on);
    when it is worse on a layer, or could not be compared, only after a confirmation."""
    if version.active:
        st.caption(f"Model version {version.number} is the active suggester.")
        return
    confirming = f"{key}_confirming"
    if st.button(f"Make version {version.number} the active suggester", key=f"{key}_activate"):
        if checked is None or checked.worse():
            st.session_state[confirming] = version.number
        else:
            _activate(version.number, settings=settings, checked=checked, force=False)
    if st.session_state.get(confirming) != version.number:
        return
    if checked is None:
        reason = "it could not be compared with the active suggester on held-out gold"
    else:
        reason = "it is worse than the active suggester on " + ", ".join(
            change.layer for change in checked.worse()
        )
    st.warning(f"Activate version {version.number} although {reason}?", icon="⚠️")
    confirm, cancel = st.columns(2)
    if confirm.button(
        f"Activate version {version.number} anyway", type="primary", key=f"{key}_activate_confirm"
    ):
        del st.session_state[confirming]
        _activate(version.number, settings=settings, checked=None, force=True)
    if cancel.button("Cancel", key=f"{key}_activate_cancel"):
        del st.session_state[confirming]
        st.rerun()


def _activate(
    number: int,
    *,
    settings: Settings,
    checked: activation.SuggesterComparison | None,
    force: bool,
) -> None:
    try:
        activation.activate_version(
            engine=resources.engine(),
            settings=settings,
            number=number,
            force=force,
            checked=checked,
        )
    except AnnotatorError as error:
        show_error(error)
        return
    st.rerun()


def learning_curve(
    version: ModelVersion,
    *,
    state: training.TrainingState,
    settings: Settings,
    options: nlp_train.TrainSettings,
    key: str,
) -> None:
    """The stored learning curve of the version, every layer with the default suggester's line
    on the same chart, and a button that draws it anew."""
    points = version.metrics.get("learning_curve")
    if points:
        default = version.metrics.get("learning_curve_default")
        frame = curve_frame(points, default)
        st.line_chart(
            frame,
            x=CURVE_X,
            y="dev F1",
            color="line",
            y_label="dev F1",
        )
        table = frame.pivot(index="line", columns=CURVE_X, values="dev F1")
        table.columns = [f"{share}%" for share in table.columns]
        f1 = st.column_config.NumberColumn(format="%.3f")
        st.dataframe(table, width="stretch", column_config=dict.fromkeys(table.columns, f1))
        against = (
            f"; the default suggester ({default['model']}) is scored on the same dev gold"
            if default
            else ""
        )
        st.caption(
            f"Drawn {version.metrics.get('learning_curve_at', '')} on "
            f"{points[-1]['train_count']} training sentence(s) at 100%, one training per "
            f"share; the dev gold stays whole{against}."
        )
    else:
        st.caption("No learning curve yet for this version.")
    count = len(training.CURVE_SHARES)
    if st.button(
        f"Draw the learning curve on the current gold (trains {count} models)",
        disabled=state.running,
        key=f"{key}_curve",
    ):
        try:
            training.start_learning_curve(
                engine=resources.engine(),
                settings=settings,
                state=state,
                number=version.number,
                train_settings=options,
            )
        except training.TrainingBusy as error:
            show_error(f"Not started: {error}")
            return
        st.rerun()


CURVE_X = "share of the training gold (%)"
CURVE_LAYERS = {"entities": "entities_f", "events": "events_f", "categories": "categories_f"}


def curve_frame(points: list[dict[str, Any]], default: dict[str, Any] | None) -> pd.DataFrame:
    """The learning curve in long form (share, line, dev F1): a trained line per layer and,
    when it was scored, the default suggester's flat line per layer beside it."""
    rows = []
    for point in points:
        share = round(point["share"] * 100)
        for layer, key in CURVE_LAYERS.items():
            rows.append({CURVE_X: share, "line": f"{layer}, trained", "dev F1": point[key]})
            if default:
                rows.append({CURVE_X: share, "line": f"{layer}, default", "dev F1": default[key]})
    return pd.DataFrame(rows)


def resuggest(active: ModelVersion | None, *, settings: Settings, key: str) -> None:
    """Re-suggest every unannotated sentence with the active version, with a progress bar."""
    # Resumable: each batch is stored as it is done, and only sentences lacking one are asked.
    if active is None:
        st.caption("Make a model version active to re-suggest with it.")
        return
    try:
        suggester = resources.suggester_for(
            active.path, str(settings.labels_path), str(settings.patterns_dir)
        )
    except SuggesterError as error:
        show_error(f"Cannot load model version {active.number}: {error}")
        return
    engine = resources.engine()
    pending = training.pending_resuggestion(engine=engine, suggester=suggester)
    st.caption(
        f"{pending} sentence(s) without an annotation lack a suggestion of model version "
        f"{active.number}. Interrupted runs continue where they stopped."
    )
    if not st.button(
        "Re-suggest unannotated sentences", disabled=pending == 0, key=f"{key}_resuggest"
    ):
        return
    bar = st.progress(0.0, text="Re-suggesting...")

    def advance(done: int, total: int) -> None:
        bar.progress(
            done / total if total else 1.0, text=f"Re-suggested {done} / {total} sentences"
        )

    done = training.resuggest(
        engine=engine,
        settings=settings,
        number=active.number,
        suggester=suggester,
        progress=advance,
    )
    bar.progress(1.0, text=f"Re-suggested {done} sentence(s) with model version {active.number}.")
