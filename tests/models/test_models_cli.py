"""``wikiscore train`` and ``wikiscore evaluate`` on a real slice of the training file."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from wikiscore.cli.main import app
from wikiscore.models.artifact import ModelArtifact
from wikiscore.models.registry import load_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "models"
SLICE = FIXTURES / "enwiki-editrisk-slice.tsv"


def run_cli(*args: str) -> Result:
    """In-process run (fast); exceptions other than a clean exit fail the test."""
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    result.returncode = result.exit_code  # type: ignore[attr-defined]
    return result


def run_process(*args: str) -> subprocess.CompletedProcess[str]:
    """A real process, to see exactly what a user sees on stderr."""
    return subprocess.run(
        [sys.executable, "-m", "wikiscore.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_evaluate_prints_metrics_and_writes_predictions_and_report(tmp_path: Path) -> None:
    predictions = tmp_path / "pred.tsv"
    report = tmp_path / "report"
    result = run_cli(
        "evaluate",
        "enwiki-editrisk",
        "--data",
        str(SLICE),
        "--predictions",
        str(predictions),
        "--report",
        str(report),
        "--n-boot",
        "200",
        "--query",
        "maximum recall @ precision >= 0.9",
        "--query",
        "maximum filter_rate @ recall >= 0.9",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["model"] == "enwiki-editrisk" and doc["data"]["rows"] == 400
    metrics = doc["metrics"]
    assert 0.5 < metrics["roc_auc"]["value"] <= 1
    assert metrics["roc_auc"]["ci95"][0] <= metrics["roc_auc"]["value"]
    assert set(doc["thresholds"]["queries"]) == {
        "maximum recall @ precision >= 0.9",
        "maximum filter_rate @ recall >= 0.9",
    }
    assert doc["thresholds"]["queries"]["maximum filter_rate @ recall >= 0.9"]["recall"] >= 0.9
    assert {
        "anonymous",
        "registered",
        "account_lt_1d",
        "account_1d_30d",
        "account_gt_30d",
        "bot_or_sysop",
    } <= set(doc["slices"])
    anon = doc["slices"]["anonymous"]
    assert anon["count"] > 0 and "base_rate" in anon and "calibration" in anon
    # The predictions file is exactly what the artifact's recorded checksum covers.
    lines = predictions.read_text().splitlines()
    assert len(lines) == 400 and lines[0].split("\t")[0].isdigit()
    recorded = load_model("enwiki-editrisk").metadata["prediction_checks"][0]
    assert hashlib.sha256(predictions.read_bytes()).hexdigest() == recorded["predictions_sha256"]
    for name in (
        "roc.png",
        "pr.png",
        "calibration.png",
        "calibration_slices.png",
        "report.md",
        "report.html",
    ):
        assert (report / name).stat().st_size > 0, name
    assert (report / "roc.png").read_bytes()[:4] == b"\x89PNG"
    assert "ROC-AUC" in (report / "report.md").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rev_id\ta\tb\n", "expected 11 tab-separated columns"),
        ("1\t1\t1\t0\t0.0\t0.0\t1.0\tmaybe\tFalse\t22\tFalse\n", "must be True or False"),
        ("x\t1\t1\t0\t0.0\t0.0\t1.0\tTrue\tFalse\t22\tFalse\n", "header line"),
        ("", "no data rows"),
    ],
)
def test_evaluate_bad_file_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text(content)
    result = run_cli("evaluate", "enwiki-editrisk", "--data", str(bad))
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_unknown_model_and_missing_file(tmp_path: Path) -> None:
    result = run_cli("evaluate", "nosuch-model", "--data", str(SLICE))
    assert result.returncode != 0 and "enwiki-editrisk" in result.stderr
    result = run_process("evaluate", "enwiki-editrisk", "--data", str(tmp_path / "missing.tsv"))
    assert result.returncode != 0 and "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_rev_ids_are_refused(tmp_path: Path) -> None:
    first = SLICE.read_text().splitlines()[0]
    bad = tmp_path / "dup.tsv"
    bad.write_text(f"{first}\n{first}\n")
    result = run_cli("evaluate", "enwiki-editrisk", "--data", str(bad))
    assert result.returncode != 0 and "already appeared on line 1" in result.stderr


def test_train_quickly_on_the_slice(tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = run_cli(
        "train",
        "enwiki-editrisk",
        "--data",
        str(SLICE),
        "--out",
        str(out),
        "--time-budget",
        "3",
        "--seed",
        "1",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["model"] == "enwiki-editrisk"
    assert summary["training_data"]["rows"] == 400
    assert 0.5 < summary["cv"]["roc_auc"]["value"] <= 1
    artifact = ModelArtifact.load(out)
    assert artifact.metadata["seed"] == 1
    assert (
        artifact.metadata["training_data"]["sha256"]
        == hashlib.sha256(SLICE.read_bytes()).hexdigest()
    )
    assert "outer_folds" in artifact.metadata["cv"]
    # A model evaluated on its own training file says so.
    result = run_cli(
        "evaluate",
        "enwiki-editrisk",
        "--data",
        str(SLICE),
        "--model-dir",
        str(out),
        "--n-boot",
        "0",
    )
    assert result.returncode == 0, result.stderr
    assert "in-sample" in json.loads(result.stdout)["warning"]


def test_content_only_variant_is_configuration(tmp_path: Path) -> None:
    """A model without user features (for fairness comparisons) needs only a feature list."""
    from wikiscore.models.inputs import EDIT_FEATURES
    from wikiscore.training.editrisk import EditModelConfig, TrainOptions, train_edit_model

    config = EditModelConfig(name="enwiki-editrisk-content", features=EDIT_FEATURES[:6])
    options = TrainOptions(time_budget=1, outer_folds=2, inner_folds=2, max_candidates=1, n_boot=0)
    train_edit_model(SLICE, tmp_path / "content", config, options)
    artifact = ModelArtifact.load(tmp_path / "content")
    assert artifact.name == "enwiki-editrisk-content"
    assert artifact.feature_names == EDIT_FEATURES[:6]
    assert artifact.metadata["inputs"]["masks"] == []
    rows = [[3, 12, 0, 1.0, 2.0, 4.5], [1, 2, 3, 0.0, 0.0, -2.0]]
    assert artifact.contributions(rows).shape == (2, 6)
    assert artifact.predict_proba(rows).shape == (2,)
