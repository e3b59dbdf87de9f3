"""Report text, reviewers' versions and messages as HTML or Markdown: every piece of text escaped.

The sentence being annotated is drawn by the span editor component (DOM text nodes only); this
module renders what surrounds it (the source line, the dimmed neighbouring sentences), the
adjudication page's version cards (spans, event arguments, categories), and the Markdown source
that shows a message as it is written. Pure functions of their arguments: no Streamlit, no
database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import PurePath

from annotator.colours import ink_on
from annotator.comparison import Comparison, Version
from annotator.labels import LabelScheme
from annotator.models import Gold
from annotator.spans import Argument, Draft, Span

DIFF_MARK = "≠"

STYLE = """
<style>
.ca-context { color: #8a8a8a; font-size: 1.0rem; line-height: 1.6; margin: 0.3rem 0; }
.ca-source { font-family: system-ui, sans-serif; font-size: 0.85rem; color: #6b7280;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ca-source b { color: #374151; font-weight: 600; }
.ca-before { height: 3.5rem; overflow: hidden; display: flex; flex-direction: column;
  justify-content: flex-end; }
</style>
"""


def context_html(text: str) -> str:
    """A neighbouring sentence, dimmed and escaped."""
    return f'<div class="ca-context" dir="auto">{escape(text)}</div>'


def before_html(texts: Sequence[str]) -> str:
    """The sentences before the one annotated, in a box of two lines' height (their last two
    lines; empty for a report's first sentence): what comes below stays in place."""
    return f'<div class="ca-before">{"".join(context_html(text) for text in texts)}</div>'


def source_html(source: str, *, position: int, total: int) -> str:
    """Where the sentence comes from (the report's source may be hostile: escaped)."""
    name = PurePath(source).name or source
    return (
        f'<div class="ca-source" title="{escape(source, quote=True)}">'
        f'<b dir="auto">{escape(name)}</b>'
        f" · sentence {position + 1} of {total}</div>"
    )


VERSIONS_STYLE = """
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
.adj-badge { display: inline-block; margin-inline-start: 4px; padding: 0 5px; border-radius: 4px;
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
.adj-args { display: flex; flex-direction: column; gap: 3px; margin: 2px 0 6px;
  font-size: 0.8rem; line-height: 1.7; }
.adj-arg-row { display: flex; flex-wrap: wrap; align-items: center; gap: 5px; }
.adj-trigger { font-family: Georgia, serif; font-style: italic;
  box-shadow: inset 0 -3px 0 0 var(--c); }
.adj-trigger::after { content: ":"; font-style: normal; }
.adj-arg { display: inline-flex; align-items: center; gap: 4px; padding: 0 4px 0 1px;
  border: 1.5px solid var(--r); border-radius: 6px; background: #fff; }
.adj-arg .adj-quote { font-size: 0.86rem; }
.adj-role { color: var(--ri); background: var(--r); padding: 0 5px; border-radius: 4px;
  font: 700 0.6rem/1.6 system-ui, sans-serif; letter-spacing: 0.03em; }
.adj-role .adj-mark { color: var(--ri); }
</style>
"""

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


def _role_style(role: str, scheme: LabelScheme) -> str:
    found = scheme.role(role)
    colour = found.colour if found is not None else "#4b5563"
    return escape(f"--r:{colour};--ri:{ink_on(colour)}", quote=True)


def argument_html(
    argument: Argument, text: str, scheme: LabelScheme, *, differs: bool = False
) -> str:
    """One event argument: its role's tag and the words of the entity playing it; outlined and
    marked when not every reviewer gave it."""
    mark = f'<span class="adj-mark">{DIFF_MARK}</span>' if differs else ""
    title = ' title="not every reviewer gave this"' if differs else ""
    return (
        f'<span class="adj-arg{" adj-diff" if differs else ""}" '
        f'style="{_role_style(argument.role, scheme)}"{title}>'
        f'<span class="adj-role">{mark}{escape(argument.role)}</span>'
        f'<span class="adj-quote">{escape(argument.entity.text_in(text))}</span></span>'
    )


def arguments_html(
    draft: Draft,
    text: str,
    scheme: LabelScheme,
    *,
    differing: frozenset[Argument] = frozenset(),
) -> str:
    """Each event trigger of the draft with its arguments, as a compact list ("shot: ACTOR
    junta troops · LOCATION Kanbalu township"); those in ``differing`` outlined and marked.
    Empty for a draft without triggers."""
    order = {name: number for number, name in enumerate(scheme.names("roles"))}
    rows = []
    for event in sorted(set(draft.events)):
        found = sorted(
            draft.arguments_of(event),
            key=lambda a: (order.get(a.role, len(order)), a.entity),
        )
        items = (
            " · ".join(argument_html(a, text, scheme, differs=a in differing) for a in found)
            or '<span class="adj-none">no arguments</span>'
        )
        rows.append(
            f'<div class="adj-arg-row"><span class="adj-trigger" '
            f'style="--c:{_colour(event.label, scheme)}" title="{escape(event.label)}">'
            f"{escape(event.text_in(text))}</span>{items}</div>"
        )
    return f'<div class="adj-args" dir="auto">{"".join(rows)}</div>' if rows else ""


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
    return f'<div class="adj-text" dir="auto">{"".join(parts)}</div>'


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


def _differences(
    comparison: Comparison,
) -> tuple[frozenset[tuple[str, Span]], frozenset[str], frozenset[Argument]]:
    spans = frozenset((vote.layer, vote.span) for vote in comparison.spans if not vote.unanimous)
    categories = frozenset(vote.category for vote in comparison.categories if not vote.unanimous)
    arguments = frozenset(vote.argument for vote in comparison.arguments if not vote.unanimous)
    return spans, categories, arguments


def version_html(version: Version, comparison: Comparison, text: str, scheme: LabelScheme) -> str:
    """One reviewer's version as a card: who, their decision, the sentence with their spans,
    their events' arguments and their categories; what not every reviewer has is outlined and
    marked."""
    spans, categories, arguments = _differences(comparison)
    status = "accepted" if version.status == "accept" else "rejected"
    statuses = {v.status for v in comparison.versions}
    status_outline = " adj-diff" if len(statuses) > 1 else ""
    own = (
        [
            f"{vote.span.label} “{vote.span.text_in(text)}”"
            for vote in comparison.spans
            if not vote.unanimous and version.annotation_id in vote.annotation_ids
        ]
        + [
            f"{vote.argument.role} “{vote.argument.entity.text_in(text)}” of "
            f"“{vote.argument.event.text_in(text)}”"
            for vote in comparison.arguments
            if not vote.unanimous and version.annotation_id in vote.annotation_ids
        ]
        + [
            vote.category
            for vote in comparison.categories
            if not vote.unanimous and version.annotation_id in vote.annotation_ids
        ]
    )
    missing = sum(
        not vote.unanimous and version.annotation_id not in vote.annotation_ids
        for votes in (comparison.spans, comparison.arguments, comparison.categories)
        for vote in votes
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
        f"{arguments_html(version.draft, text, scheme, differing=arguments)}"
        f"{categories_html(version.draft.categories, scheme, differing=categories)}"
        f'<div class="adj-note">{note}</div></div>'
    )


def gold_html(
    gold: Gold,
    text: str,
    scheme: LabelScheme,
    *,
    names: Mapping[int, str],
    decided_by: str | None,
) -> str:
    """A sentence's current gold as a card: version, source, who, when, from which versions
    (reviewer names by annotation id in ``names``)."""
    sources = ", ".join(names.get(i, f"annotation {i}") for i in gold.from_annotations)
    who = f" by {decided_by}" if decided_by else ""
    meta = f"{gold.source}{who} · {_utc_text(gold.updated_at)}" + (
        f" · from {sources}" if sources else ""
    )
    draft = Draft.of(gold)
    return (
        f'<div class="adj-card adj-gold" data-gold-version="{gold.version}">'
        f'<div class="adj-head"><span class="adj-name">Current gold, version {gold.version}'
        f'</span><span class="adj-meta">{escape(meta)}</span></div>'
        f"{sentence_html(text, draft, scheme)}"
        f"{arguments_html(draft, text, scheme)}"
        f"{categories_html(draft.categories, scheme)}</div>"
    )


def _utc_text(moment: datetime | None) -> str:
    if moment is None:
        return "an unknown time"
    # SQLite hands timestamps back without their zone; they were stored in UTC.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def span_vote_html(
    span: Span, layer: str, text: str, scheme: LabelScheme, *, who: str, differs: bool
) -> str:
    """One span of the decision's list: its label, its words and who marked it."""
    return (
        f'<div class="adj-row">{_badge(span, layer, scheme, differs=differs)}'
        f'<span class="adj-quote">“{escape(span.text_in(text))}”</span>'
        f'<span class="adj-who">{escape(who)}</span></div>'
    )


def argument_vote_html(
    argument: Argument, text: str, scheme: LabelScheme, *, who: str, differs: bool
) -> str:
    """One event argument of the decision's list: its trigger, its role and entity, and who
    gave it."""
    return (
        f'<div class="adj-row"><span class="adj-trigger" '
        f'style="--c:{_colour(argument.event.label, scheme)}">'
        f"{escape(argument.event.text_in(text))}</span> "
        f"{argument_html(argument, text, scheme, differs=differs)}"
        f'<span class="adj-who">{escape(who)}</span></div>'
    )


def category_vote_html(*, who: str, differs: bool) -> str:
    """Who gave a category, marked when not every reviewer did."""
    mark = f'<span class="adj-mark">{DIFF_MARK}</span>' if differs else ""
    return f'<div class="adj-row">{mark}<span class="adj-who">{escape(who)}</span></div>'


# --- Markdown: a message shown as it is written ------------------------------------------------

# Markdown reads these as syntax wherever they stand: escapes, code, emphasis, strikethrough,
# links, HTML, character references, Streamlit's LaTeX ($) and tables.
_INLINE = re.compile(r"([\\`*_~\[\]<>&$|])")
# These only at the start of a line: headings, list items, setext underlines; "1." and "1)".
_LINE_START = re.compile(r"^[#+=-]")
_NUMBERED = re.compile(r"^(\d+)([.)])")
_COLON = re.compile(":")
_SHORTCODE_BEFORE = re.compile(r":[\w+/-]+$")
# Streamlit turns ":material/" into an icon's name before Markdown reads the text.
_MATERIAL = re.compile(r"(?<=:material)/")


def _colon(match: re.Match[str]) -> str:
    """A colon touching what follows opens a Streamlit directive (:red[...], :name) or a
    shortcode (:smile:, :material/home:); one that closes a shortcode is escaped too, since
    Streamlit looks for shortcodes before Markdown reads its escapes. The colon of
    "Not saved: why" stays as it is."""
    text, at = match.string, match.start()
    opens = at + 1 < len(text) and not text[at + 1].isspace()
    closes = _SHORTCODE_BEFORE.search(text, 0, at) is not None
    return "\\:" if opens or closes else ":"


def _literal_line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line.lstrip())
    line = _MATERIAL.sub(r"\\/", _COLON.sub(_colon, line))
    return _NUMBERED.sub(r"\1\\\2", _LINE_START.sub(r"\\\g<0>", line))


def markdown_literal(text: str) -> str:
    """Markdown that Streamlit (st.error, st.success, widget labels) shows as ``text`` exactly.

    What Markdown or Streamlit would read as syntax is backslash-escaped; other punctuation is
    left as written, so "Wrong name or password." stays that string. Each line stays a line;
    leading indentation is dropped (Markdown would make it a code block). What Streamlit finds
    in the text once Markdown has read it cannot be escaped: a bare address (https://..., www...,
    an e-mail address) is still a link, and the word streamlit between colons its logo.
    """
    return "  \n".join(_literal_line(line) for line in text.splitlines() or [""])
