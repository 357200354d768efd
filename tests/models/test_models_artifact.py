"""The committed edit-risk artifact: loading, checksum verification, predictions, registry."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from wikiscore.errors import UnknownModel
from wikiscore.models.artifact import ArtifactError, ModelArtifact
from wikiscore.models.inputs import EDIT_FEATURES, IS_ANON, SECONDS_SINCE_REGISTRATION
from wikiscore.models.registry import available_models, get_spec, load_model, models_for_wiki
from wikiscore.training.editrisk import prediction_check, predictions_text
from wikiscore.training.tsv import read_editquality_tsv
from wikiscore.wikis import Wiki

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"
SLICE = FIXTURES / "enwiki-editrisk-slice.tsv"


@pytest.fixture(scope="module")
def model() -> ModelArtifact:
    return load_model("enwiki-editrisk")


def _copy(model: ModelArtifact, tmp_path: Path) -> Path:
    target = tmp_path / "artifact"
    shutil.copytree(model.directory, target)
    return target


def test_registry(model: ModelArtifact) -> None:
    assert "enwiki-editrisk" in available_models()
    spec = get_spec("editrisk")
    assert (spec.name, spec.lang, spec.kind) == ("enwiki-editrisk", "en", "edit")
    en = Wiki(dbname="testwiki", api_url="http://localhost/api.php", lang="en")
    fr = Wiki(dbname="frwiki", api_url="http://localhost/api.php", lang="fr")
    edit_models = [s.name for s in models_for_wiki(en) if s.kind == "edit"]
    # The served default first, then the content-only fairness variant.
    assert edit_models == ["enwiki-editrisk", "enwiki-editrisk-content"]
    assert "enwiki-editrisk" not in [s.name for s in models_for_wiki(fr)]
    assert load_model("editrisk") is model  # cached, by API name too
    with pytest.raises(UnknownModel, match="enwiki-editrisk"):
        load_model("dewiki-editrisk")


def test_metadata_describes_the_model(model: ModelArtifact) -> None:
    meta = model.metadata
    assert model.feature_names == EDIT_FEATURES
    assert [lv["name"] for lv in model.levels] == [
        "likely_good",
        "may_have_problems",
        "likely_bad",
        "very_likely_bad",
    ]
    for key in (
        "training_data",
        "cv",
        "environment",
        "seed",
        "calibration",
        "params",
        "threshold_table",
        "git",
        "training_seconds",
    ):
        assert key in meta, key
    assert meta["training_data"]["rows"] == 14979
    assert "no page or user ids" in meta["training_data"]["leakage_note"]
    assert meta["inputs"]["masks"][0]["feature"] == SECONDS_SINCE_REGISTRATION
    cv = meta["cv"]["metrics"]
    assert cv["roc_auc"]["ci95"][0] < cv["roc_auc"]["value"] < cv["roc_auc"]["ci95"][1]
    assert set(meta["cv"]["slices"]) >= {"anonymous", "registered", "account_lt_1d"}


def test_predictions_match_recorded_checksum(model: ModelArtifact) -> None:
    recorded = {c["file"]: c for c in model.metadata["prediction_checks"]}
    check = recorded["tests/fixtures/models/enwiki-editrisk-slice.tsv"]
    assert check["data_sha256"] == hashlib.sha256(SLICE.read_bytes()).hexdigest()
    assert prediction_check(model, SLICE)["predictions_sha256"] == check["predictions_sha256"]


def test_probabilities_contributions_and_levels(model: ModelArtifact) -> None:
    data = read_editquality_tsv(SLICE)
    p = model.predict_proba(data.X)
    assert p.shape == (len(data),) and np.all((p >= 0) & (p <= 1))
    raw = model.predict_raw(data.X)
    contrib = model.contributions(data.X)
    assert contrib.shape == data.X.shape
    assert np.allclose(contrib.sum(axis=1) + model.expected_value, raw, atol=1e-6)
    # Calibration is monotone: ranking by probability is ranking by raw score.
    order = np.argsort(raw)
    assert np.all(np.diff(p[order]) >= -1e-12)
    assert {model.level(float(v)) for v in p} <= {lv["name"] for lv in model.levels}
    assert model.level(0.0) == "likely_good" and model.level(1.0) == "very_likely_bad"
    found = model.threshold_query("maximum recall @ precision >= 0.9")
    assert found is not None and found["precision"] >= 0.9
    with pytest.raises(ValueError, match="threshold query"):
        model.threshold_query("most recall please")


def test_account_age_is_ignored_for_anonymous_editors(model: ModelArtifact) -> None:
    """Training data holds a date proxy here, live features hold 0: both must score alike."""
    data = read_editquality_tsv(SLICE)
    anon = data.column(IS_ANON) == 1
    live = data.X[anon].copy()
    live[:, EDIT_FEATURES.index(SECONDS_SINCE_REGISTRATION)] = 0
    assert np.array_equal(model.predict_proba(data.X[anon]), model.predict_proba(live))


def test_tampered_model_file_is_refused(model: ModelArtifact, tmp_path: Path) -> None:
    target = _copy(model, tmp_path)
    text = (target / "model.lgbm").read_text()
    (target / "model.lgbm").write_text(text.replace("leaf_value=", "leaf_value=1", 1))
    with pytest.raises(ArtifactError, match="sha256"):
        ModelArtifact.load(target)


def test_broken_metadata_is_refused(model: ModelArtifact, tmp_path: Path) -> None:
    target = _copy(model, tmp_path)
    meta_path = target / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "postprocessing": [{"op": "group_thresholds"}]}))
    with pytest.raises(ArtifactError, match="group_thresholds"):
        ModelArtifact.load(target)
    meta_path.write_text(json.dumps({k: v for k, v in meta.items() if k != "calibration"}))
    with pytest.raises(ArtifactError, match="calibration"):
        ModelArtifact.load(target)
    meta_path.write_text("{not json")
    with pytest.raises(ArtifactError, match="cannot read"):
        ModelArtifact.load(target)
    with pytest.raises(ArtifactError, match="no model artifact"):
        ModelArtifact.load(tmp_path / "nowhere")


def test_predictions_text_format() -> None:
    text = predictions_text(np.array([5, 7]), np.array([0.25, 1 / 3]))
    assert text == "5\t0.250000000\n7\t0.333333333\n"
