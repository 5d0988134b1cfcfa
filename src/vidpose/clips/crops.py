"""The person crop every data source and the video predictor share: a square around the
person, ``CROP_MARGIN`` × the longer side of their box, cut out of the image (black where it
leaves the image) and resized to the stored or model-input side.

A crop ``(x0, y0, side)`` in source-image pixels maps source pixel u to ``(u - x0) · S / side``
in the S × S result (the clip store's ``crop`` convention, vidpose.clips.clip_store).
"""

from __future__ import annotations

import numpy as np

#: Crop side over the longer side of the person's box: room for a limb the box misses and for
#: the motion within a clip, without shrinking the person much.
CROP_MARGIN = 1.2


def cut_and_resize(image: np.ndarray, square, size: int) -> np.ndarray:
    """Cut ``square`` (x0, y0, side), source pixels (rounded to whole pixels), out of an RGB
    ``image`` (H, W, 3), black outside it, and resize it to (size, size, 3): area averaging
    when shrinking (no aliasing), bilinear when enlarging."""
    import cv2

    x0, y0, side = (int(round(float(value))) for value in square)
    side = max(side, 1)
    height, width = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + side <= width and y0 + side <= height:
        patch = image[y0 : y0 + side, x0 : x0 + side]
    else:
        patch = np.zeros((side, side, *image.shape[2:]), dtype=image.dtype)
        sx0, sy0 = max(x0, 0), max(y0, 0)
        sx1, sy1 = min(x0 + side, width), min(y0 + side, height)
        if sx1 > sx0 and sy1 > sy0:
            patch[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interpolation)
