"""Evaluation and audits: metrics with bootstrap confidence intervals, threshold tables,
calibration, slices, fairness audits, reports and model cards. Pure functions over arrays of
labels, scores and slice memberships; must not fetch data."""
