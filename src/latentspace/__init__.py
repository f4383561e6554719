"""latentspace: variational auto-encoders and a study of their latent spaces.

The package holds every computation of the pipeline; the Snakemake rules under
``workflow/rules`` only call its command-line interface (``python -m latentspace``).
"""

__version__ = "0.1.0"
