"""What code and environment trained a model: the provenance every trainer writes to metadata.

Owns the ``environment`` (python, platform and library versions) and ``git`` (commit and whether
tracked files had uncommitted changes) entries of an artifact's metadata, so that every model
records the same fields. Must not know about data files (their hashes live with the data
readers) or about any particular model.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path
from typing import Any

from wikiscore.config import repo_root


def code_provenance() -> dict[str, Any]:
    """``{"environment": ..., "git": ...}``, to merge into an artifact's metadata."""
    return {"environment": environment(), "git": git_state()}


def environment() -> dict[str, str]:
    """Python, the libraries a model's numbers depend on, and the platform."""
    import lightgbm
    import numpy as np
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lightgbm.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "platform": platform.platform(),
    }


def git_state(root: Path | None = None) -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the checkout ``root`` (default: the one this code
    runs from), or None when there is no checkout or git cannot tell (not installed, no .git).

    ``dirty`` counts changes to tracked files only: untracked scratch files do not change the
    code that trained the model.
    """
    root = root if root is not None else repo_root()
    if root is None:
        return None
    try:
        commit = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, timeout=5, check=True
    ).stdout.strip()
