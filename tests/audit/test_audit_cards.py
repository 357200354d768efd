"""Model cards for every registered model, the card route, and group-aware levels as served."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from wikiscore.evaluation.cards import build_card, card_html, card_markdown, card_summary
from wikiscore.models.artifact import ArtifactError, ModelArtifact
from wikiscore.models.inputs import EDIT_FEATURES, IS_ANON
from wikiscore.models.registry import available_models, get_spec, load_model

SECTIONS = (
    "## Intended use",
    "## Not fit for",
    "## Training data",
    "## Metrics",
    "## Levels and thresholds",
    "## Fairness",
    "## Calibration",
    "## Limitations",
    "## Version history",
)


@pytest.mark.parametrize("name", sorted(available_models()))
def test_every_registered_model_has_a_card(name: str) -> None:
    spec = get_spec(name)
    card = build_card(spec, load_model(name))
    assert card["name"] == name and card["version"] == load_model(name).version
    markdown = card_markdown(card)
    for section in SECTIONS:
        assert section in markdown, f"{name} card lacks {section}"
    assert card["not_for"] and card["limitations"] and card["version_history"]
    page = card_html(card)
    assert page.startswith("<!doctype html>") and "<h2>Limitations</h2>" in page
    json.dumps(card, allow_nan=False)  # the JSON form is valid JSON
    summary = card_summary(name)
    assert summary["url"] == f"/v1/models/{name}/card"
    assert summary["intended_use"] == card["intended_use"]
    if spec.kind == "user":
        assert any("never block" in item for item in card["not_for"])
    else:
        assert any("automatically" in item for item in card["not_for"])


def test_edit_card_shows_the_fairness_trade_off() -> None:
    card = build_card(get_spec("enwiki-editrisk"), load_model("enwiki-editrisk"))
    cv = card["fairness"]["cv"]
    served = cv["group_levels"]["likely_bad"]
    pooled = cv["pooled_levels"]["likely_bad"]
    # The served levels flag anonymous edits in proportion to reality; pooled ones did not.
    assert 0.9 <= served["relative"] <= 1.1
    assert pooled["relative"] > 1.5
    markdown = card_markdown(card)
    assert "group-aware, cross-fitted" in markdown and "Trade-off" in markdown
    assert "seconds since 2006-01-01" in markdown  # the anonymous account-age quirk
    assert (
        card_summary("editrisk")["anonymous_vs_registered"]["likely_bad"]["relative"]
        == (served["relative"])
    )


def test_group_aware_levels_are_applied_per_row() -> None:
    model = load_model("enwiki-editrisk")
    assert model.group_levels is not None
    levels = model.levels_by_group()
    t_anon = next(lv["threshold"] for lv in levels["anonymous"] if lv["name"] == "likely_bad")
    t_reg = next(lv["threshold"] for lv in levels["registered"] if lv["name"] == "likely_bad")
    assert t_reg < t_anon
    p = (t_reg + t_anon) / 2
    anon_row = np.zeros(len(EDIT_FEATURES))
    anon_row[EDIT_FEATURES.index(IS_ANON)] = 1
    registered_row = np.zeros(len(EDIT_FEATURES))
    assert model.level(p, anon_row) == "may_have_problems"
    assert model.level(p, registered_row) == "likely_bad"
    rows = np.vstack([anon_row, registered_row])
    assert model.levels_for_rows(rows, [p, p]) == ["may_have_problems", "likely_bad"]
    # The content-only model has no editor inputs, hence pooled levels only.
    assert load_model("enwiki-editrisk-content").group_levels is None


def test_edited_group_threshold_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "artifact"
    shutil.copytree(get_spec("enwiki-editrisk").artifact_dir, target)
    meta_path = target / "metadata.json"
    meta = json.loads(meta_path.read_text())
    step = meta["postprocessing"][0]
    step["levels"]["registered"][2]["threshold"] = 0.99
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ArtifactError, match="sha256"):
        ModelArtifact.load(target)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real service app (no model warm-up, no wikis needed for cards)."""
    from fastapi.testclient import TestClient

    from wikiscore.serve.app import create_app
    from wikiscore.serve.settings import ServeSettings
    from wikiscore.store import Store
    from wikiscore.wikis import Wiki, WikiRegistry

    registry = WikiRegistry(
        {"testwiki": Wiki(dbname="testwiki", api_url="http://127.0.0.1:9/api.php", lang="en")}
    )
    store = Store(tmp_path_factory.mktemp("cards") / "store.sqlite3")
    settings = ServeSettings(rate_limit=0, warm_up=False)
    with TestClient(create_app(registry, settings=settings, store=store)) as test_client:
        yield test_client


def test_card_route_answers_in_three_formats(client) -> None:  # type: ignore[no-untyped-def]
    html_page = client.get("/v1/models/enwiki-editrisk/card")
    assert html_page.status_code == 200
    assert html_page.headers["content-type"].startswith("text/html")
    assert "Model card: enwiki-editrisk" in html_page.text
    md = client.get("/v1/models/editrisk-content/card", params={"format": "md"})
    assert md.status_code == 200 and md.text.startswith("# Model card: enwiki-editrisk-content")
    doc = client.get("/v1/models/testwiki-editrisk/card", params={"format": "json"}).json()
    assert doc["name"] == "enwiki-editrisk" and doc["group_aware_levels"] is True


def test_card_route_errors_are_clear(client) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/v1/models/dewiki-nothing/card")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "unknown_model"
    bad = client.get("/v1/models/enwiki-editrisk/card", params={"format": "pdf"})
    assert bad.status_code == 400 and "format" in bad.json()["error"]["message"]
    unknown_wiki = client.get("/v1/models/frwiki-editrisk/card")
    assert unknown_wiki.status_code == 404


def test_card_ignores_an_audit_of_another_model_file() -> None:
    spec, model = get_spec("enwiki-editrisk"), load_model("enwiki-editrisk")
    audit = {"version": model.version, "model_sha256": "0" * 64, "metrics": {}}
    assert build_card(spec, model, audit)["audit"] is None
    same = {**audit, "model_sha256": model.metadata["model_sha256"], "source": "test"}
    assert build_card(spec, model, same)["audit"]["source"] == "test"
