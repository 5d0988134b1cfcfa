"""A training run's two documents: the run config (YAML ↔ dataclasses) and the checkpoint."""
