"""The Events page's views: the source, the filters, the map of located events, the counts over
time, the table with a link to each event's sentences, and the table as CSV.

Each view takes rows made by :mod:`annotator.workflow.events` (the rows of ``annotator events``)
and a ``key`` that prefixes its widgets.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from annotator.labels import LabelScheme
from annotator.ui import render, resources
from annotator.workflow import events as event_table
from annotator.workflow.events import EventFilter, EventOptions, EventRow, EventSource

ADJUDICATE_PAGE = "pages/adjudicate.py"
# The adjudicate page's address, relative to this page's: the table's links open it in a tab.
ADJUDICATE_LINK = "adjudicate?sentence={sentence_id}"
SOURCE_TITLES: dict[EventSource, str] = {"gold": "Gold", "suggestions": "Suggestions"}
PERIODS = {"week": "W", "month": "M"}
# The table's columns, in the order the page shows them.
SHOWN = (
    "event_date",
    "event_type",
    "sub_event",
    "actor1",
    "actor2",
    "location",
    "admin1",
    "country",
    "fatalities",
    "report",
    "open",
    "evidence",
)


def choose_source(*, key: str) -> EventSource:
    """Gold (the settled sentences) or the latest suggestions."""
    choice = st.segmented_control(
        "Events of",
        list(SOURCE_TITLES),
        format_func=lambda source: SOURCE_TITLES[source],
        default="gold",
        required=True,
        help="The gold is what reviewers settled; the suggestions are the model's latest.",
        key=f"{key}_source",
    )
    return choice or "gold"


@st.cache_resource(show_spinner=False)
def _tables() -> dict[tuple[str, ...], tuple[str, list[EventRow]]]:
    """The tables made in this process, by database, scheme and source: (state, rows)."""
    return {}


def load_rows(*, source: EventSource, scheme: LabelScheme) -> list[EventRow]:
    """The event table of ``source``, made again only when its gold or suggestions changed
    (with a progress bar while the sentences are read); EventsFailed when it cannot be made."""
    key = (resources.settings().database_url, scheme.path, str(scheme.events), source)
    with resources.session() as session:
        state = event_table.table_state(session=session, source=source)
        kept = _tables().get(key)
        if kept is not None and kept[0] == state:
            return kept[1]
        bar = st.progress(0.0, text=f"Reading the {source}...")
        total = event_table.count_decided(session=session, source=source)

        def advance(done: int) -> None:
            bar.progress(min(done / total, 1.0) if total else 1.0, text=f"{done} / {total}")

        rows = event_table.event_table(
            session=session, scheme=scheme, source=source, progress=advance
        )
    bar.empty()
    _tables()[key] = (state, rows)
    return rows


def filter_bar(options: EventOptions, *, key: str) -> EventFilter:
    """Event type, report and day filters in one row."""
    reports = dict(options.reports)
    types, in_reports, first, last = st.columns([3, 3, 2, 2])
    event_types = types.multiselect(
        "Event types", options.event_types, placeholder="All types", key=f"{key}_types"
    )
    report_ids = in_reports.multiselect(
        "Reports",
        list(reports),
        format_func=lambda report_id: f"{report_id}: {reports[report_id]}",
        placeholder="All reports",
        key=f"{key}_reports",
    )
    first_day = first.date_input("From", value=None, key=f"{key}_from")
    last_day = last.date_input("to", value=None, key=f"{key}_to")
    undated = st.checkbox(
        "Show events without a date",
        value=True,
        help="An event whose date no argument, sentence or report gives.",
        key=f"{key}_undated",
    )
    return EventFilter(
        event_types=tuple(event_types),
        report_ids=tuple(report_ids),
        first_day=first_day,
        last_day=last_day,
        undated=undated,
    )


def frame(rows: Sequence[EventRow]) -> pd.DataFrame:
    """The rows as a table, with ``open``: the address of the event's first sentence."""
    table = pd.DataFrame([row.to_dict() for row in rows], columns=event_table.COLUMNS)
    table["open"] = [ADJUDICATE_LINK.format(sentence_id=row.sentence_id) for row in rows]
    table["event_date"] = pd.to_datetime(table["event_date"], errors="coerce")
    table["fatalities"] = table["fatalities"].astype("Int64")
    return table


def event_map(table: pd.DataFrame) -> None:
    """The located events on a map (a point per event; a map has no widget key)."""
    located = table.dropna(subset=["latitude", "longitude"])
    if located.empty:
        st.info("No event here has a place the gazetteer knows, so none is on the map.")
        return
    st.map(located, latitude="latitude", longitude="longitude", size=300)
    st.caption(f"{len(located)} of {len(table)} events located.")


def counts_over_time(table: pd.DataFrame, *, period: str, key: str) -> None:
    """How many events each week or month, by event type."""
    dated = table.dropna(subset=["event_date"])
    if dated.empty:
        st.info("No event here has a date.")
        return
    counts = (
        dated.assign(
            period=dated["event_date"].dt.to_period(PERIODS[period]).dt.start_time,
            event_type=dated["event_type"].fillna(event_table.UNTYPED),
        )
        .groupby(["period", "event_type"])
        .size()
        .reset_index(name="events")
    )
    chart = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("events:Q", title="events"),
            color=alt.Color("event_type:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["period:T", "event_type", "events:Q"],
        )
    )
    st.altair_chart(chart, key=f"{key}_time")


def table_view(table: pd.DataFrame, *, key: str) -> None:
    """The events, each with a link that opens its first sentence for adjudication."""
    st.dataframe(
        table[list(SHOWN)],
        hide_index=True,
        column_config={
            "event_date": st.column_config.DateColumn("date", format="YYYY-MM-DD"),
            "event_type": "type",
            "sub_event": "sub-event",
            "actor1": "actor 1",
            "actor2": "actor 2",
            "fatalities": st.column_config.NumberColumn("fatalities", format="%d"),
            "open": st.column_config.LinkColumn(
                "sentence", display_text="Adjudicate", help="Opens the event's first sentence."
            ),
            "evidence": st.column_config.TextColumn("evidence", width="large"),
        },
        key=f"{key}_table",
    )


def _label(row: EventRow) -> str:
    where = row.location or "no place"
    when = row.event_date or row.date_text or "no date"
    kind = row.sub_event.replace("_", " ").lower()
    return textwrap.shorten(f"{when} · {kind} · {where} · {row.report}", width=90)


def sentences_of(rows: Sequence[EventRow], *, key: str) -> None:
    """Pick an event: its sentences, each with a link to adjudicate it."""
    if not rows:
        return
    index = st.selectbox(
        "Sentences of the event",
        range(len(rows)),
        format_func=lambda number: _label(rows[number]),
        index=None,
        placeholder="Choose an event",
        key=f"{key}_event",
    )
    if index is None:
        return
    row = rows[index]
    for sentence_id, text in zip(row.sentence_ids, row.sentences, strict=True):
        with st.container(border=True):
            words, link = st.columns([5, 1], vertical_alignment="center")
            words.text(text)
            words.caption(render.markdown_literal(f"Sentence {sentence_id} of {row.report}"))
            link.page_link(
                ADJUDICATE_PAGE,
                label="Adjudicate",
                icon=":material/gavel:",
                query_params={"sentence": str(sentence_id)},
            )


def download(rows: Sequence[EventRow], *, source: EventSource, key: str) -> None:
    """The shown events as the CSV ``annotator events`` writes."""
    st.download_button(
        f"Download these {len(rows)} events (CSV)",
        data=event_table.events_csv(rows),
        file_name=f"events-{source}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_download",
    )
