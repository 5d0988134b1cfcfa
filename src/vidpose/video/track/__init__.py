"""Following people through a video: the third step of the video path.

1. :mod:`~vidpose.video.track.link`: the people of consecutive frames linked into tracklets
   (a predicted box, a reach in person sizes, box overlap and keypoint similarity).
2. :mod:`~vidpose.video.track.stitch`: tracklets that do not overlap in time and join up in
   place, size and pose become one person (a spin, a turn, an occlusion or a person who leaves
   and comes back breaks a tracklet, not an identity).
3. :mod:`~vidpose.video.track.follow`: the main person (or one by id, or every person tracked
   long enough) over every frame of the video, short gaps filled and marked.

Every threshold is in seconds or in person sizes, so a 30-fps portrait video and a 50-fps
landscape one are tracked alike.
"""
