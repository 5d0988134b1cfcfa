"""Motion capture in and out: BVH and ASF/AMC import to 17-joint motion, BVH export of poses.

Modules: :mod:`.rotations` (Euler angles, shortest-arc turns), :mod:`.skeleton_take` (a parsed
take: joint tree, positions, world rotations), :mod:`.bvh` and :mod:`.asf_amc` (parsing and
forward kinematics), :mod:`.joint_maps` (skeleton families: renaming tables and landmarks),
:mod:`.anatomy` (Human3.6M's joint definitions from the landmarks), :mod:`.proportions`
(Human3.6M's bone lengths, seeded bodies, rescaling), :mod:`.units` (metres per file unit),
:mod:`.lead_in` (a calibration T-pose at the start), :mod:`.cmu_index` (CMU capture rates),
:mod:`.convert` (units, up axis, frame rate), :mod:`.importer` (files → converted motions),
:mod:`.motion_writer` (the ``--motion`` npz), :mod:`.bvh_export` (positions → rotations →
BVH) and :mod:`.poses_input` (what ``export-bvh`` reads). See docs/mocap.md.
"""
