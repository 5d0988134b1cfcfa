"""Image geometry of the RTMDet / RTMPose / RTMO models: the same conventions as MMPose.

Coordinates are pixels of the source frame, x right, y down, with pixel ``(i, j)`` at the
integer point ``(j, i)`` (OpenCV's convention). Boxes are ``(x1, y1, x2, y2)`` float unless a
name says ``xywh``.

- **Letterbox** (RTMDet, RTMO, YOLOX): the frame is scaled by ``ratio`` to fit the model's
  input, kept at the top-left corner, the rest filled with grey 114; model coordinates divided
  by ``ratio`` are frame coordinates.
- **Top-down crop** (RTMPose): the person box, enlarged 1.25× around its centre and widened or
  heightened to the input's aspect ratio, is warped onto the input so that its centre lands on
  the input's centre ``(w / 2, h / 2)``.
- **SimCC**: one 1-D classification per axis and joint over ``split_ratio`` bins per input pixel;
  the argmax bin divided by the ratio is the input coordinate, the smaller of the two maxima is
  the joint's score (as MMPose's ``get_simcc_maximum``).
"""

from __future__ import annotations

import numpy as np

#: RTMPose's box enlargement around the detected person before cropping.
BOX_PADDING = 1.25
#: Grey of the letterbox border (the value the models were trained with).
PAD_VALUE = 114


def letterbox(image: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Scale ``image`` (H, W, 3) uint8 to fit ``size`` = (width, height), keep its aspect, place
    it at the top-left of a grey canvas. Returns the canvas (height, width, 3) and the ratio."""
    import cv2

    width, height = size
    ratio = min(width / image.shape[1], height / image.shape[0])
    new_w, new_h = int(image.shape[1] * ratio), int(image.shape[0] * ratio)
    canvas = np.full((height, width, 3), PAD_VALUE, dtype=np.uint8)
    canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return canvas, ratio


def crop_center_scale(
    box: np.ndarray, input_size: tuple[int, int], padding: float = BOX_PADDING
) -> tuple[np.ndarray, np.ndarray]:
    """Box (4,) xyxy → the crop's centre (2,) and size (2,) in frame pixels.

    The size is the box's times ``padding``, then grown along one axis to the input's aspect
    ratio ``width / height`` (never shrunk, so the person stays whole)."""
    box = np.asarray(box, dtype=np.float64)
    center = (box[:2] + box[2:]) / 2
    w, h = (box[2:] - box[:2]) * padding
    aspect = input_size[0] / input_size[1]
    scale = np.array([w, w / aspect]) if w > h * aspect else np.array([h * aspect, h])
    return center, scale


def crop_matrix(center: np.ndarray, scale: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """The 2×3 affine matrix taking frame pixels to input pixels for a crop (no rotation)."""
    width, height = input_size
    sx, sy = width / scale[0], height / scale[1]
    return np.array(
        [
            [sx, 0.0, width / 2 - center[0] * sx],
            [0.0, sy, height / 2 - center[1] * sy],
        ]
    )


def crop(
    image: np.ndarray, center: np.ndarray, scale: np.ndarray, input_size: tuple[int, int]
) -> np.ndarray:
    """Warp the crop (centre, size) of ``image`` onto an (height, width, 3) input; black outside."""
    import cv2

    matrix = crop_matrix(center, scale, input_size)
    return cv2.warpAffine(image, matrix, tuple(int(v) for v in input_size), flags=cv2.INTER_LINEAR)


def crop_to_frame(
    points: np.ndarray, center: np.ndarray, scale: np.ndarray, input_size: tuple[int, int]
) -> np.ndarray:
    """Input-pixel points (..., 2) of one crop → frame pixels (the inverse of :func:`crop`)."""
    return points / np.asarray(input_size, dtype=np.float64) * scale + center - scale / 2


def simcc_decode(
    simcc_x: np.ndarray, simcc_y: np.ndarray, split_ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """SimCC outputs (N, K, Wx) and (N, K, Wy) → input-pixel points (N, K, 2) and scores (N, K).

    A joint whose score is not positive gets the score 0 (MMPose marks it invisible)."""
    x_bins = np.argmax(simcc_x, axis=-1)
    y_bins = np.argmax(simcc_y, axis=-1)
    points = np.stack([x_bins, y_bins], axis=-1).astype(np.float64) / split_ratio
    scores = np.minimum(simcc_x.max(axis=-1), simcc_y.max(axis=-1)).astype(np.float64)
    return points, np.maximum(scores, 0.0)


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair of xyxy boxes: (A, 4) × (B, 4) → (A, B)."""
    a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(axis=-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(axis=-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(axis=-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression: indices of the kept boxes, best score first."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while order.size:
        best = order[0]
        keep.append(best)
        overlap = box_iou(boxes[best], boxes[order[1:]])[0]
        order = order[1:][overlap <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def clip_boxes(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 4) xyxy boxes clipped to a ``width`` × ``height`` frame (x in [0, width], y in
    [0, height], as MMDetection clips to the image shape)."""
    boxes = np.asarray(boxes, dtype=np.float64).copy()
    boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width)
    boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height)
    return boxes


def xyxy_to_xywh(boxes: np.ndarray) -> np.ndarray:
    """(..., 4) x1, y1, x2, y2 → x, y, w, h."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.concatenate([boxes[..., :2], boxes[..., 2:] - boxes[..., :2]], axis=-1)
