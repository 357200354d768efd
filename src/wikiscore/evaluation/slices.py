"""Metrics per slice: who is affected by a model's mistakes.

Owns the standard editor slices of the edit models (anonymous vs registered; account age of
registered editors: < 1 day, 1–30 days, > 30 days; bots and administrators) and
:func:`slice_metrics`, which computes :func:`~wikiscore.evaluation.metrics.binary_metrics` plus a
calibration curve for any named boolean masks. Pure functions over arrays; must not read files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from wikiscore.evaluation.metrics import binary_metrics, calibration_curve

DAY = 86_400


@dataclass(frozen=True)
class Slice:
    """A named subset of the examples (``mask`` is a boolean array)."""

    key: str
    label: str
    mask: np.ndarray


def editor_slices(
    is_anon: Any, is_bot_or_sysop: Any, seconds_since_registration: Any
) -> list[Slice]:
    """The editor slices used in every edit-model evaluation, from per-edit arrays.

    ``seconds_since_registration`` only matters for registered editors (anonymous editors have
    no account; their value is ignored).
    """
    anon = np.asarray(is_anon).astype(bool)
    privileged = np.asarray(is_bot_or_sysop).astype(bool)
    age = np.asarray(seconds_since_registration, dtype=float)
    registered = ~anon
    with np.errstate(invalid="ignore"):
        young = registered & (age < DAY)
        month = registered & (age >= DAY) & (age <= 30 * DAY)
        older = registered & (age > 30 * DAY)
    return [
        Slice("anonymous", "anonymous editors", anon),
        Slice("registered", "registered editors", registered),
        Slice("account_lt_1d", "registered, account < 1 day old", young),
        Slice("account_1d_30d", "registered, account 1–30 days old", month),
        Slice("account_gt_30d", "registered, account > 30 days old", older),
        Slice("bot_or_sysop", "bots and administrators", privileged),
        Slice(
            "registered_not_bot_or_sysop",
            "registered, not bot or administrator",
            registered & ~privileged,
        ),
    ]


def slice_metrics(
    y_true: Any,
    y_prob: Any,
    slices: list[Slice] | Mapping[str, Any],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    n_bins: int = 10,
) -> dict[str, dict[str, Any]]:
    """For each slice: ``label``, :func:`binary_metrics` keys and ``calibration`` (curve bins).

    ``slices`` is a list of :class:`Slice` or a mapping name → boolean mask. Each slice uses
    its own bootstrap stream (``seed`` + position) so results do not depend on slice order
    beyond that. Empty slices report ``count`` 0 and no metrics.
    """
    y = np.asarray(y_true).astype(bool)
    p = np.asarray(y_prob, dtype=float)
    items = (
        [Slice(k, k, np.asarray(v, dtype=bool)) for k, v in slices.items()]
        if isinstance(slices, Mapping)
        else list(slices)
    )
    out: dict[str, dict[str, Any]] = {}
    for position, sl in enumerate(items):
        mask = np.asarray(sl.mask, dtype=bool)
        if mask.shape != y.shape:
            raise ValueError(f"slice {sl.key!r} mask has {mask.size} values, expected {y.size}")
        entry: dict[str, Any] = {"label": sl.label}
        if mask.any():
            entry.update(
                binary_metrics(y[mask], p[mask], n_boot=n_boot, seed=seed + position, n_bins=n_bins)
            )
            entry["calibration"] = calibration_curve(y[mask], p[mask], n_bins=n_bins)
        else:
            entry["count"] = 0
        out[sl.key] = entry
    return out
