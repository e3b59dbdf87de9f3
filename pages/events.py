"""Events: the event table of ``annotator events``, filtered, on a map and over time, each event
linking to its sentences; the shown events as CSV."""

import streamlit as st

from annotator.ui import auth, resources
from annotator.ui import events as view
from annotator.ui.errors import show_error
from annotator.workflow import events as event_table

auth.require_page("events")
scheme = resources.scheme()
st.header("Events")
st.caption(
    "One row per event: the triggers of the decided sentences with their arguments (who, to "
    "whom, where, when, how many), mentions of one event in a report merged. The same table "
    "as `annotator events`."
)
source = view.choose_source(key="events")
try:
    rows = view.load_rows(source=source, scheme=scheme)
except event_table.EventsFailed as error:
    show_error(error)
    st.stop()
if not rows:
    st.info(
        f"The {source} holds no event trigger yet: the table is empty."
        if source == "gold"
        else "No suggestion holds an event trigger yet: the table is empty."
    )
    st.stop()

chosen = view.filter_bar(event_table.event_options(rows), key="events")
if problem := chosen.problem():
    show_error(problem)
    st.stop()
shown = event_table.filter_events(rows, chosen)
st.caption(f"{len(shown)} of {len(rows)} events.")
table = view.frame(shown)

located, over_time = st.columns(2)
with located:
    st.subheader("Where")
    view.event_map(table)
with over_time:
    st.subheader("When")
    period = st.segmented_control(
        "Per", list(view.PERIODS), default="week", required=True, key="events_period"
    )
    view.counts_over_time(table, period=period or "week", key="events")

st.subheader("The events")
view.table_view(table, key="events")
view.sentences_of(shown, key="events")
view.download(shown, source=source, key="events")
