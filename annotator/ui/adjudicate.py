"""The adjudicate view: the queue, the reviewers' versions side by side, and the decision.

Keys are prefixed ``adjudicate_``. The sentence on screen is the ``sentence`` query parameter, so
that other pages can link to one. What the adjudicator decides is kept per sentence in session
state together with the gold version they saw when they opened it; every save names that
version, and the core refuses it when someone saved the sentence meanwhile.

Report text and reviewer names reach the browser only escaped, in HTML built here (or as data
for the span editor), never inside a Markdown label.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import streamlit as st
from sqlmodel import Session

from annotator import repository
from annotator.comparison import Comparison, Version
from annotator.labels import LabelScheme
from annotator.models import Gold, Report, Sentence
from annotator.spans import LAYERS, Draft, Span
from annotator.tokens import token_bounds
from annotator.ui import resources, span_editor
from annotator.workflow import AnnotationError, adjudicating
from annotator.workflow.adjudicating import QueueItem

OPEN = "adjudicate_open"
PAGES = "adjudicate_pages"
SHOW_ALL = "adjudicate_show_all"
WITH_GOLD = "adjudicate_with_gold"
PICK = "adjudicate_pick"
EDITOR = "adjudicate_editor"
NOTICE = "adjudicate_notice"
ERROR = "adjudicate_error"
PAGE_SIZE = 50
DIFF_MARK = "≠"
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

STYLE = """
<style>
.adj-card { border: 1px solid #d0d7de; border-radius: 10px; padding: 10px 14px 12px;
  background: #fff; font-family: system-ui, sans-serif; }
.adj-gold { border-color: #d4a72c; background: #fffdf5; }
.adj-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; font-size: 0.9rem; }
.adj-name { font-weight: 700; }
.adj-meta { color: #6b7280; font-size: 0.8rem; }
.adj-status { padding: 0 8px; border-radius: 999px; font-size: 0.72rem; font-weight: 700;
  color: #fff; background: #15803d; }
.adj-status-rejected { background: #b42318; }
.adj-text { font-family: Georgia, "Times New Roman", serif; font-size: 1.12rem; line-height: 2.6;
  white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
.adj-ent { background: color-mix(in srgb, var(--c) 22%, transparent); border: 2px solid var(--c);
  border-radius: 6px; padding: 2px 2px 2px 4px; -webkit-box-decoration-break: clone;
  box-decoration-break: clone; }
.adj-badge { display: inline-block; margin-left: 4px; padding: 0 5px; border-radius: 4px;
  font: 700 0.62rem/1.6 system-ui, sans-serif; letter-spacing: 0.03em; vertical-align: 0.28em; }
.adj-badge-ent { color: #fff; background: var(--c); text-shadow: 0 0 2px rgba(0, 0, 0, 0.5); }
.adj-badge-ev { color: var(--c); background: #fff; border: 1.5px solid var(--c);
  font-style: italic; vertical-align: -0.35em; }
.adj-diff { outline: 2.5px dashed #b42318; outline-offset: 2px; }
.adj-mark { color: #b42318; font-weight: 800; margin-right: 2px; font-style: normal; }
.adj-badge-ent .adj-mark { color: #fff; }
.adj-cats { display: flex; flex-wrap: wrap; gap: 5px; margin-top: 2px; }
.adj-cat { padding: 1px 7px; border: 1px solid var(--c); border-radius: 6px;
  background: color-mix(in srgb, var(--c) 14%, white); font-size: 0.74rem; font-weight: 600; }
.adj-none { color: #6b7280; font-size: 0.8rem; font-style: italic; }
.adj-note { margin-top: 8px; color: #6b7280; font-size: 0.8rem; }
.adj-row { font-family: system-ui, sans-serif; font-size: 0.92rem; line-height: 1.9; }
.adj-row .adj-badge { margin: 0 6px 0 0; vertical-align: 0.1em; }
.adj-quote { font-family: Georgia, serif; }
.adj-who { color: #6b7280; font-size: 0.8rem; margin-left: 6px; }
</style>
"""


def literal(text: str) -> str:
    """Text to show through a Markdown element (st.error, st.success) exactly as it is."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def _utc_text(moment: datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


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


def queue_page(*, session: Session) -> list[QueueItem]:
    """The page of the queue on screen, with the sidebar's filters."""
    chosen = filters()
    return adjudicating.disagreement_queue(
        session=session,
        only_disagreements=chosen.only_disagreements,
        include_gold=chosen.include_gold,
        limit=PAGE_SIZE,
        after_id=_cursors()[-1],
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
        st.error("The address names no sentence: `sentence` must be a sentence id (1, 2, ...).")
        return None
    return int(raw)


def _open_sentence(sentence_id: int | None) -> None:
    if sentence_id is not None:
        st.query_params["sentence"] = str(sentence_id)


def _picked() -> None:
    value = st.session_state.get(PICK)
    _open_sentence(value if isinstance(value, int) else None)


def _queue_label(item: QueueItem) -> str:
    gold = " · has gold" if item.has_gold else ""
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


@dataclass(frozen=True)
class Scene:
    """Everything the page shows of one sentence, read in one session."""

    sentence: Sentence
    report: Report | None
    before: list[Sentence]
    after: list[Sentence]
    comparison: Comparison
    gold: Gold | None
    gold_by: str | None

    @property
    def sentence_id(self) -> int:
        """The sentence's id."""
        assert self.sentence.id is not None
        return self.sentence.id

    @property
    def annotation_ids(self) -> tuple[int, ...]:
        """The annotations on screen: those a decision is made from."""
        return tuple(version.annotation_id for version in self.comparison.versions)

    def reviewer_names(self) -> dict[int, str]:
        """Reviewer name by annotation id."""
        return {version.annotation_id: version.reviewer for version in self.comparison.versions}


def load(*, session: Session, sentence_id: int) -> Scene | None:
    """The sentence, its neighbours, its reviewers' versions and its gold; None if missing."""
    sentence = repository.get_sentence(session=session, sentence_id=sentence_id)
    if sentence is None:
        return None
    context = repository.context_of(session=session, sentence=sentence)
    gold = repository.current_gold(session=session, sentence_id=sentence_id)
    decider = (
        repository.get_reviewer(session=session, reviewer_id=gold.decided_by)
        if gold is not None and gold.decided_by is not None
        else None
    )
    return Scene(
        sentence=sentence,
        report=repository.report_of(session=session, report_id=sentence.report_id),
        before=[n for n in context if n.position < sentence.position],
        after=[n for n in context if n.position > sentence.position],
        comparison=adjudicating.compare(
            adjudicating.versions_of(session=session, sentence_id=sentence_id)
        ),
        gold=gold,
        gold_by=decider.name if decider is not None else None,
    )


def _opened() -> dict[int, dict[str, Any]]:
    opened = st.session_state.get(OPEN)
    if not isinstance(opened, dict):
        opened = {}
        st.session_state[OPEN] = opened
    return opened


def _state_of(sentence_id: int) -> dict[str, Any] | None:
    return _opened().get(sentence_id)


def ensure_open(scene: Scene) -> dict[str, Any]:
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
            "categories": sorted(set(draft.categories)),
            "revision": 0,
        }
        opened[scene.sentence_id] = state
    return state


def draft_of(state: Mapping[str, Any]) -> Draft:
    """The adjudicator's draft as the core stores it."""
    return Draft(
        entities=tuple(Span(r["start"], r["end"], r["label"]) for r in state["entities"]),
        events=tuple(Span(r["start"], r["end"], r["label"]) for r in state["events"]),
        categories=tuple(state["categories"]),
    )


# --- HTML: sentences with their spans, every piece of text escaped ---------------------------


def _colour(label: str, scheme: LabelScheme) -> str:
    found = scheme.get(label)
    return escape(found.colour if found is not None else "#888888", quote=True)


def _badge(
    span: Span, layer: str, scheme: LabelScheme, *, differs: bool, boxed: bool = False
) -> str:
    """A span's label; ``boxed``: it sits in its entity's box, which carries the outline."""
    kind = "ent" if layer == "entities" else "ev"
    mark = f'<span class="adj-mark">{DIFF_MARK}</span>' if differs else ""
    outline = " adj-diff" if differs and not boxed else ""
    title = "not every reviewer marked this" if differs else "every reviewer marked this"
    return (
        f'<span class="adj-badge adj-badge-{kind}{outline}" '
        f'style="--c:{_colour(span.label, scheme)}" title="{title}">'
        f"{mark}{escape(span.label)}</span>"
    )


def _tracks(events: Sequence[Span]) -> dict[Span, int]:
    """An underline track per event, so that overlapping triggers stay apart."""
    ends: list[int] = []
    tracks: dict[Span, int] = {}
    for span in sorted(events, key=lambda s: (s.start_char, -s.end_char, s.label)):
        track = next((t for t, end in enumerate(ends) if end <= span.start_char), len(ends))
        if track == len(ends):
            ends.append(span.end_char)
        else:
            ends[track] = span.end_char
        tracks[span] = track
    return tracks


def sentence_html(
    text: str,
    draft: Draft,
    scheme: LabelScheme,
    *,
    differing: frozenset[tuple[str, Span]] = frozenset(),
) -> str:
    """The sentence with its entities as tinted boxes and its events as underlines, each with
    its label; spans in ``differing`` (layer, span) are outlined and marked."""

    def fits(span: Span) -> bool:
        return 0 <= span.start_char < span.end_char <= len(text)

    entities: list[Span] = []
    for span in sorted(filter(fits, set(draft.entities))):
        # Stored entities never overlap; should one, it is left out rather than nested.
        if not entities or entities[-1].end_char <= span.start_char:
            entities.append(span)
    events = sorted(filter(fits, set(draft.events)))
    tracks = _tracks(events)
    cuts = sorted(
        {0, len(text)}
        | {s.start_char for s in (*entities, *events)}
        | {s.end_char for s in (*entities, *events)}
    )
    parts: list[str] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        for span in (e for e in entities if e.start_char == start):
            outline = " adj-diff" if ("entities", span) in differing else ""
            parts.append(
                f'<span class="adj-ent{outline}" style="--c:{_colour(span.label, scheme)}">'
            )
        piece = escape(text[start:end])
        over = sorted(
            (e for e in events if e.start_char <= start and end <= e.end_char),
            key=tracks.__getitem__,
        )
        if over:
            lines = ", ".join(
                f"inset 0 -{3 * (tracks[e] + 1)}px 0 0 {_colour(e.label, scheme)}" for e in over
            )
            depth = 3 * (max(tracks[e] for e in over) + 1) + 1
            piece = f'<span style="box-shadow:{lines};padding-bottom:{depth}px">{piece}</span>'
        parts.append(piece)
        for span in (e for e in events if e.end_char == end):
            parts.append(_badge(span, "events", scheme, differs=("events", span) in differing))
        for span in (e for e in entities if e.end_char == end):
            differs = ("entities", span) in differing
            parts.append(_badge(span, "entities", scheme, differs=differs, boxed=True))
            parts.append("</span>")
    return f'<div class="adj-text">{"".join(parts)}</div>'


def categories_html(
    categories: Sequence[str], scheme: LabelScheme, *, differing: frozenset[str] = frozenset()
) -> str:
    """The sentence's categories as chips; those in ``differing`` outlined and marked."""
    if not categories:
        return '<div class="adj-cats"><span class="adj-none">no categories</span></div>'
    chips = "".join(
        f'<span class="adj-cat{" adj-diff" if name in differing else ""}" '
        f'style="--c:{_colour(name, scheme)}">'
        f"{f'<span class=adj-mark>{DIFF_MARK}</span>' if name in differing else ''}"
        f"{escape(name)}</span>"
        for name in sorted(set(categories))
    )
    return f'<div class="adj-cats">{chips}</div>'


def _differences(comparison: Comparison) -> tuple[frozenset[tuple[str, Span]], frozenset[str]]:
    spans = frozenset((vote.layer, vote.span) for vote in comparison.spans if not vote.unanimous)
    categories = frozenset(vote.category for vote in comparison.categories if not vote.unanimous)
    return spans, categories


def version_html(version: Version, comparison: Comparison, text: str, scheme: LabelScheme) -> str:
    """One reviewer's version as a card: who, their decision, the sentence with their spans and
    their categories; what not every reviewer has is outlined and marked."""
    spans, categories = _differences(comparison)
    status = "accepted" if version.status == "accept" else "rejected"
    statuses = {v.status for v in comparison.versions}
    status_outline = " adj-diff" if len(statuses) > 1 else ""
    own = [
        f"{vote.span.label} “{vote.span.text_in(text)}”"
        for vote in comparison.spans
        if not vote.unanimous and version.annotation_id in vote.annotation_ids
    ] + [
        vote.category
        for vote in comparison.categories
        if not vote.unanimous and version.annotation_id in vote.annotation_ids
    ]
    missing = sum(
        not vote.unanimous and version.annotation_id not in vote.annotation_ids
        for vote in comparison.spans
    ) + sum(
        not vote.unanimous and version.annotation_id not in vote.annotation_ids
        for vote in comparison.categories
    )
    note = " ".join(
        part
        for part in (
            f"{DIFF_MARK} Not shared by every reviewer: {escape('; '.join(own))}." if own else "",
            f"Missing {missing} that others gave." if missing else "",
        )
        if part
    )
    return (
        f'<div class="adj-card" data-annotation="{version.annotation_id}">'
        f'<div class="adj-head"><span class="adj-name">{escape(version.reviewer)}</span>'
        f'<span class="adj-status adj-status-{status}{status_outline}">{status}</span></div>'
        f"{sentence_html(text, version.draft, scheme, differing=spans)}"
        f"{categories_html(version.draft.categories, scheme, differing=categories)}"
        f'<div class="adj-note">{note}</div></div>'
    )


def gold_html(scene: Scene, scheme: LabelScheme) -> str:
    """The sentence's current gold as a card: version, source, who, when, from which versions."""
    gold = scene.gold
    assert gold is not None
    names = scene.reviewer_names()
    sources = ", ".join(names.get(i, f"annotation {i}") for i in gold.from_annotations)
    who = f" by {scene.gold_by}" if scene.gold_by else ""
    meta = f"{gold.source}{who} · {_utc_text(gold.updated_at)}" + (
        f" · from {sources}" if sources else ""
    )
    draft = Draft.from_rows(gold.entities, gold.events, gold.categories)
    return (
        f'<div class="adj-card adj-gold" data-gold-version="{gold.version}">'
        f'<div class="adj-head"><span class="adj-name">Current gold, version {gold.version}'
        f'</span><span class="adj-meta">{escape(meta)}</span></div>'
        f"{sentence_html(scene.sentence.text, draft, scheme)}"
        f"{categories_html(draft.categories, scheme)}</div>"
    )


# --- sections of the page ---------------------------------------------------------------------


def gold_panel(scene: Scene, state: Mapping[str, Any], scheme: LabelScheme) -> None:
    """The current gold, if any, and a warning when it changed since the sentence was opened."""
    seen = state["gold_version"]
    now = scene.gold.version if scene.gold is not None else None
    if scene.gold is not None:
        st.html(STYLE + gold_html(scene, scheme))
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


def versions_side_by_side(scene: Scene, scheme: LabelScheme, *, adjudicator_id: int) -> None:
    """One column per reviewer's version, each with a button to take it as gold as it is."""
    versions = scene.comparison.versions
    for number, (column, version) in enumerate(
        zip(st.columns(len(versions)), versions, strict=True), start=1
    ):
        with column:
            st.html(STYLE + version_html(version, scene.comparison, scene.sentence.text, scheme))
            st.button(
                "Take this version",
                key=f"adjudicate_take_{scene.sentence_id}_{version.annotation_id}",
                on_click=take,
                args=(scene.sentence_id, version.annotation_id, scene.annotation_ids),
                kwargs={"adjudicator_id": adjudicator_id},
                disabled=version.status != "accept",
                help=(
                    "Store this version as the gold, as it is."
                    if version.status == "accept"
                    else "A rejected version has no spans to take; decide span by span below."
                ),
                shortcut=f"Ctrl+Shift+{number}" if number <= 9 else None,
                width="stretch",
                icon=":material/done_all:",
            )


def editor(scene: Scene, state: dict[str, Any], scheme: LabelScheme) -> None:
    """The span editor on the adjudicator's draft: add, relabel and remove spans freely."""
    text = scene.sentence.text
    span_editor.span_editor(
        span_editor.editor_data(
            sentence_id=scene.sentence_id,
            text=text,
            token_bounds=token_bounds(text),
            rows={layer: state[layer] for layer in LAYERS},
            scheme=scheme,
            revision=int(state["revision"]),
            message=state.pop("editor_message", None),  # shown once, like st.error
        ),
        key=EDITOR,
        on_edit=apply_editor_edit,
    )


def _vote_row(
    span: Span, layer: str, text: str, scheme: LabelScheme, who: str, differs: bool
) -> str:
    return (
        f'<div class="adj-row">{_badge(span, layer, scheme, differs=differs)}'
        f'<span class="adj-quote">“{escape(span.text_in(text))}”</span>'
        f'<span class="adj-who">{escape(who)}</span></div>'
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


def category_key(sentence_id: int, revision: int, category: str) -> str:
    """The key of the checkbox that keeps a category in the decision."""
    return f"adjudicate_category_{sentence_id}_{revision}_{category}"


def draft_choices(scene: Scene, state: Mapping[str, Any], scheme: LabelScheme) -> None:
    """A checkbox per span and category (ticked: in the decision) with who gave it; it starts
    from what most reviewers gave."""
    comparison = scene.comparison
    sid, revision, text = scene.sentence_id, int(state["revision"]), scene.sentence.text
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
                st.html(STYLE + _vote_row(span, layer, text, scheme, who, differs))
    votes = {vote.category: vote for vote in comparison.categories}
    with categories_column:
        st.markdown("**Categories**")
        for category in scheme.categories:
            vote = votes.get(category.name)
            tick, label = st.columns([2, 1], vertical_alignment="center")
            key = category_key(sid, revision, category.name)
            tick.checkbox(
                literal(category.name),
                value=category.name in draft.categories,
                key=key,
                help=category.description,
                on_change=keep_category,
                args=(sid, category.name, key),
            )
            if vote is not None:
                mark = "" if vote.unanimous else f'<span class="adj-mark">{DIFF_MARK}</span>'
                label.html(
                    f'{STYLE}<div class="adj-row">{mark}<span class="adj-who">'
                    f"{escape(_who(vote.annotation_ids, names, everyone))}</span></div>"
                )


def save_button(scene: Scene, *, adjudicator_id: int) -> None:
    """Store the draft as the sentence's gold."""
    st.button(
        "Save decision as gold",
        key=f"adjudicate_save_{scene.sentence_id}",
        type="primary",
        on_click=save,
        args=(scene.sentence_id, scene.annotation_ids),
        kwargs={"adjudicator_id": adjudicator_id},
        shortcut="Ctrl+Enter",
        icon=":material/gavel:",
    )


def flash_messages() -> None:
    """Show and clear the outcome of the last save."""
    if message := st.session_state.pop(ERROR, None):
        st.error(literal(message))
    if message := st.session_state.pop(NOTICE, None):
        st.success(literal(message))


# --- callbacks ------------------------------------------------------------------------------


def reload(sentence_id: int) -> None:
    """Forget the draft and the gold version seen: the sentence is opened afresh."""
    _opened().pop(sentence_id, None)


def keep_span(sentence_id: int, layer: str, row: dict[str, Any], key: str) -> None:
    """Put a span in the decision or take it out; a kept entity replaces those it overlaps."""
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
        if layer == "entities":
            rows = [r for r in rows if not span.overlaps(Span(r["start"], r["end"], r["label"]))]
        rows.append(span.to_dict())
    state[layer] = sorted(rows, key=lambda r: (r["start"], r["end"], r["label"]))
    # Fresh checkboxes drawn from the draft: a replaced entity's box is unticked too.
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
        sentence = repository.get_sentence(session=session, sentence_id=edit.sentence_id)
    text = sentence.text if sentence is not None else ""
    try:
        rows, notice = span_editor.apply_edit(
            edit,
            {layer: state[layer] for layer in LAYERS},
            text=text,
            token_bounds=token_bounds(text),
            scheme=resources.scheme(),
        )
    except span_editor.EditError as error:
        state["editor_message"] = f"Not changed: {error}"
        return
    for layer in LAYERS:
        state[layer] = [
            {"start": r["start"], "end": r["end"], "label": r["label"]} for r in rows[layer]
        ]
    st.toast(notice)


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
    )


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
    )


def _store(sentence_id: int, store: Callable[[Session], Gold], *, how: str) -> None:
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
    st.session_state[NOTICE] = f"Saved sentence {sentence_id} as gold, version {version} ({how})."
    _open_sentence(_next_in_queue(after=sentence_id))


def _next_in_queue(*, after: int) -> int | None:
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
            )
            if found and found[0].sentence_id != after:
                return found[0].sentence_id
    return None
