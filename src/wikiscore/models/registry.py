"""Which models exist, which wikis they serve, and loading them (cached).

Owns the table of models shipped with wikiscore: full name (``enwiki-editrisk``), short API name
(``editrisk``, as in ORES/Lift Wing URLs), content language, kind (``edit`` scores revisions,
``user`` scores accounts) and the committed artifact directory. Adding a model is one entry in
:data:`_SPECS`. Must not fetch data or know about HTTP.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from wikiscore.errors import UnknownModel
from wikiscore.models.artifact import ModelArtifact
from wikiscore.wikis import Wiki

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"


@dataclass(frozen=True)
class ModelSpec:
    """A model wikiscore can serve."""

    name: str
    api_name: str
    lang: str
    kind: str  # "edit" | "user"
    artifact_dir: Path
    description: str


_SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="enwiki-editrisk",
        api_name="editrisk",
        lang="en",
        kind="edit",
        artifact_dir=ARTIFACTS_DIR / "enwiki-editrisk",
        description=(
            "Probability that an edit to English Wikipedia will be reverted (LightGBM on the "
            "nine revscoring edit features, calibrated; trained on editquality 2015)."
        ),
    ),
    ModelSpec(
        name="enwiki-editrisk-content",
        api_name="editrisk-content",
        lang="en",
        kind="edit",
        artifact_dir=ARTIFACTS_DIR / "enwiki-editrisk-content",
        description=(
            "Probability that an edit to English Wikipedia will be reverted, from the content "
            "of the edit only: no editor features (anonymity, groups, account age), so the "
            "same edit scores the same whoever made it (LightGBM, calibrated; editquality 2015)."
        ),
    ),
    ModelSpec(
        name="enwiki-user-warning",
        api_name="user-warning",
        lang="en",
        kind="user",
        artifact_dir=ARTIFACTS_DIR / "user-warning",
        description=(
            "Vandal early warning: probability that a new English Wikipedia account is a "
            "vandal, from its first edits only (pages, timing, titles, username; LightGBM, "
            "calibrated; trained on the UMD VEWS data 2013-2014)."
        ),
    ),
)


@lru_cache(maxsize=1)
def available_models() -> dict[str, ModelSpec]:
    """Every registered model by full name."""
    return {spec.name: spec for spec in _SPECS}


def models_for_wiki(wiki: Wiki) -> list[ModelSpec]:
    """The models serving ``wiki``: those trained for its content language."""
    return [spec for spec in available_models().values() if spec.lang == wiki.lang]


def get_spec(name: str) -> ModelSpec:
    """The spec of a model by full or API name; raise UnknownModel listing the known ones."""
    specs = available_models()
    spec = specs.get(name) or next((s for s in specs.values() if s.api_name == name), None)
    if spec is None:
        known = ", ".join(sorted(specs)) or "none"
        raise UnknownModel(f"unknown model {name!r}; available models: {known}")
    return spec


_LOAD_LOCK = threading.Lock()


@cache
def _load(name: str) -> ModelArtifact:
    return ModelArtifact.load(get_spec(name).artifact_dir)


def load_model(name: str) -> ModelArtifact:
    """The loaded, verified artifact of a registered model (cached; thread-safe).

    Raises UnknownModel for an unregistered name and ArtifactError for a broken artifact.
    """
    full_name = get_spec(name).name
    with _LOAD_LOCK:
        return _load(full_name)


def _cache_clear() -> None:
    _load.cache_clear()


load_model.cache_clear = _cache_clear  # type: ignore[attr-defined]
