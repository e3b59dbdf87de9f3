"""Adjudicate: the sentences reviewers disagree on, their versions side by side, decided as gold."""

import streamlit as st

from annotator.ui import adjudicate as view
from annotator.ui import auth, render, resources
from annotator.ui.errors import show_error
from annotator.workflow import adjudicating

adjudicator = auth.require_page("adjudicate").id
scheme = resources.scheme()
settings = resources.settings()
st.header("Adjudicate")
view.flash_messages()
view.queue_filters(auto_gold=settings.auto_gold, overlap=settings.overlap)

with resources.session() as session:
    queue = view.queue_page(session=session, adjudicator_id=adjudicator)
    sentence_id = view.requested_sentence(queue)
    scene = (
        adjudicating.adjudication_scene(session=session, sentence_id=sentence_id)
        if sentence_id
        else None
    )
    # Opening a sentence claims it: other adjudicators' queues leave it out meanwhile.
    others = (
        adjudicating.open_for_adjudication(
            session=session,
            sentence_id=scene.sentence_id,
            adjudicator_id=adjudicator,
            claim_minutes=settings.claim_minutes,
        )
        if scene is not None
        else []
    )

view.queue_list(queue, current=sentence_id)
if scene is None:
    if sentence_id is not None:
        show_error(f"Sentence {sentence_id} does not exist.")
    elif not queue:
        st.success("Nothing to adjudicate: no sentence in the queue needs a decision.")
    st.stop()
assert scene is not None
if not scene.comparison.versions:
    st.info("No reviewer has decided this sentence yet: there is nothing to adjudicate.")
    st.stop()

state = view.ensure_open(scene)
view.others_open(others)
passage = scene.passage
st.html(
    render.STYLE
    + render.source_html(
        passage.report.source, position=passage.sentence.position, total=passage.report.n_sentences
    )
    + "".join(render.context_html(n.text) for n in passage.before)
)
view.gold_panel(scene, state, scheme)

st.subheader("The reviewers' versions")
st.caption(
    f"What not every reviewer gave (a span, an event argument, a category) is outlined in red "
    f"and marked {render.DIFF_MARK}. Take one version as it is, arguments included, or decide "
    "span by span below."
)
view.versions_side_by_side(scene, scheme, adjudicator_id=adjudicator)

st.subheader("Your decision")
st.caption(
    "It starts from what most reviewers gave. Tick what belongs in the gold, or edit it in the "
    "editor (drag across words, then a label key; on a trigger, a role key, then an entity)."
)
view.editor(scene, state, scheme)
view.draft_choices(scene, state, scheme)
view.save_button(scene, adjudicator_id=adjudicator)
