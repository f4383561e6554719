"""Deterministic figure files: fixed SVG ids, no dates in metadata, atomic writes."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from latentspace.errors import LatentspaceError  # noqa: E402
from latentspace.files.atomic import atomic_path  # noqa: E402
from latentspace.figures.png_files import save_grey_png  # noqa: E402,F401  (where figure modules look for it)

# SVG ids are random unless salted; a fixed salt makes the same figure byte-identical.
matplotlib.rcParams["svg.hashsalt"] = "latentspace"
matplotlib.rcParams["svg.fonttype"] = "path"
matplotlib.rcParams["figure.dpi"] = 100
matplotlib.rcParams["savefig.bbox"] = "tight"
matplotlib.rcParams["font.size"] = 10

METADATA_WITHOUT_DATES = {
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def save_figure(fig: "plt.Figure", path: str | os.PathLike) -> None:
    """Save ``fig`` to ``path`` (format from the suffix) with reproducible bytes, then close it."""
    suffix = os.fspath(path).rsplit(".", 1)[-1].lower()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=suffix, metadata=METADATA_WITHOUT_DATES.get(suffix))
    plt.close(fig)



def save_figure_of(figure_function, output: str | os.PathLike, *settings, **named_settings) -> None:
    """Build a figure and save it; a bad setting (the figure's ValueError) becomes a one-line error."""
    try:
        fig = figure_function(*settings, **named_settings)
    except ValueError as error:
        raise LatentspaceError(str(error)) from None
    save_figure(fig, output)
