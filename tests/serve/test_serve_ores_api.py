"""ORES v3 compatibility, end to end against the real local wiki and the real model.

Shapes follow ORES v3: ``{context: {"models": {name: {"version"}}, "scores": {revid: {name:
{"score": {"prediction", "probability": {"true", "false"}}}}}}}`` and an ``{"error": {"type",
"message"}}`` in place of a score that cannot be made. The published ORES client
(``ores.api.Session``) is run unchanged against a live server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from serve_helpers import LiveServer, make_edits, new_app

pytestmark = pytest.mark.wiki


def _score(entry: dict[str, Any]) -> float:
    score = entry["score"]
    assert set(score) == {"prediction", "probability"}
    p = score["probability"]
    assert set(p) == {"true", "false"}
    assert 0.0 <= p["true"] <= 1.0 and p["true"] + p["false"] == pytest.approx(1.0)
    assert isinstance(score["prediction"], bool)
    return float(p["true"])


def test_contexts_list_the_local_wiki_and_its_model(service: Any) -> None:
    doc = service.get("/v3/scores/").json()
    assert list(doc) == ["testwiki"]
    assert set(doc["testwiki"]) == {"models"}
    assert isinstance(doc["testwiki"]["models"]["editrisk"]["version"], str)


def test_several_revisions_and_models_with_errors_in_place(
    service: Any, wiki_history: dict[str, Any]
) -> None:
    named = wiki_history["named"]
    ids = [
        named["albedo_vandalism"],
        named["allah_manual_revert"],
        named["never_existed"],
        named["tarkovsky_deleted"],
    ]
    response = service.get(
        "/v3/scores/testwiki/",
        params={"models": "editrisk|reverted", "revids": "|".join(map(str, ids))},
    )
    assert response.status_code == 200
    doc = response.json()["testwiki"]
    assert set(doc) == {"models", "scores"}
    assert set(doc["models"]) == {"editrisk", "reverted"}
    assert set(doc["scores"]) == {str(i) for i in ids}
    for rev_id in ids[:2]:
        entry = doc["scores"][str(rev_id)]
        assert _score(entry["editrisk"]) == _score(entry["reverted"])  # an alias, same model
    missing = doc["scores"][str(named["never_existed"])]["editrisk"]
    assert missing["error"]["type"] == "revision_not_found"
    deleted = doc["scores"][str(named["tarkovsky_deleted"])]["editrisk"]
    assert deleted["error"]["type"] == "revision_deleted" and deleted["error"]["message"]


def test_vandalism_scores_higher_than_a_revert(service: Any, wiki_history: dict[str, Any]) -> None:
    named = wiki_history["named"]
    vandal, revert = named["albedo_vandalism"], named["allah_manual_revert"]
    doc = service.get(f"/v3/scores/testwiki/?models=editrisk&revids={vandal}|{revert}").json()
    scores = doc["testwiki"]["scores"]
    assert _score(scores[str(vandal)]["editrisk"]) > _score(scores[str(revert)]["editrisk"])


def test_single_revision_paths_agree_with_the_batch(
    service: Any, wiki_history: dict[str, Any]
) -> None:
    rev = wiki_history["named"]["aikido_ipv6_edit"]
    batch = service.get(f"/v3/scores/testwiki/?models=editrisk&revids={rev}").json()
    one = service.get(f"/v3/scores/testwiki/{rev}/editrisk/").json()
    every = service.get(f"/v3/scores/testwiki/{rev}").json()
    assert one == batch
    assert (
        every["testwiki"]["scores"][str(rev)]["editrisk"]
        == one["testwiki"]["scores"][str(rev)]["editrisk"]
    )


def test_features_explanations_and_threshold_queries(
    service: Any, wiki_history: dict[str, Any]
) -> None:
    from wikiscore.features.edit import EDIT_FEATURE_NAMES

    rev = wiki_history["named"]["albedo_vandalism"]
    doc = service.get(f"/v3/scores/testwiki/{rev}/editrisk?features&explain=true").json()
    entry = doc["testwiki"]["scores"][str(rev)]["editrisk"]
    assert set(entry["features"]) == set(EDIT_FEATURE_NAMES)
    explanation = entry["explanation"]
    assert explanation["level"] in {
        "likely_good",
        "may_have_problems",
        "likely_bad",
        "very_likely_bad",
    }
    assert explanation["contributions"] and all(
        c["label"] and c["feature"] in EDIT_FEATURE_NAMES for c in explanation["contributions"]
    )
    sizes = [abs(c["contribution"]) for c in explanation["contributions"]]
    assert sizes == sorted(sizes, reverse=True)
    plain = service.get(f"/v3/scores/testwiki/{rev}/editrisk").json()
    assert set(plain["testwiki"]["scores"][str(rev)]["editrisk"]) == {"score"}

    query = 'statistics.thresholds.true."maximum recall @ precision >= 0.5"'
    info = service.get("/v3/scores/testwiki/", params={"models": "editrisk", "model_info": query})
    assert info.status_code == 200, info.text
    found = info.json()["testwiki"]["models"]["editrisk"]["statistics"]["thresholds"]["true"]
    assert len(found) == 1
    assert found[0] is None or 0.0 <= found[0]["threshold"] <= 1.0

    # The model card travels with model_info: intended use, what it is not fit for, fairness.
    card = service.get(
        "/v3/scores/testwiki/", params={"models": "editrisk", "model_info": "card"}
    ).json()["testwiki"]["models"]["editrisk"]["card"]
    assert card["intended_use"] and card["not_for"]
    assert card["group_aware_levels"] is True


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/v3/scores/testwiki/?revids=12x", 400, "'12x' is not a revision id"),
        ("/v3/scores/testwiki/?revids=" + "|".join(["1"] * 51), 400, "Max of 50"),
        ("/v3/scores/testwiki/?revids=1&models=damaging", 400, "not available for testwiki"),
        ("/v3/scores/testwiki/1/damaging/", 404, "not available for testwiki"),
        ("/v3/scores/testwiki/-5/", 400, "not a revision id"),
        # Digits str.isdigit() accepts but int() refuses ("³") or reads (Arabic-Indic "١٢").
        ("/v3/scores/testwiki/%C2%B3/editrisk/", 400, "not a revision id"),
        ("/v3/scores/testwiki/?revids=%D9%A1%D9%A2", 400, "not a revision id"),
        ("/v3/scores/testwiki/?revids=1&features=maybe", 400, "features must be true or false"),
        ("/v3/scores/nowiki/?revids=1", 404, "Contexts: testwiki"),
        ("/v3/scores/testwiki/?models=editrisk&model_info=statistics.nope", 400, "'nope'"),
        ("/v3/scores/testwiki/1/?feature.revision.user.is_anon=true", 400, "injection"),
    ],
)
def test_bad_parameters_get_a_clear_4xx(service: Any, path: str, status: int, words: str) -> None:
    response = service.get(path)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]


def test_published_ores_client_works_unchanged(
    testwiki_registry: Any, local_wiki: Any, tmp_path: Path
) -> None:
    from ores.api import Session

    rev_ids = make_edits(local_wiki, 3)
    with LiveServer(new_app(testwiki_registry, tmp_path)) as server:
        session = Session(server.url, user_agent="wikiscore tests", batch_size=2)
        results = list(session.score("testwiki", ["editrisk", "reverted"], rev_ids))
    assert len(results) == 3
    for result in results:
        assert set(result) == {"editrisk", "reverted"}
        assert _score(result["editrisk"]) == _score(result["reverted"])
