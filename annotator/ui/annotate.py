"""The annotate view: the reviewer's draft in session state, and the callbacks that change it.

Keys are prefixed ``annotate_``; only ids and plain data are kept in session state. Every change
reaches the database through ``annotator.workflow``, which validates it before storing.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from annotator import workflow
from annotator.db import retrying
from annotator.labels import LabelScheme
from annotator.spans import LAYERS, Layer, Span
from annotator.tokens import token_bounds
from annotator.ui import auth, resources, span_editor
from annotator.ui.errors import guarded, show_error, show_pending
from annotator.workflow import GoldPolicy, annotating

DRAFT = "annotate_draft"
LAST_SERVED = "annotate_last_served"
NOTICE = "annotate_notice"
ERROR = "annotate_error"
EDITOR = "annotate_editor"


def draft() -> dict[str, Any] | None:
    """The draft of the sentence on screen, or None when there is none."""
    value = st.session_state.get(DRAFT)
    return value if isinstance(value, dict) else None


def next_id(*, reviewer: int, after_id: int = 0) -> int | None:
    """Route the reviewer to their next sentence (claimed for them), in a session of its own."""
    settings = resources.settings()
    with resources.session() as session:
        return workflow.next_sentence_id(
            session=session,
            reviewer_id=reviewer,
            after_id=after_id,
            overlap=settings.overlap,
            claim_minutes=settings.claim_minutes,
        )


def serve(
    *, reviewer: int, sentence_id: int | None, restored: workflow.Draft | None = None
) -> None:
    """Put a sentence on screen: its stored suggestion, or a restored draft after an undo."""
    if sentence_id is None:
        st.session_state[DRAFT] = {"sentence_id": None, "reviewer": reviewer}
        return
    with resources.session() as session:
        suggestion = annotating.latest_suggestion(session=session, sentence_id=sentence_id)
    state: dict[str, Any] = {
        "sentence_id": sentence_id,
        "reviewer": reviewer,
        "suggestion_id": suggestion.id if suggestion is not None else None,
        "model": f"{suggestion.model_name} {suggestion.model_version}" if suggestion else None,
        "shown_at": time.monotonic(),
        "nonce": 0,
        "revision": 0,
    }
    if restored is not None:
        state["entities"] = [{**s.to_dict(), "suggested": False} for s in restored.entities]
        state["events"] = [{**s.to_dict(), "suggested": False} for s in restored.events]
        state["categories"] = list(restored.categories)
    elif suggestion is not None:
        state["entities"] = [{**row, "suggested": True} for row in suggestion.entities]
        state["events"] = [{**row, "suggested": True} for row in suggestion.events]
        state["categories"] = list(suggestion.categories)
    else:
        state.update(entities=[], events=[], categories=[])
    st.session_state[DRAFT] = state


def ensure_current(*, reviewer: int) -> dict[str, Any]:
    """The draft on screen for this reviewer, serving the next sentence when there is none."""
    current = draft()
    # With nothing on screen, look again: reports may have been imported since.
    if current is None or current.get("reviewer") != reviewer or current["sentence_id"] is None:
        serve(reviewer=reviewer, sentence_id=next_id(reviewer=reviewer))
        current = draft()
    assert current is not None
    return current


def as_workflow_draft(state: dict[str, Any]) -> workflow.Draft:
    """The draft as the workflow stores it (suggestion flags dropped)."""
    return workflow.Draft(
        entities=tuple(Span(r["start"], r["end"], r["label"]) for r in state["entities"]),
        events=tuple(Span(r["start"], r["end"], r["label"]) for r in state["events"]),
        categories=tuple(state["categories"]),
    )


# --- callbacks: each changes the draft or stores a decision ---------------------------------


def _draft_of(sentence_id: int) -> dict[str, Any] | None:
    """The draft, if it is still of ``sentence_id``.

    Streamlit may run a widget's callback one run late, after the page has moved on to another
    sentence; such a callback must not change the new sentence's draft.
    """
    state = draft()
    return state if state is not None and state.get("sentence_id") == sentence_id else None


def _row_at(state: dict[str, Any], layer: str, index: int, bounds: tuple[int, int]) -> bool:
    rows = state[layer]
    return 0 <= index < len(rows) and (rows[index]["start"], rows[index]["end"]) == bounds


@guarded
def accept_suggestions() -> None:
    """Confirm every suggested span."""
    state = draft()
    if state:
        for layer in LAYERS:
            for row in state[layer]:
                row["suggested"] = False


@guarded
def remove_span(sentence_id: int, layer: str, index: int, bounds: tuple[int, int]) -> None:
    """Remove one span from the draft."""
    state = _draft_of(sentence_id)
    if state and _row_at(state, layer, index, bounds):
        removed = state[layer].pop(index)
        st.session_state[NOTICE] = f"Removed {removed['label']} span."


@guarded
def relabel_span(
    sentence_id: int, layer: str, index: int, bounds: tuple[int, int], key: str
) -> None:
    """Give a span the label chosen in its select box; it is the reviewer's, not a suggestion."""
    state = _draft_of(sentence_id)
    label = st.session_state.get(key)
    if state and label and _row_at(state, layer, index, bounds):
        state[layer][index].update(label=label, suggested=False)


@guarded
def add_span(sentence_id: int, label: str, layer: str, words_key: str, text: str) -> None:
    """Add a span over the selected words; a new entity replaces entities it overlaps."""
    state = _draft_of(sentence_id)
    picked = st.session_state.get(words_key) or []
    if not state:
        return
    if not picked:
        st.session_state[ERROR] = "Select the words of the span first, then its label."
        return
    bounds = token_bounds(text)
    start, end = bounds[min(picked)][0], bounds[max(picked)][1]
    new = Span(start, end, label)
    rows = state[layer]
    if layer == "entities":
        replaced = [r for r in rows if new.overlaps(Span(r["start"], r["end"], r["label"]))]
        rows[:] = [r for r in rows if r not in replaced]
        if replaced:
            replaced_labels = ", ".join(r["label"] for r in replaced)
            st.session_state[NOTICE] = f"Replaced overlapping {replaced_labels}"
    elif any(r["start"] == start and r["end"] == end and r["label"] == label for r in rows):
        return
    rows.append({**new.to_dict(), "suggested": False})
    rows.sort(key=lambda r: (r["start"], r["end"]))
    state["nonce"] += 1  # a fresh word picker, emptied


@guarded
def apply_editor_edit() -> None:
    """Apply the edit the span editor sent, once it has been validated; else say why not."""
    state = draft()
    raw = span_editor.last_edit(EDITOR)
    if not state or state.get("sentence_id") is None or raw is None:
        return
    state["revision"] = int(state.get("revision", 0)) + 1  # the editor redraws even on failure
    try:
        edit = span_editor.parse_edit(raw)
        if edit.sentence_id != state["sentence_id"]:
            raise span_editor.EditError("that edit was made on another sentence; nothing changed")
        with resources.session() as session:
            text = annotating.sentence_text(session=session, sentence_id=edit.sentence_id) or ""
        rows, notice = span_editor.apply_edit(
            edit,
            {layer: state[layer] for layer in LAYERS},
            text=text,
            token_bounds=token_bounds(text),
            scheme=resources.scheme(),
        )
    except span_editor.EditError as error:
        state["editor_message"] = f"Not changed: {error}"
        st.session_state[ERROR] = state["editor_message"]
        return
    state.update(rows, editor_message=None)
    label = edit.label or None
    if label:
        set_active_label(label)
    st.session_state[NOTICE] = notice


@guarded
def toggle_category(sentence_id: int, label: str, key: str) -> None:
    """Set a category on or off from its toggle."""
    state = _draft_of(sentence_id)
    if not state:
        return
    chosen = set(state["categories"])
    if st.session_state.get(key):
        chosen.add(label)
    else:
        chosen.discard(label)
    state["categories"] = sorted(chosen)


@guarded
def decide(status: str, scheme: LabelScheme) -> None:
    """Store accept / reject / skip for the sentence on screen, then serve the next one."""
    state = draft()
    if not state or state.get("sentence_id") is None:
        return
    reviewer = int(state["reviewer"])
    seconds = time.monotonic() - float(state["shown_at"])
    try:
        # A busy database (an import, another writer) delays the save; it never loses it.
        retrying(
            resources.engine(),
            lambda session: workflow.save_decision(
                session=session,
                sentence_id=int(state["sentence_id"]),
                reviewer_id=reviewer,
                status=status,
                draft=as_workflow_draft(state),
                scheme=scheme,
                policy=GoldPolicy.of(resources.settings()),
                seconds=seconds,
                suggestion_id=state.get("suggestion_id"),
            ),
        )
    except workflow.AnnotationError as error:
        st.session_state[ERROR] = f"Not saved: {error}"
        return
    # The decision is committed before routing: a failure to serve never loses it.
    following = next_id(reviewer=reviewer, after_id=int(state["sentence_id"]))
    st.session_state[LAST_SERVED] = state["sentence_id"]
    st.session_state[NOTICE] = f"Saved: {status}."
    serve(reviewer=reviewer, sentence_id=following)


@guarded
def undo() -> None:
    """Take back the last decision and show that sentence again, as it was decided."""
    state = draft()
    reviewer = int(state["reviewer"]) if state else st.session_state.get(auth.ACCOUNT)
    if not isinstance(reviewer, int):
        return
    with resources.session() as session:
        undone = workflow.undo_last(
            session=session, reviewer_id=reviewer, policy=GoldPolicy.of(resources.settings())
        )
        if undone is not None:
            workflow.hold_sentence(
                session=session,
                sentence_id=undone.sentence_id,
                reviewer_id=reviewer,
                claim_minutes=resources.settings().claim_minutes,
            )
    if undone is None:
        st.session_state[NOTICE] = "Nothing to undo."
        return
    serve(reviewer=reviewer, sentence_id=undone.sentence_id, restored=undone.draft)
    st.session_state[NOTICE] = f"Undid your {undone.status}; the sentence is back as you left it."


# --- sections of the page -----------------------------------------------------------------


def set_active_label(label: str) -> None:
    """Remember the label whose guideline the side panel shows."""
    st.session_state["annotate_active_label"] = label


def editor(state: dict[str, Any], text: str, scheme: LabelScheme) -> None:
    """The span editor on the sentence: drag or use the keyboard to add, relabel and remove."""
    span_editor.span_editor(
        span_editor.editor_data(
            sentence_id=int(state["sentence_id"]),
            text=text,
            token_bounds=token_bounds(text),
            rows={layer: state[layer] for layer in LAYERS},
            scheme=scheme,
            revision=int(state.get("revision", 0)),
            message=state.pop("editor_message", None),  # shown once, like st.error
        ),
        key=EDITOR,
        on_edit=apply_editor_edit,
    )


def word_picker(state: dict[str, Any], text: str) -> str:
    """Pills of the sentence's words; returns the widget key holding the picked word indexes."""
    bounds = token_bounds(text)
    key = f"annotate_words_{state['sentence_id']}_{state['nonce']}"
    st.pills(
        "Words of a new span (pick the first and the last)",
        options=list(range(len(bounds))),
        format_func=lambda i: text[bounds[i][0] : bounds[i][1]],
        selection_mode="multi",
        key=key,
    )
    return key


def label_buttons(state: dict[str, Any], text: str, words_key: str, scheme: LabelScheme) -> None:
    """One button per entity and event label, adding the picked words as a span.

    The label keys belong to the span editor, so these buttons have no shortcuts of their own.
    """
    titles: tuple[tuple[Layer, str], ...] = (("entities", "Entity"), ("events", "Event"))
    for layer, title in titles:
        labels = scheme.layer(layer)
        columns = st.columns(len(labels))
        for column, label in zip(columns, labels, strict=True):
            column.button(
                label.name,
                key=f"annotate_add_{layer}_{label.name}",
                help=f"{title}: {label.description}",
                on_click=_add_and_focus,
                args=(state["sentence_id"], label.name, layer, words_key, text),
                width="stretch",
            )


@guarded
def _add_and_focus(sentence_id: int, label: str, layer: str, words_key: str, text: str) -> None:
    set_active_label(label)
    add_span(sentence_id, label, layer, words_key, text)


def span_list(state: dict[str, Any], text: str, scheme: LabelScheme) -> None:
    """Each span with its text, a label box to relabel it and a button to remove it."""
    sid = state["sentence_id"]
    titles: tuple[tuple[Layer, str], ...] = (("entities", "Entities"), ("events", "Events"))
    for layer, title in titles:
        rows = state[layer]
        st.markdown(f"**{title}** ({len(rows)})")
        names = list(scheme.names(layer))
        for index, row in enumerate(rows):
            left, middle, right = st.columns([3, 2, 1], vertical_alignment="center")
            marker = " · suggested" if row.get("suggested") else ""
            left.text(f"{text[row['start'] : row['end']]}{marker}")
            key = f"annotate_relabel_{sid}_{layer}_{index}_{row['start']}_{row['end']}"
            middle.selectbox(
                "Label",
                names,
                index=names.index(row["label"]) if row["label"] in names else 0,
                key=key,
                label_visibility="collapsed",
                on_change=relabel_span,
                args=(sid, layer, index, (row["start"], row["end"]), key),
            )
            right.button(
                "Remove",
                key=f"annotate_remove_{sid}_{layer}_{index}_{row['start']}_{row['end']}",
                on_click=remove_span,
                args=(sid, layer, index, (row["start"], row["end"])),
            )


def category_toggles(state: dict[str, Any], scheme: LabelScheme) -> None:
    """One toggle per sentence category."""
    st.markdown("**Sentence categories**")
    columns = st.columns(2)
    for number, label in enumerate(scheme.categories):
        key = f"annotate_category_{state['sentence_id']}_{label.name}"
        columns[number % 2].toggle(
            label.name,
            value=label.name in state["categories"],
            key=key,
            help=label.description,
            on_change=toggle_category,
            args=(state["sentence_id"], label.name, key),
        )


def decision_buttons(scheme: LabelScheme, *, has_sentence: bool) -> None:
    """Accept (a), Reject (x), Skip (space), Undo (u) and Confirm all suggestions.

    Streamlit shows each shortcut on its button; the keys work wherever the focus is, the span
    editor included (it keeps only the label keys for itself).
    """
    accept, reject, skip, back, confirm = st.columns(5)
    accept.button(
        "Accept",
        key="annotate_accept",
        type="primary",
        shortcut="a",
        on_click=decide,
        args=("accept", scheme),
        disabled=not has_sentence,
        width="stretch",
        icon=":material/check:",
    )
    reject.button(
        "Reject",
        key="annotate_reject",
        shortcut="x",
        on_click=decide,
        args=("reject", scheme),
        disabled=not has_sentence,
        width="stretch",
        icon=":material/close:",
    )
    skip.button(
        "Skip",
        key="annotate_skip",
        shortcut="space",
        on_click=decide,
        args=("skip", scheme),
        disabled=not has_sentence,
        width="stretch",
    )
    back.button(
        "Undo",
        key="annotate_undo",
        shortcut="u",
        on_click=undo,
        width="stretch",
        icon=":material/undo:",
    )
    confirm.button(
        "Confirm all",
        key="annotate_confirm",
        on_click=accept_suggestions,
        disabled=not has_sentence,
        width="stretch",
        help="Confirm every suggested span",
    )


def guideline_panel(scheme: LabelScheme) -> None:
    """The guideline of the active label (the last one used, or the one picked here)."""
    names = [label.name for label in scheme.all_labels() if label.layer != "roles"]
    active = st.session_state.get("annotate_active_label")
    if active not in names:
        active = names[0]
    chosen = st.selectbox("Guideline for", names, index=names.index(active))
    label = scheme.get(chosen)
    assert label is not None
    st.markdown(f"**{label.name}** · key `{label.shortcut}` · {label.layer}")
    st.caption(label.description)
    st.write(label.guideline)


def flash_messages() -> None:
    """Show and clear the last notice or error."""
    show_pending()
    if message := st.session_state.pop(ERROR, None):
        show_error(message)
    if message := st.session_state.pop(NOTICE, None):
        st.toast(message)
