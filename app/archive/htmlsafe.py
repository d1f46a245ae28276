"""HTML from mail, only through the sanitiser: no scripts, no styles, no remote content of any kind."""

from __future__ import annotations

import html

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "li", "ol", "p", "pre", "q", "s", "small",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
SCHEMES = {"http", "https", "mailto"}
MAX_HTML = 2_000_000


def safe_html(source: str) -> str:
    """The HTML with only harmless tags and attributes left; links open nothing on their own (no images)."""
    return nh3.clean(
        source[:MAX_HTML],
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="nofollow noopener noreferrer",
        clean_content_tags={"script", "style", "title", "head"},
        strip_comments=True,
    )


def html_text(source: str) -> str:
    """The words of an HTML part, for the search index."""
    stripped = nh3.clean(
        source[:MAX_HTML], tags=set(), clean_content_tags={"script", "style", "title", "head"}
    )
    return html.unescape(stripped)
