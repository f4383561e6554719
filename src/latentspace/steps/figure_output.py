"""Saving a figure from a step: a bad setting becomes a one-line error. Not a step itself."""

from __future__ import annotations

from latentspace.errors import LatentspaceError


def save_figure_of(figure_function, output: str, *settings, **named_settings) -> None:
    """Build a matplotlib figure and save it, turning a bad setting (ValueError) into a one-line error."""
    from latentspace.figures.rendering import save_figure

    try:
        fig = figure_function(*settings, **named_settings)
    except ValueError as error:
        raise LatentspaceError(str(error)) from None
    save_figure(fig, output)
