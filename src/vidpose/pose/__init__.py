"""What a 3D pose is and how it is scored: the 17-joint Human3.6M skeleton, the pinhole camera
that sees it, the metrics, the evaluation protocols and the mean-pose baseline."""
