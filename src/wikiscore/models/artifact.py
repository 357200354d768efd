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
"""

from __future__ import annotations

import hashlib
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
#: Post-processing steps this version can apply (none yet); others make loading fail.
POSTPROCESSING_OPS: frozenset[str] = frozenset()


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

    def level(self, probability: float) -> str:
        """``likely_good`` | ``may_have_problems`` | ``likely_bad`` | ``very_likely_bad``."""
        return level_for(probability, self.levels)

    def levels_for(self, probabilities: Sequence[float]) -> list[str]:
        return [self.level(float(p)) for p in probabilities]

    def __repr__(self) -> str:
        return f"ModelArtifact({self.name!r}, version={self.version!r}, dir={self.directory})"
