"""latentspace: variational auto-encoders and a study of their latent spaces.

The package holds every computation of the pipeline; the Snakemake rules under
``workflow/rules`` only call its command-line interface (``python -m latentspace``). Its
version is the installed distribution's (``importlib.metadata.version("latentspace")``),
kept out of this file so that no step's code hash holds it.
"""
