"""Lift Wing compatibility (KServe v1), both model-name families, against the real local wiki.

The published ``liftwing`` client's model classes are used unchanged, with ``base_url`` pointed
at a live server: ``RevscoringModel`` (``/v1/models/{wiki}-{model}:predict``) and
``RevertRiskAPIModel`` (``/v1/models/revertrisk-language-agnostic:predict``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from serve_helpers import LiveServer, make_edits, new_app

pytestmark = pytest.mark.wiki


def _output(item: dict[str, Any]) -> float:
    assert set(item) >= {"model_name", "model_version", "wiki_db", "revision_id", "output"}
    output = item["output"]
    assert isinstance(output["prediction"], bool)
    probabilities = output["probabilities"]
    assert probabilities["true"] + probabilities["false"] == pytest.approx(1.0)
    return float(probabilities["true"])


def test_kserve_model_list_and_readiness(service: Any) -> None:
    models = service.get("/v1/models").json()["models"]
    assert {"editrisk", "revertrisk-language-agnostic", "testwiki-editrisk"} <= set(models)
    assert service.get("/v1/models/testwiki-editrisk").json() == {
        "name": "testwiki-editrisk",
        "ready": True,
    }
    assert service.get("/v1/models/enwiki-damaging").status_code == 404


def test_revscoring_family_answers_in_the_ores_nesting(
    service: Any, wiki_history: dict[str, Any]
) -> None:
    rev = wiki_history["named"]["albedo_vandalism"]
    response = service.post(
        "/v1/models/testwiki-editrisk:predict", json={"rev_id": rev, "extended_output": True}
    )
    assert response.status_code == 200, response.text
    doc = response.json()["testwiki"]
    assert set(doc["models"]["editrisk"]) == {"version"}
    entry = doc["scores"][str(rev)]["editrisk"]
    assert set(entry) == {"score", "features"}
    ores = service.get(f"/v3/scores/testwiki/{rev}/editrisk").json()
    assert entry["score"] == ores["testwiki"]["scores"][str(rev)]["editrisk"]["score"]
    missing = service.post(
        "/v1/models/testwiki-reverted:predict",
        json={"rev_id": wiki_history["named"]["never_existed"]},
    ).json()
    error = missing["testwiki"]["scores"][str(wiki_history["named"]["never_existed"])]["reverted"]
    assert error["error"]["type"] == "revision_not_found"


def test_revert_risk_family_single_batch_and_errors(
    service: Any, wiki_history: dict[str, Any]
) -> None:
    named = wiki_history["named"]
    one = service.post(
        "/v1/models/revertrisk-language-agnostic:predict",
        json={"rev_id": named["albedo_vandalism"], "lang": "en"},
    )
    assert one.status_code == 200, one.text
    item = one.json()
    assert item["wiki_db"] == "testwiki" and item["revision_id"] == named["albedo_vandalism"]
    assert item["model_name"] == "revertrisk-language-agnostic"
    p = _output(item)

    batch = service.post(
        "/v1/models/editrisk:predict",
        json={
            "instances": [
                {"rev_id": named["albedo_vandalism"], "wiki": "testwiki"},
                {"rev_id": named["never_existed"], "lang": "en"},
                {"rev_id": "twelve", "lang": "en"},
                {"rev_id": named["allah_manual_revert"], "lang": "xx"},
            ]
        },
    )
    assert batch.status_code == 200, batch.text
    predictions = batch.json()["predictions"]
    assert len(predictions) == 4
    assert _output(predictions[0]) == pytest.approx(p)
    assert predictions[1]["error"]["type"] == "revision_not_found"
    assert predictions[2]["error"]["type"] == "invalid_input"
    assert "'xx'" in predictions[3]["error"]["message"]

    gone = service.post(
        "/v1/models/editrisk:predict", json={"rev_id": named["never_existed"], "lang": "en"}
    )
    assert gone.status_code == 404 and gone.json()["error"]["type"] == "revision_not_found"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"lang": "en"}, '"rev_id"'),
        ({"rev_id": 1}, "say which wiki"),
        ({"rev_id": True, "lang": "en"}, "positive integer"),
        ({"instances": []}, "non-empty array"),
        ({"instances": [{"rev_id": 1, "lang": "en"}] * 51}, "Max of 50"),
        ({"lang": "en", "revision": {"text": 5}}, "revision record"),
    ],
)
def test_revert_risk_bad_bodies_are_400(service: Any, body: dict[str, Any], words: str) -> None:
    response = service.post("/v1/models/editrisk:predict", json=body)
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]


def test_unsaved_edit_scores_like_the_saved_revision(
    service: Any, local_wiki: Any, wiki_history: dict[str, Any]
) -> None:
    """The same record scored from a rev_id and sent as an unsaved edit gives the same score:
    live fetching and client-sent records go through the same features (no skew)."""
    import asyncio

    from wikiscore.mediawiki.client import MediaWikiClient

    rev = wiki_history["named"]["allah_vandalism"]

    async def fetch() -> Any:
        async with MediaWikiClient(local_wiki.as_wiki()) as client:
            return (await client.get_revisions([rev], content=True, user_info=True))[rev]

    record = asyncio.run(fetch())
    body = {"wiki": "testwiki", "revision": record.to_json()}
    unsaved = service.post("/v1/models/editrisk:predict", json=body)
    assert unsaved.status_code == 200, unsaved.text
    saved = service.post("/v1/models/editrisk:predict", json={"wiki": "testwiki", "rev_id": rev})
    assert _output(unsaved.json()) == pytest.approx(_output(saved.json()))


def test_published_liftwing_clients_work_unchanged(
    testwiki_registry: Any, local_wiki: Any, tmp_path: Path
) -> None:
    from liftwing import RevertRiskAPIModel, RevscoringModel

    rev_ids = make_edits(local_wiki, 2)
    with LiveServer(new_app(testwiki_registry, tmp_path)) as server:
        revscoring = RevscoringModel("reverted", "testwiki", base_url=f"{server.url}/v1/models")
        doc = revscoring.request({"rev_id": rev_ids[0], "extended_output": False})
        revert_risk = RevertRiskAPIModel(
            base_url=f"{server.url}/v1/models/revertrisk-language-agnostic:predict"
        )
        item = revert_risk.request({"lang": "en", "rev_id": rev_ids[1]})
    entry = doc["testwiki"]["scores"][str(rev_ids[0])]["reverted"]
    assert 0.0 <= entry["score"]["probability"]["true"] <= 1.0
    assert item["revision_id"] == rev_ids[1] and 0.0 <= _output(item) <= 1.0


def test_user_warning_scores_an_account_from_its_edits(service: Any, local_wiki: Any) -> None:
    import httpx

    contribs = httpx.get(
        local_wiki.api_url,
        params={"action": "query", "list": "usercontribs", "ucuser": "Zzyzx123", "format": "json"},
    ).json()["query"]["usercontribs"]
    response = service.post("/v1/models/testwiki-user-warning:predict", json={"user": "Zzyzx123"})
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["model_name"] == "user-warning" and doc["wiki_db"] == "testwiki"
    assert doc["user"] == "Zzyzx123"
    output = doc["output"]
    assert output["probabilities"]["true"] + output["probabilities"]["false"] == pytest.approx(1)
    assert output["edits_considered"] == len(contribs) >= 1
    assert output["level"] and isinstance(output["reasons"], list)

    unknown = service.post(
        "/v1/models/testwiki-user-warning:predict", json={"user": "Nobody by this name"}
    )
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "user_not_found"
    empty = service.post("/v1/models/testwiki-user-warning:predict", json={"user": " "})
    assert empty.status_code == 400 and '"user"' in empty.json()["error"]["message"]
