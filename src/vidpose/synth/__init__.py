"""The embedded default dataset: synthetic Human3.6M-like clips rendered from 3D motion.

``vidpose synth OUT --preset tiny|small|h36m`` or, in Python,
:func:`vidpose.synth.generate.generate_dataset`. The parts, in the order data flows:

- :mod:`~vidpose.synth.body` — subjects (bones, clothes), forward kinematics, joint limits;
- :mod:`~vidpose.synth.motion` — the named actions and the default mix: staged ones
  (:mod:`~vidpose.synth.staging`, :mod:`~vidpose.synth.limbs`, :mod:`~vidpose.synth.postures`,
  :mod:`~vidpose.synth.activities`, ``motions_chair``, ``motions_low``, ``motions_floor``,
  ``motions_standing``) and periodic ones (:mod:`~vidpose.synth.motion_styled`);
- :mod:`~vidpose.synth.motion_file` — world joint sequences from ``--motion FILE.npz``;
- :mod:`~vidpose.synth.studio_cameras` — Human3.6M-like cameras, projection, person crops;
- :mod:`~vidpose.synth.scene` — floor, wall, props, light and image quality of a view;
- :mod:`~vidpose.synth.person_drawing` — drawing the person, depth-ordered, and finishing frames;
- :mod:`~vidpose.synth.plan` — presets and the units of work;
- :mod:`~vidpose.synth.generate` — rendering the units in parallel into the two stores;
- :mod:`~vidpose.synth.virtual_cameras` and :mod:`~vidpose.synth.poses` — ``--poses-only``:
  random virtual cameras and pose-sequence stores for lifting, without rendering.
"""
