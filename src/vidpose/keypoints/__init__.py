"""2D keypoints: the joint layouts of the field's files and detectors, and their normalisation.

- :mod:`vidpose.keypoints.layouts`: the joint lists of H36M-17, COCO-17, Halpe-26, MPII-16 and
  OpenPose BODY_25, and one table per layout mapping it to the 17 Human3.6M joints;
- :mod:`vidpose.keypoints.sequence`: keypoints that carry their layout, mapped to the 17
  Human3.6M joints once;
- :mod:`vidpose.keypoints.normalize`: VideoPose3D's screen normalisation and its inverse.
"""

#: Keypoints scored below this are treated as missing: the tracker ignores them, the lifter
#: gets them as a dropped joint (confidence 0) and the camera fit leaves them out.
MIN_KEYPOINT_SCORE = 0.3
