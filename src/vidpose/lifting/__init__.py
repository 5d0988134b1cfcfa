"""The lifting track's own parts (the networks are in vidpose.models, the training loop is the
engine's, the track object in vidpose.tracks.lifter_track):

- :mod:`~vidpose.lifting.windows`: windows of 2D keypoints around output frames, from sequence
  stores, on the training device;
- :mod:`~vidpose.lifting.keypoint_augment`: their augmentation (flip, camera turn, a detector's
  errors);
- :mod:`~vidpose.lifting.sequence_inference` and :mod:`~vidpose.lifting.sequence_evaluation`:
  every frame of whole sequences through a lifter, and the report on a store;
- :mod:`~vidpose.lifting.bones`: one skeleton per sequence;
- :mod:`~vidpose.lifting.detector_2d` and :mod:`~vidpose.lifting.shipped_data`: 2D as a detector
  gives it, and the shipped lifter's training data and weights file.
"""
