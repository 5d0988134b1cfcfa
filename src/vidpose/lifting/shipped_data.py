"""The shipped lifter: its licence-free training data, and its weights file from a run.

:func:`join_stores` (``vidpose prepare shipped OUT ROOT...``) pools the ``train`` and ``test``
splits of each ``ROOT`` (stores written by ``vidpose synth ROOT --poses-only``, with the
built-in motions or ``--motion`` capture) and deals the sequences out by subject: those of
``dev_subjects`` to ``OUT/dev`` (held-out real motion, the development measure), those of
``test_subjects`` (default Human3.6M's S9 and S11, the synthetic test subjects) to ``OUT/test``,
the rest to ``OUT/train``. With a CMU ``INDEX.tsv`` a take's ``action`` becomes its activity
group (:mod:`vidpose.mocap.cmu_index`), so evaluation reports per group. Every split gets the
2D sources, all from the 3D poses and each sequence's camera:

| source | layout | what |
|---|---|---|
| ``gt`` | h36m17 | the Human3.6M joints' exact projections (as the roots wrote them) |
| ``coco`` | coco17 | COCO-17 (:mod:`vidpose.lifting.detector_2d`) as a detector gives them |
| ``h36m`` | h36m17 | ``gt`` as a detector gives it |
| ``mixed`` | h36m17 | per sequence ``coco`` mapped to H36M-17 (``coco_share``) or ``h36m`` |
| ``*_noisy`` | h36m17 | test, dev: ``coco`` (mapped), ``h36m`` with :data:`DETECTOR_NOISE` |

The noisy sources give evaluation a detector's errors, drawn once (seeded) per 81-frame chunk
of each sequence with the training augmentation's model (:mod:`vidpose.lifting.keypoint_augment`):
jitter, outliers, dropped joints, left/right swaps and missing frames.

"As a detector gives them" (:func:`~vidpose.lifting.detector_2d.as_detected`): joints outside
the image are missing, and frames without any joint repeat the nearest frame with one, as the
video path does. ``coco`` mapped to the 17 joints has the detector path's conventions (neck =
nose, head = mid-eyes); ``h36m`` has Human3.6M's (the true neck and head top), what a lifter
meets on Human3.6M's own 2D. ``mixed`` trains one lifter for both.

``vidpose prepare shipped-weights RUN OUT.pt`` then writes the run's final checkpoint
(``last.pt``: the end of the schedule, not a pick on the test set) without its training state
(:func:`vidpose.runs.checkpoint.save_inference_checkpoint`). docs/video.md gives the whole
recipe (``make shipped-lifter``).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vidpose.infra.atomic import check_output, partial_name, remove_stale_partials, replace_dir
from vidpose.infra.errors import UserError
from vidpose.keypoints.layouts import to_h36m17
from vidpose.lifting.detector_2d import FACE_OFFSETS, as_detected, coco17_pixels
from vidpose.mocap.cmu_index import take_key
from vidpose.pose import skeleton
from vidpose.sequences import SequenceStore, open_sequences
from vidpose.sequences.sequence_store import SequenceInfo
from vidpose.sequences.write import write_sequences

SPLITS = ("train", "test")
DEFAULT_COCO_SHARE = 0.5
#: The detector errors of the evaluation splits' noisy 2D sources (the augment keys).
DETECTOR_NOISE = {
    "noise": 0.01, "noise_growth": 0.5, "outliers": 0.005, "dropout": 0.03, "swaps": 0.1,
    "missing_frames": 0.1,
}  # fmt: skip
NOISE_CHUNK = 81  # frames drawn as one training window is


def _split_of(info: SequenceInfo, test: set[str], dev: set[str]) -> str:
    if info.subject in dev:
        return "dev"
    return "test" if info.subject in test else "train"


def _check_places(out: Path, roots: Sequence[Path], overwrite: bool) -> None:
    resolved = out.resolve()
    for root in roots:
        other = root.resolve()
        if resolved in other.parents or other in resolved.parents:
            raise UserError(f"{out}: lies inside or around the input {root}; choose another place")
    check_output(out, overwrite=overwrite, inputs=tuple(roots), into=True)


def join_stores(
    out: str | Path,
    roots: Sequence[str | Path],
    *,
    test_subjects: Sequence[str] = skeleton.TEST_SUBJECTS,
    dev_subjects: Sequence[str] = (),
    cmu_index: str | Path | None = None,
    seed: int = 0,
    coco_share: float = DEFAULT_COCO_SHARE,
    overwrite: bool = False,
) -> dict[str, SequenceStore]:
    """Write ``out/train``, ``out/test`` and (with ``dev_subjects``) ``out/dev`` from the
    splits of ``roots`` (see the module docstring); return them opened. All splits are
    written under a hidden sibling renamed into place at the end: an error leaves nothing."""
    from vidpose.mocap.cmu_index import read_cmu_index

    out, roots = Path(out), [Path(root) for root in roots]
    if not 0.0 <= coco_share <= 1.0:
        raise UserError(f"coco share {coco_share:g} must lie in [0, 1]")
    _check_places(out, roots, overwrite)
    stores = [open_sequences(root / split) for root in roots for split in SPLITS]
    fps = {store.fps for store in stores}
    if len(fps) != 1:
        raise UserError(f"{out}: the stores differ in frame rate ({sorted(fps)})")
    for store in stores:
        if "gt" not in store.sources_2d or store.layout("gt") != "h36m17":
            raise UserError(f"{store.path}: needs the h36m17 2D source 'gt' (synth --poses-only)")
    groups = read_cmu_index(cmu_index) if cmu_index is not None else {}
    test, dev = set(test_subjects), set(dev_subjects)
    parts: dict[str, list[tuple[SequenceStore, int]]] = {"train": [], "test": [], "dev": []}
    for store in stores:
        for index, info in enumerate(store.sequences):
            parts[_split_of(info, test, dev)].append((store, index))
    wanted = ["train", "test"] + (["dev"] if dev else [])
    for split in wanted:
        if not parts[split]:
            raise UserError(f"{out}: no sequence goes to {split} (check the subjects given)")
    remove_stale_partials(out)
    tmp = partial_name(out)
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        for number, split in enumerate(wanted):
            _write_split(
                tmp / split, parts[split], groups, fps=next(iter(fps)), seed=seed + number,
                coco_share=coco_share, roots=roots,
                from_mocap=all(store.from_mocap for store, _ in parts[split]),
            )  # fmt: skip
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {split: open_sequences(out / split) for split in wanted}


def _write_split(out, members, groups, *, fps, seed, coco_share, roots, from_mocap) -> None:
    infos, start = [], 0
    for store, index in members:
        info = store.sequences[index]
        take = groups.get(take_key(info.sequence) or "")
        action = take.activity_group if take is not None else info.action
        infos.append(SequenceInfo(**{**info.__dict__, "start": start, "action": action}))
        start += info.frames

    def gather(read) -> np.ndarray:
        return np.concatenate([np.asarray(read(store)[store.slice(i)]) for store, i in members])

    poses3d = gather(lambda s: s.poses3d)
    root = gather(lambda s: s.root)
    intrinsics = np.stack([np.asarray(store.intrinsics[i]) for store, i in members])
    gt = gather(lambda s: s.keypoints("gt"))
    lengths = [info.frames for info in infos]
    sizes = np.array([(info.width, info.height) for info in infos])
    coco = as_detected(coco17_pixels(poses3d, root, intrinsics, lengths), sizes, lengths)
    h36m = as_detected(gt, sizes, lengths)
    from_coco = np.random.default_rng(seed).uniform(size=len(infos)) < coco_share
    pick = np.repeat(from_coco, lengths)[:, None, None]
    mapped = to_h36m17(coco, "coco17")
    mixed = np.where(pick, mapped, h36m).astype(np.float32)
    sources = {
        "gt": (gt, "h36m17", False),
        "coco": (coco, "coco17", True),
        "h36m": (h36m, "h36m17", True),
        "mixed": (mixed, "h36m17", True),
    }
    if out.name != "train":
        sources["coco_noisy"] = (with_detector_noise(mapped, sizes, lengths, seed), "h36m17", True)
        sources["h36m_noisy"] = (
            with_detector_noise(h36m, sizes, lengths, seed + 1),
            "h36m17",
            True,
        )
    write_sequences(
        out,
        infos,
        poses3d,
        root,
        intrinsics,
        sources,
        source="shipped-lifter-data",
        fps=fps,
        from_mocap=from_mocap,
        default_2d="mixed",
        describe_2d={
            "coco": {"synthesised": "COCO-17 from the 3D poses", "face_offsets_m": FACE_OFFSETS},
            "h36m": {"synthesised": "gt, joints outside the image missing"},
            "mixed": {
                "synthesised": "coco (mapped) or h36m per sequence",
                "coco_share": coco_share,
                "coco_sequences": [int(i) for i in np.flatnonzero(from_coco)],
            },
        },
        extra_meta={"joined_from": [str(path) for path in roots]},
    )


def with_detector_noise(keypoints: np.ndarray, sizes: np.ndarray, lengths, seed: int) -> np.ndarray:
    """H36M-17 keypoints (F, 17, 3) pixels + confidence of sequences (``lengths`` frames each,
    images ``sizes`` (S, 2)) with :data:`DETECTOR_NOISE`'s errors, drawn per
    :data:`NOISE_CHUNK`-frame chunk (the last chunk of a sequence edge-padded) from ``seed``."""
    import torch

    from vidpose.keypoints.normalize import image_coordinates, normalize_screen
    from vidpose.lifting.keypoint_augment import KeypointAugmentConfig, detector_errors

    config = KeypointAugmentConfig(**DETECTOR_NOISE)
    generator = torch.Generator().manual_seed(seed)
    out = np.array(keypoints, dtype=np.float32)
    start = 0
    for frames, (width, height) in zip(lengths, np.asarray(sizes, np.float64), strict=True):
        chunks = -(-frames // NOISE_CHUNK)
        rows = np.minimum(np.arange(chunks * NOISE_CHUNK), frames - 1) + start
        screen = torch.from_numpy(normalize_screen(out[rows], width, height))
        noisy = detector_errors(screen.reshape(chunks, NOISE_CHUNK, 17, 3), config, generator)
        pixels = image_coordinates(noisy.reshape(-1, 17, 3).numpy(), width, height)
        pixels[pixels[..., 2] <= 0] = 0.0
        out[start : start + frames] = pixels[:frames]
        start += frames
    return out
