"""Training and evaluating user-warning on the real slice: grouped folds, the artifact, the
per-k metrics, the predictions file, the report and the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from wikiscore.cli.main import app
from wikiscore.models.artifact import ArtifactError, ModelArtifact
from wikiscore.scoring.user import load_text_scorers
from wikiscore.training.registry import get_job
from wikiscore.training.user_warning import (
    EVAL_KS,
    LONG_PREFIX_WEIGHT,
    LONG_PREFIXES,
    MAIN_FEATURES,
    MAX_K,
    cross_validate,
    evaluate,
    fold_ids,
    prefix_weights,
    prepare_users,
)

runner = CliRunner()


def test_folds_group_accounts_and_keep_the_class_balance(vews_dataset):
    users = prepare_users(vews_dataset)
    labels = np.array([u.is_vandal for u in users])
    folds = fold_ids(labels, 5, seed=0)
    assert folds.shape == (len(users),) and set(folds.tolist()) == set(range(5))
    for fold in range(5):
        share = labels[folds == fold].mean()
        assert abs(share - labels.mean()) < 0.1
    # Every account gets exactly one out-of-fold score per prefix.
    oof, cv_folds = cross_validate(users, signals=False, n_folds=2, rounds=5, threads=1)
    assert [len(s) for s in oof] == [u.n for u in users]
    assert np.array_equal(cv_folds, fold_ids(labels, 2, seed=0))


def test_prefix_weights_match_the_evaluation_views():
    for n in (1, 3, 10, 11, 40, 600):
        weights = prefix_weights(n)
        long = [k for k in LONG_PREFIXES if MAX_K < k < n]
        # The 11 evaluation views (k = 1..10, all) weigh 1 per account; long prefixes extra.
        assert sum(weights.values()) == pytest.approx(1.0 + LONG_PREFIX_WEIGHT * len(long))
        assert max(weights) == n and min(weights) == 1
        assert set(weights) == set(range(1, min(n, MAX_K) + 1)) | {n} | set(long)
    assert prefix_weights(3) == pytest.approx({1: 1 / 11, 2: 1 / 11, 3: 9 / 11})


def test_trained_artifact_loads_and_is_complete(small_model):
    artifact = ModelArtifact.load(small_model["dir"])
    assert artifact.metadata["kind"] == "user"
    assert artifact.feature_names == MAIN_FEATURES
    assert artifact.levels[0]["name"] == "likely_benign"
    assert 0 < artifact.metadata["flag_threshold"] < 1
    cv = artifact.metadata["cv"]
    assert set(cv["per_k"]) == {str(k) for k in EVAL_KS}
    assert cv["early_warning"]["cluebot_ng"]["vandals"] == 33
    assert set(artifact.metadata["training"]["data"]["files_sha256"]) >= {"users.tsv"}
    scorers = load_text_scorers(artifact)
    assert scorers.title.terms  # some title words were frequent enough in 61 accounts
    summary = small_model["summary"]
    assert summary["users"] == 61 and "per_k" in summary["cv"]


def test_tampered_text_scorers_are_refused(small_model, tmp_path):
    import shutil

    copy = tmp_path / "artifact"
    shutil.copytree(small_model["dir"], copy)
    path = copy / "text_scorers.json"
    path.write_text(path.read_text().replace('"intercept":', '"intercept": 1.0, "x":', 1))
    with pytest.raises(ArtifactError, match="sha256"):
        load_text_scorers(ModelArtifact.load(copy))


def test_evaluate_reports_every_k_and_writes_predictions(small_model, vews_dir, tmp_path):
    predictions = tmp_path / "pred.tsv"
    report = tmp_path / "report"
    metrics = evaluate(vews_dir, small_model["dir"], predictions, report, {"n_boot": 30})
    assert list(metrics["per_k"]) == [str(k) for k in EVAL_KS]
    for m in metrics["per_k"].values():
        assert 0 <= m["accuracy"]["value"] <= 1 and m["roc_auc"]["ci95"] is not None
    early = metrics["early_warning"]
    assert early["model"]["fpr"] <= 0.05
    assert early["stiki"]["fpr"] <= 0.05
    assert early["cluebot_ng"]["threshold"] == 1.0
    slices = metrics["slices"]
    assert slices["username_ascii"]["accounts"] + slices["username_non_ascii"]["accounts"] == 61
    assert 0.0 <= slices["first_edit_article"]["k1"]["fpr"] <= 1.0
    lines = predictions.read_text().splitlines()
    assert len(lines) == 61 * 11
    name, k, p = lines[0].split("\t")
    assert name == "2 A.D."
    assert k == "1" and 0.0 <= float(p) <= 1.0
    assert {line.split("\t")[1] for line in lines} == {str(k) for k in EVAL_KS}
    for name in (
        "report.md",
        "report.html",
        "metrics.json",
        "accuracy_auc_by_k.png",
        "edits_to_flag.png",
    ):
        assert (report / name).stat().st_size > 0
    markdown = (report / "report.md").read_text()
    assert "ClueBot NG" in markdown and "Who is flagged wrongly" in markdown


def test_jobs_are_registered():
    assert get_job("user-warning").name == "user-warning"
    assert get_job("user-warning-signals").name == "user-warning-signals"


def test_cli_evaluate_prints_json_and_rejects_bad_input(small_model, vews_dir, tmp_path):
    result = runner.invoke(
        app,
        [
            "evaluate",
            "user-warning",
            "--data",
            str(vews_dir),
            "--model-dir",
            str(small_model["dir"]),
            "--n-boot",
            "10",
            "--predictions",
            str(tmp_path / "p.tsv"),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["per_k"]["all"]["accuracy"]["value"] > 0.5
    missing = runner.invoke(
        app,
        [
            "evaluate",
            "user-warning",
            "--data",
            str(tmp_path / "none"),
            "--model-dir",
            str(small_model["dir"]),
        ],
    )
    assert missing.exit_code != 0
    assert "does not exist" in missing.output and "Traceback" not in missing.output
    wrong = runner.invoke(
        app,
        [
            "evaluate",
            "user-warning-signals",
            "--data",
            str(vews_dir),
            "--model-dir",
            str(small_model["dir"]),
        ],
    )
    assert wrong.exit_code != 0 and "not a user-warning-signals model" in wrong.output


def test_cli_train_signals_variant(vews_dir, tmp_path):
    out = tmp_path / "signals"
    result = runner.invoke(
        app, ["train", "user-warning-signals", "--data", str(vews_dir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["model"] == "enwiki-user-warning-signals"
    artifact = ModelArtifact.load(out)
    assert artifact.metadata["signals"] is True
    assert artifact.feature_names[-1] == "signal_stiki_reputation_previous"


def test_training_is_reproducible(small_model, vews_dir, tmp_path):
    """Same data, same seed: byte-identical model and text scorers."""
    from wikiscore.training.user_warning import train

    again = tmp_path / "again"
    train(vews_dir, again, {"folds": 2, "rounds": 40, "bootstrap": 20, "threads": 1})
    first = ModelArtifact.load(small_model["dir"]).metadata
    second = ModelArtifact.load(again).metadata
    assert first["model_sha256"] == second["model_sha256"]
    assert first["text_scorers_sha256"] == second["text_scorers_sha256"]
