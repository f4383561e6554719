"""One report per training epoch: a redrawn progress bar on a terminal, plain lines in logs."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 24


class EpochReporter:
    def __init__(self, total_epochs: int, label: str = "", stream: TextIO | None = None):
        self.total_epochs = total_epochs
        self.label = f"{label} " if label else ""
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty()

    def report(self, epoch: int, values: dict[str, float], seconds: float) -> None:
        numbers = "  ".join(f"{name} {value:.2f}" for name, value in values.items())
        line = f"{self.label}epoch {epoch}/{self.total_epochs}  {numbers}  ({seconds:.2f} s)"
        if self.interactive:
            filled = round(BAR_WIDTH * epoch / self.total_epochs)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            end = "\n" if epoch == self.total_epochs else ""
            self.stream.write(f"\r[{bar}] {line}\033[K{end}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
