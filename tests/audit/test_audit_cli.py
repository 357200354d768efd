"""``wikiscore audit`` and ``wikiscore cards`` on the committed artifacts and fixture data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wikiscore.cli.main import app

REPO = Path(__file__).resolve().parents[2]
SLICE = REPO / "tests" / "fixtures" / "models" / "enwiki-editrisk-slice.tsv"
VEWS = REPO / "tests" / "fixtures" / "vews"
TRAINING = (
    REPO.parent
    / "shared"
    / "data"
    / "editquality-enwiki-2015"
    / "enwiki.features_reverted.training.20k_2015.tsv.bz2"
)


def run_cli(*args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_content_model_does_not_move_when_the_editor_changes(tmp_path: Path) -> None:
    result = run_cli(
        "audit",
        "editrisk-content",
        "--data",
        str(SLICE),
        "--n-boot",
        "20",
        "--report",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["model"] == "enwiki-editrisk-content"
    for key, entry in summary["counterfactual"].items():
        assert entry["count"] > 0, key
        assert entry["mean_abs_delta"] == 0.0 and entry["level_changed"] == 0, key
    for name in ("audit.md", "audit.html", "audit.json", "report.md", "calibration_slices.png"):
        assert (tmp_path / name).is_file(), name


def test_audit_of_the_served_model_compares_variants(tmp_path: Path) -> None:
    result = run_cli(
        "audit",
        "enwiki-editrisk",
        "--data",
        str(SLICE),
        "--n-boot",
        "20",
        "--compare",
        "editrisk-content",
        "--report",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert "goal" in summary and summary["goal"]["level"] == "likely_bad"
    anon = summary["counterfactual"]["anonymous_to_registered"]
    assert anon["count"] > 0 and anon["mean_abs_delta"] > 0  # the full model reads the editor
    audit = json.loads((tmp_path / "audit.json").read_text())
    shown = [entry["display_name"] for entry in audit["comparison"]]
    assert any("pooled levels" in name for name in shown)
    assert any(name.startswith("enwiki-editrisk-content") for name in shown)
    markdown = (tmp_path / "audit.md").read_text()
    assert "Models side by side" in markdown and "tradeoff.png" in markdown
    assert (tmp_path / "tradeoff.png").is_file()
    # Per-slice flag rates, TPR and FPR at each level are in the report and consistent.
    rates = audit["slices"]["anonymous"]["levels"]["likely_bad"]
    assert rates["tp"] + rates["fp"] == rates["flagged"]
    assert rates["fpr"] == pytest.approx(rates["fp"] / (rates["fp"] + rates["tn"]))


def test_audit_errors_are_clear_lines() -> None:
    missing = subprocess.run(
        [sys.executable, "-m", "wikiscore.cli.main", "audit", "editrisk", "--data", "nope.tsv"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode != 0
    assert "error:" in missing.stderr and "nope.tsv" in missing.stderr
    assert "Traceback" not in missing.stderr
    not_training = run_cli("audit", "editrisk", "--data", str(SLICE), "--out-of-fold")
    assert not_training.exit_code != 0
    assert "training data" in not_training.output
    unknown = run_cli("audit", "dewiki-nothing", "--data", str(SLICE))
    assert unknown.exit_code != 0 and "unknown model" in unknown.output


def test_user_model_audit_slices_by_activity_and_age(tmp_path: Path) -> None:
    result = run_cli(
        "audit", "user-warning", "--data", str(VEWS), "--n-boot", "0", "--report", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert audit["kind"] == "user" and audit["counterfactual"] is None
    assert {"edits_1", "edits_10_plus", "active_lt_1d", "active_gt_30d"} <= set(audit["slices"])
    total = sum(audit["slices"][k]["count"] for k in ("edits_1", "edits_2_9", "edits_10_plus"))
    assert total == audit["metrics"]["count"]
    assert "new_vs_established_activity" in audit["disparate_impact"]


def test_cards_command_writes_a_card_for_every_model(tmp_path: Path) -> None:
    from wikiscore.models.registry import available_models

    result = run_cli("cards", "--out", str(tmp_path), "--no-audit")
    assert result.exit_code == 0, result.output
    for name in available_models():
        for suffix in ("md", "html", "json"):
            assert (tmp_path / name / f"card.{suffix}").is_file(), (name, suffix)
    index = (tmp_path / "README.md").read_text()
    assert all(name in index for name in available_models())


@pytest.mark.skipif(not TRAINING.exists(), reason="needs ../shared/data (full training file)")
def test_out_of_fold_predictions_are_reproduced_and_meet_the_goal() -> None:
    """The outer-fold models re-fitted from the artifact's recorded choices give exactly the
    stored out-of-fold threshold table (checked inside), and the served levels meet the goal."""
    from wikiscore.evaluation.audit import audit_edit
    from wikiscore.models.registry import load_model
    from wikiscore.training.editrisk import out_of_fold_scorer
    from wikiscore.training.tsv import read_editquality_tsv

    model = load_model("enwiki-editrisk")
    data = read_editquality_tsv(TRAINING)
    scorer = out_of_fold_scorer(model, data)
    audit = audit_edit(
        model, data.X, data.y, data.feature_names, scorer=scorer.predict_proba, n_boot=0
    )
    assert audit["goal"]["in_band"] is True
    assert audit["goal"]["roc_auc"] == pytest.approx(
        model.metadata["cv"]["metrics"]["roc_auc"]["value"], abs=1e-5
    )
