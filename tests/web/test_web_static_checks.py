"""Checks that need no server: WCAG AA contrast of the palette, the message catalogue (every
text the page uses exists, none is dead), and the diff sanitizer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wikiscore.web import routes
from wikiscore.web.diffhtml import sanitize_diff_html
from wikiscore.web.feedback import VERDICTS
from wikiscore.web.messages import CATALOGUE_DIR, Messages
from wikiscore.web.queue import EDITOR_FILTERS, LEVEL_ORDER, USER_LEVELS

WEB = Path(routes.__file__).resolve().parent
CSS = (WEB / "static" / "patrol.css").read_text(encoding="utf-8")
JS = (WEB / "static" / "patrol.js").read_text(encoding="utf-8")
TEMPLATES = {p.name: p.read_text(encoding="utf-8") for p in (WEB / "templates").glob("*.html")}


# -- contrast -------------------------------------------------------------------------------------
def _palette() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS, re.S)
    assert root, "patrol.css must define its palette in :root"
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", root.group(1)))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# Text pairs need 4.5:1 (WCAG 1.4.3); focus rings, control borders and bars 3:1 (1.4.11).
TEXT_PAIRS = [
    ("text", bg)
    for bg in ("bg", "surface", "selected-bg", "del-bg", "ins-bg", "del-line-bg", "ins-line-bg")
] + [
    ("muted", "bg"), ("muted", "surface"), ("muted", "selected-bg"),
    ("link", "bg"), ("link", "surface"), ("link", "selected-bg"), ("link-visited", "bg"),
    ("good-text", "good-bg"), ("may-text", "may-bg"), ("bad-text", "bad-bg"),
    ("vbad-text", "vbad-bg"), ("none-text", "none-bg"), ("anon-text", "anon-bg"),
    ("new-text", "new-bg"), ("plus-text", "bg"), ("minus-text", "bg"),
    ("plus-text", "selected-bg"), ("minus-text", "selected-bg"), ("error-text", "error-bg"),
    ("button-text", "button-bg"), ("button-bg", "bg"), ("link", "bg"),
]  # fmt: skip
NON_TEXT_PAIRS = [
    ("focus", "bg"), ("focus", "surface"), ("focus", "selected-bg"),
    ("control-border", "bg"), ("selected-edge", "selected-bg"),
    ("good-fill", "track"), ("may-fill", "track"), ("bad-fill", "track"), ("vbad-fill", "track"),
    ("good-fill", "bg"), ("may-fill", "bg"), ("bad-fill", "bg"), ("vbad-fill", "bg"),
    ("none-text", "track"), ("del-edge", "surface"), ("ins-edge", "surface"),
    ("del-edge", "del-line-bg"), ("ins-edge", "ins-line-bg"),
]  # fmt: skip


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_text_contrast_meets_wcag_aa(fg: str, bg: str) -> None:
    palette = _palette()
    ratio = contrast(palette[fg], palette[bg])
    assert ratio >= 4.5, f"--{fg} on --{bg}: {ratio:.2f}:1 < 4.5:1"


@pytest.mark.parametrize(("fg", "bg"), NON_TEXT_PAIRS)
def test_non_text_contrast_meets_wcag_aa(fg: str, bg: str) -> None:
    palette = _palette()
    ratio = contrast(palette[fg], palette[bg])
    assert ratio >= 3.0, f"--{fg} against --{bg}: {ratio:.2f}:1 < 3:1"


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_css_uses_only_palette_colours() -> None:
    """Colours outside :root would escape the contrast check above."""
    body = re.sub(r":root\s*\{.*?\}", "", CSS, count=1, flags=re.S)
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b", body) == []
    used = set(re.findall(r"var\(--([\w-]+)\)", CSS))
    assert used <= set(_palette()), used - set(_palette())


# -- message catalogue ----------------------------------------------------------------------------
def _static_keys() -> set[str]:
    keys: set[str] = set()
    sources = [*TEMPLATES.values(), (WEB / "routes.py").read_text(encoding="utf-8"), JS]
    for text in sources:
        keys.update(re.findall(r"""\bt\(\s*["']([a-z_.]+[a-z_])["']\s*[,)]""", text))
    keys.update(name for _, name in routes.SHORTCUTS)
    return keys


def _dynamic_keys() -> set[str]:
    keys = {f"level.{lv}" for lv in LEVEL_ORDER} | {"level.none"}
    keys |= {f"filters.level.{lv}" for lv in LEVEL_ORDER}
    keys |= {f"warnlevel.{lv}" for lv in USER_LEVELS}
    keys |= {f"verdict.{v}" for v in VERDICTS} | {f"verdict.{v}.hint" for v in VERDICTS}
    keys |= {f"editors.{e}" for e in EDITOR_FILTERS}
    keys |= {"ns.all"} | {f"ns.{n}" for n in routes.NAMESPACES}
    keys |= {f"time.{u}" for u in ("seconds", "minutes", "hours", "days")}
    keys |= {f"legend.caption_{group}" for group in routes.LEVEL_GROUPS}
    return keys


def test_every_text_used_is_in_the_catalogue() -> None:
    catalogue = Messages(strict=True)
    missing = sorted(k for k in _static_keys() | _dynamic_keys() if k not in catalogue)
    assert missing == []


def test_no_dead_text_in_the_catalogue() -> None:
    catalogue = set(Messages().keys())
    unused = sorted(catalogue - _static_keys() - _dynamic_keys())
    assert unused == []


def test_catalogue_shape_and_plurals() -> None:
    data = json.loads((CATALOGUE_DIR / "en.json").read_text(encoding="utf-8"))
    for key, value in data.items():
        if key.startswith("@"):
            continue
        assert isinstance(value, str | dict), key
        if isinstance(value, dict):
            assert set(value) == {"one", "other"}, key
    t = Messages(strict=True)
    assert t("size.minus", bytes=2300) == "−2,300 bytes"
    assert t("time.minutes", count=1) == "1 minute ago"
    assert t("js.new_rows", count=3) == "3 new edits added to the queue."
    with pytest.raises(KeyError):
        t("no.such.key")


def test_templates_have_no_hard_coded_words() -> None:
    """Visible text belongs in the catalogue: strip tags, expressions, statements and code
    samples and nothing but punctuation may remain."""
    for name, text in TEMPLATES.items():
        stripped = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", text, flags=re.S)
        stripped = re.sub(r"<(script|code|kbd)\b.*?</\1>", " ", stripped, flags=re.S)
        stripped = re.sub(r"<[^>]*>", " ", stripped, flags=re.S)
        words = re.findall(r"[A-Za-z]{2,}", stripped)
        assert words == [], f"{name}: hard-coded text {words[:10]}"


# -- diff sanitizer -------------------------------------------------------------------------------
def test_sanitizer_keeps_diff_markup_and_drops_the_rest() -> None:
    html = (
        '<tr><td colspan="2" class="diff-lineno" onclick="x()">Line 1:</td></tr>'
        '<tr><td class="diff-marker" data-marker="+"></td>'
        '<td class="diff-addedline"><div>new <ins class="diffchange">bad &amp; word</ins>'
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
        '<a href="javascript:alert(3)">link</a></div></td></tr>'
        "<style>body{display:none}</style><tr><td><b>unclosed"
    )
    out = sanitize_diff_html(html)
    assert 'class="diff-lineno"' in out and 'colspan="2"' in out and 'data-marker="+"' in out
    assert '<ins class="diffchange">bad &amp; word</ins>' in out
    for bad in ("script", "alert", "onclick", "onerror", "<img", "<a", "href", "style", "<b>"):
        assert bad not in out, bad
    assert "link" in out  # the text of a dropped element is kept, escaped
    assert out.endswith("unclosed</td></tr>")


def test_sanitizer_escapes_text_and_attribute_values() -> None:
    out = sanitize_diff_html('<td class="a&quot; onmouseover=&quot;x">&lt;script&gt;</td>')
    assert out == '<td class="a&quot; onmouseover=&quot;x">&lt;script&gt;</td>'
