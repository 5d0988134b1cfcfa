"""Running a trained model on a video file: person boxes, sliding windows, the whole pipeline."""
