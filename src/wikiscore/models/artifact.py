"""The model artifact: LightGBM's own text model file plus ``metadata.json``, never a pickle.

Owns reading and writing an artifact directory and everything a loaded model answers:
calibrated probabilities, per-feature contributions (TreeSHAP), threshold queries and levels.

Directory layout::

    model.lgbm       LightGBM text model (``Booster.model_to_string``)
    metadata.json    name, version, inputs (features, masks, derived), calibration map,
                     default threshold, levels, threshold table (counts), CV metrics, data and
                     library provenance, and ``model_sha256`` -- the model file's checksum,
                     verified on every load.

``metadata`` may carry more keys (model card notes, audits, a ``postprocessing`` list for later
steps such as group-aware thresholds); a ``postprocessing`` step this code does not know is an
error at load time rather than being silently skipped. Must not fetch data or know about HTTP.

Post-processing ops (:data:`POSTPROCESSING_OPS`):

``group_levels``
    Group-aware level thresholds. The probability is untouched (it stays calibrated); only the
    mapping probability → level depends on a group given by one binary input feature, e.g.
    anonymous vs registered editors. A step looks like::

        {"op": "group_levels", "feature": "revision.user.is_anon",
         "groups": {"nonzero": "anonymous", "zero": "registered"},
         "levels": {"anonymous": [level dicts], "registered": [level dicts]},
         "derivation": {...how the thresholds were chosen, figures...},
         "sha256": "<sha256 of the canonical JSON of op, feature, groups and levels>"}

    Level dicts have the same shape as ``metadata["levels"]``. The sha256 is verified on load
    (a hand-edited threshold is refused like a changed model file). :meth:`ModelArtifact.level`
    applies it when given the row of input features; without a row it answers with the pooled
    ``metadata["levels"]``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from wikiscore.errors import WikiscoreError
from wikiscore.evaluation.thresholds import ThresholdTable, table_from_counts, threshold_query
from wikiscore.models.calibration import apply_calibration, validate_calibration
from wikiscore.models.inputs import InputSpec
from wikiscore.models.levels import level_for

FORMAT_VERSION = 1
MODEL_FILE = "model.lgbm"
METADATA_FILE = "metadata.json"
REQUIRED_KEYS = (
    "format_version",
    "name",
    "version",
    "model_file",
    "model_sha256",
    "inputs",
    "calibration",
    "default_threshold",
    "levels",
    "threshold_table",
)
GROUP_LEVELS_OP = "group_levels"
#: Post-processing steps this version can apply; others make loading fail.
POSTPROCESSING_OPS: frozenset[str] = frozenset({GROUP_LEVELS_OP})


class ArtifactError(WikiscoreError):
    """An artifact directory that is missing, malformed or fails its checksum."""

    error_type = "artifact_error"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; artifacts are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_artifact(directory: Path, model_text: str, metadata: Mapping[str, Any]) -> Path:
    """Write ``model.lgbm`` and ``metadata.json`` (with the model's sha256) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_bytes = model_text.encode("utf-8")
    meta = dict(metadata)
    meta.update(
        format_version=FORMAT_VERSION,
        model_file=MODEL_FILE,
        model_sha256=sha256_bytes(model_bytes),
    )
    _atomic_write(directory / MODEL_FILE, model_bytes)
    text = json.dumps(meta, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    _atomic_write(directory / METADATA_FILE, text.encode("utf-8"))
    return directory


class ModelArtifact:
    """A loaded, verified model. Thread-safe for prediction (LightGBM predicts under a lock)."""

    def __init__(self, directory: Path, metadata: dict[str, Any], booster: Any) -> None:
        self.directory = Path(directory)
        self.metadata = metadata
        self._booster = booster
        self.name: str = str(metadata["name"])
        self.version: str = str(metadata["version"])
        self.kind: str = str(metadata.get("kind", "edit"))
        self.inputs = InputSpec.from_json(metadata["inputs"])
        self.feature_names: tuple[str, ...] = self.inputs.features
        self.calibration: dict[str, Any] = dict(metadata["calibration"])
        self.default_threshold: float = float(metadata["default_threshold"])
        self.levels: list[dict[str, Any]] = [dict(lv) for lv in metadata["levels"]]
        #: Group-aware levels (the ``group_levels`` post-processing step), if any.
        self.group_levels: GroupLevels | None = next(
            (
                GroupLevels.from_step(step, self.feature_names)
                for step in metadata.get("postprocessing") or []
                if isinstance(step, Mapping) and step.get("op") == GROUP_LEVELS_OP
            ),
            None,
        )

    # -- loading ------------------------------------------------------------------------------
    @classmethod
    def load(cls, directory: Path) -> ModelArtifact:
        """Load and verify an artifact directory; raise :class:`ArtifactError` saying why not."""
        directory = Path(directory)
        meta_path = directory / METADATA_FILE
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ArtifactError(
                f"no model artifact at {directory}: {METADATA_FILE} missing"
            ) from exc
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArtifactError(f"cannot read {meta_path}: {exc}") from exc
        if not isinstance(metadata, dict):
            raise ArtifactError(f"{meta_path} must hold a JSON object")
        missing = [k for k in REQUIRED_KEYS if k not in metadata]
        if missing:
            raise ArtifactError(f"{meta_path} lacks required keys: {', '.join(missing)}")
        if metadata["format_version"] != FORMAT_VERSION:
            raise ArtifactError(
                f"{meta_path}: artifact format {metadata['format_version']!r} is not supported "
                f"(this wikiscore reads format {FORMAT_VERSION})"
            )
        model_path = directory / str(metadata["model_file"])
        try:
            model_bytes = model_path.read_bytes()
        except OSError as exc:
            raise ArtifactError(f"cannot read model file {model_path}: {exc}") from exc
        actual = sha256_bytes(model_bytes)
        if actual != metadata["model_sha256"]:
            raise ArtifactError(
                f"model file {model_path} does not match its metadata: sha256 is {actual}, "
                f"metadata.json expects {metadata['model_sha256']} (file changed or corrupted; "
                "retrain or restore the artifact)"
            )
        try:
            validate_calibration(metadata["calibration"])
            InputSpec.from_json(metadata["inputs"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ArtifactError(f"{meta_path}: {exc}") from exc
        for step in metadata.get("postprocessing") or []:
            op = step.get("op") if isinstance(step, Mapping) else step
            if op not in POSTPROCESSING_OPS:
                raise ArtifactError(
                    f"{meta_path}: post-processing step {op!r} is not supported by this "
                    "version of wikiscore"
                )
            if op == GROUP_LEVELS_OP:
                try:
                    GroupLevels.from_step(step, metadata["inputs"]["features"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise ArtifactError(f"{meta_path}: post-processing step {op!r}: {exc}") from exc
        import lightgbm

        try:
            booster = lightgbm.Booster(model_str=model_bytes.decode("utf-8"))
        except (lightgbm.basic.LightGBMError, UnicodeDecodeError) as exc:
            raise ArtifactError(f"cannot parse LightGBM model {model_path}: {exc}") from exc
        artifact = cls(directory, metadata, booster)
        expected = len(artifact.inputs.model_features)
        if booster.num_feature() != expected:
            raise ArtifactError(
                f"{model_path} has {booster.num_feature()} features, metadata declares {expected}"
            )
        return artifact

    # -- prediction ---------------------------------------------------------------------------
    def _matrix(self, X: Any) -> np.ndarray:
        try:
            return self.inputs.prepare(X)
        except ValueError as exc:
            raise ValueError(f"model {self.name}: {exc}") from exc

    def predict_raw(self, X: Any) -> np.ndarray:
        """Uncalibrated raw scores (log-odds), shape (n,)."""
        matrix = self._matrix(X)
        if matrix.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self._booster.predict(matrix, raw_score=True, num_threads=1))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probability of the positive class for each row of ``X``, shape (n,)."""
        return apply_calibration(self.calibration, self.predict_raw(X))

    def _model_contributions(self, X: Any) -> np.ndarray:
        matrix = self._matrix(X)
        if matrix.shape[0] == 0:
            return np.zeros((0, matrix.shape[1] + 1))
        return np.asarray(self._booster.predict(matrix, pred_contrib=True, num_threads=1))

    def contributions(self, X: Any) -> np.ndarray:
        """Per-input-feature TreeSHAP contributions to the raw score (log-odds), shape (n, k).

        Each row plus :attr:`expected_value` sums to the raw score; the calibration map is
        monotone, so the sign says which way a feature pushed the probability. Derived
        features are folded back onto their sources and masked features onto the mask's
        condition (see :meth:`InputSpec.fold_contributions`).
        """
        return self.inputs.fold_contributions(self._model_contributions(X), X)

    @cached_property
    def expected_value(self) -> float:
        """The TreeSHAP bias: the raw score before any feature is considered."""
        probe = np.zeros((1, len(self.feature_names)))
        return float(self._model_contributions(probe)[0, -1])

    # -- thresholds and levels ----------------------------------------------------------------
    @cached_property
    def threshold_table(self) -> ThresholdTable:
        """The out-of-fold threshold table recorded at training time (full statistics)."""
        counts = self.metadata["threshold_table"]
        return table_from_counts(
            counts["threshold"], counts["tp"], counts["fp"], counts["tn"], counts["fn"]
        )

    def threshold_query(self, query: str) -> dict[str, Any] | None:
        """Answer an ORES threshold query, e.g. ``maximum recall @ precision >= 0.9``.

        Raises ValueError for a query that cannot be parsed; None when no threshold qualifies.
        """
        return threshold_query(self.threshold_table, query)

    def level(self, probability: float, row: Any = None) -> str:
        """``likely_good`` | ``may_have_problems`` | ``likely_bad`` | ``very_likely_bad``.

        ``row`` (the input feature values, in :attr:`feature_names` order) selects the group's
        levels when the model has group-aware levels; without it the pooled levels answer.
        """
        if self.group_levels is not None and row is not None:
            return level_for(probability, self.group_levels.levels_for_row(row))
        return level_for(probability, self.levels)

    def levels_for(self, probabilities: Sequence[float]) -> list[str]:
        return [self.level(float(p)) for p in probabilities]

    def levels_for_rows(self, X: Any, probabilities: Sequence[float]) -> list[str]:
        """The level of each row (group-aware when the model has group levels)."""
        if self.group_levels is None:
            return self.levels_for(probabilities)
        matrix = np.asarray(X, dtype=np.float64).reshape(len(probabilities), -1)
        groups = self.group_levels.groups_of(matrix)
        tables = self.group_levels.levels
        return [level_for(float(p), tables[g]) for p, g in zip(probabilities, groups, strict=True)]

    def levels_by_group(self) -> dict[str, list[dict[str, Any]]]:
        """Level definitions per group (one pooled entry ``all`` without group levels)."""
        if self.group_levels is None:
            return {"all": [dict(lv) for lv in self.levels]}
        return {g: [dict(lv) for lv in lvs] for g, lvs in self.group_levels.levels.items()}

    def __repr__(self) -> str:
        return f"ModelArtifact({self.name!r}, version={self.version!r}, dir={self.directory})"


# -- post-processing: group-aware levels ------------------------------------------------------
def canonical_json(value: Any) -> str:
    """The JSON text hashed for post-processing steps (sorted keys, no spaces, ASCII)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


_GROUP_LEVELS_HASHED = ("op", "feature", "groups", "levels")


def group_levels_step(
    feature: str,
    groups: Mapping[str, str],
    levels: Mapping[str, Sequence[Mapping[str, Any]]],
    derivation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``group_levels`` post-processing step with its sha256 (see the module docstring).

    ``groups`` maps ``"nonzero"`` and ``"zero"`` (the value of ``feature``) to group names;
    ``levels`` maps each group name to its level dicts, lowest first.
    """
    step: dict[str, Any] = {
        "op": GROUP_LEVELS_OP,
        "feature": feature,
        "groups": {"nonzero": groups["nonzero"], "zero": groups["zero"]},
        "levels": {name: [dict(lv) for lv in lvs] for name, lvs in levels.items()},
    }
    # Round trip through JSON first so the hash is of exactly what metadata.json will hold.
    step = json.loads(canonical_json(step))
    step["sha256"] = sha256_bytes(canonical_json(step).encode("ascii"))
    if derivation is not None:
        step["derivation"] = json.loads(json.dumps(derivation, allow_nan=False))
    GroupLevels.from_step(step, [feature])
    return step


class GroupLevels:
    """Level thresholds that depend on a binary input feature (``group_levels`` step)."""

    def __init__(
        self, feature: str, column: int, groups: dict[str, str], levels: dict[str, list[dict]]
    ) -> None:
        self.feature = feature
        self.column = column
        self.groups = groups  # {"nonzero": name, "zero": name}
        self.levels = levels

    @classmethod
    def from_step(cls, step: Mapping[str, Any], feature_names: Sequence[str]) -> GroupLevels:
        """Validate a step (shape, level order, sha256) against the model's input features."""
        from wikiscore.models.inputs import canonical_feature_name

        missing = [k for k in (*_GROUP_LEVELS_HASHED, "sha256") if k not in step]
        if missing:
            raise ValueError(f"lacks {', '.join(missing)}")
        expected = sha256_bytes(
            canonical_json({k: step[k] for k in _GROUP_LEVELS_HASHED}).encode("ascii")
        )
        if step["sha256"] != expected:
            raise ValueError(
                f"sha256 is {expected}, the step declares {step['sha256']} (thresholds edited "
                "by hand or corrupted; re-derive the artifact)"
            )
        names = [canonical_feature_name(n) for n in feature_names]
        feature = str(step["feature"])
        if canonical_feature_name(feature) not in names:
            raise ValueError(f"groups by {feature!r}, which is not an input feature")
        groups = dict(step["groups"])
        if set(groups) != {"nonzero", "zero"} or groups["nonzero"] == groups["zero"]:
            raise ValueError("'groups' must name two different groups for 'nonzero' and 'zero'")
        levels = {str(g): [dict(lv) for lv in lvs] for g, lvs in dict(step["levels"]).items()}
        if set(levels) != set(groups.values()):
            raise ValueError(f"'levels' must hold the groups {sorted(groups.values())}")
        for group, lvs in levels.items():
            thresholds = [float(lv["threshold"]) for lv in lvs]
            if not lvs or any(b < a for a, b in itertools.pairwise(thresholds)):
                raise ValueError(f"levels of group {group!r} must be non-empty and ascending")
            if any(not 0.0 <= t <= 1.0 for t in thresholds):
                raise ValueError(f"levels of group {group!r} have thresholds outside [0, 1]")
        return cls(feature, names.index(canonical_feature_name(feature)), groups, levels)

    def group_of_row(self, row: Any) -> str:
        value = float(np.asarray(row, dtype=np.float64).ravel()[self.column])
        return self.groups["nonzero" if value != 0 else "zero"]

    def groups_of(self, X: Any) -> list[str]:
        column = np.asarray(X, dtype=np.float64)[:, self.column]
        return [self.groups["nonzero" if v != 0 else "zero"] for v in column]

    def levels_for_row(self, row: Any) -> list[dict[str, Any]]:
        return self.levels[self.group_of_row(row)]
