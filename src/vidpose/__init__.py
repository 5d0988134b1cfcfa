"""vidpose: 3D human pose (17 Human3.6M joints, metres) from monocular RGB video clips."""

__version__ = "0.1.0"
