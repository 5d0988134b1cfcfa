"""A tiny synthetic dataset, generated once per test session for the synth tests."""

from __future__ import annotations

import pytest

from vidpose.synth.generate import generate_dataset


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """(train, test) ClipStores of the ``tiny`` preset, seed 0."""
    out = tmp_path_factory.mktemp("synth") / "tiny"
    return generate_dataset(out, preset="tiny", seed=0)
