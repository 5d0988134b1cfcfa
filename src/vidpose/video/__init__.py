"""From a video file to 3D poses, module by module in the order the data flows.

1. **decode** (:mod:`~vidpose.video.decode`): frames and what the file holds (size, rate).
2. **detect** (:mod:`~vidpose.video.detect`): OpenMMLab's RTMDet / RTMPose / RTMO on ONNX
   Runtime give the people of every frame (:mod:`~vidpose.video.people`); or other tools'
   keypoint files give them (:mod:`~vidpose.video.keypoint_files`).
3. **track** (:mod:`~vidpose.video.track`): people linked into tracks, one person or all of them
   followed through the video, short gaps filled.
4. **lift** (:mod:`~vidpose.video.lift`, :mod:`~vidpose.video.lifted`): the keypoints mapped to
   the 17 Human3.6M joints and lifted to 3D, the camera fitted and how far each frame can be
   trusted; or, for an RGB checkpoint, person boxes (:mod:`~vidpose.video.person_boxes`,
   :mod:`~vidpose.video.person_finder`) and crops through the clip model
   (:mod:`~vidpose.video.image_model_path`, :mod:`~vidpose.video.clip_windows`).
5. **render** (:mod:`~vidpose.video.render`, :mod:`~vidpose.video.encode`): the frames with
   the 2D and the reprojected 3D beside the 3D view, written as a video.
"""
