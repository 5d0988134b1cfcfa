"""``vidpose predict VIDEO --keypoints FILE`` and ``vidpose detect`` on files as users have
them: every malformed file is one line naming it (exit 2, nothing written), and no output is
ever written over an existing file without --overwrite, nor over one of the inputs."""

import json
import re

import numpy as np
import pytest

from vidpose.cli import main

FRAMES, WIDTH, HEIGHT = 12, 160, 120


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    from vidpose.video.encode import write_video

    folder = tmp_path_factory.mktemp("video")
    frames = np.full((FRAMES, HEIGHT, WIDTH, 3), 40, np.uint8)
    return write_video(folder / "walk.mp4", frames, fps=25.0)


def _pose(frame: int) -> np.ndarray:
    """(17, 2) COCO-17 pixels of a small upright figure moving right."""
    return np.column_stack([60 + frame + 8 * np.sin(np.arange(17)), np.linspace(20, 100, 17)])


def _mmpose(**changes) -> dict:
    instance = {"keypoints": None, "keypoint_scores": [0.9] * 17, "bbox_score": 0.8}
    frames = []
    for frame in range(FRAMES):
        one = dict(instance, keypoints=_pose(frame).tolist(), **changes)
        frames.append({"frame_id": frame, "instances": [one]})
    return {"meta_info": {"dataset_name": "coco"}, "instance_info": frames}


def _coco(**changes) -> list:
    entries = []
    for frame in range(FRAMES):
        flat = np.column_stack([_pose(frame), np.full(17, 0.9)]).ravel().tolist()
        entries.append({"image_id": frame, "keypoints": flat, "bbox": [50, 20, 20, 80]})
        entries[-1].update({"score": 0.9, **changes})
    return entries


def _npz(path, **changes):
    keypoints = np.stack([np.column_stack([_pose(f), np.full(17, 0.9)]) for f in range(FRAMES)])
    arrays = {"keypoints": keypoints, "layout": "coco17", "width": WIDTH, "height": HEIGHT}
    np.savez(path, **{**arrays, **changes})
    return path


def _predict(capsys, video, keypoints, *more):
    code = main(["predict", str(video), "--keypoints", str(keypoints), *map(str, more)])
    out, err = capsys.readouterr()
    return code, out, err


def _far(path):
    keypoints = np.stack([np.column_stack([_pose(f), np.full(17, 0.9)]) for f in range(FRAMES)])
    keypoints[5, 3, :2] = 1e30
    np.savez(path, keypoints=keypoints, layout="coco17")
    return path


def _nan_mmpose(path):
    data = _mmpose()
    for frame in data["instance_info"]:
        frame["instances"][0]["keypoints"] = [[None, None]] * 17
    path.write_text(json.dumps(data).replace("null", "NaN"))
    return path


BAD_FILES = {
    "npz width is a string": (
        lambda p: _npz(p / "kp.npz", width="wide"),
        "width must be one positive number, not 'wide'",
    ),
    "coco bbox of 3 numbers": (
        lambda p: _write(p / "kp.json", _coco(bbox=[1, 2, 3])),
        r"entry 0 bbox has 3 numbers, expected \[x, y, w, h\]",
    ),
    "mmpose instance as a list": (
        lambda p: _write(p / "kp.json", _mmpose_list()),
        "frame 0 instance 0 is not an object with 'keypoints' \\(got list\\)",
    ),
    "coco score not a number": (
        lambda p: _write(p / "kp.json", _coco(score="high")),
        "entry 0 score is not a number",
    ),
    "keypoints at 1e30 px": (
        lambda p: _far(p / "kp.npz"),
        "frame 5 has a keypoint at \\(1e\\+30, 1e\\+30\\), far outside the video's 160x120 frame",
    ),
    "NaN mmpose keypoints": (lambda p: _nan_mmpose(p / "kp.json"), "nobody in any frame"),
    "a text file named .npz": (
        lambda p: _text(p / "kp.npz"),
        r"not an \.npz file \(not a NumPy archive\)",
    ),
}


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def _text(path):
    path.write_text("frame,x,y\n0,1,2\n")
    return path


def _mmpose_list():
    data = _mmpose()
    for frame in data["instance_info"]:
        frame["instances"] = [[frame["instances"][0]["keypoints"]]]
    return data


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_malformed_keypoint_file_is_one_line_naming_it(video, tmp_path, capsys, case):
    make, message = BAD_FILES[case]
    path = make(tmp_path)
    out = tmp_path / "out.npz"
    code, stdout, err = _predict(capsys, video, path, "--out", out)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err and "allow_pickle" not in err
    assert f"--keypoints {path}: " in err
    assert re.search(message, err), err
    assert not out.exists() and stdout == ""


@pytest.mark.parametrize(
    "data",
    [lambda: _coco(score=None), lambda: _mmpose(bbox_score=None)],
    ids=["coco score null", "mmpose bbox_score null"],
)
def test_a_null_score_counts_as_not_given(video, tmp_path, capsys, data):
    path = _write(tmp_path / "kp.json", data())
    code, _, err = _predict(capsys, video, path, "--out", tmp_path / "out.npz")
    assert code == 0, err


def test_an_existing_output_needs_overwrite_and_an_input_is_never_an_output(
    video, tmp_path, capsys
):
    keypoints = _npz(tmp_path / "walk.keypoints.npz")
    before = keypoints.read_bytes()
    out = tmp_path / "walk.poses.npz"
    out.write_bytes(b"old")
    code, _, err = _predict(capsys, video, keypoints, "--out", out)
    assert code == 2 and "already exists (use --overwrite" in err and out.read_bytes() == b"old"
    code, _, err = _predict(capsys, video, keypoints, "--out", out, "--overwrite")
    assert code == 0, err
    with np.load(out) as data:
        assert data["poses3d"].shape == (FRAMES, 17, 3)
    # Its own keypoint file as --out, the input video as --render: refused even with
    # --overwrite, before any work, and the inputs are untouched.
    video_bytes = video.read_bytes()
    for more in (["--out", keypoints], ["--out", out, "--render", video]):
        code, _, err = _predict(capsys, video, keypoints, *more, "--overwrite")
        assert code == 2 and "is also an input of this command" in err, err
    assert keypoints.read_bytes() == before and video.read_bytes() == video_bytes
    render = tmp_path / "walk.gif"
    render.write_bytes(b"old")
    code, _, err = _predict(
        capsys, video, keypoints, "--out", tmp_path / "b.npz", "--render", render
    )
    assert code == 2 and f"--render {render}: already exists" in err
    assert not (tmp_path / "b.npz").exists()


def test_person_all_writes_one_npz_per_person_and_refuses_to_replace_them(video, tmp_path, capsys):
    keypoints = _npz(tmp_path / "kp.npz")
    out = tmp_path / "walk.poses.npz"
    code, stdout, err = _predict(capsys, video, keypoints, "--out", out, "--person", "all")
    assert code == 0, err
    written = tmp_path / "walk.poses.person0.npz"
    assert written.exists() and not out.exists() and str(written) in stdout
    code, _, err = _predict(capsys, video, keypoints, "--out", out, "--person", "all")
    assert code == 2 and f"{written} already exists (use --overwrite" in err


def test_detect_follows_the_output_rule_before_any_model_is_needed(video, tmp_path, capsys):
    out = tmp_path / "walk.keypoints.npz"
    out.write_bytes(b"old")
    assert main(["detect", str(video), "--out", str(out)]) == 2
    assert "already exists (use --overwrite" in capsys.readouterr().err
    assert main(["detect", str(video), "--out", str(tmp_path / "k.npz"), "--render", str(video),
                 "--overwrite"]) == 2  # fmt: skip
    assert "is also an input of this command" in capsys.readouterr().err
    assert out.read_bytes() == b"old" and not (tmp_path / "k.npz").exists()


def test_a_failed_download_leaves_no_empty_model_folder(video, tmp_path, capsys, monkeypatch):
    pytest.importorskip("onnxruntime")
    import urllib.error
    import urllib.request

    cache = tmp_path / "cache"
    monkeypatch.setenv("VIDPOSE_CACHE", str(cache))
    monkeypatch.setenv("VIDPOSE_OFFLINE", "0")

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network here")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert main(["detect", str(video), "--out", str(tmp_path / "k.npz")]) == 2
    err = capsys.readouterr().err
    assert "download failed: no network here" in err and err.count("\n") == 1
    assert not cache.exists()
