"""Annotate: one sentence at a time, suggestions highlighted, decided with mouse or keyboard."""

import streamlit as st

from annotator import repository, workflow
from annotator.ui import annotate as view
from annotator.ui import auth, render, resources

reviewer = auth.require_page("annotate").id
scheme = resources.scheme()
state = view.ensure_current(reviewer=reviewer)

with resources.session() as session:
    done, total = workflow.progress_of(session=session, reviewer_id=reviewer)
    sentence_id = state.get("sentence_id")
    sentence = (
        repository.get_sentence(session=session, sentence_id=sentence_id) if sentence_id else None
    )
    context = repository.context_of(session=session, sentence=sentence) if sentence else []
    report = (
        repository.report_of(session=session, report_id=sentence.report_id) if sentence else None
    )

st.progress(done / total if total else 0.0, text=f"{done} / {total} sentences done")
view.flash_messages()

if sentence is None or report is None:
    st.success("Nothing left to annotate." if total else "No reports yet: import some first.")
    view.decision_buttons(scheme, has_sentence=False)
    st.stop()

main, side = st.columns([3, 1], gap="large")
with main:
    before = [n for n in context if n.position < sentence.position]
    after = [n for n in context if n.position > sentence.position]
    st.html(
        render.STYLE
        + render.source_html(report.source, position=sentence.position, total=report.n_sentences)
        + "".join(render.context_html(n.text) for n in before)
    )
    view.editor(state, sentence.text, scheme)
    st.html(render.STYLE + "".join(render.context_html(n.text) for n in after))
    view.decision_buttons(scheme, has_sentence=True)
    view.category_toggles(state, scheme)
    st.caption(f"Suggested by {state['model']}" if state.get("model") else "No stored suggestion.")
    fallback = st.expander(
        "Span list and word picker (without the editor)",
        key="annotate_fallback",
        on_change="rerun",
    )
    with fallback:
        if fallback.open:  # mounted only when asked for: fewer widgets to keep in step
            words_key = view.word_picker(state, sentence.text)
            view.label_buttons(state, sentence.text, words_key, scheme)
            view.span_list(state, sentence.text, scheme)
with side:
    view.guideline_panel(scheme)
