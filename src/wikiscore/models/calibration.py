"""Probability calibration maps, stored as JSON data and applied to a model's raw score.

Owns applying a calibration map to raw scores (log-odds, LightGBM's ``raw_score``):

* ``{"method": "identity"}``: the logistic function;
* ``{"method": "platt", "a": a, "b": b}``: ``1 / (1 + exp(-(a * raw + b)))``;
* ``{"method": "isotonic", "x": [...], "y": [...]}``: a non-decreasing piecewise-linear map
  (``x`` raw scores ascending, ``y`` probabilities), constant beyond the ends.

Fitting lives in ``wikiscore.training.selection``; this module only applies and validates, so
the serving path needs nothing from training. Must not import LightGBM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

METHODS = ("identity", "platt", "isotonic")


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -700, 700)))


def validate_calibration(spec: Mapping[str, Any]) -> None:
    """Raise ValueError unless ``spec`` is a well-formed calibration map."""
    method = spec.get("method")
    if method not in METHODS:
        raise ValueError(f"unknown calibration method {method!r}; known: {', '.join(METHODS)}")
    if method == "platt":
        for key in ("a", "b"):
            if not isinstance(spec.get(key), int | float):
                raise ValueError(f"platt calibration needs a number {key!r}")
    if method == "isotonic":
        x = np.asarray(spec.get("x", []), dtype=float)
        y = np.asarray(spec.get("y", []), dtype=float)
        if x.size == 0 or x.shape != y.shape:
            raise ValueError("isotonic calibration needs equally long, non-empty 'x' and 'y'")
        if np.any(np.diff(x) < 0) or np.any(np.diff(y) < 0):
            raise ValueError("isotonic calibration 'x' and 'y' must be non-decreasing")
        if np.any((y < 0) | (y > 1)) or not np.all(np.isfinite(x)):
            raise ValueError("isotonic calibration 'y' must be probabilities, 'x' finite")


def apply_calibration(spec: Mapping[str, Any], raw_score: Any) -> np.ndarray:
    """Calibrated probabilities for raw scores (log-odds) under the map ``spec``."""
    raw = np.asarray(raw_score, dtype=np.float64)
    method = spec.get("method")
    if method == "identity":
        return sigmoid(raw)
    if method == "platt":
        return sigmoid(float(spec["a"]) * raw + float(spec["b"]))
    if method == "isotonic":
        return np.interp(raw, np.asarray(spec["x"], float), np.asarray(spec["y"], float))
    raise ValueError(f"unknown calibration method {method!r}")
