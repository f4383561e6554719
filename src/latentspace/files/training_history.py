"""What training writes besides the model, as plain files: the per-epoch history (CSV).

Apart from ``latentspace.training.loop`` on purpose: the steps that only read or plot a
history (the training curves) import this module, not torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from latentspace.files.reading import checked_contents, read_csv_rows


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    train_reconstruction: float
    train_kl: float
    test_loss: float
    test_reconstruction: float
    test_kl: float
    seconds: float


HISTORY_COLUMNS = tuple(EpochRecord.__dataclass_fields__)


def history_to_csv(history: list[EpochRecord]) -> str:
    lines = [",".join(HISTORY_COLUMNS)]
    for record in history:
        values = asdict(record)
        lines.append(",".join(str(values["epoch"]) if c == "epoch" else f"{values[c]:.6f}" for c in HISTORY_COLUMNS))
    return "\n".join(lines) + "\n"


def load_history(path) -> list[EpochRecord]:
    """The per-epoch history a train step wrote with :func:`history_to_csv`."""
    what = "a training history CSV from the train step"
    rows = read_csv_rows(path, what, HISTORY_COLUMNS)
    with checked_contents(path, what):
        return [EpochRecord(int(row["epoch"]), *(float(row[column]) for column in HISTORY_COLUMNS[1:])) for row in rows]
