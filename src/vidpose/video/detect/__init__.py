"""The built-in 2D stage: OpenMMLab's RTMDet / RTMPose / RTMO ONNX models on ONNX Runtime.

- :mod:`~vidpose.video.detect.box_geometry`: letterbox, the top-down affine crop, SimCC decoding,
  NMS (pure numpy + OpenCV, no model).
- :mod:`~vidpose.video.detect.model_files`: the published model files, the download cache, the
  offline message and the checks on local files.
- :mod:`~vidpose.video.detect.runners`: one class per model family around an ONNX Runtime
  session.
- :mod:`~vidpose.video.detect.pipeline`: detector + pose model → per-frame people (boxes,
  keypoints).

Needs the ``video`` extra (``pip install vidpose[video]``: onnxruntime).
"""
