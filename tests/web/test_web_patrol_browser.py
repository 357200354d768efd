"""The patrol page in a real browser (Debian's Chromium via Playwright) against the real
service (``wikiscore serve`` in a subprocess) and the real local MediaWiki.

One story, in order, sharing one service: an edit made during the test appears in the open
queue without a reload and without moving the reviewer's place; its diff and explanation open
with the keyboard; a verdict given with a key and one given with the form are stored; after a
restart of the service they are still there, in the queue and on the stats page. Then the
layout at 360 px, labels, focus and the skip link. Screenshots are written on the way.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from wikiscore.store import Store
from wikiscore.web.feedback import FeedbackStore, verdict_for_judgement

pytestmark = [pytest.mark.browser, pytest.mark.wiki, pytest.mark.timeout(240)]

VANDAL_IP = "203.0.113.77"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def _stored(service: Any) -> list[Any]:
    return list(FeedbackStore(Store(service.store_path)).iter_all())


@pytest.fixture(scope="module")
def story(local_wiki: Any, patrol_service: Any, browser: Any) -> dict[str, Any]:
    """What the ordered tests below share: the page, the service and the edits made."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return {"context": context, "page": page, "errors": errors, "title": None, "rev": None}


def _make_edits(local_wiki: Any) -> tuple[str, int]:
    """A new page by a registered user, then an anonymous edit that adds insults."""
    from wikiscore.localwiki.editor import WikiEditor

    title = f"Patrol test {uuid.uuid4().hex[:8]}"
    good_text = (
        "The '''patrol test''' page describes a small river in the north of the county. "
        "It flows through farmland and two villages before it joins the main river."
    )
    with WikiEditor(local_wiki.api_url, ip="198.51.100.23") as first:
        first.edit(title, good_text, summary="new article about a river")
    with WikiEditor(local_wiki.api_url, ip=VANDAL_IP) as vandal:
        rev = vandal.edit(
            title,
            good_text + "\n\nYOU ARE ALL STUPID IDIOTS!!!!!!!!!! fuck this shit poop poop",
            summary="",
        )
    return title, rev


def test_new_edit_appears_without_moving_the_reviewers_place(
    story: dict[str, Any], local_wiki: Any, patrol_service: Any, screenshot_dir: Path
) -> None:
    page = story["page"]
    page.goto(f"{patrol_service.url}/?wiki=testwiki&refresh=2&limit=100")
    rows = page.locator("li.row")
    notices = page.locator(".notice").all_inner_texts()
    assert rows.count() > 3, notices
    # The reviewer moves down the queue with the keyboard and scrolls a little.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("j")
    selected = page.locator('li.row[aria-current="true"]')
    selected_key = selected.get_attribute("data-key")
    assert page.evaluate("document.activeElement.closest('li.row').dataset.key") == selected_key
    page.mouse.wheel(0, 150)
    page.wait_for_timeout(200)
    top_before = selected.bounding_box()["y"]
    scroll_before = page.evaluate("window.scrollY")

    title, rev = _make_edits(local_wiki)
    story["title"], story["rev"] = title, rev
    new_row = page.locator(f'li.row[data-rev="{rev}"]')
    new_row.wait_for(timeout=30_000)  # refreshed by itself, no reload
    assert new_row.locator(".row-link").inner_text() == title
    assert "anonymous" in new_row.inner_text()
    assert re.search(r"new edits? added to the queue", page.locator("#queue-status").inner_text())
    # The place is kept: same selection, same focus, the selected row did not jump.
    selected = page.locator('li.row[aria-current="true"]')
    assert selected.get_attribute("data-key") == selected_key
    assert page.evaluate("document.activeElement.closest('li.row').dataset.key") == selected_key
    assert abs(selected.bounding_box()["y"] - top_before) <= 2, (
        top_before,
        selected.bounding_box(),
        scroll_before,
        page.evaluate("window.scrollY"),
    )
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "queue-desktop.png"))


def test_review_shows_diff_score_and_reasons(
    story: dict[str, Any], local_wiki: Any, screenshot_dir: Path
) -> None:
    page, rev = story["page"], story["rev"]
    assert rev is not None, "needs the edit of the previous test"
    # Move the selection to the new edit with j/k only.
    for _ in range(60):
        key = page.locator('li.row[aria-current="true"]').get_attribute("data-key")
        if key == f"testwiki:{rev}":
            break
        rows = page.eval_on_selector_all("li.row", "els => els.map(e => e.dataset.key)")
        page.keyboard.press("j" if rows.index(f"testwiki:{rev}") > rows.index(key) else "k")
    else:
        pytest.fail("could not reach the new edit with j/k")
    page.keyboard.press("o")
    card = page.locator(f'.review-card[data-key="testwiki:{rev}"]')
    card.wait_for(timeout=30_000)
    assert page.evaluate("document.activeElement.id") == "review-heading"
    assert card.locator("h2").inner_text().endswith(story["title"])
    added = card.locator("table.diff ins, table.diff .diff-addedline").all_inner_texts()
    assert any("STUPID IDIOTS" in text for text in added), added
    reasons = card.locator("ul.reasons li").all_inner_texts()
    assert reasons, "the score is explained in words"
    assert card.locator(".level-badge").count() >= 1
    assert re.search(r"\d+%", card.locator(".review-score .score-value").inner_text())
    link = card.locator("a.external")
    assert link.get_attribute("href") == local_wiki.as_wiki().diff_url(rev)
    assert "precision" in card.locator(".review-score").inner_text()
    page.screenshot(path=str(screenshot_dir / "review-desktop.png"))


def test_keyboard_and_form_feedback_are_stored(story: dict[str, Any], patrol_service: Any) -> None:
    page, rev = story["page"], story["rev"]
    card = page.locator(f'.review-card[data-key="testwiki:{rev}"]')
    level = card.locator('input[name="level"]').get_attribute("value")
    page.locator(f'li.row[data-rev="{rev}"] .row-link').focus()
    page.keyboard.press("b")  # "this edit is bad"
    expected = verdict_for_judgement("bad", level)
    status = card.locator(".feedback-status")
    status.filter(has_text="Saved").wait_for(timeout=10_000)
    row_verdict = page.locator(f'li.row[data-rev="{rev}"] .row-verdict')
    assert expected.replace("_", " ") in row_verdict.inner_text()
    # The form, with a note: the reviewer changes their mind.
    card.locator("#verdict-unsure").check()
    card.locator("#feedback-note").fill("insults, but maybe a test edit")
    card.get_by_role("button", name="Save feedback").click()
    status.filter(has_text="Saved: unsure").wait_for(timeout=10_000)
    rows = [r for r in _stored(patrol_service) if r.rev_id == rev]
    assert [r.verdict for r in rows] == [expected, "unsure"]
    assert rows[1].note == "insults, but maybe a test edit"
    assert rows[0].level == level and rows[0].model_version and 0 <= rows[0].score <= 1
    assert rows[0].editor_anon is True and rows[0].reviewer.startswith("reviewer-")
    assert story["errors"] == []


def test_feedback_survives_a_restart(
    story: dict[str, Any], patrol_service: Any, screenshot_dir: Path, browser: Any
) -> None:
    page, rev = story["page"], story["rev"]
    patrol_service.restart()
    page.goto(f"{patrol_service.url}/?wiki=testwiki&refresh=600&limit=100")
    row = page.locator(f'li.row[data-rev="{rev}"]')
    assert "Your verdict: unsure" in row.locator(".row-verdict").inner_text()
    page.goto(f"{patrol_service.url}/patrol/stats")
    text = page.locator("main").inner_text()
    assert "version" in text and re.search(r"\d+ reviews? by 1 reviewer,", text)
    assert "never used to train models automatically" in page.content()
    page.screenshot(path=str(screenshot_dir / "stats-desktop.png"), full_page=True)
    assert len([r for r in _stored(patrol_service) if r.rev_id == rev]) == 2


def test_phone_width_layout_and_accessibility(
    story: dict[str, Any], patrol_service: Any, browser: Any, screenshot_dir: Path
) -> None:
    rev = story["rev"]
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(f"{patrol_service.url}/?wiki=testwiki&refresh=600&limit=100")
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshot_dir / "queue-360.png"))
        # The first Tab reaches the skip link, which is visible when focused.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert page.locator(".skip-link").bounding_box()["y"] >= 0
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # Every control has a label (its accessible name) and focus is visible.
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea, button')]
                 .filter(el => el.type !== 'hidden' && !el.hidden)
                 .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                                 || (el.tagName === 'BUTTON' && el.textContent.trim())))
                 .map(el => el.outerHTML)"""
        )
        assert unlabelled == []
        link = page.locator(f'li.row[data-rev="{rev}"] .row-link')
        link.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        outline = page.evaluate(
            "getComputedStyle(document.activeElement).outlineStyle + ' ' + "
            "getComputedStyle(document.activeElement).outlineWidth"
        )
        assert outline.startswith("solid") and not outline.endswith(" 0px"), outline
        # The review opens over the queue at this width, fits it, and closes with Escape.
        page.keyboard.press("o")
        card = page.locator(f'.review-card[data-key="testwiki:{rev}"]')
        card.wait_for(timeout=30_000)
        assert card.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.evaluate("document.querySelector('#review').scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshot_dir / "review-360.png"))
        page.keyboard.press("Escape")
        assert not card.is_visible()
        assert page.evaluate("document.activeElement.closest('li.row').dataset.rev") == str(rev)
        page.goto(f"{patrol_service.url}/patrol/stats")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(screenshot_dir / "stats-360.png"), full_page=True)
    finally:
        context.close()
    story["context"].close()
