"""Training: reading training data, model selection by cross-validation, calibration, and
writing artifacts. Must not be imported by the serving path."""
