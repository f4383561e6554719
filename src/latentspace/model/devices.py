"""Choose the torch device: ``auto`` picks cuda, then mps, then cpu; make CUDA training reproducible."""

from __future__ import annotations

import os

import torch

from latentspace.errors import DeviceError

# Every device resolved in this process: the job record (latentspace.pipeline.provenance) names the
# device a step ran on from here, once the step is done (used_device_names).
USED_DEVICES: list[torch.device] = []


def used_device_names() -> list[str]:
    """The devices resolved so far, as ``cpu`` or ``cuda:0 (NVIDIA H200)``, each once."""
    names = []
    for device in USED_DEVICES:
        if device.type == "cuda":
            index = device.index if device.index is not None else torch.cuda.current_device()
            names.append(f"cuda:{index} ({torch.cuda.get_device_name(index)})")
        else:
            names.append(device.type)
    return list(dict.fromkeys(names))


def prepare_torch(device: str, threads: int | None = None) -> torch.device:
    """Set torch's CPU threads (when a step has that setting) and return the resolved device."""
    if threads:
        torch.set_num_threads(threads)
    return resolve_device(device)


# glibc's mallopt parameters (malloc.h) and the values reuse_freed_memory sets.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
NO_MMAP_BELOW, NO_TRIM_BELOW = 1 << 30, 2**31 - 1


def reuse_freed_memory() -> bool:
    """Keep the memory the process frees for its next allocations, rather than handing it back to
    the kernel; True where that was set (glibc's malloc), False elsewhere (nothing is changed).

    By default glibc maps a block above its threshold (at most 32 MB) afresh each time and unmaps
    it when freed, and trims the top of its heap once twice the largest block freed lies unused;
    each page of the next tensor of that size then costs a fault, in which the kernel zeroes it
    again. A step that makes and frees tensors of tens of MB at every iteration (study-geodesic's
    solver and the fine ruler) spent over a second of a 12 s job so, in 400,000 faults. With
    blocks below 1 GB taken from the heap and the heap never trimmed, freed memory is reused as
    it is; the price is a peak resident size about a sixth larger (freed blocks stay the
    process's until it ends). No result depends on it.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):  # no C library of that kind (macOS, Windows)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, NO_MMAP_BELOW) == 1 and mallopt(M_TRIM_THRESHOLD, NO_TRIM_BELOW) == 1


def resolve_device(name: str = "auto") -> torch.device:
    device = _resolve_device(name)
    USED_DEVICES.append(device)
    return device


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DeviceError(f"device: expected auto, cpu, cuda, cuda:N or mps, got {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device: {name!r} was requested but CUDA is not available on this machine")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(f"device: {name!r} was requested but only {torch.cuda.device_count()} CUDA devices exist")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device: {name!r} was requested but MPS is not available on this machine")
    return device


# cuBLAS settings under which its results do not depend on how streams share its
# workspace (NVIDIA's cuBLAS documentation, "Results reproducibility"); torch refuses
# deterministic mode with any other value.
DETERMINISTIC_CUBLAS_WORKSPACES = (":4096:8", ":16:8")


def make_cuda_deterministic() -> None:
    """Same config, same GPU, same torch: the same weights, bit for bit.

    Sets ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` (unless already one of the deterministic
    values) and ``torch.use_deterministic_algorithms(True)``. cuBLAS reads the variable
    when torch first creates its handle, so call this before the first CUDA computation;
    ``resolve_device`` only queries whether CUDA exists, which is early enough.
    """
    if os.environ.get("CUBLAS_WORKSPACE_CONFIG") not in DETERMINISTIC_CUBLAS_WORKSPACES:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = DETERMINISTIC_CUBLAS_WORKSPACES[0]
    torch.use_deterministic_algorithms(True)


def resolve_training_device(name: str = "auto") -> torch.device:
    """``resolve_device``, with CUDA made deterministic (``make_cuda_deterministic``) when it is chosen.

    The CPU and MPS settings are left as they are.
    """
    device = resolve_device(name)
    if device.type == "cuda":
        make_cuda_deterministic()
    return device
