"""The lifting track's data side of training and evaluation: windows of 2D keypoints from
sequence stores (windows.py), their augmentation (augment.py) and whole-sequence prediction
(predict.py). The lifting networks are in vidpose.models; the training loop is the engine's."""
