"""The VAE, the latent geometry and the paths through it, and running a model on arrays."""
