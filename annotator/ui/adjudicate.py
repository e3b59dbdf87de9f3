"""The adjudicate view: the queue, the reviewers' versions side by side, and the decision.

Keys are prefixed ``adjudicate_``. The sentence on screen is the ``sentence`` query parameter, so
that other pages can link to one; opening it claims it, so that other adjudicators' queues leave
it out while this one decides. What the adjudicator decides is kept per sentence in session
state together with the gold version they saw when they opened it; every save (or reject) names
that version, and the core refuses it when someone saved the sentence meanwhile.

Report text and reviewer names reach the browser only escaped, in HTML that
:mod:`annotator.ui.render` draws (or as data for the span editor), never inside a Markdown label.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlmodel import Session

from annotator.labels import LabelScheme
from annotator.models import Gold
from annotator.spans import LAYERS, Argument, Draft, Span
from annotator.tokens import token_bounds
from annotator.ui import render, resources, span_editor
from annotator.ui.errors import guarded, show_error, show_pending
from annotator.workflow import AnnotationError, adjudicating, annotating
from annotator.workflow.adjudicating import AdjudicationScene, QueueItem

OPEN = "adjudicate_open"
PAGES = "adjudicate_pages"
SHOW_ALL = "adjudicate_show_all"
WITH_GOLD = "adjudicate_with_gold"
PICK = "adjudicate_pick"
EDITOR = "adjudicate_editor"
NOTICE = "adjudicate_notice"
ERROR = "adjudicate_error"
PAGE_SIZE = 50


# --- the queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which sentences the queue lists."""

    only_disagreements: bool = True
    include_gold: bool = False


def filters() -> Filters:
    """The queue's filters as the sidebar switches set them."""
    return Filters(
        only_disagreements=not st.session_state.get(SHOW_ALL, False),
        include_gold=bool(st.session_state.get(WITH_GOLD, False)),
    )


def _cursors() -> list[int]:
    """The ``after_id`` of every page up to the one on screen (the first page starts at 0)."""
    cursors = st.session_state.get(PAGES)
    if not isinstance(cursors, list) or not cursors:
        cursors = [0]
        st.session_state[PAGES] = cursors
    return cursors


def _first_page() -> None:
    st.session_state[PAGES] = [0]


def _next_page(last_id: int) -> None:
    _cursors().append(last_id)


def _previous_page() -> None:
    cursors = _cursors()
    if len(cursors) > 1:
        cursors.pop()


def queue_filters(*, auto_gold: bool, overlap: int) -> Filters:
    """The queue's switches in the sidebar (changing one goes back to the first page)."""
    side = st.sidebar
    side.subheader("Queue")
    side.toggle(
        "Show all multiply-annotated",
        key=SHOW_ALL,
        on_change=_first_page,
        help="Also list the sentences whose reviewers agree.",
    )
    side.toggle(
        "Include sentences with gold",
        key=WITH_GOLD,
        on_change=_first_page,
        help="Also list the sentences that already have gold (agreed, imported or adjudicated).",
    )
    if overlap <= 1:
        side.caption(
            "Overlap is 1 (ANNOTATOR_OVERLAP): an accepted annotation is gold at once, so only "
            "sentences that several reviewers decided anyway come here."
        )
    elif auto_gold:
        side.caption(
            f"Auto gold is on (ANNOTATOR_AUTO_GOLD): once {overlap} or more reviewers accept the "
            "same annotation it becomes gold by itself; only disagreements wait here."
        )
    else:
        side.caption(
            "Auto gold is off (ANNOTATOR_AUTO_GOLD=0): every sentence, agreed or not, waits for "
            "an adjudicator; switch on 'Show all multiply-annotated' to see the agreed ones."
        )
    return filters()


def queue_page(*, session: Session, adjudicator_id: int) -> list[QueueItem]:
    """The page of the queue on screen, with the sidebar's filters, without the sentences
    other adjudicators have open."""
    chosen = filters()
    return adjudicating.disagreement_queue(
        session=session,
        only_disagreements=chosen.only_disagreements,
        include_gold=chosen.include_gold,
        limit=PAGE_SIZE,
        after_id=_cursors()[-1],
        adjudicator_id=adjudicator_id,
    )


def requested_sentence(queue: Sequence[QueueItem]) -> int | None:
    """The sentence to show: the ``sentence`` query parameter, else the first in the queue."""
    raw = st.query_params.get("sentence")
    if not raw:
        if not queue:
            return None
        st.query_params["sentence"] = str(queue[0].sentence_id)
        return queue[0].sentence_id
    if not raw.isdigit() or int(raw) < 1:
        # Not echoed: the address is anyone's to write.
        show_error("The address names no sentence: `sentence` must be a sentence id (1, 2, ...).")
        return None
    return int(raw)


def _open_sentence(sentence_id: int | None) -> None:
    if sentence_id is not None:
        st.query_params["sentence"] = str(sentence_id)


def _picked() -> None:
    value = st.session_state.get(PICK)
    _open_sentence(value if isinstance(value, int) else None)


def _queue_label(item: QueueItem) -> str:
    gold = " · rejected" if item.rejected else " · has gold" if item.has_gold else ""
    text = textwrap.shorten(item.text, width=70, placeholder=" …")
    apart = f"{item.n_reviewers} reviewers · {item.score:.0%} apart"
    return f"#{item.sentence_id} · {apart}{gold} · {text}"


def queue_list(queue: Sequence[QueueItem], *, current: int | None) -> None:
    """The queue's page as a list to open a sentence from, and buttons to page through it."""
    side = st.sidebar
    cursors = _cursors()
    if not queue:
        side.info(
            "Nothing on this page of the queue."
            if len(cursors) > 1
            else "Nothing to adjudicate with these filters."
        )
    labels = {item.sentence_id: _queue_label(item) for item in queue}
    # Follows the sentence on screen, however it was opened (a link, a save, the list).
    st.session_state[PICK] = current if current in labels else None
    side.selectbox(
        f"Page {len(cursors)}: {len(queue)} sentence(s)",
        options=list(labels),
        format_func=labels.__getitem__,  # option text is shown as plain text
        index=None,
        placeholder="Open a sentence of the queue",
        key=PICK,
        on_change=_picked,
    )
    position = list(labels).index(current) if current in labels else -1
    # From a sentence outside this page (opened by a link), the page's first is next.
    following = list(labels)[position + 1] if position < len(labels) - 1 else None
    side.button(
        "Next in queue",
        key="adjudicate_next_sentence",
        on_click=_open_sentence,
        args=(following,),
        disabled=following is None,
        width="stretch",
        icon=":material/skip_next:",
    )
    back, more = side.columns(2)
    back.button(
        "Previous page",
        key="adjudicate_page_back",
        on_click=_previous_page,
        disabled=len(cursors) == 1,
        width="stretch",
    )
    more.button(
        "Next page",
        key="adjudicate_page_next",
        on_click=_next_page,
        args=(queue[-1].sentence_id if queue else 0,),
        disabled=len(queue) < PAGE_SIZE,
        width="stretch",
    )


# --- one sentence -----------------------------------------------------------------------------


def _opened() -> dict[int, dict[str, Any]]:
    opened = st.session_state.get(OPEN)
    if not isinstance(opened, dict):
        opened = {}
        st.session_state[OPEN] = opened
    return opened


def _state_of(sentence_id: int) -> dict[str, Any] | None:
    return _opened().get(sentence_id)


def ensure_open(scene: AdjudicationScene) -> dict[str, Any]:
    """The adjudicator's draft of this sentence; on first opening, the majority of the versions
    and the gold version seen now (which the save will name)."""
    opened = _opened()
    state = opened.get(scene.sentence_id)
    if state is None:
        draft = scene.comparison.majority_draft()
        state = {
            "gold_version": scene.gold.version if scene.gold is not None else None,
            "entities": [span.to_dict() for span in draft.entities],
            "events": [span.to_dict() for span in draft.events],
            "arguments": [argument.to_dict() for argument in draft.arguments],
            "categories": sorted(set(draft.categories)),
            "revision": 0,
        }
        opened[scene.sentence_id] = state
    return state


def draft_of(state: Mapping[str, Any]) -> Draft:
    """The adjudicator's draft as the core stores it, event arguments included."""
    return Draft(
        entities=tuple(Span(r["start"], r["end"], r["label"]) for r in state["entities"]),
        events=tuple(Span(r["start"], r["end"], r["label"]) for r in state["events"]),
        categories=tuple(state["categories"]),
        arguments=tuple(Argument.from_dict(row) for row in state.get("arguments", ())),
    )


def _rows(state: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The draft's span and argument rows, as the span editor reads and edits them."""
    return {key: list(state.get(key, ())) for key in (*LAYERS, "arguments")}


def _store_rows(state: dict[str, Any], rows: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Keep edited rows in the draft: spans as ``{start, end, label}``, arguments as stored."""
    for layer in LAYERS:
        state[layer] = [
            {"start": r["start"], "end": r["end"], "label": r["label"]} for r in rows[layer]
        ]
    state["arguments"] = [
        Argument.from_dict(dict(row)).to_dict() for row in rows.get("arguments", ())
    ]


# --- sections of the page ---------------------------------------------------------------------


def gold_panel(scene: AdjudicationScene, state: Mapping[str, Any], scheme: LabelScheme) -> None:
    """The current gold, if any, and a warning when it changed since the sentence was opened."""
    seen = state["gold_version"]
    now = scene.gold.version if scene.gold is not None else None
    if scene.gold is not None and scene.gold.status == "reject":
        st.info(
            render.markdown_literal(
                f"Rejected by {scene.gold_by or 'an adjudicator'} (gold version "
                f"{scene.gold.version}): this sentence is left out of export and training. "
                "Saving a decision as gold takes it back in."
            )
        )
    elif scene.gold is not None:
        card = render.gold_html(
            scene.gold,
            scene.passage.sentence.text,
            scheme,
            names=scene.reviewer_names(),
            decided_by=scene.gold_by,
        )
        st.html(render.VERSIONS_STYLE + card)
    else:
        st.caption("This sentence has no gold yet.")
    if seen != now:
        saw = f"version {seen}" if seen is not None else "no gold"
        is_now = f"version {now}" if now is not None else "no gold"
        st.warning(
            f"The gold changed after you opened this sentence (you saw {saw}, it is now "
            f"{is_now}): a save would be refused. Reload the sentence to decide on what is "
            "stored now."
        )
    st.button(
        "Reload sentence",
        key=f"adjudicate_reload_{scene.sentence_id}",
        on_click=reload,
        args=(scene.sentence_id,),
        help="Read the versions and the gold again and start the draft afresh.",
        icon=":material/refresh:",
    )


def versions_side_by_side(
    scene: AdjudicationScene, scheme: LabelScheme, *, adjudicator_id: int
) -> None:
    """One column per reviewer's version (spans, event arguments, categories), each with a
    button to take it as gold as it is, arguments included."""
    versions = scene.comparison.versions
    text = scene.passage.sentence.text
    for number, (column, version) in enumerate(
        zip(st.columns(len(versions)), versions, strict=True), start=1
    ):
        with column:
            card = render.version_html(version, scene.comparison, text, scheme)
            st.html(render.VERSIONS_STYLE + card)
            st.button(
                "Take this version",
                key=f"adjudicate_take_{scene.sentence_id}_{version.annotation_id}",
                on_click=take,
                args=(scene.sentence_id, version.annotation_id, scene.annotation_ids),
                kwargs={"adjudicator_id": adjudicator_id},
                disabled=version.status != "accept",
                help=(
                    "Store this version as the gold, as it is (its event arguments too)."
                    if version.status == "accept"
                    else "A rejected version has no spans to take; decide span by span below."
                ),
                shortcut=f"Ctrl+Shift+{number}" if number <= 9 else None,
                width="stretch",
                icon=":material/done_all:",
            )


def editor(scene: AdjudicationScene, state: dict[str, Any], scheme: LabelScheme) -> None:
    """The span editor on the adjudicator's draft: add, relabel and remove spans and event
    arguments freely."""
    text = scene.passage.sentence.text
    span_editor.span_editor(
        span_editor.editor_data(
            sentence_id=scene.sentence_id,
            text=text,
            token_bounds=token_bounds(text),
            rows=_rows(state),
            scheme=scheme,
            revision=int(state["revision"]),
            message=state.pop("editor_message", None),  # shown once, like st.error
        ),
        key=EDITOR,
        on_edit=apply_editor_edit,
    )


def _who(ids: frozenset[int], names: Mapping[int, str], everyone: int) -> str:
    if everyone > 1 and len(ids) == everyone:
        return "all reviewers"
    return ", ".join(sorted(names[i] for i in ids if i in names))


def span_key(sentence_id: int, revision: int, layer: str, span: Span) -> str:
    """The key of the checkbox that keeps a span in the decision."""
    return (
        f"adjudicate_keep_{sentence_id}_{revision}_{layer}_"
        f"{span.start_char}_{span.end_char}_{span.label}"
    )


def argument_key(sentence_id: int, revision: int, argument: Argument) -> str:
    """The key of the checkbox that keeps an event argument in the decision."""
    event, entity = argument.event, argument.entity
    return (
        f"adjudicate_argument_{sentence_id}_{revision}_{event.start_char}_{event.end_char}_"
        f"{event.label}_{argument.role}_{entity.start_char}_{entity.end_char}_{entity.label}"
    )


def category_key(sentence_id: int, revision: int, category: str) -> str:
    """The key of the checkbox that keeps a category in the decision."""
    return f"adjudicate_category_{sentence_id}_{revision}_{category}"


def draft_choices(scene: AdjudicationScene, state: Mapping[str, Any], scheme: LabelScheme) -> None:
    """A checkbox per span, event argument and category (ticked: in the decision) with who gave
    it; it starts from what most reviewers gave."""
    comparison = scene.comparison
    sid, revision, text = scene.sentence_id, int(state["revision"]), scene.passage.sentence.text
    names = scene.reviewer_names()
    everyone = len(comparison.versions)
    draft = draft_of(state)
    chosen = {("entities", s) for s in draft.entities} | {("events", s) for s in draft.events}
    rows: list[tuple[str, Span, str, bool]] = [
        (vote.layer, vote.span, _who(vote.annotation_ids, names, everyone), not vote.unanimous)
        for vote in comparison.spans
    ]
    voted = {(layer, span) for layer, span, _, _ in rows}
    rows += [
        (layer, span, "added by you", False)
        for layer, span in sorted(chosen - voted, key=lambda item: (item[0], item[1]))
    ]
    spans_column, categories_column = st.columns([1, 1], gap="large")
    with spans_column:
        st.markdown("**Spans** (ticked: in your decision)")
        if not rows:
            st.caption("No reviewer marked a span.")
        for layer, span, who, differs in rows:
            tick, label = st.columns([1, 12], vertical_alignment="center")
            tick.checkbox(
                f"Keep {span.label} span at {span.start_char}",
                value=(layer, span) in chosen,
                key=span_key(sid, revision, layer, span),
                on_change=keep_span,
                args=(sid, layer, span.to_dict(), span_key(sid, revision, layer, span)),
                label_visibility="collapsed",
            )
            with label:
                st.html(
                    render.VERSIONS_STYLE
                    + render.span_vote_html(span, layer, text, scheme, who=who, differs=differs)
                )
        argument_choices(scene, state, scheme)
    votes = {vote.category: vote for vote in comparison.categories}
    with categories_column:
        st.markdown("**Categories**")
        for category in scheme.categories:
            vote = votes.get(category.name)
            tick, label = st.columns([2, 1], vertical_alignment="center")
            key = category_key(sid, revision, category.name)
            tick.checkbox(
                render.markdown_literal(category.name),
                value=category.name in draft.categories,
                key=key,
                help=category.description,
                on_change=keep_category,
                args=(sid, category.name, key),
            )
            if vote is not None:
                who = _who(vote.annotation_ids, names, everyone)
                label.html(
                    render.VERSIONS_STYLE
                    + render.category_vote_html(who=who, differs=not vote.unanimous)
                )


def argument_choices(
    scene: AdjudicationScene, state: Mapping[str, Any], scheme: LabelScheme
) -> None:
    """A checkbox per event argument any reviewer (or the adjudicator) gave, with who gave it;
    keeping one keeps its trigger and its entity too."""
    comparison = scene.comparison
    sid, revision, text = scene.sentence_id, int(state["revision"]), scene.passage.sentence.text
    names = scene.reviewer_names()
    everyone = len(comparison.versions)
    chosen = set(draft_of(state).arguments)
    rows: list[tuple[Argument, str, bool]] = [
        (vote.argument, _who(vote.annotation_ids, names, everyone), not vote.unanimous)
        for vote in comparison.arguments
    ]
    voted = {argument for argument, _, _ in rows}
    rows += [(argument, "added by you", False) for argument in sorted(chosen - voted)]
    if not rows:
        return
    st.markdown("**Event arguments** (ticked: in your decision)")
    for argument, who, differs in rows:
        tick, label = st.columns([1, 12], vertical_alignment="center")
        key = argument_key(sid, revision, argument)
        tick.checkbox(
            f"Keep {argument.role} of {argument.event.label} at {argument.event.start_char}",
            value=argument in chosen,
            key=key,
            on_change=keep_argument,
            args=(sid, argument.to_dict(), key),
            label_visibility="collapsed",
        )
        with label:
            st.html(
                render.VERSIONS_STYLE
                + render.argument_vote_html(argument, text, scheme, who=who, differs=differs)
            )


def others_open(names: Sequence[str]) -> None:
    """Say who else has the sentence open (a link opens it whatever its claims)."""
    if names:
        st.warning(
            render.markdown_literal(
                f"{', '.join(names)} also {'has' if len(names) == 1 else 'have'} this sentence "
                "open and may be deciding it: the first save wins, a later one is refused."
            )
        )


def save_button(scene: AdjudicationScene, *, adjudicator_id: int) -> None:
    """Store the draft as the sentence's gold, or reject the sentence as unfit to label."""
    save_column, reject_column = st.columns(2)
    save_column.button(
        "Save decision as gold",
        key=f"adjudicate_save_{scene.sentence_id}",
        type="primary",
        on_click=save,
        args=(scene.sentence_id, scene.annotation_ids),
        kwargs={"adjudicator_id": adjudicator_id},
        shortcut="Ctrl+Enter",
        icon=":material/gavel:",
        width="stretch",
    )
    reject_column.button(
        "Reject sentence",
        key=f"adjudicate_reject_{scene.sentence_id}",
        on_click=reject,
        args=(scene.sentence_id, scene.annotation_ids),
        kwargs={"adjudicator_id": adjudicator_id},
        shortcut="Ctrl+Shift+X",
        help="Unfit to label (junk, a broken split): decided, and left out of export and training.",
        icon=":material/block:",
        width="stretch",
    )


def flash_messages() -> None:
    """Show and clear the outcome of the last save (or of a callback that failed)."""
    show_pending()
    if message := st.session_state.pop(ERROR, None):
        show_error(message)
    if message := st.session_state.pop(NOTICE, None):
        st.success(render.markdown_literal(message))


# --- callbacks ------------------------------------------------------------------------------


@guarded
def reload(sentence_id: int) -> None:
    """Forget the draft and the gold version seen: the sentence is opened afresh."""
    _opened().pop(sentence_id, None)


def keep_span(sentence_id: int, layer: str, row: dict[str, Any], key: str) -> None:
    """Put a span in the decision or take it out (with its arguments); a kept entity replaces
    those it overlaps."""
    state = _state_of(sentence_id)
    if state is None:
        return
    span = Span(row["start"], row["end"], row["label"])
    rows = [
        r
        for r in state[layer]
        if (r["start"], r["end"], r["label"]) != (span.start_char, span.end_char, span.label)
    ]
    if st.session_state.get(key):
        _keep(state, layer, span)
    else:
        state[layer] = rows
        _store_rows(state, span_editor.without_dangling(_rows(state))[0])
    # Fresh checkboxes drawn from the draft: a replaced entity's box is unticked too.
    state["revision"] = int(state["revision"]) + 1


def _keep(state: dict[str, Any], layer: str, span: Span) -> None:
    """Put a span in the draft (an entity replacing those it overlaps, which take their
    arguments with them)."""
    rows = [
        r
        for r in state[layer]
        if (r["start"], r["end"], r["label"]) != (span.start_char, span.end_char, span.label)
    ]
    if layer == "entities":
        rows = [r for r in rows if not span.overlaps(Span(r["start"], r["end"], r["label"]))]
    rows.append(span.to_dict())
    state[layer] = sorted(rows, key=lambda r: (r["start"], r["end"], r["label"]))
    _store_rows(state, span_editor.without_dangling(_rows(state))[0])


@guarded
def keep_argument(sentence_id: int, row: dict[str, Any], key: str) -> None:
    """Put an event argument in the decision (with its trigger and entity, re-assigning what it
    replaces) or take it out."""
    state = _state_of(sentence_id)
    if state is None:
        return
    argument = Argument.from_dict(row)
    with resources.session() as session:
        text = annotating.sentence_text(session=session, sentence_id=sentence_id) or ""
    if st.session_state.get(key):
        _keep(state, "events", argument.event)
        _keep(state, "entities", argument.entity)
    try:
        rows, _ = span_editor.edit_argument(
            _rows(state),
            argument,
            remove=not st.session_state.get(key),
            text=text,
            scheme=resources.scheme(),
        )
    except span_editor.EditError as error:
        st.session_state[ERROR] = f"Not changed: {error}"
    else:
        _store_rows(state, rows)
    state["revision"] = int(state["revision"]) + 1


def keep_category(sentence_id: int, category: str, key: str) -> None:
    """Put a category in the decision or take it out (alone, when categories are exclusive)."""
    state = _state_of(sentence_id)
    if state is None:
        return
    chosen = set(state["categories"]) - {category}
    if st.session_state.get(key):
        chosen = {category} if resources.scheme().categories_exclusive else chosen | {category}
    state["categories"] = sorted(chosen)
    state["revision"] = int(state["revision"]) + 1


@guarded
def apply_editor_edit() -> None:
    """Apply the edit the span editor sent to the draft of its sentence, once validated."""
    raw = span_editor.last_edit(EDITOR)
    if raw is None:
        return
    try:
        edit = span_editor.parse_edit(raw)
    except span_editor.EditError as error:
        st.session_state[ERROR] = f"Not changed: {error}"
        return
    state = _state_of(edit.sentence_id)
    if state is None:
        st.session_state[ERROR] = "Not changed: that edit was made on a sentence no longer open."
        return
    state["revision"] = int(state["revision"]) + 1  # the editor redraws even on failure
    with resources.session() as session:
        text = annotating.sentence_text(session=session, sentence_id=edit.sentence_id) or ""
    try:
        rows, notice = span_editor.apply_edit(
            edit,
            _rows(state),
            text=text,
            token_bounds=token_bounds(text),
            scheme=resources.scheme(),
        )
    except span_editor.EditError as error:
        state["editor_message"] = f"Not changed: {error}"
        return
    _store_rows(state, rows)
    st.toast(render.markdown_literal(notice))  # it quotes the report's words


@guarded
def take(
    sentence_id: int, annotation_id: int, compared: Sequence[int], *, adjudicator_id: int
) -> None:
    """Store one reviewer's accepted version as the gold, as it is."""
    state = _state_of(sentence_id)
    if state is None:
        return
    _store(
        sentence_id,
        lambda session: adjudicating.take_version(
            session=session,
            annotation_id=annotation_id,
            adjudicator_id=adjudicator_id,
            expected_version=state["gold_version"],
            scheme=resources.scheme(),
            from_annotations=[i for i in compared if i != annotation_id],
        ),
        how="a reviewer's version taken as it is",
        adjudicator_id=adjudicator_id,
    )


@guarded
def save(sentence_id: int, compared: Sequence[int], *, adjudicator_id: int) -> None:
    """Store the adjudicator's draft as the gold."""
    state = _state_of(sentence_id)
    if state is None:
        return
    draft = draft_of(state)
    _store(
        sentence_id,
        lambda session: adjudicating.adjudicate(
            session=session,
            sentence_id=sentence_id,
            adjudicator_id=adjudicator_id,
            draft=draft,
            from_annotations=compared,
            expected_version=state["gold_version"],
            scheme=resources.scheme(),
        ),
        how="decided span by span",
        adjudicator_id=adjudicator_id,
    )


@guarded
def reject(sentence_id: int, compared: Sequence[int], *, adjudicator_id: int) -> None:
    """Reject the sentence as unfit to label: a decision that export and training leave out."""
    state = _state_of(sentence_id)
    if state is None:
        return
    _store(
        sentence_id,
        lambda session: adjudicating.reject_sentence(
            session=session,
            sentence_id=sentence_id,
            adjudicator_id=adjudicator_id,
            from_annotations=compared,
            expected_version=state["gold_version"],
        ),
        how="rejected",
        adjudicator_id=adjudicator_id,
    )


def _store(
    sentence_id: int, store: Callable[[Session], Gold], *, how: str, adjudicator_id: int
) -> None:
    """Run a save; on success open the next sentence of the queue, else say why not."""
    try:
        with resources.session() as session:
            version = store(session).version
    except adjudicating.StaleGold as error:
        # Nothing was written; the draft stays, so the adjudicator can compare and reload.
        st.session_state[ERROR] = str(error)
        return
    except AnnotationError as error:
        st.session_state[ERROR] = f"Not saved: {error}"
        return
    _opened().pop(sentence_id, None)
    st.session_state[NOTICE] = (
        f"Rejected sentence {sentence_id} (gold version {version}): it is left out of export "
        "and training."
        if how == "rejected"
        else f"Saved sentence {sentence_id} as gold, version {version} ({how})."
    )
    _open_sentence(_next_in_queue(after=sentence_id, adjudicator_id=adjudicator_id))


def _next_in_queue(*, after: int, adjudicator_id: int) -> int | None:
    """The queue's sentence after ``after`` (or its first); None: stay on the one just saved."""
    chosen = filters()
    with resources.session() as session:
        for start in (after, 0):
            found = adjudicating.disagreement_queue(
                session=session,
                only_disagreements=chosen.only_disagreements,
                include_gold=chosen.include_gold,
                limit=1,
                after_id=start,
                adjudicator_id=adjudicator_id,
            )
            if found and found[0].sentence_id != after:
                return found[0].sentence_id
    return None
