"""The annotate view: the reviewer's draft in session state, and the callbacks that change it.

Keys are prefixed ``annotate_``; only ids and plain data are kept in session state. Every change
reaches the database through ``annotator.workflow``, which validates it before storing.

A decision names the sentence the reviewer saw, and is ignored for any other: Streamlit may run a
press late, after the page moved on (and, when a rerun overtakes a running one, in a thread of
its own beside it). One decision at a time is made per browser session (:func:`_decision_lock`),
and the page waits for one in flight before it shows the sentence that follows.

The sentence that follows is claimed ahead (``annotate_ahead``) and sent to the editor with the
one on screen, so the editor shows it the moment a decision is pressed. The server stays the
truth: a decision serves the sentence claimed ahead only while it is still the reviewer's (and
with its suggestion as the lexicon stands after the decision), else the routing's next one, and
the editor redraws what the page then sends.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import streamlit as st

from annotator import workflow
from annotator.db import retrying
from annotator.labels import LabelScheme
from annotator.spans import LAYERS, Argument, Layer, Span
from annotator.tokens import token_bounds
from annotator.ui import auth, render, resources, span_editor
from annotator.ui.errors import guarded, show_error, show_pending
from annotator.workflow import GoldPolicy, annotating, lexicon

DRAFT = "annotate_draft"
LAST_SERVED = "annotate_last_served"
NOTICE = "annotate_notice"
ERROR = "annotate_error"
EDITOR = "annotate_editor"
SERVINGS = "annotate_servings"
LOCK = "annotate_decision_lock"
AHEAD = "annotate_ahead"
ANSWERED = "annotate_answered"

# The editor's first row; the keys are among annotator.labels.RESERVED_KEYS, which no label takes.
DECISIONS = (
    span_editor.Button("accept", "Accept", "a"),
    span_editor.Button("reject", "Reject", "x"),
    span_editor.Button("skip", "Skip", " "),
    span_editor.Button("undo", "Undo", "u"),
    span_editor.Button("confirm", "Confirm all"),
)
STATUSES = ("accept", "reject", "skip")
# How long a page waits for a decision in flight before it shows what it has.
DECISION_WAIT_SECONDS = 30.0

_LOCKS = threading.Lock()


def draft() -> dict[str, Any] | None:
    """The draft of the sentence on screen, or None when there is none."""
    value = st.session_state.get(DRAFT)
    return value if isinstance(value, dict) else None


def _decision_lock() -> threading.Lock:
    """This browser session's lock: held while a decision or an undo is being stored."""
    with _LOCKS:
        lock = st.session_state.get(LOCK)
        if not isinstance(lock, type(_LOCKS)):
            lock = st.session_state[LOCK] = threading.Lock()
        return lock


def ahead() -> dict[str, Any] | None:
    """The draft of the sentence claimed to follow the one on screen, or None."""
    value = st.session_state.get(AHEAD)
    return value if isinstance(value, dict) else None


def route(*, reviewer: int, after_id: int = 0, ahead_id: int | None = None) -> annotating.Serving:
    """Route the reviewer to their next sentence and the one after it (both claimed for them),
    the one claimed ahead first if it is still theirs, in a session of its own."""
    settings = resources.settings()
    with resources.session() as session:
        return annotating.serve_reviewer(
            session=session,
            reviewer_id=reviewer,
            after_id=after_id,
            ahead=ahead_id,
            overlap=settings.overlap,
            claim_minutes=settings.claim_minutes,
            routing=settings.routing,
        )


def serve(
    *,
    reviewer: int,
    sentence_id: int | None,
    restored: annotating.Undone | None = None,
    serving: int | None = None,
) -> None:
    """Put a sentence on screen: its stored suggestion as the gold lexicon changes it (spans
    and event arguments to confirm), or an undone decision's draft. ``serving`` is the number
    the editor already drew it under (a sentence claimed ahead); else it gets a new one.

    An undone skip's draft is what was suggested, not a decision: it comes back unconfirmed.
    What is suggested is kept aside too (``shown``): the lexicon learns what the reviewer
    removes of it.
    """
    st.session_state[DRAFT] = _served(
        reviewer=reviewer, sentence_id=sentence_id, restored=restored, serving=serving
    )


def serve_ahead(*, reviewer: int, sentence_id: int | None) -> None:
    """Keep the draft of the sentence claimed to follow the one on screen (None: there is
    none), as it would be served now."""
    st.session_state[AHEAD] = (
        None if sentence_id is None else _served(reviewer=reviewer, sentence_id=sentence_id)
    )


def _served(
    *,
    reviewer: int,
    sentence_id: int | None,
    restored: annotating.Undone | None = None,
    serving: int | None = None,
) -> dict[str, Any]:
    if serving is None:
        serving = int(st.session_state.get(SERVINGS, 0)) + 1
        st.session_state[SERVINGS] = serving
    if sentence_id is None:
        return {"sentence_id": None, "reviewer": reviewer, "serving": serving}
    with resources.session() as session:
        served = lexicon.served_suggestion(
            session=session, sentence_id=sentence_id, scheme=resources.scheme()
        )
    state: dict[str, Any] = {
        "sentence_id": sentence_id,
        "reviewer": reviewer,
        "suggestion_id": served.suggestion_id,
        "model": served.model,
        "shown_at": time.monotonic(),
        "serving": serving,
        "nonce": 0,
        "revision": 0,
    }
    if restored is not None:
        suggested = restored.status == "skip"
        state["entities"] = [
            {**s.to_dict(), "suggested": suggested} for s in restored.draft.entities
        ]
        state["events"] = [{**s.to_dict(), "suggested": suggested} for s in restored.draft.events]
        state["arguments"] = [
            {**a.to_dict(), "suggested": suggested} for a in restored.draft.arguments
        ]
        state["categories"] = list(restored.draft.categories)
    else:
        rows = served.draft.rows()
        state["entities"] = [{**row, "suggested": True} for row in rows["entities"]]
        state["events"] = [{**row, "suggested": True} for row in rows["events"]]
        # What a suggester proposes is checked when it is stored; an argument it could not
        # keep (its span gone) is not offered.
        state["arguments"] = [{**row, "suggested": True} for row in rows["arguments"]]
        _drop_dangling(state)
        state["categories"] = list(served.draft.categories)
    state["shown"] = {
        layer: [
            {key: row[key] for key in ("start", "end", "label")}
            for row in state[layer]
            if row.get("suggested")
        ]
        for layer in LAYERS
    }
    return state


def ensure_current(*, reviewer: int) -> dict[str, Any]:
    """The draft on screen for this reviewer, serving the next sentence when there is none."""
    lock = _decision_lock()
    # A decision still being stored (by the run this one overtook) serves what follows it.
    if lock.acquire(timeout=DECISION_WAIT_SECONDS):
        lock.release()
    current = draft()
    # With nothing on screen, look again: reports may have been imported since.
    if current is None or current.get("reviewer") != reviewer or current["sentence_id"] is None:
        served = route(reviewer=reviewer)
        serve(reviewer=reviewer, sentence_id=served.current)
        serve_ahead(reviewer=reviewer, sentence_id=served.following)
        current = draft()
    assert current is not None
    return current


def as_workflow_draft(state: dict[str, Any]) -> workflow.Draft:
    """The draft as the workflow stores it, event arguments included (suggestion flags
    dropped)."""
    return workflow.Draft(
        entities=tuple(Span(r["start"], r["end"], r["label"]) for r in state["entities"]),
        events=tuple(Span(r["start"], r["end"], r["label"]) for r in state["events"]),
        categories=tuple(state["categories"]),
        arguments=tuple(Argument.from_dict(row) for row in state.get("arguments", ())),
    )


def shown_draft(state: dict[str, Any]) -> workflow.Draft:
    """The spans suggested when the sentence was put on screen."""
    shown = state.get("shown") or {}
    return workflow.Draft.from_rows(shown.get("entities", []), shown.get("events", []), [])


def _rows(state: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The draft's span and argument rows, as the span editor reads and edits them."""
    return {key: state.get(key, []) for key in (*LAYERS, "arguments")}


def _drop_dangling(state: dict[str, Any]) -> None:
    """A span removed or relabelled outside the editor takes its arguments with it too."""
    rows, _ = span_editor.without_dangling(_rows(state))
    state["arguments"] = rows["arguments"]


# --- callbacks: each changes the draft or stores a decision ---------------------------------


def _draft_to_change(sentence_id: int | None) -> dict[str, Any] | None:
    """The draft, if it is still of ``sentence_id``; its revision moves on, so that the editor,
    which waits for an answer to each request, redraws even when nothing changed.

    Streamlit may run a widget's callback one run late, after the page has moved on to another
    sentence; such a callback must not change the new sentence's draft.
    """
    state = draft()
    if state is None or state.get("sentence_id") != sentence_id or sentence_id is None:
        return None
    state["revision"] = int(state.get("revision", 0)) + 1
    return state


def _row_at(state: dict[str, Any], layer: str, index: int, bounds: tuple[int, int]) -> bool:
    rows = state[layer]
    return 0 <= index < len(rows) and (rows[index]["start"], rows[index]["end"]) == bounds


@guarded
def accept_suggestions(sentence_id: int) -> None:
    """Confirm every suggested span and event argument."""
    state = _draft_to_change(sentence_id)
    if state:
        for rows in _rows(state).values():
            for row in rows:
                row["suggested"] = False
        st.session_state[NOTICE] = "Every suggested span and argument is confirmed."


@guarded
def remove_span(sentence_id: int, layer: str, index: int, bounds: tuple[int, int]) -> None:
    """Remove one span from the draft."""
    state = _draft_to_change(sentence_id)
    if state and _row_at(state, layer, index, bounds):
        removed = state[layer].pop(index)
        _drop_dangling(state)
        st.session_state[NOTICE] = f"Removed {removed['label']} span."


@guarded
def relabel_span(
    sentence_id: int, layer: str, index: int, bounds: tuple[int, int], key: str
) -> None:
    """Give a span the label chosen in its select box; it is the reviewer's, not a suggestion."""
    state = _draft_to_change(sentence_id)
    label = st.session_state.get(key)
    if state and label and _row_at(state, layer, index, bounds):
        state[layer][index].update(label=label, suggested=False)
        _drop_dangling(state)


@guarded
def add_span(sentence_id: int, label: str, layer: str, words_key: str, text: str) -> None:
    """Add a span over the selected words; a new entity replaces entities it overlaps."""
    state = _draft_to_change(sentence_id)
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
            _drop_dangling(state)
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
            _rows(state),
            text=text,
            token_bounds=token_bounds(text),
            scheme=resources.scheme(),
        )
    except span_editor.EditError as error:
        state["editor_message"] = f"Not changed: {error}"
        st.session_state[ERROR] = state["editor_message"]
        return
    state.update(rows, editor_message=None)
    if isinstance(edit, span_editor.Edit) and edit.label:
        set_active_label(edit.label)
    st.session_state[NOTICE] = notice


@guarded
def toggle_category(sentence_id: int, label: str, key: str | None = None) -> None:
    """Set a category on or off: as its toggle says (``key``), else the other way round."""
    state = _draft_to_change(sentence_id)
    scheme = resources.scheme()
    if not state or label not in scheme.names("categories"):
        return
    chosen = set(state["categories"])
    on = bool(st.session_state.get(key)) if key is not None else label not in chosen
    if not on:
        chosen.discard(label)
    elif scheme.categories_exclusive:
        chosen = {label}
    else:
        chosen.add(label)
    state["categories"] = sorted(chosen)


@guarded
def decide(status: str, sentence_id: int) -> None:
    """Store accept / reject / skip for ``sentence_id``, if it is the sentence on screen, then
    serve the next one. A press while another decision is being stored does nothing."""
    lock = _decision_lock()
    if not lock.acquire(blocking=False):
        return
    try:
        _decide(status, sentence_id)
    finally:
        lock.release()


def _decide(status: str, sentence_id: int) -> None:
    state = _draft_to_change(sentence_id)
    if state is None or status not in STATUSES:
        return
    reviewer = int(state["reviewer"])
    seconds = time.monotonic() - float(state["shown_at"])
    try:
        # A busy database (an import, another writer) delays the save; it never loses it.
        retrying(
            resources.engine(),
            lambda session: workflow.save_decision(
                session=session,
                sentence_id=sentence_id,
                reviewer_id=reviewer,
                status=status,
                draft=as_workflow_draft(state),
                scheme=resources.scheme(),
                policy=GoldPolicy.of(resources.settings()),
                seconds=seconds,
                suggestion_id=state.get("suggestion_id"),
                shown=shown_draft(state),
            ),
        )
    except workflow.AnnotationError as error:
        state["editor_message"] = st.session_state[ERROR] = f"Not saved: {error}"
        return
    # The decision is committed before routing: a failure to serve never loses it.
    claimed = ahead()
    st.session_state[AHEAD] = None
    ahead_id = claimed.get("sentence_id") if claimed else None
    served = route(reviewer=reviewer, after_id=sentence_id, ahead_id=ahead_id)
    st.session_state[LAST_SERVED] = sentence_id
    notice = f"Saved: {status}."
    if served.kept and claimed is not None:
        # Served again, not copied: the decision just stored may change what the lexicon
        # suggests for it; the editor keeps it as the serving it already drew.
        serve(reviewer=reviewer, sentence_id=served.current, serving=int(claimed["serving"]))
    else:
        if ahead_id is not None:
            notice += (
                " The sentence shown next was taken meanwhile (by another reviewer, or your"
                " claim on it lapsed): here is the one the server serves instead."
            )
        serve(reviewer=reviewer, sentence_id=served.current)
    serve_ahead(reviewer=reviewer, sentence_id=served.following)
    st.session_state[NOTICE] = notice


@guarded
def undo(sentence_id: int | None) -> None:
    """Take back the last decision and show that sentence again, as it was decided; pressed
    on ``sentence_id`` (None: with no sentence on screen), ignored once the page moved on."""
    lock = _decision_lock()
    if not lock.acquire(blocking=False):
        return
    try:
        _undo(sentence_id)
    finally:
        lock.release()


def _undo(sentence_id: int | None) -> None:
    state = draft()
    if state is not None and state.get("sentence_id") != sentence_id:
        return
    if sentence_id is not None:
        _draft_to_change(sentence_id)  # the editor redraws, whatever the outcome
    reviewer = int(state["reviewer"]) if state else st.session_state.get(auth.ACCOUNT)
    if not isinstance(reviewer, int):
        return
    settings = resources.settings()
    following: int | None = None
    with resources.session() as session:
        undone = workflow.undo_last(
            session=session, reviewer_id=reviewer, policy=GoldPolicy.of(settings)
        )
        if undone is not None:
            workflow.hold_sentence(
                session=session,
                sentence_id=undone.sentence_id,
                reviewer_id=reviewer,
                claim_minutes=settings.claim_minutes,
            )
            following = workflow.next_sentence_id(
                session=session,
                reviewer_id=reviewer,
                after_id=undone.sentence_id,
                overlap=settings.overlap,
                claim_minutes=settings.claim_minutes,
                routing=settings.routing,
                holding=undone.sentence_id,
            )
    if undone is None:
        st.session_state[NOTICE] = "Nothing to undo."
        return
    serve(reviewer=reviewer, sentence_id=undone.sentence_id, restored=undone)
    serve_ahead(reviewer=reviewer, sentence_id=following)
    st.session_state[NOTICE] = (
        "Undid your skip; the suggestions are back, unconfirmed."
        if undone.status == "skip"
        else f"Undid your {undone.status}; the sentence is back as you left it."
    )


@guarded
def on_editor_command() -> None:
    """A decision, an undo or "Confirm all", pressed in the editor."""
    command = _command("decide", actions=[button.action for button in DECISIONS])
    raw = span_editor.last_event(EDITOR, "decide")
    request = raw.get("request") if isinstance(raw, dict) else None
    try:
        if command is not None:
            press(command.action, command.sentence_id)
    finally:
        # Whatever came of it, the editor learns that this request was answered.
        st.session_state[ANSWERED] = request if isinstance(request, str) else None


def press(action: str, sentence_id: int) -> None:
    """One of the DECISIONS' buttons, pressed on ``sentence_id``."""
    if action == "undo":
        undo(sentence_id)
    elif action == "confirm":
        accept_suggestions(sentence_id)
    else:
        decide(action, sentence_id)


@guarded
def on_editor_category() -> None:
    """A category's chip or key, pressed in the editor."""
    command = _command("category", actions=["category"])
    if command is not None:
        toggle_category(command.sentence_id, command.label)


def _command(event: str, *, actions: list[str]) -> span_editor.Command | None:
    try:
        return span_editor.parse_command(span_editor.last_event(EDITOR, event), actions=actions)
    except span_editor.EditError as error:
        st.session_state[ERROR] = f"Not done: {error}"
        return None


# --- sections of the page -----------------------------------------------------------------


def set_active_label(label: str) -> None:
    """Remember the label whose guideline the side panel shows."""
    st.session_state["annotate_active_label"] = label


def editor(
    state: dict[str, Any], text: str, scheme: LabelScheme, *, following: str | None = None
) -> None:
    """The span editor on the sentence, with the decisions and the categories: drag or use the
    keyboard to add, relabel and remove spans; every key is shown on what it presses.

    ``following`` is the text of the sentence claimed ahead: the editor is given it with its
    draft, to show the moment Accept, Reject or Skip is pressed."""
    claimed = ahead()
    sent_ahead = None
    if claimed is not None and following is not None and claimed.get("sentence_id"):
        sent_ahead = span_editor.ahead_data(
            sentence_id=int(claimed["sentence_id"]),
            text=following,
            token_bounds=token_bounds(following),
            rows=_rows(claimed),
            serving=int(claimed["serving"]),
            categories=claimed["categories"],
        )
    span_editor.span_editor(
        span_editor.editor_data(
            sentence_id=int(state["sentence_id"]),
            text=text,
            token_bounds=token_bounds(text),
            rows=_rows(state),
            scheme=scheme,
            revision=int(state.get("revision", 0)),
            message=state.pop("editor_message", None),  # shown once, like st.error
            notice=st.session_state.pop(NOTICE, None),
            serving=int(state.get("serving", 0)),
            buttons=DECISIONS,
            categories=state["categories"],
            ahead=sent_ahead,
            answered=st.session_state.get(ANSWERED),
        ),
        key=EDITOR,
        on_edit=apply_editor_edit,
        on_decide=on_editor_command,
        on_category=on_editor_category,
    )


def word_picker(state: dict[str, Any], text: str) -> str:
    """Pills of the sentence's words; returns the widget key holding the picked word indexes."""
    bounds = token_bounds(text)
    key = f"annotate_words_{state['sentence_id']}_{state['nonce']}"
    st.pills(
        "Words of a new span (pick the first and the last)",
        options=list(range(len(bounds))),
        format_func=lambda i: render.markdown_literal(text[bounds[i][0] : bounds[i][1]]),
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
                render.markdown_literal(label.name),
                key=f"annotate_add_{layer}_{label.name}",
                help=render.markdown_literal(f"{title}: {label.description}"),
                on_click=_add_and_focus,
                args=(state["sentence_id"], label.name, layer, words_key, text),
                width="stretch",
            )


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
    argument_list(state, text)


def argument_list(state: dict[str, Any], text: str) -> None:
    """Each event argument with its trigger, role and entity, and a button to remove it (they
    are added in the editor)."""
    sid, rows = state["sentence_id"], state.get("arguments", [])
    st.markdown(f"**Event arguments** ({len(rows)})")
    for row in rows:
        argument = Argument.from_dict(row)
        left, right = st.columns([5, 1], vertical_alignment="center")
        marker = " · suggested" if row.get("suggested") else ""
        left.text(
            f"{argument.event.text_in(text)} · {argument.role} · "
            f"{argument.entity.text_in(text)}{marker}"
        )
        event, entity = argument.event, argument.entity
        right.button(
            "Remove",
            key=(
                f"annotate_remove_argument_{sid}_{event.start_char}_{event.end_char}_"
                f"{event.label}_{argument.role}_{entity.start_char}_{entity.end_char}"
            ),
            on_click=remove_argument,
            args=(sid, argument.to_dict()),
        )


@guarded
def remove_argument(sentence_id: int, row: dict[str, Any]) -> None:
    """Remove one event argument from the draft."""
    state = _draft_to_change(sentence_id)
    if state:
        gone = Argument.from_dict(row)
        state["arguments"] = [
            kept for kept in state.get("arguments", []) if Argument.from_dict(kept) != gone
        ]
        st.session_state[NOTICE] = f"Removed the {gone.role} argument."


def category_toggles(state: dict[str, Any], scheme: LabelScheme) -> None:
    """One toggle per sentence category (the editor has them too, with their keys)."""
    st.markdown("**Sentence categories**")
    columns = st.columns(2)
    for number, label in enumerate(scheme.categories):
        key = f"annotate_category_{state['sentence_id']}_{label.name}"
        columns[number % 2].toggle(
            render.markdown_literal(label.name),
            value=label.name in state["categories"],
            key=key,
            help=render.markdown_literal(label.description),
            on_change=toggle_category,
            args=(state["sentence_id"], label.name, key),
        )


def decision_buttons(state: dict[str, Any]) -> None:
    """Accept, reject, skip and undo without the editor: for this sentence only, no keys (the
    editor's first row has them)."""
    sid = state["sentence_id"]
    columns = st.columns(len(DECISIONS))
    for column, button in zip(columns, DECISIONS, strict=True):
        column.button(
            button.title,
            key=f"annotate_{button.action}_{sid}",
            on_click=press,
            args=(button.action, sid),
            width="stretch",
        )


def nothing_left(*, total: int) -> None:
    """What the page shows with no sentence to annotate: why, the last notice, and Undo."""
    st.success("Nothing left to annotate." if total else "No reports yet: import some first.")
    if notice := st.session_state.pop(NOTICE, None):
        st.caption(render.markdown_literal(notice))
    # The editor is not on the page: Streamlit's own shortcut takes the undo key.
    st.button(
        "Undo",
        key="annotate_undo",
        shortcut="u",
        on_click=undo,
        args=(None,),
        icon=":material/undo:",
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
    st.markdown(
        f"**{render.markdown_literal(label.name)}** · key `{label.shortcut}` · {label.layer}"
    )
    st.caption(render.markdown_literal(label.description))
    st.markdown(render.markdown_literal(label.guideline))
    if scheme.roles:
        with st.expander("Roles of an event's arguments"):
            for role in scheme.roles:
                once = "more than once per event" if role.repeat else "once per event"
                st.markdown(
                    f"**{render.markdown_literal(role.name)}** · key `{role.shortcut}` · "
                    + render.markdown_literal(f"takes {', '.join(role.accepts)}, {once}")
                )
                st.caption(render.markdown_literal(role.guideline))


def flash_messages() -> None:
    """Show and clear the last error (notices are shown in the editor, where the eye is)."""
    show_pending()
    if message := st.session_state.pop(ERROR, None):
        show_error(message)
