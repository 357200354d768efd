"""Make MediaWiki's rendered diff rows safe to put in our page.

``action=compare`` returns table rows rendered by the wiki. We do not trust a wiki's HTML
(a local or misconfigured wiki could return anything), so only the few tags and attributes
a diff uses are kept; everything else is dropped and text is re-escaped.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

_ALLOWED_TAGS = {"tr", "td", "th", "div", "span", "ins", "del", "br", "p"}
_VOID_TAGS = {"br"}
_ALLOWED_ATTRS = {"class", "colspan", "data-marker"}
# Content of these is dropped entirely, not just the tags.
_DROP_CONTENT = {"script", "style", "template", "iframe", "object", "noscript", "textarea"}


class _Sanitizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self.skip_depth += 1
            return
        if self.skip_depth or tag not in _ALLOWED_TAGS:
            return
        kept = []
        for name, value in attrs:
            if name not in _ALLOWED_ATTRS or value is None:
                continue
            if name == "colspan" and not (value.isascii() and value.isdigit()):
                continue
            kept.append(f' {name}="{escape(value, quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in _VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _ALLOWED_TAGS and tag not in _VOID_TAGS and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth or tag not in self.open:
            return
        # Close anything left open inside this element, keeping the output well nested.
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitize_diff_html(html: str) -> str:
    """Keep only diff table markup (rows, cells, ins/del, class names); escape all text."""
    parser = _Sanitizer()
    parser.feed(html)
    return parser.result()
