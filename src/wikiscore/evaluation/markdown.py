"""Text for reports and model cards: number formatting and a small Markdown → HTML renderer.

Owns how a metric reads on a page (``0.861 [0.848, 0.874]``, ``57.0%``, "–" for a missing
value) and turning the Markdown the evaluation reports, audits and model cards write into a
self-contained HTML page. Must not compute metrics or know what a report contains.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any


def fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def pct(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{100 * float(value):.{digits}f}%"


def with_ci(entry: Any, digits: int = 3) -> str:
    """``value [lo, hi]`` from a ``{"value", "ci95"}`` dict (or a bare number)."""
    if not isinstance(entry, Mapping):
        return fmt(entry, digits)
    ci = entry.get("ci95")
    text = fmt(entry.get("value"), digits)
    return f"{text} [{fmt(ci[0], digits)}, {fmt(ci[1], digits)}]" if ci else text


_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)"), r'<a href="\2">\1</a>'),
)


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, replacement in _INLINE:
        out = pattern.sub(replacement, out)
    return out


def markdown_html(title: str, markdown: str) -> str:
    """A self-contained HTML page for the small Markdown subset the reports and cards use:
    headings, paragraphs, ``-`` lists, tables, images, block quotes, bold, code and links."""
    body: list[str] = []
    table: list[list[str]] = []
    items: list[str] = []

    def flush() -> None:
        if table:
            head, *rest = table
            body.append(
                "<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head) + "</tr></thead>"
                "<tbody>"
                + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rest)
                + "</tbody></table>"
            )
            table.clear()
        if items:
            body.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [_inline(c.strip()) for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= {"-", ":"} for c in cells):
                table.append(cells)
            continue
        if line.startswith("- "):
            if table:
                flush()
            items.append(_inline(line[2:]))
            continue
        flush()
        heading = re.match(r"^(#{1,4}) (.*)$", line)
        if heading:
            level = len(heading.group(1))
            body.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.startswith("!["):
            alt = line[2 : line.index("]")]
            src = line[line.index("(") + 1 : -1]
            body.append(f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">')
        elif line.startswith("> "):
            body.append(f"<blockquote>{_inline(line[2:])}</blockquote>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush()
    style = (
        "body{font-family:sans-serif;max-width:64em;margin:2em auto;padding:0 1em;"
        "line-height:1.4}table{border-collapse:collapse;margin:1em 0;font-size:.92em}"
        "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}"
        "th{background:#f3f3f3}img{max-width:100%;display:block;margin:1em 0}"
        "blockquote{border-left:4px solid #c60;margin:1em 0;padding:.3em 1em;background:#fff6ee}"
        "code{background:#f3f3f3;padding:0 .2em}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)}</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
