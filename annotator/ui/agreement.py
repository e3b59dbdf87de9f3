"""The agreement page's views: filters, figure tables with their guidance, the reviewer-by-
reviewer heatmap, the confusion matrix, agreement over time and the sentences most disagreed on.

Each view takes data shaped by :mod:`annotator.workflow.agreement` (and
:mod:`annotator.ui.agreement_tables`) and a ``key`` that prefixes its widgets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from annotator import agreement
from annotator.ui import agreement_tables, render
from annotator.workflow import agreement as team_agreement

NOT_ENOUGH_DATA = agreement.NOT_ENOUGH_DATA.capitalize()
FIGURE = st.column_config.NumberColumn(format="%.3f")
ADJUDICATE_PAGE = "pages/adjudicate.py"
SECTION_TITLES: dict[team_agreement.Section, str] = {
    "categories": "Categories",
    "entities": "Entities",
    "events": "Events",
    "arguments": "Event arguments (per role)",
}


def filter_bar(
    options: team_agreement.FilterOptions, *, key: str
) -> team_agreement.AgreementFilter:
    """Report, reviewer and day filters in one row; FilterError on a bad range of days."""
    reports = dict(options.reports)
    reviewers = dict(options.reviewers)
    report_column, reviewer_column, first_column, last_column = st.columns([3, 3, 2, 2])
    report_ids = report_column.multiselect(
        "Reports",
        list(reports),
        format_func=lambda report_id: f"{report_id}: {reports[report_id]}",
        placeholder="All reports",
        key=f"{key}_reports",
    )
    reviewer_ids = reviewer_column.multiselect(
        "Reviewers",
        list(reviewers),
        format_func=lambda reviewer_id: reviewers[reviewer_id],
        placeholder="All reviewers",
        help="Only these reviewers' annotations are compared: pick two or more.",
        key=f"{key}_reviewers",
    )
    first_day = first_column.date_input(
        "Decided from", value=None, help="Day (UTC) of the last decision.", key=f"{key}_from"
    )
    last_day = last_column.date_input("to", value=None, key=f"{key}_to")
    return team_agreement.AgreementFilter(
        report_ids=tuple(report_ids),
        reviewer_ids=tuple(reviewer_ids),
        first_day=first_day,
        last_day=last_day,
    )


def guidance(names: Sequence[str]) -> None:
    """One sentence on how to read each of these figures."""
    st.markdown(
        "\n".join(
            f"- **{agreement_tables.FIGURE_TITLES[name]}**: {agreement_tables.GUIDANCE[name]}"
            for name in names
        )
    )


def figures(report: Mapping[str, Any], *, key: str) -> None:
    """The overall figures, with what each rests on, how to read them and the downloads."""
    st.dataframe(
        agreement_tables.figure_table(report),
        hide_index=True,
        column_config={"value": FIGURE},
        placeholder=NOT_ENOUGH_DATA,
        height="content",
        key=f"{key}_figures",
    )
    st.caption(
        "Items are sentences, except for the alpha over tokens, which rates every token of them."
    )
    buttons = st.container(horizontal=True)
    buttons.download_button(
        "Download every figure (CSV)",
        agreement_tables.figures_csv(report),
        file_name="agreement.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=f"{key}_download_figures",
    )
    buttons.download_button(
        "Download the pairwise figures (CSV)",
        agreement_tables.pairs_csv(report),
        file_name="agreement_pairs.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=f"{key}_download_pairs",
    )
    st.subheader("How to read them", divider="gray")
    guidance(list(agreement_tables.FIGURE_TITLES))


def per_label(report: Mapping[str, Any], *, key: str) -> None:
    """Per label of each section, its figures as a table and a bar chart."""
    for section in team_agreement.SECTIONS:
        table = agreement_tables.label_table(report, section)
        st.subheader(SECTION_TITLES[section])
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                agreement_tables.FIGURE_TITLES[name]: FIGURE
                for name in team_agreement.SECTION_FIGURES[section]
            },
            placeholder=NOT_ENOUGH_DATA,
            height="content",
            key=f"{key}_labels_{section}",
        )
        chart = _label_chart(table)
        if chart is not None:
            st.altair_chart(chart, key=f"{key}_labels_chart_{section}")


def _label_chart(table: pd.DataFrame) -> alt.Chart | None:
    long = table.drop(columns="sentences").melt(id_vars="label", var_name="figure").dropna()
    if long.empty:
        return None
    chart: alt.Chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", scale=alt.Scale(domain=[-1, 1]), title=None),
            y=alt.Y("label:N", sort=None, title=None),
            yOffset="figure:N",
            color=alt.Color("figure:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["label", "figure", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    return chart


def reviewer_pairs(report: Mapping[str, Any], *, key: str) -> None:
    """One pairwise figure as a reviewer-by-reviewer heatmap, and every pair as a table."""
    pairs = agreement_tables.pair_table(report)
    if pairs.empty:
        st.info(f"{NOT_ENOUGH_DATA}: no two reviewers accepted the same sentence.")
        return
    choice = st.selectbox(
        "Figure",
        list(agreement_tables.PAIRWISE),
        format_func=lambda pair: (
            f"{SECTION_TITLES[pair[0]]}: {agreement_tables.FIGURE_TITLES[pair[1]]}"
        ),
        key=f"{key}_pair_figure",
    )
    section, name = choice
    matrix = agreement_tables.pair_matrix(pairs, section=section, figure=name)
    if matrix.empty:
        st.info(f"{NOT_ENOUGH_DATA} for this figure.")
    else:
        st.altair_chart(_heatmap(matrix), height=80 + 40 * len(matrix), key=f"{key}_heatmap")
    st.caption(agreement_tables.GUIDANCE[name])
    st.dataframe(
        pairs.assign(figure=pairs["figure"].map(agreement_tables.FIGURE_TITLES)),
        hide_index=True,
        column_config={"value": FIGURE, "precision": FIGURE, "recall": FIGURE},
        placeholder=NOT_ENOUGH_DATA,
        key=f"{key}_pairs",
    )


def _heatmap(matrix: pd.DataFrame) -> alt.LayerChart:
    cells = pd.DataFrame(
        [
            {"reviewer": row, "other reviewer": column, "value": matrix.loc[row, column]}
            for row in matrix.index
            for column in matrix.columns
            if row != column
        ]
    )
    cells["shown"] = cells["value"].map(lambda value: "–" if pd.isna(value) else f"{value:.2f}")
    base = alt.Chart(cells).encode(
        x=alt.X("other reviewer:N", title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("reviewer:N", title=None),
    )
    rects = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=alt.Scale(domain=[0, 1], clamp=True), title=None),
        tooltip=["reviewer", "other reviewer", alt.Tooltip("value:Q", format=".3f")],
    )
    text = base.mark_text().encode(
        text="shown:N",
        # Dark cells get light text, so that a value stays readable whatever its colour.
        color=alt.condition(alt.datum.value > 0.6, alt.value("white"), alt.value("black")),
    )
    layered: alt.LayerChart = rects + text
    return layered


def confusion(report: Mapping[str, Any], *, key: str) -> None:
    """The label confusion matrix on spans with equal bounds, for entities or events."""
    layers: list[team_agreement.Section] = ["entities", "events"]
    section = st.radio(
        "Layer",
        layers,
        format_func=lambda name: SECTION_TITLES[name],
        horizontal=True,
        key=f"{key}_confusion_layer",
    )
    table = agreement_tables.confusion_table(report, section)
    if table.empty:
        st.info(f"{NOT_ENOUGH_DATA}: no span has the same bounds for two reviewers.")
        return
    st.caption(
        "Spans two reviewers marked with the same bounds: rows are one reviewer's label, columns "
        "the other's; the diagonal counts agreements. Boundary disagreements are what the "
        "overlap F1 shows."
    )
    st.dataframe(table, key=f"{key}_confusion")


def over_time(table: pd.DataFrame, *, key: str) -> None:
    """Agreement per period as a line chart, and as a table."""
    if table.empty:
        st.info(f"{NOT_ENOUGH_DATA}: no sentence was accepted by two or more reviewers.")
        return
    long = table.drop(columns="sentences").melt(id_vars="period", var_name="figure").dropna()
    if not long.empty:
        chart = (
            alt.Chart(long)
            .mark_line(point=True)
            .encode(
                x=alt.X("period:T", title=None),
                y=alt.Y("value:Q", scale=alt.Scale(domain=[-1, 1]), title=None),
                color=alt.Color("figure:N", legend=alt.Legend(orient="bottom", title=None)),
                tooltip=["period:T", "figure", alt.Tooltip("value:Q", format=".3f")],
            )
        )
        st.altair_chart(chart, key=f"{key}_time_chart")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "period": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "entities F1": FIGURE,
            "events F1": FIGURE,
            "categories kappa": FIGURE,
        },
        placeholder=NOT_ENOUGH_DATA,
        key=f"{key}_time",
    )


def disagreements(items: Sequence[team_agreement.Disagreement]) -> None:
    """The sentences most disagreed on, each with a link that opens it for adjudication."""
    if not items:
        st.info("No sentence within these filters has reviewers who disagree.")
        return
    for item in items:
        with st.container(border=True):
            text, link = st.columns([5, 1], vertical_alignment="center")
            text.text(item.text)
            gold = " · has gold" if item.has_gold else ""
            text.caption(
                render.markdown_literal(
                    f"Sentence {item.sentence_id} of report {item.report_id} · disagreement "
                    f"{item.score:.2f} · {', '.join(item.reviewers)}{gold}"
                )
            )
            link.page_link(
                ADJUDICATE_PAGE,
                label="Adjudicate",
                icon=":material/gavel:",
                query_params={"sentence": str(item.sentence_id)},
            )
