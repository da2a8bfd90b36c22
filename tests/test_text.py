"""User strings shown as plain text: Markdown escapes, and GitHub-flavoured autolinks broken."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymizer.text import WORD_JOINER, html_text, markdown_escape

# what remark-gfm turns into a link by itself, with no Markdown syntax around it
AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp)://|www\.|[\w.+-]@[\w-]")


def unescaped(shown: str) -> str:
    """What the Markdown parser sees once it has consumed the backslash escapes."""
    return re.sub(r"\\(.)", r"\1", shown)


@pytest.mark.parametrize("value, shown", [
    ("hours, weekly", "hours, weekly"),
    ("![x](http://198.51.100.7/p.png)", "\\!\\[x\\]\\(http\u2060\\://198\\.51\\.100\\.7/p\\.png\\)"),
    ("www.example.org", "www\u2060\\.example\\.org"),
    ("ann@example.org", "ann@\u2060example\\.org"),
    ("two\nlines", "two lines"),
    (":red[x]", "\\:red\\[x\\]"),
])
def test_markdown_escape_exact(value, shown):
    assert markdown_escape(value) == shown


@given(st.text())
def test_escaped_text_reads_as_written_and_never_autolinks(value):
    shown = markdown_escape(value)
    flat = value.replace("\r", " ").replace("\n", " ")
    assert unescaped(shown).replace(WORD_JOINER, "") == flat.replace(WORD_JOINER, "")
    assert not AUTOLINK.search(unescaped(shown).replace(WORD_JOINER + WORD_JOINER, WORD_JOINER))


def test_html_text_shows_tags():
    assert html_text('<img src="x">') == "&lt;img src=&quot;x&quot;&gt;"
