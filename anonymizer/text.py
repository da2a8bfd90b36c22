"""User strings (file names, column names, values) made safe to show as plain text.

Streamlit renders most text elements as Markdown and Plotly renders a subset of HTML in titles and
labels, so a column named "`![x](http://host/)`" could load an image from any host in every viewer's
browser. Everything the user provided passes through one of these before it reaches a page or a chart.
"""

from __future__ import annotations

import html
import re

# every ASCII punctuation character may be backslash-escaped in CommonMark; Streamlit adds `:` directives
# (":red[...]", ":material/x:") and `$` maths, which the same escape neutralizes
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^])")
# GitHub-flavoured autolinks ("http://...", "www.x", "a@b.c") survive backslash escapes: an invisible
# word joiner (U+2060) inside each one keeps it text
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|www|xmpp)(?=\\[:.])|(@)")


def markdown_escape(value) -> str:
    """Text that Markdown shows literally: every special character escaped, newlines as spaces."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, _MARKDOWN_SPECIAL.sub(r"\\\1", text))


def html_text(value) -> str:
    """Text for Plotly titles, labels and hover (HTML subset): tags shown, not run."""
    return html.escape(str(value), quote=True)


def quoted(value) -> str:
    """A user string quoted for a one-line message: 'name' with Markdown escaped."""
    return "'" + markdown_escape(value) + "'"
