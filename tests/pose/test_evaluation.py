"""The evaluation report on fabricated predictions whose errors are known by construction."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vidpose.infra.errors import UserError
from vidpose.pose import skeleton
from vidpose.pose.baselines import mean_pose_mpjpe_mm
from vidpose.pose.evaluation import PROTOCOLS, evaluate_predictions, format_report


def _poses(n: int, t: int, seed: int = 0) -> np.ndarray:
    """Random root-relative poses (n, t, 17, 3) in metres, about body-sized."""
    rng = np.random.default_rng(seed)
    poses = rng.normal(scale=0.3, size=(n, t, 17, 3))
    poses -= poses[:, :, :1]
    return poses.astype(np.float32)


def _clips(actions: list[str], subjects: list[str] | None = None) -> list[dict]:
    subjects = subjects or ["S9"] * len(actions)
    return [
        {"subject": s, "action": a, "camera": "0", "sequence": f"{a} 1", "start_frame": 8 * i}
        for i, (a, s) in enumerate(zip(actions, subjects, strict=True))
    ]


def test_perfect_predictions_score_zero_and_baseline_does_not():
    gt = _poses(4, 5)
    train_mean = _poses(10, 5, seed=1).mean(axis=(0, 1))
    report = evaluate_predictions(gt.copy(), gt, _clips(["Walking"] * 4), train_mean)
    for key in PROTOCOLS:
        headline = report["headline"][key]
        assert headline["frame_average"] == pytest.approx(0.0, abs=1e-6)
        assert headline["action_average"] == pytest.approx(0.0, abs=1e-6)
        assert headline["baseline_frame_average"] > 10.0
    assert report["num_frames"] == 20
    assert report["baseline"]["available"]


def test_translation_is_removed_by_root_alignment_but_not_by_eq2():
    gt = _poses(3, 4)
    offset = np.array([0.03, -0.04, 0.0], dtype=np.float32)  # 50 mm
    report = evaluate_predictions(gt + offset, gt, _clips(["Eating"] * 3), None)
    assert report["headline"]["mpjpe_mm"]["frame_average"] == pytest.approx(0.0, abs=1e-4)
    assert report["headline"]["mpjve_mm"]["frame_average"] == pytest.approx(0.0, abs=1e-4)
    assert report["unaligned_mpjpe_mm"] == pytest.approx(50.0, rel=1e-4)


def test_scale_error_is_removed_by_p2_and_n_mpjpe_only():
    gt = _poses(3, 4)
    report = evaluate_predictions(gt * 1.2, gt, _clips(["Posing"] * 3), None)
    headline = report["headline"]
    assert headline["mpjpe_mm"]["frame_average"] > 20.0
    assert headline["p_mpjpe_mm"]["frame_average"] == pytest.approx(0.0, abs=1e-3)
    assert headline["n_mpjpe_mm"]["frame_average"] == pytest.approx(0.0, abs=1e-3)


def test_rotation_is_removed_by_p2_but_not_n_mpjpe():
    gt = _poses(2, 3)
    angle = np.deg2rad(30)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    report = evaluate_predictions(gt @ rotation.T, gt, _clips(["Sitting"] * 2), None)
    assert report["headline"]["p_mpjpe_mm"]["frame_average"] == pytest.approx(0.0, abs=1e-3)
    assert report["headline"]["n_mpjpe_mm"]["frame_average"] > 20.0


def test_frame_average_weighs_frames_and_action_average_weighs_actions():
    # Three Walking clips off by 170 mm on one joint (10 mm per-frame MPJPE), one Eating clip
    # off by 680 mm (40 mm): frame average (3*10 + 40) / 4, action average (10 + 40) / 2.
    gt = _poses(4, 6)
    pred = gt.copy()
    pred[:3, :, 13, 0] += 0.170
    pred[3, :, 13, 0] += 0.680
    clips = _clips(["Walking", "Walking", "Walking", "Eating"], ["S9", "S9", "S11", "S11"])
    report = evaluate_predictions(pred, gt, clips, None)
    p1 = report["headline"]["mpjpe_mm"]
    assert p1["frame_average"] == pytest.approx(17.5, rel=1e-4)
    assert p1["action_average"] == pytest.approx(25.0, rel=1e-4)
    # Canonical Human3.6M action order, not insertion order.
    assert list(report["per_action"]) == ["Eating", "Walking"]
    assert report["per_action"]["Walking"]["mpjpe_mm"] == pytest.approx(10.0, rel=1e-4)
    assert report["per_action"]["Walking"]["num_frames"] == 18
    assert report["per_subject"]["S9"]["mpjpe_mm"] == pytest.approx(10.0, rel=1e-4)
    assert report["per_subject"]["S11"]["mpjpe_mm"] == pytest.approx(25.0, rel=1e-4)
    per_joint = {name: row["mpjpe_mm"] for name, row in report["per_joint"].items()}
    assert per_joint["left_wrist"] == pytest.approx(1000 * (3 * 0.170 + 0.680) / 4, rel=1e-4)
    assert sum(v for name, v in per_joint.items() if name != "left_wrist") == pytest.approx(0.0)


def test_mpjve_measures_frame_to_frame_jitter():
    # Alternating +-5 mm on every non-root joint: each velocity error is 10 mm on 16 joints.
    gt = _poses(2, 5)
    pred = gt.copy()
    sign = np.where(np.arange(5) % 2 == 0, 1.0, -1.0).astype(np.float32)
    pred[:, :, 1:, 2] += 0.005 * sign[None, :, None]
    report = evaluate_predictions(pred, gt, _clips(["Waiting", "Waiting"]), None)
    expected = 10.0 * 16 / 17
    assert report["headline"]["mpjve_mm"]["frame_average"] == pytest.approx(expected, rel=1e-4)


def test_baseline_matches_the_mean_pose_baseline_function():
    train = _poses(12, 4, seed=3)
    test = _poses(5, 4, seed=4)
    train_mean = train.reshape(-1, 17, 3).mean(axis=0)
    pred = test + 0.01
    report = evaluate_predictions(pred, test, _clips(["Phoning"] * 5), train_mean)
    expected = mean_pose_mpjpe_mm(train, test)
    assert report["headline"]["mpjpe_mm"]["baseline_frame_average"] == pytest.approx(
        expected, rel=1e-4
    )
    assert report["per_action"]["Phoning"]["baseline_mpjpe_mm"] == pytest.approx(expected, rel=1e-4)


def test_single_frame_clips_have_no_mpjve():
    gt = _poses(2, 1)
    report = evaluate_predictions(gt, gt, _clips(["Photo", "Photo"]), None)
    assert report["headline"]["mpjve_mm"]["frame_average"] is None
    assert "n/a" in format_report(report)


@pytest.mark.parametrize(
    "pred_shape, clips_n, mean_shape, problem",
    [
        ((2, 4, 17, 3), 3, (17, 3), "predictions have shape"),
        ((3, 4, 17, 3), 2, (17, 3), "2 clip rows for 3 clips"),
        ((3, 4, 17, 3), 3, (16, 3), "train mean pose"),
    ],
)
def test_mismatched_inputs_are_user_errors(pred_shape, clips_n, mean_shape, problem):
    gt = _poses(3, 4)
    with pytest.raises(UserError, match=problem):
        evaluate_predictions(
            np.zeros(pred_shape), gt, _clips(["Walking"] * clips_n), np.zeros(mean_shape)
        )


def test_non_finite_predictions_are_user_errors():
    gt = _poses(1, 2)
    pred = gt.copy()
    pred[0, 0, 3, 1] = np.nan
    with pytest.raises(UserError, match="NaN"):
        evaluate_predictions(pred, gt, _clips(["Walking"]), None)


def test_report_is_json_ready_and_the_table_is_readable():
    gt = _poses(6, 4)
    rng = np.random.default_rng(7)
    pred = gt + rng.normal(scale=0.02, size=gt.shape).astype(np.float32)
    actions = ["Directions", "Walking", "WalkDog", "Directions", "Walking", "Sitting"]
    subjects = ["S9", "S9", "S9", "S11", "S11", "S11"]
    train_mean = _poses(8, 4, seed=9).mean(axis=(0, 1))
    report = evaluate_predictions(
        pred, gt, _clips(actions, subjects), train_mean, baseline_source="train store data/train"
    )
    assert json.loads(json.dumps(report, allow_nan=False)) == report

    text = format_report(report)
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("metric"))
    assert "frame avg" in lines[header] and "action avg" in lines[header]
    assert "mean-pose" in lines[header]
    assert "train store data/train" in text
    p1_line = lines[header + 2]
    h = report["headline"]["mpjpe_mm"]
    assert p1_line.startswith("P1 MPJPE")
    assert f"{h['frame_average']:.1f}" in p1_line
    assert f"{h['baseline_frame_average']:.1f}" in p1_line
    # Every table row lines its columns up with the header's.
    for title in ("action", "joint"):
        start = next(i for i, line in enumerate(lines) if line.startswith(title + " "))
        block = []
        for line in lines[start:]:
            if not line:
                break
            block.append(line)
        assert len({len(line) for line in block}) == 1
        assert len(block) == 2 + (4 if title == "action" else 17)
    for name in skeleton.JOINT_NAMES:
        assert any(line.startswith(name + " ") for line in lines)
    # Actions in canonical order.
    order = [a for a in skeleton.H36M_ACTIONS if a in set(actions)]
    positions = [next(i for i, line in enumerate(lines) if line.startswith(a + " ")) for a in order]
    assert positions == sorted(positions)
