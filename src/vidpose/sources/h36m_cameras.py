"""Human3.6M camera calibration: intrinsics, extrinsics and world→camera
(the pinhole projection itself is :func:`vidpose.pose.camera.project`).

Intrinsics come, in order of preference, from a cameras file given by the user (the release's
``metadata.xml`` or a JSON file ``{"54138969": {"fx": ..., "fy": ..., "cx": ..., "cy": ...}}``),
from ``RAW_DIR/metadata.xml``, or from the public calibration below.

The numbers in :data:`PUBLIC_INTRINSICS` and :data:`PUBLIC_EXTRINSICS` are Human3.6M's public
camera calibration as published in facebookresearch/VideoPose3D (``common/h36m_dataset.py``,
CC BY-NC licence, which in turn takes them from the dataset's ``metadata.xml``). Orientations
are unit quaternions (w, x, y, z) of the camera-to-world rotation; translations are the camera
centres in world millimetres. Projection here is pinhole only (no lens distortion), which is
what the clip store's ``intrinsics`` describe.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.infra.json_files import read_json

CAMERA_IDS: tuple[str, ...] = ("54138969", "55011271", "58860488", "60457274")

#: camera id → (fx, fy, cx, cy) in pixels of the full 1000-pixel-wide source image.
PUBLIC_INTRINSICS: dict[str, tuple[float, float, float, float]] = {
    "54138969": (1145.0494384765625, 1143.7811279296875, 512.54150390625, 515.4514770507812),
    "55011271": (1149.6756591796875, 1147.5916748046875, 508.8486328125, 508.0649108886719),
    "58860488": (1149.1407470703125, 1148.7989501953125, 519.8158569335938, 501.40264892578125),
    "60457274": (1145.5113525390625, 1144.77392578125, 514.9682006835938, 501.88201904296875),
}

# subject → one (quaternion wxyz, translation mm) per camera, in CAMERA_IDS order.
_Q = tuple[float, float, float, float]
_T = tuple[float, float, float]
PUBLIC_EXTRINSICS: dict[str, tuple[tuple[_Q, _T], ...]] = {
    "S1": (
        ((0.1407056450843811, -0.1500701755285263, -0.755240797996521, 0.6223280429840088),
         (1841.1070556640625, 4955.28466796875, 1563.4454345703125)),
        ((0.6157187819480896, -0.764836311340332, -0.14833825826644897, 0.11794740706682205),
         (1761.278564453125, -5078.0068359375, 1606.2650146484375)),
        ((0.14651472866535187, -0.14647851884365082, 0.7653023600578308, -0.6094175577163696),
         (-1846.7777099609375, 5215.04638671875, 1491.972412109375)),
        ((0.5834008455276489, -0.7853162288665771, 0.14548823237419128, -0.14749594032764435),
         (-1794.7896728515625, -3722.698974609375, 1574.8927001953125)),
    ),
    "S5": (
        ((0.1467377245426178, -0.162370964884758, -0.7551892995834351, 0.6178938746452332),
         (2097.3916015625, 4880.94482421875, 1605.732421875)),
        ((0.6159758567810059, -0.7626792192459106, -0.15728192031383514, 0.1189815029501915),
         (2031.7008056640625, -5167.93310546875, 1612.923095703125)),
        ((0.14291371405124664, -0.12907841801643372, 0.7678384780883789, -0.6110143065452576),
         (-1620.5948486328125, 5171.65869140625, 1496.43701171875)),
        ((0.5920479893684387, -0.7814217805862427, 0.1274748593568802, -0.15036417543888092),
         (-1637.1737060546875, -3867.3173828125, 1547.033203125)),
    ),
    "S6": (
        ((0.1337897777557373, -0.15692396461963654, -0.7571090459823608, 0.6198879480361938),
         (1935.4517822265625, 4950.24560546875, 1618.0838623046875)),
        ((0.6147197484970093, -0.7628812789916992, -0.16174767911434174, 0.11819244921207428),
         (1969.803955078125, -5128.73876953125, 1632.77880859375)),
        ((0.1529948115348816, -0.13529130816459656, 0.7646096348762512, -0.6112781167030334),
         (-1769.596435546875, 5185.361328125, 1476.993408203125)),
        ((0.5916101336479187, -0.7804774045944214, 0.12832270562648773, -0.1561593860387802),
         (-1721.668701171875, -3884.13134765625, 1540.4879150390625)),
    ),
    "S7": (
        ((0.1435241848230362, -0.1631336808204651, -0.7548328638076782, 0.6188824772834778),
         (1974.512939453125, 4926.3544921875, 1597.8326416015625)),
        ((0.6141672730445862, -0.7638262510299683, -0.1596645563840866, 0.1177929937839508),
         (1937.0584716796875, -5119.7900390625, 1631.5665283203125)),
        ((0.14550060033798218, -0.12874816358089447, 0.7660516500473022, -0.6127139329910278),
         (-1741.8111572265625, 5208.24951171875, 1464.8245849609375)),
        ((0.5912848114967346, -0.7821764349937439, 0.12445473670959473, -0.15196487307548523),
         (-1734.7105712890625, -3832.42138671875, 1548.5830078125)),
    ),
    "S8": (
        ((0.14110587537288666, -0.15589867532253265, -0.7561917304992676, 0.619644045829773),
         (2150.65185546875, 4896.1611328125, 1611.9046630859375)),
        ((0.6169601678848267, -0.7647668123245239, -0.14846350252628326, 0.11158157885074615),
         (2219.965576171875, -5148.453125, 1613.0440673828125)),
        ((0.1471444070339203, -0.13377119600772858, 0.7670128345489502, -0.6100369691848755),
         (-1571.2215576171875, 5137.0185546875, 1498.1761474609375)),
        ((0.5927824378013611, -0.7825870513916016, 0.12147816270589828, -0.14631995558738708),
         (-1476.913330078125, -3896.7412109375, 1547.97216796875)),
    ),
    "S9": (
        ((0.15540587902069092, -0.15548215806484222, -0.7532095313072205, 0.6199594736099243),
         (2044.45849609375, 4935.1171875, 1481.2275390625)),
        ((0.618784487247467, -0.7634735107421875, -0.14132238924503326, 0.11933968216180801),
         (1990.959716796875, -5123.810546875, 1568.8048095703125)),
        ((0.13357827067375183, -0.1367100477218628, 0.7689454555511475, -0.6100738644599915),
         (-1670.9921875, 5211.98583984375, 1528.387939453125)),
        ((0.5879399180412292, -0.7823407053947449, 0.1427614390850067, -0.14794869720935822),
         (-1696.04345703125, -3827.099853515625, 1591.4127197265625)),
    ),
    "S11": (
        ((0.15232472121715546, -0.15442320704460144, -0.7547563314437866, 0.6191070079803467),
         (2098.440185546875, 4926.5546875, 1500.278564453125)),
        ((0.6189449429512024, -0.7600917220115662, -0.15300633013248444, 0.1255258321762085),
         (2083.182373046875, -4912.1728515625, 1561.07861328125)),
        ((0.14943228662014008, -0.15650227665901184, 0.7681233882904053, -0.6026304364204407),
         (-1609.8153076171875, 5177.3359375, 1537.896728515625)),
        ((0.5894251465797424, -0.7818877100944519, 0.13991211354732513, -0.14715361595153809),
         (-1590.738037109375, -3854.1689453125, 1578.017578125)),
    ),
}  # fmt: skip

# metadata.xml packs all calibration into one vector <w0>: 6 extrinsic numbers for each
# (camera, subject) pair (4 × 11 × 6 = 264), then 9 intrinsic numbers per camera:
# fx, fy, cx, cy, 3 radial and 2 tangential distortion coefficients.
_W0_INTRINSICS_OFFSET = 264
_W0_INTRINSICS_STRIDE = 9


def quaternion_to_matrix(quaternion: np.ndarray) -> np.ndarray:
    """Rotation matrix (3, 3) of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(quaternion, dtype=np.float64) / np.linalg.norm(quaternion)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    )


def world_to_camera(points_world: np.ndarray, subject: str, camera_index: int) -> np.ndarray:
    """Points (..., 3) in world metres → the camera frame of ``subject``'s camera, metres.

    Uses :data:`PUBLIC_EXTRINSICS`; raises ``KeyError`` for a subject without calibration.
    """
    quaternion, centre_mm = PUBLIC_EXTRINSICS[subject][camera_index]
    rotation = quaternion_to_matrix(np.asarray(quaternion))  # camera → world
    centre = np.asarray(centre_mm, dtype=np.float64) / 1000.0
    # Row vectors: (Rᵀ (X − C))ᵀ = (X − C)ᵀ R.
    return (np.asarray(points_world, dtype=np.float64) - centre) @ rotation


def parse_metadata_xml(path: Path) -> dict[str, tuple[float, float, float, float]]:
    """Intrinsics per camera id from the release's ``metadata.xml`` (its ``<w0>`` vector)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None
    match = re.search(r"<w0>\s*\[?([^<\]]*)\]?\s*</w0>", text)
    if match is None:
        raise UserError(f"{path}: no <w0> calibration vector (not Human3.6M's metadata.xml?)")
    try:
        w0 = [float(value) for value in match.group(1).split()]
    except ValueError:
        raise UserError(f"{path}: <w0> holds something that is not a number") from None
    needed = _W0_INTRINSICS_OFFSET + _W0_INTRINSICS_STRIDE * len(CAMERA_IDS)
    if len(w0) < needed:
        raise UserError(f"{path}: <w0> has {len(w0)} numbers, expected at least {needed}")
    cameras = {}
    for index, camera in enumerate(CAMERA_IDS):
        start = _W0_INTRINSICS_OFFSET + _W0_INTRINSICS_STRIDE * index
        fx, fy, cx, cy = w0[start : start + 4]
        cameras[camera] = (fx, fy, cx, cy)
    return cameras


def parse_cameras_json(path: Path) -> dict[str, tuple[float, float, float, float]]:
    """Intrinsics from ``{"54138969": {"fx": .., "fy": .., "cx": .., "cy": ..}, ...}``."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected an object mapping camera ids to fx, fy, cx, cy")
    cameras = {}
    for camera, values in data.items():
        try:
            cameras[str(camera)] = tuple(float(values[key]) for key in ("fx", "fy", "cx", "cy"))
        except (KeyError, TypeError, ValueError):
            raise UserError(f"{path}: camera {camera!r} needs numbers fx, fy, cx, cy") from None
    return cameras


def load_intrinsics(
    cameras_file: Path | None, raw_dir: Path | None
) -> tuple[dict[str, tuple[float, float, float, float]], str]:
    """(intrinsics per camera id, a phrase saying where they came from)."""
    if cameras_file is not None:
        if not cameras_file.is_file():
            raise UserError(f"{cameras_file}: cameras file does not exist")
        if cameras_file.suffix.lower() == ".xml":
            return parse_metadata_xml(cameras_file), f"cameras file {cameras_file.name}"
        return parse_cameras_json(cameras_file), f"cameras file {cameras_file.name}"
    if raw_dir is not None and (raw_dir / "metadata.xml").is_file():
        return parse_metadata_xml(raw_dir / "metadata.xml"), "metadata.xml"
    return dict(PUBLIC_INTRINSICS), "public calibration (VideoPose3D's h36m_dataset.py)"
