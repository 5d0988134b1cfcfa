"""vidpose.tracks picks the track once, from a store folder or a checkpoint, and refuses
anything else in one line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vidpose.infra.errors import UserError
from vidpose.models import LifterConfig, ModelConfig, build_model
from vidpose.runs.checkpoint import make_checkpoint, save_checkpoint
from vidpose.tracks import (
    CLIP_TRACK,
    LIFTER_TRACK,
    TRACKS,
    checkpoint_track,
    require_same_track,
    store_track,
    track_of,
)

sys.path.insert(0, str(Path(__file__).parents[1]))
from engine.conftest import write_tiny_data  # noqa: E402
from lifting.conftest import write_pose_dataset  # noqa: E402


def test_a_store_tells_its_track(tmp_path):
    clips = write_tiny_data(tmp_path / "clips")
    sequences = write_pose_dataset(tmp_path / "sequences")
    assert store_track(clips / "train") is track_of(clips / "test") is CLIP_TRACK
    assert store_track(sequences / "train") is track_of(sequences / "test") is LIFTER_TRACK


def test_a_checkpoint_tells_its_track(tmp_path):
    image = build_model(ModelConfig(backbone="tinycnn", feature_dim=8, hidden_size=8))
    lifter = build_model(LifterConfig(lifter="tcn", receptive_field=9, hidden_size=8))
    save_checkpoint(
        tmp_path / "image.pt",
        make_checkpoint(image, fps=50.0, config={}, clip_frames=4, image_size=32),
    )
    save_checkpoint(tmp_path / "lifter.pt", make_checkpoint(lifter, fps=50.0, config={}))
    assert track_of(tmp_path / "image.pt") is CLIP_TRACK
    assert track_of(tmp_path / "lifter.pt") is LIFTER_TRACK
    assert checkpoint_track({"kind": "lifter"}) is TRACKS["lifter"] is LIFTER_TRACK


def test_anything_else_is_one_line(tmp_path):
    with pytest.raises(UserError, match=r"not a store directory \(does not exist\)"):
        track_of(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"meta.json: missing \(not a vidpose store\)"):
        track_of(tmp_path / "empty")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "meta.json").write_text('{"format": "something-else"}')
    with pytest.raises(UserError, match="format 'something-else' is not a vidpose store's"):
        store_track(tmp_path / "other")
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    with pytest.raises(UserError, match="notes.txt"):
        track_of(tmp_path / "notes.txt")


def test_a_model_on_the_other_tracks_store_names_both():
    with pytest.raises(UserError) as caught:
        require_same_track(LIFTER_TRACK, CLIP_TRACK, "lift.yaml", "data/train")
    message = str(caught.value)
    assert message.startswith("data/train: a clip store, but lift.yaml is a lifter")
    assert "pose-sequence store" in message and "\n" not in message
    require_same_track(CLIP_TRACK, CLIP_TRACK, "cpu.yaml", "data/train")
