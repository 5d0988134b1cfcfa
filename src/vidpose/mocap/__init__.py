"""Motion capture in and out: BVH and ASF/AMC import to 17-joint motion, BVH export of poses.

Modules: :mod:`.rotations` (Euler angles, shortest-arc turns), :mod:`.skeleton_take` (a parsed
take: joint tree and positions), :mod:`.bvh` and :mod:`.asf_amc` (parsing and forward
kinematics), :mod:`.joint_maps` (skeleton families → Human3.6M joints), :mod:`.convert`
(units, up axis, frame rate), :mod:`.importer` (files → converted motions),
:mod:`.motion_writer` (the ``--motion`` npz), :mod:`.bvh_export` (positions → rotations →
BVH) and :mod:`.poses_input` (what ``export-bvh`` reads). See docs/mocap.md.
"""
