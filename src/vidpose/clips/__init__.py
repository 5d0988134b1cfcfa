"""The RGB clip track's data: the clip store, its person crops, its training augmentation,
contact sheets and the ONNX export of image models."""
