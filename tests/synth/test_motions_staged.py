"""The staged motions (sitting, kneeling, lying, ...): closed-form checks over several takes.

Every take keeps its body's bone lengths, stays inside the joint limits, keeps loaded feet and
knees exactly where they were put (feet flat at the ankle height, knees on the floor), nothing
goes through the floor, moves at human speeds and segment durations, repeats under its seed,
and reaches the poses that define its action.
"""

import numpy as np
import pytest

from vidpose.pose import skeleton
from vidpose.synth.body import (
    ANKLE_HEIGHT_M,
    LIMITS,
    make_subject,
    sample_bones,
    subject_bone_lengths,
)
from vidpose.synth.motion import perform_action
from vidpose.synth.motions_chair import PELVIS_ABOVE_SEAT_M
from vidpose.synth.motions_floor import PELVIS_ON_FLOOR_M
from vidpose.synth.staging import FPS, KNEE_ON_FLOOR_M

STAGED = (
    "Sitting",
    "SittingDown",
    "Standing",
    "Squatting",
    "Crouching",
    "Kneeling",
    "Bending",
    "Lying",
    "Balancing",
)
FRAMES = 750  # 15 s
SEEDS = range(5)

#: Stated durations (seconds) of the segments that define the actions.
DURATIONS = {
    ("SittingDown", "sit down"): (1.0, 2.0),
    ("SittingDown", "stand up"): (1.0, 2.0),
    ("Sitting", "cross legs"): (0.9, 1.6),
    ("Squatting", "squat down"): (1.0, 1.8),
    ("Squatting", "stand up"): (1.0, 1.8),
    ("Crouching", "crouch down"): (1.0, 1.8),
    ("Kneeling", "kneel down"): (1.0, 2.0),
    ("Kneeling", "rise"): (1.0, 2.0),
    ("Bending", "reach down"): (1.2, 2.0),
    ("Bending", "lift"): (1.2, 1.8),
    ("Lying", "sit on floor"): (0.8, 1.5),
    ("Lying", "lie back"): (1.2, 2.0),
    ("Lying", "sit up"): (1.2, 2.0),
    ("Lying", "onto feet"): (1.0, 1.8),
    ("Balancing", "lift foot"): (0.7, 1.2),
    ("Balancing", "balance"): (2.0, 6.0),
}


@pytest.fixture(scope="module")
def takes():
    """action -> [(subject, performance)] for a few seeds, each with its own body."""
    out = {}
    for action in STAGED:
        out[action] = []
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            subject = make_subject("S1", sample_bones(rng))
            out[action].append((subject, perform_action(action, subject, FRAMES, rng)))
    return out


def _runs(mask: np.ndarray):
    """(start, end) of each run of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
    return list(zip(edges[::2], edges[1::2], strict=True))


def _phase_frames(perf, name: str) -> np.ndarray:
    t = np.arange(FRAMES) / FPS
    rows = np.zeros(FRAMES, bool)
    for phase, begin, end in perf.phases:
        if phase == name:
            rows |= (t >= begin) & (t < end)
    return rows


@pytest.mark.parametrize("action", STAGED)
def test_bones_limits_contacts_floor_and_speed(takes, action):
    for subject, perf in takes[action]:
        joints = perf.joints
        assert joints.shape == (FRAMES, 17, 3) and np.isfinite(joints).all()
        lengths = skeleton.bone_lengths(joints)
        expected = np.broadcast_to(subject_bone_lengths(subject), lengths.shape)
        np.testing.assert_allclose(lengths, expected)
        for name, (low, high) in LIMITS.items():
            values = perf.params[name]
            assert values.min() >= low - 1e-9 and values.max() <= high + 1e-9, name
        loaded_feet = 0
        for contact, joint, height in (
            ("r_foot", 3, ANKLE_HEIGHT_M),
            ("l_foot", 6, ANKLE_HEIGHT_M),
            ("r_knee", 2, KNEE_ON_FLOOR_M),
            ("l_knee", 5, KNEE_ON_FLOOR_M),
        ):
            for start, end in _runs(perf.contacts[contact]):
                planted = joints[start:end, joint]
                np.testing.assert_allclose(planted - planted[0], 0.0, atol=1e-9)
                assert planted[0, 2] == pytest.approx(height, abs=1e-9), contact
                loaded_feet += end - start
        assert loaded_feet > 0
        bearing = np.zeros(FRAMES, bool)
        for contact in perf.contacts.values():
            bearing |= contact
        assert bearing.all()  # something bears the weight in every frame
        assert joints[..., 2].min() > 0.015  # every joint centre above the floor
        speed = np.linalg.norm(np.diff(joints, axis=0), axis=-1) * FPS
        assert speed.max() < 4.0, f"a joint moves at {speed.max():.1f} m/s"
        assert speed[:, 0].max() < 1.5, f"the pelvis moves at {speed[:, 0].max():.1f} m/s"


@pytest.mark.parametrize("action", STAGED)
def test_segments_last_human_durations(takes, action):
    for _, perf in takes[action]:
        assert perf.phases
        for name, begin, end in perf.phases:
            assert 0.2 <= end - begin <= 6.0, (name, end - begin)
            if (action, name) in DURATIONS:
                low, high = DURATIONS[action, name]
                assert low - 1e-9 <= end - begin <= high + 1e-9, (name, end - begin)
    seen = {name for _, perf in takes[action] for name, _, _ in perf.phases}
    assert {n for a, n in DURATIONS if a == action} <= seen


@pytest.mark.parametrize("action", ["Sitting", "Lying", "Kneeling"])
def test_same_seed_same_take_other_seed_other_take(action):
    def take(seed):
        rng = np.random.default_rng(seed)
        return perform_action(action, make_subject("S5", sample_bones(rng)), 200, rng).joints

    np.testing.assert_array_equal(take(11), take(11))
    assert np.abs(take(11) - take(12)).mean() > 0.05


def _angle_from_horizontal(vectors: np.ndarray) -> np.ndarray:
    """Degrees (N,) between vectors (N, 3) and the floor's plane."""
    flat = np.linalg.norm(vectors[:, :2], axis=-1)
    return np.degrees(np.arctan2(np.abs(vectors[:, 2]), flat))


def test_sitting_rests_the_pelvis_on_the_seat_thighs_near_horizontal(takes):
    seated = {"Sitting": [], "SittingDown": []}
    for action in ("Sitting", "SittingDown"):
        for _, perf in takes[action]:
            seat = perf.props["seat_height"]
            assert 0.40 <= seat <= 0.50
            on = perf.contacts["seat"]
            seated[action].append(on.mean())
            np.testing.assert_allclose(perf.joints[on, 0, 2], seat + PELVIS_ABOVE_SEAT_M)
            for hip, knee, foot in ((1, 2, "r_foot"), (4, 5, "l_foot")):
                rows = on & perf.contacts[foot]
                if rows.any():
                    thigh = perf.joints[rows, knee] - perf.joints[rows, hip]
                    assert _angle_from_horizontal(thigh).max() < 30
            standing = _phase_frames(perf, "stand")
            assert (perf.joints[standing, 0, 2] > 0.85).all()
    assert min(seated["Sitting"]) == 1.0  # seated all the time
    assert 0.2 < np.mean(seated["SittingDown"]) < 0.9  # seated part of the time


def test_hands_go_to_the_ear_when_phoning_and_to_the_mouth_when_eating(takes):
    checked = {"phone": 0, "bite": 0}
    for action in ("Sitting", "SittingDown", "Standing"):
        for _, perf in takes[action]:
            head = 0.5 * (perf.joints[:, 9] + perf.joints[:, 10])
            for phase, point, reach in (("phone", head, 0.2), ("bite", perf.joints[:, 9], 0.2)):
                rows = _phase_frames(perf, phase)
                if rows.any():
                    wrists = perf.joints[rows][:, [13, 16]]
                    gap = np.linalg.norm(wrists - point[rows, None], axis=-1).min(axis=1)
                    assert gap.max() < reach, phase
                    checked[phase] += 1
    assert min(checked.values()) > 0


def test_some_sitting_crosses_the_legs_with_one_foot_off_the_floor(takes):
    crossed = 0
    for _, perf in takes["Sitting"]:
        rows = _phase_frames(perf, "cross legs")
        for _, end in _runs(rows):
            after = min(end, FRAMES - 1)
            lifted = perf.joints[after, [3, 6], 2].max()
            both_down = perf.contacts["r_foot"][after] and perf.contacts["l_foot"][after]
            if after < FRAMES - 1 and not both_down:
                assert lifted > ANKLE_HEIGHT_M + 0.05
                crossed += 1
    assert crossed > 0


def test_kneeling_puts_one_or_both_knees_on_the_floor(takes):
    both = 0
    for _, perf in takes["Kneeling"]:
        knees = perf.contacts["r_knee"] | perf.contacts["l_knee"]
        assert knees.any()
        assert (perf.joints[knees, 0, 2] < 0.65).all()  # the pelvis comes down with the knee
        both += (perf.contacts["r_knee"] & perf.contacts["l_knee"]).sum()
    assert both > 0


def test_lying_is_trunk_horizontal_at_floor_height(takes):
    lying = 0
    for _, perf in takes["Lying"]:
        for phase in ("lie", "lie on side"):
            rows = _phase_frames(perf, phase)
            if rows.any():
                assert perf.contacts["floor"][rows].all()
                pelvis, thorax = perf.joints[rows, 0], perf.joints[rows, 8]
                assert pelvis[:, 2].max() < 0.3 and thorax[:, 2].max() < 0.35
                assert pelvis[:, 2].min() >= PELVIS_ON_FLOOR_M - 1e-9
                assert _angle_from_horizontal(thorax - pelvis).max() < 20
                lying += rows.sum()
    assert lying > 0


def test_balancing_on_one_leg_with_the_arms_out(takes):
    for _, perf in takes["Balancing"]:
        rows = _phase_frames(perf, "balance")
        assert rows.any()
        feet = perf.contacts["r_foot"][rows].astype(int) + perf.contacts["l_foot"][rows]
        assert (feet == 1).all()
        free = np.where(perf.contacts["r_foot"][rows], 6, 3)
        assert (perf.joints[rows, free, 2] > 0.25).all()
        assert (perf.params["r_sh_abd"][rows] > 0.9).all()
        assert (perf.params["l_sh_abd"][rows] > 0.9).all()


def test_squatting_crouching_and_bending_go_low(takes):
    for action, phase in (("Squatting", "squat"), ("Crouching", "work"), ("Bending", "grasp")):
        for _, perf in takes[action]:
            low = _phase_frames(perf, phase)
            standing = _phase_frames(perf, "stand")
            assert low.any() and standing.any()
            drop = perf.joints[standing, 0, 2].mean() - perf.joints[low, 0, 2].max()
            if action == "Bending":  # a hand near the floor
                assert perf.joints[low][:, [13, 16], 2].min(axis=1).max() < 0.3
            else:  # the knees bent and the pelvis well down
                knees = np.minimum(perf.params["r_knee"][low], perf.params["l_knee"][low])
                assert knees.min() > (1.2 if action == "Squatting" else 1.9)
                assert drop > 0.2


def test_standing_keeps_standing(takes):
    for _, perf in takes["Standing"]:
        assert (perf.joints[:, 0, 2] > 0.85).all()
        assert (perf.contacts["r_foot"] & perf.contacts["l_foot"]).mean() > 0.7
