"""The HTML around the span editor: report text and file names are escaped."""

from annotator.ui.render import context_html, source_html


def test_neighbouring_sentences_are_escaped():
    html = context_html('<img src=x onerror=alert(1)> "quoted" & more')
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; more" in html


def test_source_shows_the_file_name_escaped_with_the_full_path_as_title():
    html = source_html('/tmp/up/<b onmouseover="x">.txt', position=2, total=9)
    assert "<b onmouseover" not in html
    assert "&lt;b onmouseover=&quot;x&quot;&gt;.txt</b> · sentence 3 of 9" in html
    assert 'title="/tmp/up/&lt;b onmouseover=&quot;x&quot;&gt;.txt"' in html
