"""Which training images each batch of an epoch holds, and gathering them into a fixed buffer.

The epoch's order is one permutation drawn from the shuffle generator on the CPU (the same
draw on every device), cut into consecutive batches of ``batch_size``; the last one holds
the remainder when ``batch_size`` does not divide the number of images. A replayed CUDA
step reads its input from one preallocated tensor, so each full batch is copied into that
buffer (``gather_into``) instead of being indexed into a fresh tensor. Nothing here
depends on the device: the CPU tests check the plan and the gather that CUDA uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class BatchPlan:
    """The batches of an epoch over ``size`` images: ``full_batches`` of ``batch_size``, then ``remainder``."""

    size: int
    batch_size: int

    def __post_init__(self):
        if self.size < 1 or self.batch_size < 1:
            raise ValueError(f"a batch plan needs at least one image and a positive batch size, got {self}")

    @property
    def full_batches(self) -> int:
        return self.size // self.batch_size

    @property
    def remainder(self) -> int:
        """Images in the last, smaller batch (0 when every batch is full)."""
        return self.size % self.batch_size

    def bounds(self) -> list[tuple[int, int]]:
        """(start, stop) of every batch in epoch order, the ragged one last."""
        starts = range(0, self.size, self.batch_size)
        return [(start, min(start + self.batch_size, self.size)) for start in starts]


def epoch_order(size: int, shuffle_generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """This epoch's permutation of ``range(size)``, drawn on the CPU, then moved to ``device``."""
    return torch.randperm(size, generator=shuffle_generator).to(device)


def gather_into(buffer: torch.Tensor, data: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Copy the rows ``data[indices]`` into ``buffer`` (same storage every call) and return it."""
    if buffer.shape != (len(indices), *data.shape[1:]):
        raise ValueError(f"buffer of shape {tuple(buffer.shape)} cannot hold {len(indices)} rows of {tuple(data.shape)}")
    return torch.index_select(data, 0, indices, out=buffer)
