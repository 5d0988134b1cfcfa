"""``vidpose show``: a contact sheet of a store, with 2D skeletons over some rows."""

import cv2
import numpy as np
import pytest

from vidpose.cli import main
from vidpose.clips.clip_store import open_store, write_store
from vidpose.clips.contact_sheet import LABEL_WIDTH, LEFT_RGB, RIGHT_RGB, contact_sheet, pick_clips
from vidpose.synth.generate import generate_dataset


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("show") / "data"
    train, _ = generate_dataset(out, size=48, frames=3, train_clips=12, test_clips=2)
    return train


def test_show_writes_a_sheet_of_clips_by_frames(store, tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert main(["show", str(store.path), "--out", str(out), "--clips", "4"]) == 0
    image = cv2.imread(str(out))
    tile = 96  # small frames are enlarged to at least 96 pixels
    assert image.shape == (4 * tile, LABEL_WIDTH + 3 * tile, 3)
    assert "4 clips" in capsys.readouterr().out


def test_overlay_rows_show_left_and_right_in_their_colours(store):
    sheet = contact_sheet(store, clips=2, tile=96)
    plain, overlay = sheet[:96, LABEL_WIDTH:], sheet[96:, LABEL_WIDTH:]

    def count(image, rgb):
        return int((np.abs(image.astype(int) - rgb).sum(-1) < 30).sum())

    assert count(overlay, LEFT_RGB) > 20 and count(overlay, RIGHT_RGB) > 20
    assert count(overlay, LEFT_RGB) > 5 * max(count(plain, LEFT_RGB), 1)


def test_picked_clips_cycle_through_the_actions(store):
    picked = pick_clips(store, 6)
    assert len(set(picked.tolist())) == 6
    actions = store.column("action")[picked]
    assert len(set(actions)) == min(6, len(store.actions))
    assert len(pick_clips(store, 100)) == store.num_clips


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp, store: [str(tmp / "nope"), "--out", str(tmp / "s.png")], "does not exist"),
        (lambda tmp, store: [str(store.path), "--out", str(tmp / "s.gif")], ".png or .jpg"),
        (lambda tmp, store: [str(store.path), "--out", str(tmp)], ".png or .jpg"),
    ],
)
def test_bad_input_is_one_line_exit_2(store, tmp_path, capsys, make_args, message):
    assert main(["show", *make_args(tmp_path, store)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vidpose show: error: ") and message in err and err.count("\n") == 1
    assert not list(tmp_path.glob("s.*"))


def test_pose_only_store_is_refused(tmp_path, capsys):
    poses = np.zeros((1, 2, 17, 3), np.float32)
    rows = [dict(subject="S1", action="a", camera="c", sequence="s", start_frame=0)]
    write_store(tmp_path / "p", poses3d=poses, poses2d=poses[..., :2], clips=rows)
    assert open_store(tmp_path / "p").has_frames is False
    assert main(["show", str(tmp_path / "p"), "--out", str(tmp_path / "s.png")]) == 2
    assert "pose-only" in capsys.readouterr().err


def test_palette_png_is_smaller_and_looks_the_same(store, tmp_path):
    full, small = tmp_path / "full.png", tmp_path / "small.png"
    assert main(["show", str(store.path), "--out", str(full), "--clips", "3"]) == 0
    assert (
        main(["show", str(store.path), "--out", str(small), "--clips", "3", "--colors", "64"]) == 0
    )
    assert small.stat().st_size < 0.7 * full.stat().st_size
    a, b = cv2.imread(str(full)).astype(int), cv2.imread(str(small)).astype(int)
    assert a.shape == b.shape and np.abs(a - b).mean() < 6


def test_show_replaces_an_existing_sheet_only_with_overwrite(store, tmp_path, capsys):
    out = tmp_path / "sheet.png"
    out.write_bytes(b"an older sheet")
    argv = ["show", str(store.path), "--out", str(out), "--clips", "2"]
    assert main(argv) == 2
    assert f"--out {out}: already exists (use --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"an older sheet"
    assert main([*argv, "--overwrite"]) == 0
    assert cv2.imread(str(out)) is not None


def test_show_never_writes_over_its_store(tmp_path, capsys):
    poses = np.zeros((1, 2, 17, 3), np.float32)
    rows = [dict(subject="S1", action="a", camera="c", sequence="s", start_frame=0)]
    store = tmp_path / "odd.png"  # a store folder with an image's name
    write_store(store, poses3d=poses, poses2d=poses[..., :2], clips=rows)
    before = sorted(p.name for p in store.iterdir())
    assert main(["show", str(store), "--out", str(store), "--overwrite"]) == 2
    assert capsys.readouterr().err.startswith(f"vidpose show: error: --out {store}: ")
    assert sorted(p.name for p in store.iterdir()) == before
