"""Training and inference: the one training loop, DDP setup, batched prediction."""
