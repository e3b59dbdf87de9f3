"""Agreement between reviewers: the figures overall, per label, reviewer by reviewer, as a
confusion matrix and over time, filtered; the sentences most disagreed on, to adjudicate."""

import streamlit as st

from annotator.ui import agreement as view
from annotator.ui import agreement_tables, auth, resources
from annotator.ui.errors import show_error
from annotator.workflow import agreement as team_agreement

auth.require_page("agreement")
scheme = resources.scheme()
st.header("Agreement")
st.caption(
    "Between reviewers, on the sentences two or more of them accepted (rejected and skipped "
    "ones have no labels to compare). Every figure says how many sentences and reviewers it "
    "rests on."
)
with resources.session() as session:
    options = team_agreement.filter_options(session=session)
    try:
        filters = view.filter_bar(options, key="agreement")
    except team_agreement.FilterError as error:
        show_error(error)
        st.stop()
    decided = team_agreement.decisions(session=session, filters=filters)
    once = team_agreement.categories_accepted_once(session=session, filters=filters)

report = team_agreement.report_from(decided, scheme=scheme, once=once)
compared = report["categories"]["n_items"]
if compared == 0:
    st.info(
        f"{view.NOT_ENOUGH_DATA}: no sentence within these filters was accepted by two or more "
        "reviewers, so no figure can be computed yet."
    )
else:
    st.caption(f"{compared} sentences, {report['categories']['n_annotators']} reviewers.")

figures, labels, pairs, confusion, time, disputed = st.tabs(
    ["Figures", "Per label", "Reviewer by reviewer", "Confusion", "Over time", "Disagreements"]
)
with figures:
    view.figures(report, key="agreement")
with labels:
    view.per_label(report, key="agreement")
with pairs:
    view.reviewer_pairs(report, key="agreement")
with confusion:
    view.confusion(report, key="agreement")
with time:
    period = st.segmented_control(
        "Per", ["day", "week", "month"], default="week", required=True, key="agreement_period"
    )
    table = agreement_tables.over_time_table(
        team_agreement.agreement_over_time(decided, scheme=scheme, period=period)
    )
    view.over_time(table, key="agreement")
with disputed:
    limit = st.number_input(
        "Show", 1, 200, value=10, step=5, width=160, key="agreement_disputed_limit"
    )
    st.caption(
        "Scored as on the adjudication page: the share of everything the reviewers decided "
        "(status, spans, categories) that not all of them decided; accepted and rejected "
        "versions count."
    )
    view.disagreements(team_agreement.most_disagreed(decided, limit=int(limit)))
