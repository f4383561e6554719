"""Stop a long step cleanly when SLURM (or anyone) sends SIGTERM.

SLURM signals a job with SIGTERM when it reaches its time limit or is preempted, and
kills it with SIGKILL ``KillWait`` seconds later (30 s by default). The handler only
records the request; the training loop polls it between batches, so the process never
stops half-way through writing a file, and it leaves within one batch.

References: SLURM's ``sbatch --signal`` and ``KillWait`` (slurm.conf) documentation.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

# Exit status of a step that stopped on request and can be resumed: EX_TEMPFAIL of
# sysexits.h ("temporary failure, the user is invited to retry").
EXIT_INTERRUPTED = 75


class StopRequest:
    """Records the first stop signal received; ``is_set()`` says whether one came."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def is_set(self) -> bool:
        return self.signal_name is not None

    def handle(self, signal_number: int, frame) -> None:
        if self.signal_name is None:
            self.signal_name = signal.Signals(signal_number).name


@contextlib.contextmanager
def stop_requested_by(*signal_numbers: int) -> Iterator[StopRequest]:
    """Within the block, the given signals (SIGTERM if none) set the yielded StopRequest.

    The previous handlers come back when the block ends. Only the main thread may
    install signal handlers (a Python rule).
    """
    request = StopRequest()
    previous = {number: signal.signal(number, request.handle) for number in signal_numbers or (signal.SIGTERM,)}
    try:
        yield request
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
