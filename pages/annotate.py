"""Annotate: one sentence at a time, suggestions highlighted, decided with mouse or keyboard.

Everything above the editor keeps its height from sentence to sentence, so the editor, its
decisions and its categories stay where the eye and the mouse are.
"""

import streamlit as st

from annotator.ui import annotate as view
from annotator.ui import auth, render, resources
from annotator.workflow import annotating

reviewer = auth.require_page("annotate").id
scheme = resources.scheme()
state = view.ensure_current(reviewer=reviewer)
claimed = view.ahead()

with resources.session() as session:
    screen = annotating.annotate_screen(
        session=session,
        reviewer_id=reviewer,
        sentence_id=state.get("sentence_id"),
        following_id=claimed.get("sentence_id") if claimed else None,
    )
done, total, passage = screen.done, screen.total, screen.passage

st.progress(done / total if total else 0.0, text=f"{done} / {total} sentences done")

if passage is None:
    view.nothing_left(total=total)
    view.flash_messages()
    st.stop()
assert passage is not None
sentence, report = passage.sentence, passage.report

main, side = st.columns([3, 1], gap="large")
with main:
    st.html(
        render.STYLE
        + render.source_html(report.source, position=sentence.position, total=report.n_sentences)
        + render.before_html([n.text for n in passage.before])
    )
    # The sentence claimed ahead goes with it: the editor shows it the moment one decides.
    view.editor(state, sentence.text, scheme, following=screen.following and screen.following.text)
    view.flash_messages()  # below the editor: a message never pushes it down
    st.html(render.STYLE + "".join(render.context_html(n.text) for n in passage.after))
    st.caption(
        render.markdown_literal(f"Suggested by {state['model']}")
        if state.get("model")
        else "No stored suggestion."
    )
    fallback = st.expander(
        "Span list, word picker and decisions (without the editor)",
        key="annotate_fallback",
        on_change="rerun",
    )
    with fallback:
        if fallback.open:  # mounted only when asked for: fewer widgets to keep in step
            words_key = view.word_picker(state, sentence.text)
            view.label_buttons(state, sentence.text, words_key, scheme)
            view.span_list(state, sentence.text, scheme)
            view.category_toggles(state, scheme)
            view.decision_buttons(state)
with side:
    view.guideline_panel(scheme)
