"""Contact sheets: one row per clip (or sequence), one column per frame, with labels.

Every other row has the stored 2D skeleton drawn over the frames (left side blue, right side
red, centre line white), so a look at the sheet checks the frames and the labels together.
"""

from __future__ import annotations

import numpy as np

from vidpose.clips.clip_store import ClipStore
from vidpose.pose import skeleton

LEFT_RGB = (60, 140, 255)
RIGHT_RGB = (255, 70, 60)
CENTRE_RGB = (245, 245, 245)
LABEL_WIDTH = 150


def _bone_colour(child: int) -> tuple[int, int, int]:
    if child in skeleton.LEFT_JOINTS:
        return LEFT_RGB
    if child in skeleton.RIGHT_JOINTS:
        return RIGHT_RGB
    return CENTRE_RGB


def draw_skeleton(
    image: np.ndarray, joints2d: np.ndarray, scale: float = 1.0, visible: np.ndarray | None = None
) -> None:
    """Draw 2D joints (17, 2), stored-frame pixels times ``scale``, onto ``image`` in place;
    ``visible`` (17,) bool leaves out the other joints and their bones."""
    import cv2

    shown = np.ones(len(joints2d), bool) if visible is None else np.asarray(visible, bool)
    points = np.round(np.asarray(joints2d, np.float64) * scale * 16).astype(np.int64)
    width = max(1, int(round(image.shape[0] / 80)))
    for child, parent in skeleton.BONES:
        if not (shown[child] and shown[parent]):
            continue
        a, b = tuple(int(v) for v in points[parent]), tuple(int(v) for v in points[child])
        cv2.line(image, a, b, _bone_colour(int(child)), width, cv2.LINE_AA, 4)
    for j, point in enumerate(points):
        if not shown[j]:
            continue
        cv2.circle(
            image,
            tuple(int(v) for v in point),
            16 * (width + 1),
            _bone_colour(j),
            -1,
            cv2.LINE_AA,
            4,
        )


def pick_rows(actions: np.ndarray, count: int) -> np.ndarray:
    """Up to ``count`` indices of ``actions`` (one label per clip or sequence) cycling through
    the actions, spread within each action."""
    groups = [np.flatnonzero(actions == a) for a in sorted(set(actions))]
    count = min(count, len(actions))
    rounds = -(-count // len(groups))
    picked: list[int] = []
    for r in range(rounds):
        for k, group in enumerate(groups):
            # spread over each action's clips, shifted per action so subjects and views vary
            position = (2 * r + 1) * len(group) // (2 * rounds) + k * len(group) // len(groups)
            index = int(group[position % len(group)])
            if len(picked) < count and index not in picked:
                picked.append(index)
    unused = (i for i in range(len(actions)) if i not in set(picked))
    picked += [next(unused) for _ in range(count - len(picked))]
    return np.array(picked)


def pick_clips(store: ClipStore, count: int) -> np.ndarray:
    """Up to ``count`` clip indices cycling through the actions, spread within each action."""
    return pick_rows(store.column("action"), count)


def assemble_sheet(rows: list[np.ndarray], labels: list[list[str]]) -> np.ndarray:
    """An RGB uint8 sheet: one row of tiles per entry of ``rows`` ((T, tile, tile, 3) each, the
    same T and tile), its ``labels`` lines on the left (the first one brighter)."""
    import cv2

    tile, columns = rows[0].shape[1], rows[0].shape[0]
    sheet = np.full((len(rows) * tile, LABEL_WIDTH + columns * tile, 3), 24, np.uint8)
    for row, (tiles, lines) in enumerate(zip(rows, labels, strict=True)):
        y = row * tile
        sheet[y : y + tile, LABEL_WIDTH:] = tiles.transpose(1, 0, 2, 3).reshape(tile, -1, 3)
        for k, text in enumerate(lines):
            origin = (6, y + 18 + 17 * k)
            colour = (255, 255, 255) if k == 0 else (180, 180, 180)
            cv2.putText(sheet, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.42, colour, 1, cv2.LINE_AA)
    return sheet


def contact_sheet(
    store: ClipStore, clips: int = 8, tile: int | None = None, overlay_every: int = 2
) -> np.ndarray:
    """An RGB uint8 image: ``clips`` rows × T frames, labels on the left.

    ``tile`` is the side of each frame on the sheet (default: the stored size, at least 96);
    rows ``1, 1 + overlay_every, ...`` get the 2D skeleton drawn over them.
    """
    import cv2

    if not store.has_frames:
        from vidpose.infra.errors import UserError

        raise UserError(f"{store.path}: pose-only store, nothing to show")
    height = store.image_size[0]
    tile = tile or max(96, height)
    scale = tile / height
    rows, labels = [], []
    for row, index in enumerate(pick_clips(store, clips)):
        overlay = bool(overlay_every) and row % overlay_every == 1
        tiles = []
        for col, frame in enumerate(np.asarray(store.frames[index])):
            frame = cv2.resize(frame, (tile, tile), interpolation=cv2.INTER_LINEAR)
            if overlay:
                draw_skeleton(frame, store.poses2d[index, col], scale)
            tiles.append(frame)
        rows.append(np.stack(tiles))
        info = store.clips[index]
        labels.append(
            [
                f"{info['subject']} {info['action']}",
                f"cam {info['camera']}",
                f"frame {info['start_frame']}",
                f"clip {index}" + ("  +2D" if overlay else ""),
            ]
        )
    return assemble_sheet(rows, labels)


def write_image(path, image: np.ndarray, colors: int | None = None) -> None:
    """Write an RGB image as PNG or JPEG (by suffix) atomically.

    ``colors`` (2-256) writes a palette PNG of that many colours: a fraction of the size,
    for sheets that go into documentation.
    """
    import io

    import cv2

    from vidpose.infra.atomic import write_atomic

    if colors is not None and path.suffix.lower() == ".png":
        from PIL import Image

        palette = Image.fromarray(np.ascontiguousarray(image)).quantize(
            colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        buffer = io.BytesIO()
        palette.save(buffer, format="PNG", optimize=True)
        data = buffer.getvalue()
    else:
        ok, encoded = cv2.imencode(path.suffix.lower(), np.ascontiguousarray(image[..., ::-1]))
        if not ok:
            raise RuntimeError(f"cannot encode {path}")
        data = encoded.tobytes()
    write_atomic(path, lambda tmp: tmp.write_bytes(data))
