"""Markdown to safe HTML, at write time.

Two locks, not one: markdown-it renders with raw HTML switched off (a ``<script>`` in
the text comes out as text, and its link validator drops ``javascript:``, ``vbscript:``,
``file:`` and ``data:`` links), then nh3 (ammonia) keeps only a short list of tags and
attributes, only http, https and mailto links (and relative ones), and gives every link
``rel="noopener noreferrer nofollow"``.

The services store the result beside the Markdown (``body_html``) when a note or an
answer is written, so pages and the API never render on read. Should the allowed lists
change, a data migration renders the stored bodies again with ``render``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
# A note's headings sit under the page's own h1 and h2: "# Title" becomes h3.
HEADING_SHIFT = 2

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])


def _image_as_link(renderer, tokens, idx, options, env) -> str:
    # Pictures from elsewhere are not shown (they would tell their host who reads the
    # note, and the page's policy blocks them anyway): a link with the alt text instead.
    token = tokens[idx]
    alt = escapeHtml(renderer.renderInlineAsText(token.children or [], options, env))
    return f'<a href="{escapeHtml(token.attrGet("src") or "")}">{alt or "picture"}</a>'


_markdown.add_render_rule("image", _image_as_link)


def _shift_headings(tokens) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1:])
            token.tag = f"h{min(6, level + HEADING_SHIFT)}"


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(markdown: str) -> str:
    """Markdown as HTML that is safe to put in a page as it is."""
    env: dict = {}
    tokens = _markdown.parse(markdown or "", env)
    _shift_headings(tokens)
    return sanitise(_markdown.renderer.render(tokens, _markdown.options, env))
