"""Mocap import speed: source frames converted per second, against parsing the files alone;
and a whole collection imported as ``prepare mocap`` does, with what the anatomy corrects.

Usage (from the repository root; the package need not be installed)::

    PYTHONPATH=src python3 benchmarks/mocap_import.py                 # ../shared/mocap/cmu
    PYTHONPATH=src python3 benchmarks/mocap_import.py --inputs DIR_OR_FILES... --repeats 5
    PYTHONPATH=src python3 benchmarks/mocap_import.py --collection /work/cmu_bulk/cmu_bulk \
        --asf amc/03.asf

``--collection DIR`` (a CMU collection: ``bvh/``, ``amc/``, ``INDEX.tsv``) imports every take
once, as ``vidpose prepare mocap DIR/bvh DIR/amc OUT --asf ASF --cmu-index DIR/INDEX.tsv``
does (without writing OUT), and prints ONE JSON object: takes imported and refused (with the
reasons), source and output frames, seconds, the output frames per activity group of the
index, and per skeleton family (beemsoft's rescaled Daz files apart) the mean distance (mm)
each Human3.6M joint the anatomy builds moved from the renamed source joint, the mean thorax
bone restored in cgspeed-style BVHs, and the mean source bone lengths (mm, before rescaling)
beside Human3.6M's.

Measures, best of ``--repeats`` runs over the same BVH files (the CMU takes of
../shared/mocap/cmu by default; without them, a generated 17-joint, 10,000-frame take):

- ``parse``: :func:`vidpose.mocap.bvh.read_bvh` alone (text to channel arrays);
- ``import``: :func:`vidpose.mocap.importer.import_file`, what ``vidpose prepare mocap`` does
  per file: parse, forward kinematics of the joints the table needs (vectorised over frames),
  joint mapping, units, axes and resampling to 50 fps;
- ``per_frame_fk``: the same forward kinematics written frame by frame in Python (the obvious
  loop), timed on the first ``--loop-frames`` frames of each file, for scale.

Prints ONE JSON object: source frames/s of each, ``import_over_parse`` (the share of the
import's speed that parsing alone allows: 1.0 would mean FK and conversion cost nothing) and
``vectorised_fk_speedup`` (FK frames/s vectorised against the per-frame loop).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from vidpose.infra.errors import UserError
from vidpose.mocap.bvh import forward_kinematics, read_bvh
from vidpose.mocap.cmu_index import read_cmu_index, take_key
from vidpose.mocap.importer import ImportOptions, find_inputs, import_file, import_take
from vidpose.mocap.joint_maps import resolve_family
from vidpose.mocap.motion_writer import default_subject
from vidpose.mocap.proportions import mean_bone_lengths
from vidpose.mocap.rotations import euler_to_matrix
from vidpose.pose.skeleton import JOINT_NAMES

CMU_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "mocap" / "cmu"


STANDING_Y_UP = np.array(
    [
        [0, 1.0, 0], [-0.13, 1.0, 0], [-0.13, 0.55, 0.02], [-0.13, 0.1, 0],
        [0.13, 1.0, 0], [0.13, 0.55, 0.02], [0.13, 0.1, 0], [0, 1.23, -0.01],
        [0, 1.48, 0], [0, 1.58, 0.04], [0, 1.7, 0.0], [0.15, 1.45, 0], [0.42, 1.45, 0],
        [0.67, 1.45, 0], [-0.15, 1.45, 0], [-0.42, 1.45, 0], [-0.67, 1.45, 0],
    ]
)  # fmt: skip


def _generated_take(folder: Path, frames: int = 10_000) -> Path:
    """A 17-joint take with 6-channel branch joints (vidpose's own export of a jittering
    standing body), when the CMU takes are absent."""
    from vidpose.mocap.bvh_export import bvh_text

    rng = np.random.default_rng(0)
    poses = STANDING_Y_UP + np.cumsum(rng.normal(0, 0.001, (frames, 17, 3)), axis=0)
    path = folder / "generated.bvh"
    path.write_text(bvh_text(poses, 120.0))
    return path


def _per_frame_fk(bvh, frames: int) -> float:
    """Seconds for a frame-by-frame Python forward kinematics of all joints."""
    columns = bvh.channel_columns()
    start = time.perf_counter()
    for values in bvh.motion[:frames]:
        rotations, positions = [], []
        for joint, parent in enumerate(bvh.parents):
            translation = bvh.offsets[joint].copy()
            order, angles = "", []
            for name, column in zip(bvh.channels[joint], columns[joint], strict=True):
                if name.endswith("position"):
                    translation["XYZ".index(name[0])] = values[column]
                else:
                    order += name[0]
                    angles.append(values[column])
            local = euler_to_matrix(np.array(angles), order)
            if parent < 0:
                rotations.append(local)
                positions.append(translation)
            else:
                positions.append(positions[parent] + rotations[parent] @ translation)
                rotations.append(rotations[parent] @ local)
    return time.perf_counter() - start


def _family_key(converted) -> str:
    scaled = converted.units.startswith("cgspeed's Daz figure") and converted.metres_per_unit > 1
    return converted.family + (" (beemsoft *_scaled)" if scaled else "")


def import_collection(root: Path, asf: Path | None) -> dict:
    """Import every take of the CMU collection at ``root`` (see the module docstring)."""
    index = read_cmu_index(root / "INDEX.tsv")
    options = ImportOptions(fallback_asf=asf, cmu_index=index, bones="h36m")
    motions, skeletons = find_inputs([root / "bvh", root / "amc"])
    families: dict[str, list] = {}
    refused, groups = [], {}
    source_frames = output_frames = 0
    start = time.perf_counter()
    for path in motions:
        try:
            imported = import_take(path, skeletons, options, default_subject(path.stem))
        except UserError as exc:
            refused.append(str(exc))
            continue
        converted = imported.converted
        frames = len(converted.positions)
        output_frames += frames
        source_frames += round(
            (frames - 1) / converted.fps * converted.source_fps + 1 + converted.dropped
        )
        families.setdefault(_family_key(converted), []).append(imported)
        entry = index.get(take_key(path.stem) or "")
        for group in (entry.activity_groups if entry else ()) or ("(none)",):
            groups[group] = groups.get(group, 0) + frames
    seconds = time.perf_counter() - start
    h36m_mm = mean_bone_lengths() * 1000
    per_family = {}
    for family, takes in sorted(families.items()):
        converted = [t.converted for t in takes]
        moved = {
            JOINT_NAMES[j]: round(float(np.mean([c.moved_mm[j] for c in converted])), 1)
            for j in converted[0].moved_mm
        }
        source_mm = np.mean([c.source_bones_m for c in converted], axis=0) * 1000
        restored = [t.restored_m * 1000 for t in takes if t.restored_m is not None]
        per_family[family] = {
            "takes": len(takes),
            "lead_in_frames_dropped": [
                min(c.dropped for c in converted),
                max(c.dropped for c in converted),
            ],
            "moved_mm": moved,
            "thorax_bone_restored_mm": round(float(np.mean(restored)), 1) if restored else None,
            "source_bones_mm": {
                f"{JOINT_NAMES[b]}": round(float(v), 1) for b, v in enumerate(source_mm, 1)
            },
            "h36m_minus_source_mm": {
                f"{JOINT_NAMES[b]}": round(float(h - v), 1)
                for b, (h, v) in enumerate(zip(h36m_mm, source_mm, strict=True), 1)
            },
        }
    return {
        "collection": str(root),
        "asf_for_amc_without_own": str(asf) if asf else None,
        "files": len(motions),
        "takes_imported": sum(len(t) for t in families.values()),
        "refused": refused,
        "source_frames": source_frames,
        "output_frames_at_50_fps": output_frames,
        "seconds": round(seconds, 1),
        "source_frames_per_s": round(source_frames / seconds),
        "output_frames_per_activity_group": dict(sorted(groups.items(), key=lambda kv: -kv[1])),
        "families": per_family,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", nargs="+", help="BVH files or folders (default: CMU takes)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--loop-frames", type=int, default=200)
    parser.add_argument("--collection", type=Path, help="a CMU collection folder (see above)")
    parser.add_argument("--asf", type=Path, help="with --collection: ASF of AMCs without one")
    args = parser.parse_args(argv)
    if args.collection is not None:
        asf = None if args.asf is None else args.collection / args.asf
        print(json.dumps(import_collection(args.collection, asf), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.inputs:
            paths = find_inputs(args.inputs)[0]
        elif CMU_DIR.is_dir():
            paths = sorted(CMU_DIR.glob("*.bvh"))
        else:
            paths = [_generated_take(Path(tmp))]
        parsed = [read_bvh(p) for p in paths]
        frames = sum(len(b.motion) for b in parsed)
        best = {"parse": np.inf, "import": np.inf, "fk_vectorised": np.inf}
        for _ in range(args.repeats):
            start = time.perf_counter()
            for path in paths:
                read_bvh(path)
            best["parse"] = min(best["parse"], time.perf_counter() - start)
            start = time.perf_counter()
            for path in paths:
                import_file(path, [], ImportOptions())
            best["import"] = min(best["import"], time.perf_counter() - start)
            start = time.perf_counter()
            for bvh in parsed:
                forward_kinematics(bvh)
            best["fk_vectorised"] = min(best["fk_vectorised"], time.perf_counter() - start)
        loop_frames = sum(min(args.loop_frames, len(b.motion)) for b in parsed)
        loop_seconds = sum(_per_frame_fk(b, args.loop_frames) for b in parsed)
    joints = [len(b.names) for b in parsed]
    families = sorted({getattr(resolve_family(b.names), "family", "unknown") for b in parsed})
    fps = {key: frames / seconds for key, seconds in best.items()}
    loop_fps = loop_frames / loop_seconds
    print(
        json.dumps(
            {
                "files": len(paths),
                "source_frames": frames,
                "joints_per_file": [min(joints), max(joints)],
                "families": families,
                "parse_frames_per_s": round(fps["parse"]),
                "import_frames_per_s": round(fps["import"]),
                "import_over_parse": round(fps["import"] / fps["parse"], 3),
                "fk_all_joints_vectorised_frames_per_s": round(fps["fk_vectorised"]),
                "fk_all_joints_per_frame_loop_frames_per_s": round(loop_fps),
                "vectorised_fk_speedup": round(fps["fk_vectorised"] / loop_fps, 1),
                "repeats": args.repeats,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
