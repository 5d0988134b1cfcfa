"""The one training loop (trainer.py) every track runs, its state, checkpoints and run folder,
the data paths onto the device, the training step, and the image models' batched inference
(clip_inference.py)."""
