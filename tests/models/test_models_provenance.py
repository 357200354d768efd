"""Where a model came from: the provenance every trainer records, and finding the checkout.

``code_provenance`` is what both trainers merge into artifact metadata; ``repo_root`` is the one
way the package finds its source checkout (default data paths, docs/models, git).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from wikiscore import config
from wikiscore.config import repo_root
from wikiscore.training.provenance import code_provenance, git_state

CHECKOUT = Path(__file__).resolve().parents[2]
ENVIRONMENT_KEYS = {"python", "lightgbm", "numpy", "scikit-learn", "scipy", "platform"}


def test_provenance_records_environment_and_git() -> None:
    found = code_provenance()
    assert set(found) == {"environment", "git"}
    assert set(found["environment"]) == ENVIRONMENT_KEYS
    assert found["environment"]["python"] == platform.python_version()
    assert found["environment"]["platform"] == platform.platform()


def test_provenance_matches_the_shipped_edit_model_fields() -> None:
    """The fields are the ones the edit-risk artifacts already carry (cards read them)."""
    from wikiscore.models.artifact import ModelArtifact
    from wikiscore.training.registry import default_model_dir

    shipped = ModelArtifact.load(default_model_dir("enwiki-editrisk")).metadata
    assert set(shipped["environment"]) == set(code_provenance()["environment"])
    assert set(shipped["git"]) == {"commit", "dirty"}


def test_git_commit_is_the_checkout_head() -> None:
    if shutil.which("git") is None or not (CHECKOUT / ".git").exists():
        pytest.skip("not a git checkout")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=CHECKOUT, capture_output=True, text=True, check=True
    ).stdout.strip()
    git = code_provenance()["git"]
    assert git is not None
    assert git["commit"] == head
    assert isinstance(git["dirty"], bool)


def test_no_git_state_outside_a_repository(tmp_path: Path) -> None:
    assert git_state(tmp_path) is None


def test_repo_root_finds_this_checkout() -> None:
    assert repo_root() == CHECKOUT
    assert repo_root(CHECKOUT / "tests" / "models") == CHECKOUT
    assert repo_root(Path(__file__)) == CHECKOUT


def test_repo_root_is_none_without_a_checkout(tmp_path: Path) -> None:
    assert repo_root(tmp_path) is None
    other = tmp_path / "other-project"
    other.mkdir()
    (other / "pyproject.toml").write_text("[project]\nname = 'other'\n")
    assert repo_root(other) is None  # a pyproject.toml without src/wikiscore is not ours


def test_installed_copy_inside_a_checkout_is_not_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-editable install in a virtualenv kept inside a checkout: the checkout's files are
    not the running code, so there is no checkout to resolve data paths or git against."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'wikiscore'\n")
    (tmp_path / "src" / "wikiscore").mkdir(parents=True)
    installed = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "wikiscore"
    installed.mkdir(parents=True)
    assert repo_root(installed) == tmp_path  # explicit start: the enclosing checkout
    monkeypatch.setattr(config, "_PACKAGE_DIR", installed.resolve())
    assert repo_root() is None
    monkeypatch.setattr(config, "_PACKAGE_DIR", (tmp_path / "src" / "wikiscore").resolve())
    assert repo_root() == tmp_path.resolve()
