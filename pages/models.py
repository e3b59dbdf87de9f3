"""Models: train on the gold in the background, compare a version with the active and the default
suggester on held-out gold before activating it, go back to the default, re-suggest."""

import streamlit as st

from annotator.ui import auth, resources
from annotator.ui import models as view
from annotator.workflow import training

auth.require_page("models")
settings = resources.settings()
job = view.job()
with resources.session() as session:
    overview = training.models_overview(session=session)
gold, versions, active = overview.gold, overview.versions, overview.active

st.header("Models")
st.caption(f"{gold} gold sentence(s). The app suggests with {view.version_name(active)}.")
view.back_to_default(active, settings=settings, key="models")
options = view.train_options(key="models_options")
view.train_button(state=job, settings=settings, options=options, gold_count=gold, key="models")
view.job_status(state=job, active=active, versions=versions)

st.subheader("Versions")
view.versions_table(versions)
chosen = view.pick_version(versions, key="models")
if chosen is not None:
    checked = view.comparison(chosen, settings=settings, key="models")
    view.activate_button(chosen, checked=checked, settings=settings, key="models")
    scores, curve = st.tabs(["Scores per label", "Learning curve"])
    with scores:
        view.per_label_metrics(chosen)
    with curve:
        view.learning_curve(chosen, state=job, settings=settings, options=options, key="models")

st.subheader("Re-suggest")
view.resuggest(active, settings=settings, key="models")
