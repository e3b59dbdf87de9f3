"""What the screens draw: report text, file and reviewer names escaped in HTML, the outlines
that mark what not every reviewer gave, and messages that Markdown shows exactly as written."""

import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from markdown_it import MarkdownIt

from annotator.comparison import Version, compare
from annotator.models import Gold
from annotator.spans import Argument, Draft, Span
from annotator.ui.render import (
    DIFF_MARK,
    argument_vote_html,
    arguments_html,
    categories_html,
    category_vote_html,
    context_html,
    gold_html,
    markdown_literal,
    sentence_html,
    source_html,
    span_vote_html,
    version_html,
)

HOSTILE = 'Army <script>alert("x")</script> & **bold** 🎉 done'
ARMY = Span(0, 4, "ARMED_GROUP")  # Army
SCRIPT = Span(5, 32, "PERSON")  # <script>alert("x")</script>
BOLD = Span(35, 43, "PERSON")  # **bold**
DONE = Span(46, 50, "ARMED_CLASH")  # done


def tag_free(html: str) -> str:
    """The text a browser shows of this HTML (tags removed, references decoded)."""
    return unescape(re.sub(r"<[^>]*>", "", html))


def version(annotation_id, reviewer, *, status="accept", entities=(), events=(), categories=()):
    return Version(
        annotation_id=annotation_id,
        reviewer_id=annotation_id,
        reviewer=reviewer,
        status=status,
        draft=Draft(entities=tuple(entities), events=tuple(events), categories=tuple(categories)),
    )


# --- the text around the span editor ------------------------------------------------------------


def test_neighbouring_sentences_are_escaped():
    html = context_html('<img src=x onerror=alert(1)> "quoted" & more')
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; more" in html


def test_source_shows_the_file_name_escaped_with_the_full_path_as_title():
    html = source_html('/tmp/up/<b onmouseover="x">.txt', position=2, total=9)
    assert "<b onmouseover" not in html
    assert "&lt;b onmouseover=&quot;x&quot;&gt;.txt</b> · sentence 3 of 9" in html
    assert 'title="/tmp/up/&lt;b onmouseover=&quot;x&quot;&gt;.txt"' in html


# --- a sentence with its spans ------------------------------------------------------------------


def test_a_sentence_shows_its_text_escaped_and_whole(scheme):
    html = sentence_html(HOSTILE, Draft(entities=(ARMY, BOLD), events=(DONE,)), scheme)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "**bold**" in html  # st.html reads no Markdown: the asterisks stay text
    assert "🎉" in html
    # Tags removed, what is left is the sentence followed by its labels.
    assert tag_free(html) == (
        'ArmyARMED_GROUP <script>alert("x")</script> & **bold**PERSON 🎉 doneARMED_CLASH'
    )


def test_entities_are_boxes_and_events_underlines_in_their_label_colours(scheme):
    html = sentence_html(HOSTILE, Draft(entities=(ARMY,), events=(DONE,)), scheme)
    group, clash = scheme.get("ARMED_GROUP").colour, scheme.get("ARMED_CLASH").colour
    assert f'<span class="adj-ent" style="--c:{group}">Army' in html
    assert f'box-shadow:inset 0 -3px 0 0 {clash};padding-bottom:4px">done</span>' in html
    assert f'class="adj-badge adj-badge-ev" style="--c:{clash}"' in html
    assert "adj-diff" not in html and DIFF_MARK not in html


def test_overlapping_events_are_underlined_on_tracks_of_their_own(scheme):
    text = "Troops clashed and shelled the town"
    events = (Span(7, 14, "ARMED_CLASH"), Span(0, 14, "REMOTE_VIOLENCE"))
    html = sentence_html(text, Draft(events=events), scheme)
    clash, remote = scheme.get("ARMED_CLASH").colour, scheme.get("REMOTE_VIOLENCE").colour
    # "clashed" lies under both: the longer event on the first track, the other one below it.
    assert (
        f"box-shadow:inset 0 -3px 0 0 {remote}, inset 0 -6px 0 0 {clash};"
        'padding-bottom:7px">clashed</span>'
    ) in html


def test_spans_outside_the_text_and_overlapping_entities_are_left_out(scheme):
    entities = (Span(0, 6, "ARMED_GROUP"), Span(3, 14, "ORG"), Span(10, 99, "GPE"))
    html = sentence_html("Troops clashed", Draft(entities=entities), scheme)
    assert tag_free(html) == "TroopsARMED_GROUP clashed"


def test_a_label_missing_from_the_scheme_is_grey_and_escaped(scheme):
    html = sentence_html("Troops", Draft(entities=(Span(0, 6, "<b>NEW</b>"),)), scheme)
    assert 'style="--c:#888888"' in html
    assert "<b>NEW" not in html and "&lt;b&gt;NEW&lt;/b&gt;" in html


def test_differing_entities_are_outlined_on_their_box_and_events_on_their_label(scheme):
    draft = Draft(entities=(ARMY,), events=(DONE,))
    html = sentence_html(
        HOSTILE, draft, scheme, differing=frozenset({("entities", ARMY), ("events", DONE)})
    )
    assert '<span class="adj-ent adj-diff"' in html
    # The entity's label sits in its outlined box: marked, not outlined a second time.
    assert f'class="adj-badge adj-badge-ent" style="--c:{scheme.get("ARMED_GROUP").colour}"' in html
    assert 'class="adj-badge adj-badge-ev adj-diff"' in html
    assert html.count(f'<span class="adj-mark">{DIFF_MARK}</span>') == 2
    assert html.count('title="not every reviewer marked this"') == 2


def test_categories_are_sorted_chips_marked_where_they_differ(scheme):
    html = categories_html(["PROTESTS", "BATTLES", "PROTESTS"], scheme, differing={"PROTESTS"})
    assert tag_free(html) == f"BATTLES{DIFF_MARK}PROTESTS"
    assert html.count("adj-cat adj-diff") == 1
    assert "no categories" in categories_html([], scheme)


def test_category_names_are_escaped(scheme):
    html = categories_html(["<img src=x onerror=alert(1)>"], scheme)
    assert "<img" not in html and tag_free(html) == "<img src=x onerror=alert(1)>"


# --- reviewers' versions, the gold and the decision's rows --------------------------------------


def test_a_version_card_outlines_and_names_what_not_every_reviewer_gave(scheme):
    ana = version(1, "ana", entities=[ARMY, BOLD], categories=["BATTLES"])
    ben = version(2, "<b>ben</b>", status="reject", entities=[ARMY], categories=["BATTLES"])
    comparison = compare([ana, ben])
    card = version_html(ana, comparison, HOSTILE, scheme)
    assert 'data-annotation="1"' in card
    # The statuses differ, so the status is outlined; only PERSON is ana's alone.
    assert '<span class="adj-status adj-status-accepted adj-diff">accepted</span>' in card
    assert '<span class="adj-ent adj-diff"' in card and card.count("adj-ent adj-diff") == 1
    assert (
        f'<div class="adj-note">{DIFF_MARK} Not shared by every reviewer: PERSON “**bold**”.</div>'
    ) in card
    other = version_html(ben, comparison, HOSTILE, scheme)
    assert "<b>ben" not in other and "&lt;b&gt;ben&lt;/b&gt;" in other
    assert "adj-status-rejected adj-diff" in other
    assert '<div class="adj-note">Missing 1 that others gave.</div>' in other


def test_agreeing_versions_have_no_outline_and_no_note(scheme):
    ana = version(1, "ana", entities=[ARMY], events=[DONE], categories=["BATTLES"])
    ben = version(2, "ben", entities=[ARMY], events=[DONE], categories=["BATTLES"])
    card = version_html(ana, compare([ana, ben]), HOSTILE, scheme)
    assert "adj-diff" not in card and DIFF_MARK not in card
    assert '<div class="adj-note"></div>' in card


def test_the_note_escapes_the_words_of_a_span(scheme):
    ana = version(1, "ana", entities=[SCRIPT])
    card = version_html(ana, compare([ana, version(2, "ben")]), HOSTILE, scheme)
    assert "<script>" not in card
    assert "PERSON “&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;”" in card


# --- event arguments ------------------------------------------------------------------------------


def test_each_trigger_lists_its_arguments_by_role_with_the_words_escaped(scheme):
    draft = Draft(
        entities=(ARMY, SCRIPT),
        events=(DONE,),
        arguments=(Argument(DONE, "TARGET", SCRIPT), Argument(DONE, "ACTOR", ARMY)),
    )
    html = arguments_html(draft, HOSTILE, scheme)
    assert "<script>" not in html
    # In the scheme's order of roles (ACTOR before TARGET), whatever the order stored.
    assert tag_free(html) == 'doneACTORArmy · TARGET<script>alert("x")</script>'
    actor = scheme.get("ACTOR").colour
    assert f'style="--r:{actor};--ri:#ffffff"' in html


def test_a_trigger_without_arguments_says_so_and_a_draft_without_triggers_draws_nothing(scheme):
    assert "no arguments" in arguments_html(Draft(events=(DONE,)), HOSTILE, scheme)
    assert arguments_html(Draft(entities=(ARMY,)), HOSTILE, scheme) == ""


def test_a_version_card_marks_the_arguments_not_every_reviewer_gave(scheme):
    shared, own = Argument(DONE, "ACTOR", ARMY), Argument(DONE, "TARGET", SCRIPT)
    spans = {"entities": (ARMY, SCRIPT), "events": (DONE,)}
    ana = Version(1, 1, "ana", "accept", Draft(**spans, arguments=(shared, own)))
    ben = Version(2, 2, "ben", "accept", Draft(**spans, arguments=(shared,)))
    comparison = compare([ana, ben])
    assert not comparison.agreed
    card = version_html(ana, comparison, HOSTILE, scheme)
    assert card.count("adj-arg adj-diff") == 1
    assert f'<span class="adj-mark">{DIFF_MARK}</span>TARGET' in card
    assert (
        "Not shared by every reviewer: TARGET "
        "“&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;” of “done”." in card
    )
    other = version_html(ben, comparison, HOSTILE, scheme)
    assert "adj-arg adj-diff" not in other and "Missing 1 that others gave." in other
    row = argument_vote_html(own, HOSTILE, scheme, who="<b>ana</b>", differs=True)
    assert "<b>ana" not in row and "&lt;b&gt;ana&lt;/b&gt;" in row and "adj-diff" in row


def gold(**values):
    defaults = {
        "sentence_id": 1,
        "source": "adjudicated",
        "entities": [ARMY.to_dict()],
        "events": [],
        "categories": ["BATTLES"],
        "from_annotations": [1, 2, 9],
        "version": 3,
        "updated_at": datetime(2024, 3, 1, 12, 30),
    }
    return Gold(**{**defaults, **values})


def test_the_gold_card_says_its_version_who_when_and_from_which_versions(scheme):
    card = gold_html(gold(), HOSTILE, scheme, names={1: "ana", 2: "ben"}, decided_by="<i>zoe</i>")
    assert 'data-gold-version="3"' in card and "Current gold, version 3" in card
    # An annotation no longer on screen is named by its id; a stored naive time is UTC.
    assert (
        "adjudicated by &lt;i&gt;zoe&lt;/i&gt; · 2024-03-01 12:30 UTC · from ana, ben, annotation 9"
    ) in card
    assert tag_free(card).endswith(
        'ArmyARMED_GROUP <script>alert("x")</script> & **bold** 🎉 doneBATTLES'
    )


def test_the_gold_card_shows_times_in_utc_and_leaves_out_who_it_does_not_know(scheme):
    rangoon = timezone(timedelta(hours=6, minutes=30))
    moment = datetime(2024, 3, 1, 19, 0, tzinfo=rangoon)
    card = gold_html(
        gold(source="imported", from_annotations=[], updated_at=moment),
        HOSTILE,
        scheme,
        names={},
        decided_by=None,
    )
    assert '<span class="adj-meta">imported · 2024-03-01 12:30 UTC</span>' in card


def test_a_span_row_quotes_its_words_and_who_marked_it_escaped(scheme):
    row = span_vote_html(SCRIPT, "entities", HOSTILE, scheme, who="<b>ana</b>", differs=True)
    assert "<script>" not in row and "<b>ana" not in row
    assert "“&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;”" in row
    assert 'class="adj-badge adj-badge-ent adj-diff"' in row and DIFF_MARK in row
    agreed = span_vote_html(DONE, "events", HOSTILE, scheme, who="all reviewers", differs=False)
    assert "adj-diff" not in agreed and DIFF_MARK not in agreed


def test_a_category_row_is_marked_only_where_reviewers_differ():
    assert DIFF_MARK in category_vote_html(who="ana", differs=True)
    row = category_vote_html(who="<b>all</b>", differs=False)
    assert DIFF_MARK not in row and "&lt;b&gt;all&lt;/b&gt;" in row


# --- messages through Markdown ------------------------------------------------------------------

COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def shown(markdown: str) -> str:
    """The HTML a CommonMark reader (with GitHub's tables and strikethrough) makes of it."""
    return COMMONMARK.render(markdown)


def paragraph(*lines: str) -> str:
    """One paragraph of these lines, as that reader writes text it takes literally."""
    escaped = [
        line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        for line in lines
    ]
    return "<p>" + "<br />\n".join(escaped) + "</p>\n"


@pytest.mark.parametrize(
    "message",
    [
        "Wrong name or password.",
        "Reviewer 'Ben' already exists; nothing changed.",
        "The first day (2024-04-01) is after the last (2024-03-31); pick a first day.",
        "The active model is unchanged: model version 1",
        "the account 'kyaw@example.org' is deactivated",
    ],
)
def test_a_plain_message_is_left_as_it_is(message):
    assert markdown_literal(message) == message


@pytest.mark.parametrize(
    "text",
    [
        '<script>alert("x")</script>',
        "<img src=x onerror=alert(1)>",
        "**x** and __y__ and *z* and _w_",
        "`code` and ``more``",
        "[a link](https://example.org) and ![an image](x.png) and <https://example.org>",
        "~~struck~~ and a | b | c",
        "&lt; &amp; &#65; stay as written",
        "back\\slash \\* and \\",
        "# not a heading",
        "- not an item",
        "+ not an item",
        "1. not an item",
        "2) not an item",
        "> not a quote",
        "***",
        "---",
        "```",
        "ARMED_GROUP met snake_case_name",
        "emoji 🎉 and ✓ stay",
    ],
)
def test_markdown_shows_a_hostile_text_as_it_is_written(text):
    assert shown(markdown_literal(text)) == paragraph(text)


def test_each_line_of_a_message_stays_a_line():
    text = "first line\n# second\n- third\n====="
    assert shown(markdown_literal(text)) == paragraph(*text.splitlines())


def test_indentation_is_dropped_rather_than_becoming_code():
    assert shown(markdown_literal("    indented")) == paragraph("indented")


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        (":smile: and :+1:", "\\:smile\\: and \\:+1\\:"),
        (":material/home: here", "\\:material\\/home\\: here"),
        (":red[coloured] :small[text]", "\\:red\\[coloured\\] \\:small\\[text\\]"),
        ("a:b:c", "a\\:b\\:c"),
        ("at 12:30 UTC", "at 12\\:30 UTC"),
        ("$x^2$ costs $5", "\\$x^2\\$ costs \\$5"),
    ],
)
def test_streamlit_shortcodes_directives_and_latex_are_escaped(text, escaped):
    """Streamlit finds emoji and icon shortcodes in the text before Markdown reads its escapes
    (by these patterns), so no unescaped colon may open or close one."""
    literal = markdown_literal(text)
    assert literal == escaped
    assert not re.search(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", literal)
    assert ":material/" not in literal
    assert shown(literal) == paragraph(text)
