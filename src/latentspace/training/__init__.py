"""Training a VAE: the epoch loop, its CUDA-graph step, checkpoints, signals and progress."""
