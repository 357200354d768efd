"""The queue and review pages over HTTP against the real local MediaWiki (no browser): filters,
bots left out, errors as clear pages, deleted and missing revisions, page creations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from wikiscore.serve.app import create_app
from wikiscore.serve.settings import ServeSettings
from wikiscore.store import Store
from wikiscore.wikis import default_registry

pytestmark = pytest.mark.wiki


@pytest.fixture(scope="module")
def client(local_wiki: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = Store(tmp_path_factory.mktemp("queue") / "store.sqlite3")
    app = create_app(default_registry(), settings=ServeSettings(rate_limit=0), store=store)
    with TestClient(app) as c:
        yield c


def _rows(html: str) -> list[dict[str, str]]:
    rows = []
    for match in re.finditer(r'<li class="row[^"]*"(.*?)>', html, re.S):
        rows.append(dict(re.findall(r'data-([a-z]+)="([^"]*)"', match.group(1))))
    return rows


def test_queue_is_ranked_by_risk_and_leaves_bots_out(client: TestClient, local_wiki: Any) -> None:
    # Fresh edits, so the check holds whatever other test modules saved before this one (the
    # queue looks at the latest 100 changes of the session's wiki).
    from wikiscore.localwiki.editor import WikiEditor

    with WikiEditor(local_wiki.api_url, ip="203.0.113.99") as vandal:
        text = vandal.page_text("Albedo")
        vandal_rev = vandal.edit("Albedo", text + "\n\nTHIS PAGE SUCKS lol!!!!!!! poop poop")
    with WikiEditor(local_wiki.api_url, user="ExampleBot", password=local_wiki.password) as bot:
        text = bot.page_text("Aikido")
        bot_rev = bot.edit("Aikido", text + "\n\n<!-- maintenance -->", bot=True)
    page = client.get("/?wiki=testwiki&limit=100")
    assert page.status_code == 200, page.text[:500]
    rows = _rows(page.text)
    assert len(rows) >= 10
    scores = [float(r["score"]) for r in rows if r["score"]]
    assert scores == sorted(scores, reverse=True)
    revs = {int(r["rev"]) for r in rows}
    assert vandal_rev in revs
    assert bot_rev not in revs
    assert all(r["version"] and r["level"] for r in rows if r["score"])
    # The level table of the model, with precision and recall, is on the page.
    assert "What the levels mean" in page.text
    assert "maximum recall @ precision &gt;= 0.9" in page.text
    # enwiki-editrisk's likely-bad level starts at a different score per editor group; the
    # page shows the thresholds that are really applied, one table per group.
    assert "Edits by anonymous editors" in page.text
    assert "Edits by registered editors" in page.text


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("editors=anonymous", lambda r: r["anon"] == "true"),
        ("editors=registered", lambda r: r["anon"] == "false"),
        ("editors=newcomers", lambda r: r["newcomer"] == "true" and r["anon"] == "false"),
        ("level=likely_bad", lambda r: r["level"] in ("likely_bad", "very_likely_bad")),
    ],
)
def test_filters(client: TestClient, query: str, check: Any) -> None:
    page = client.get(f"/?wiki=testwiki&limit=100&{query}")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert rows, f"the fixture history has edits for {query}"
    assert all(check(r) for r in rows), rows


def test_namespace_filter_and_rows_fragment(client: TestClient) -> None:
    page = client.get("/patrol/rows?wiki=testwiki&ns=1&limit=100")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert page.text.lstrip().startswith('<ol class="rows"')
    titles = re.findall(r'class="row-link"[^>]*>([^<]+)<', page.text)
    assert titles and all(t.startswith("Talk:") for t in titles)


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/?wiki=nosuchwiki", 404, "unknown wiki &#39;nosuchwiki&#39;"),
        ("/?wiki=testwiki&level=awful", 400, "level must be one of likely_good"),
        ("/?wiki=testwiki&ns=talk", 400, "ns must be a namespace number"),
        ("/?wiki=testwiki&editors=bots", 400, "editors must be one of all"),
        ("/?wiki=testwiki&limit=5000", 400, "limit must be a whole number from 1 to 100"),
        ("/?wiki=testwiki&model=nope", 404, "model &#39;nope&#39; does not serve testwiki"),
        ("/?wiki=frwiki", 404, "no edit model serves frwiki"),
        ("/patrol/review/testwiki/abc", 400, "a revision id is a positive whole number"),
        ("/patrol/review/testwiki/%C2%B3", 400, "a revision id is a positive whole number"),
        ("/?wiki=testwiki&limit=%C2%B3", 400, "limit must be a whole number from 1 to 100"),
        ("/patrol/review/nosuchwiki/5", 404, "unknown wiki"),
    ],
)
def test_bad_requests_get_clear_pages(
    client: TestClient, url: str, status: int, message: str
) -> None:
    page = client.get(url)
    assert page.status_code == status
    assert message in page.text
    assert "Traceback" not in page.text


def test_rows_fragment_errors_are_json(client: TestClient) -> None:
    bad = client.get("/patrol/rows?wiki=testwiki&level=awful")
    assert bad.status_code == 400
    assert bad.json()["error"]["message"].startswith("level must be one of")


def test_review_of_an_edit(client: TestClient, wiki_history, local_wiki: Any) -> None:
    rev = wiki_history["named"]["albedo_vandalism"]
    page = client.get(f"/patrol/review/testwiki/{rev}?model=editrisk")
    assert page.status_code == 200
    assert 'class="diff"' in page.text and "diff-addedline" in page.text
    assert "<script" not in page.text.split('id="diff-heading"')[1].split("</table>")[0]
    assert re.search(r'<ul class="reasons"><li>[^<]+</li>', page.text)
    assert f'href="{local_wiki.as_wiki().diff_url(rev)}"' in page.text.replace("&amp;", "&")
    assert 'name="csrf_token"' in page.text and 'value="enwiki-editrisk"' in page.text
    fragment = client.get(f"/patrol/review/testwiki/{rev}?fragment=1")
    assert fragment.text.lstrip().startswith("<article")


def test_review_of_a_page_creation_shows_its_text(client: TestClient, wiki_history) -> None:
    rev = wiki_history["named"]["albedo_creation"]
    page = client.get(f"/patrol/review/testwiki/{rev}")
    assert page.status_code == 200
    assert "This edit created the page" in page.text
    assert re.search(r'<pre class="creation-text">[^<]*Albedo', page.text, re.I)


def test_review_of_missing_and_deleted_revisions(client: TestClient, wiki_history) -> None:
    named = wiki_history["named"]
    missing = client.get(f"/patrol/review/testwiki/{named['never_existed']}")
    assert missing.status_code == 404 and "Traceback" not in missing.text
    assert "notice-error" in missing.text
    deleted = client.get(f"/patrol/review/testwiki/{named['tarkovsky_deleted']}?fragment=1")
    assert deleted.status_code == 404
    assert "deleted by revision deletion" in deleted.json()["error"]["message"]
    suppressed = client.get(f"/patrol/review/testwiki/{named['algeria_suppressed']}")
    assert suppressed.status_code == 404 and "suppressed" in suppressed.text
