import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.video import decode, encode


def test_probe_counts_frames_and_reads_header(walking_video):
    info = decode.probe_video(walking_video.path)
    frames = walking_video.frames
    assert info.num_frames == len(frames)
    assert info.fps == pytest.approx(walking_video.fps)
    assert (info.height, info.width) == frames.shape[1:3]


def test_read_video_gives_rgb_frames_close_to_what_was_written(walking_video):
    frames, fps = decode.read_video(walking_video.path)
    assert frames.dtype == np.uint8
    assert frames.shape == walking_video.frames.shape
    assert fps == pytest.approx(walking_video.fps)
    # Lossy MPEG-4, but the picture and its colours (RGB, not BGR) survive.
    error = np.abs(frames.astype(int) - walking_video.frames.astype(int)).mean()
    assert error < 12
    head = walking_video.person_boxes[5].astype(int)
    shirt = frames[5, head[1] + 26, head[0] + head[2] // 2]
    assert shirt[0] > shirt[2] + 60  # red shirt stays red


def test_resample_indices_halves_doubles_and_keeps():
    np.testing.assert_array_equal(decode.resample_indices(10, 50.0, None), np.arange(10))
    np.testing.assert_array_equal(decode.resample_indices(10, 50.0, 25.0), [0, 2, 4, 6, 8])
    doubled = decode.resample_indices(4, 25.0, 50.0)
    assert len(doubled) == 8 and doubled.max() <= 3 and np.all(np.diff(doubled) >= 0)
    assert np.all(np.bincount(doubled) == 2)
    with pytest.raises(UserError, match="--fps"):
        decode.resample_indices(4, 25.0, -1.0)


def test_read_video_resamples_to_a_target_fps(walking_video):
    frames, fps = decode.read_video(walking_video.path, target_fps=12.5)
    assert fps == 12.5
    assert len(frames) == len(walking_video.frames) // 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "does not exist"), (b"", "cannot open|no decodable"), (b"not a video" * 50, "")],
)
def test_unreadable_videos_are_user_errors(tmp_path, content, problem):
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError, match=str(path)) as error:
        decode.probe_video(path)
    assert "\n" not in str(error.value)
    if problem:
        assert any(p in str(error.value) for p in problem.split("|"))


def test_write_gif_and_mp4_decode_to_the_same_frame_count(tmp_path):
    frames = np.random.default_rng(0).integers(0, 255, (7, 30, 41, 3), dtype=np.uint8)
    for name in ("a.gif", "a.mp4", "a.avi"):
        written = encode.write_video(tmp_path / name, frames, fps=10.0)
        assert written == tmp_path / name
        assert encode.count_decodable_frames(written) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.avi", "a.gif", "a.mp4"]


def test_write_falls_back_to_gif_without_any_encoder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(encode, "_opencv_sink", lambda *args: None)
    # Distinct frames: GIF writers merge identical neighbours into one longer frame.
    frames = np.stack([np.full((16, 16, 3), 80 * i, np.uint8) for i in range(3)])
    written = encode.write_video(tmp_path / "out.mp4", frames, fps=5.0, use_ffmpeg=False)
    assert written == tmp_path / "out.gif"
    assert encode.count_decodable_frames(written) == 3
    assert "out.gif" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["out.gif"]


def test_write_is_atomic_on_error_and_rejects_bad_names(tmp_path):
    def frames_then_failure():
        yield np.zeros((8, 8, 3), np.uint8)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        encode.write_video(tmp_path / "x.gif", frames_then_failure(), fps=5.0)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UserError, match="unknown video type"):
        encode.write_video(tmp_path / "x.png", [np.zeros((8, 8, 3), np.uint8)], fps=5.0)
    with pytest.raises(UserError, match="no frames"):
        encode.write_video(tmp_path / "x.gif", [], fps=5.0)
    assert list(tmp_path.iterdir()) == []
