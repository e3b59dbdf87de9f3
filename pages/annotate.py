"""Annotate: one sentence at a time, suggestions highlighted, decided with mouse or keyboard."""

import streamlit as st

from annotator import repository, workflow
from annotator.ui import annotate as view
from annotator.ui import render, resources

scheme = resources.scheme()
st.sidebar.text_input("Reviewer", value=resources.settings().reviewer, key="annotate_reviewer")
reviewer = view.reviewer_id()
state = view.ensure_current(reviewer=reviewer)

with resources.session() as session:
    done, total = workflow.progress_of(session=session, reviewer_id=reviewer)
    sentence_id = state.get("sentence_id")
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id) if sentence_id else None
    context = repository.context_of(session=session, sentence=sentence) if sentence else []
    report = repository.report_of(session=session, report_id=sentence.report_id) if sentence else None

st.progress(done / total if total else 0.0, text=f"{done} / {total} sentences done")
view.flash_messages()

if sentence is None or report is None:
    st.success("Nothing left to annotate." if total else "No reports yet: import some first.")
    view.decision_buttons(scheme, has_sentence=False)
    st.stop()

main, side = st.columns([3, 1], gap="large")
with main:
    st.caption(f"{report.source} · sentence {sentence.position + 1} of {report.n_sentences}")
    st.html(render.STYLE)
    for neighbour in context:
        if neighbour.id == sentence.id:
            st.html(render.sentence_html(sentence.text, view.shown_spans(state), scheme=scheme))
        else:
            st.html(render.context_html(neighbour.text))
    st.html(render.legend_html())
    st.caption(f"Suggested by {state['model']}" if state.get("model") else "No stored suggestion.")
    words_key = view.word_picker(state, sentence.text)
    view.label_buttons(state, sentence.text, words_key, scheme)
    view.category_toggles(state, scheme)
    view.decision_buttons(scheme, has_sentence=True)
    view.span_list(state, sentence.text, scheme)
with side:
    view.guideline_panel(scheme)
