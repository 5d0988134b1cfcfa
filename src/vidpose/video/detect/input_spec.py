"""What each model family expects of its input image, in one place: channel order and
normalisation, and the check of a published archive's ``pipeline.json`` against them.

- **RTMDet** (``detector``): BGR, mean (103.53, 116.28, 123.675), std (57.375, 57.12, 58.395).
- **RTMPose** (``top-down``): RGB, mean (123.675, 116.28, 103.53), std (58.395, 57.12, 57.375).
- **RTMO** (``one-stage``): BGR pixels as they are (0-255, no normalisation).

MMDeploy's SDK archives describe their preprocessing in ``pipeline.json``: a ``Normalize``
transform (``mean``, ``std``, ``to_rgb``, the mean and std in the channel order after the
conversion) and the input size (``TopDownAffine``'s ``image_size`` (w, h), or ``Resize``'s
``size``). :func:`check_sdk_pipeline` compares them with the constants here, so a published
model preprocessed differently is refused instead of run wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InputNormalisation:
    """``bgr``: the model reads BGR; ``mean``/``std`` (3,) in that channel order, None for
    raw pixels."""

    bgr: bool
    mean: np.ndarray | None = None
    std: np.ndarray | None = None


DETECTOR = InputNormalisation(
    True,
    np.array([103.53, 116.28, 123.675], np.float32),
    np.array([57.375, 57.12, 58.395], np.float32),
)
TOP_DOWN = InputNormalisation(
    False,
    np.array([123.675, 116.28, 103.53], np.float32),
    np.array([58.395, 57.12, 57.375], np.float32),
)
ONE_STAGE = InputNormalisation(True)
#: The normalisation of each model role of :data:`vidpose.video.detect.model_files.MODELS`.
BY_ROLE = {"detector": DETECTOR, "top-down": TOP_DOWN, "one-stage": ONE_STAGE}


def to_nchw(images: np.ndarray, normalisation: InputNormalisation) -> np.ndarray:
    """RGB uint8 images (..., H, W, 3) → (N, 3, H, W) float32 as the model reads them.

    The channels are reordered and transposed while still uint8, then converted once."""
    batch = np.asarray(images).reshape(-1, *images.shape[-3:]).transpose(0, 3, 1, 2)
    if normalisation.bgr:
        batch = batch[:, ::-1]
    # A contiguous uint8 copy first: converting a strided view to float is 5x slower.
    batch = np.ascontiguousarray(batch).astype(np.float32)
    if normalisation.mean is not None:
        batch -= normalisation.mean.reshape(1, 3, 1, 1)
        batch *= (1.0 / normalisation.std).reshape(1, 3, 1, 1)
    return batch


def _transforms(pipeline: dict) -> list[dict]:
    tasks = pipeline.get("pipeline", {}).get("tasks", []) if isinstance(pipeline, dict) else []
    found = []
    for task in tasks if isinstance(tasks, list) else []:
        if isinstance(task, dict) and isinstance(task.get("transforms"), list):
            found += [t for t in task["transforms"] if isinstance(t, dict)]
    return found


def sdk_pipeline_differences(pipeline: dict, role: str, input_size: tuple[int, int]) -> list[str]:
    """How ``pipeline`` (a parsed ``pipeline.json``) differs from what vidpose's runner does
    for ``role`` at ``input_size`` (width, height); empty when it agrees or says nothing."""
    expected = BY_ROLE[role]
    problems = []
    for transform in _transforms(pipeline):
        kind = transform.get("type")
        if kind == "Normalize":
            mean = np.asarray(transform.get("mean", [0, 0, 0]), np.float64)
            std = np.asarray(transform.get("std", [1, 1, 1]), np.float64)
            bgr = not transform.get("to_rgb", False)
            want_mean = np.zeros(3) if expected.mean is None else expected.mean
            want_std = np.ones(3) if expected.std is None else expected.std
            if bgr != expected.bgr:
                problems.append(
                    f"to_rgb {not bgr} (vidpose feeds {'BGR' if expected.bgr else 'RGB'})"
                )
            if not np.allclose(mean, want_mean, atol=1e-3):
                problems.append(
                    f"mean {mean.tolist()} (vidpose uses {np.round(want_mean, 3).tolist()})"
                )
            if not np.allclose(std, want_std, atol=1e-3):
                problems.append(
                    f"std {std.tolist()} (vidpose uses {np.round(want_std, 3).tolist()})"
                )
        size = transform.get("image_size") if kind == "TopDownAffine" else None
        size = transform.get("size") if kind == "Resize" else size
        if size is not None and tuple(int(v) for v in size) != tuple(input_size):
            problems.append(f"{kind} size {list(size)} (vidpose uses {list(input_size)})")
    return problems
