"""The user-warning artifact records the same provenance as the edit-risk ones."""

from __future__ import annotations

from typing import Any

from wikiscore.models.artifact import ModelArtifact
from wikiscore.training.provenance import code_provenance


def test_user_artifact_records_environment_and_git(small_model: dict[str, Any]) -> None:
    meta = ModelArtifact.load(small_model["dir"]).metadata
    expected = code_provenance()
    assert meta["environment"] == expected["environment"]
    if expected["git"] is None:
        assert meta["git"] is None
    else:
        assert meta["git"]["commit"] == expected["git"]["commit"]
        assert isinstance(meta["git"]["dirty"], bool)
