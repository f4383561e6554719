# Paths and small helpers shared by the rules. No rule lives here.

import shlex
from pathlib import Path

LATENT_DIMS = sorted(config["latent_dims"])
TEMPLATES_DIR = Path(workflow.basedir) / "site_templates"

# Files the site carries, by the name templates use (assets[name]); each figure's .smk
# registers its outputs here, and the site rule copies them all.
SITE_ASSETS = {}


def model_file(latent_dim, name):
    """A file of the model trained with the given latent size."""
    return f"results/models/z{latent_dim}/{name}"


def template_files():
    """Every file of site_templates/, so that a template edit re-renders the site."""
    return sorted(str(path) for path in TEMPLATES_DIR.rglob("*") if path.is_file())


def cli_options(**options):
    """Command-line options from keyword arguments, quoted for the shell.

    ``cli_options(cache_dir="a b", mirror=["x", "y"], idx_dir=None)`` gives
    ``--cache-dir 'a b' --mirror x --mirror y``: None is left out, a list repeats the option.
    """
    words = []
    for name, value in options.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is not None:
                words += [f"--{name.replace('_', '-')}", shlex.quote(str(item))]
    return " ".join(words)
