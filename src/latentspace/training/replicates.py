"""Replicates: independently trained models of one latent size (the config's ``replicates``).

Replicate r of a latent size trains with its own seed, :func:`training_seed`, which sets
its initial weights, its batch order and its noise; the data split, the study's
classifier and its endpoint pairs come from ``seed`` itself and are shared, so the
replicates of a size differ only by their training. Replicate 0 trains with ``seed``:
it is the model a run with one replicate trains, and the one the figures and explorers
decode. Plain Python (no torch, no numpy): the workflow imports it to name the seeds.
"""

from __future__ import annotations

import hashlib

# Seeds stay below 2**31 - 1: torch, numpy and the command line all take them.
SEED_LIMIT = 2**31 - 1


def training_seed(seed: int, replicate: int) -> int:
    """The training seed of replicate ``replicate`` (0, 1, ...) of a run seeded with ``seed``.

    Replicate 0 keeps ``seed``. The others hash (seed, replicate): training uses seed,
    seed + 1, seed + 2 and seed + 3 for its generators, so neighbouring integers such as
    seed + replicate would hand one replicate's batch order to another's initial weights.
    """
    if replicate < 0:
        raise ValueError(f"replicate: expected 0 or more, got {replicate}")
    if replicate == 0:
        return seed
    digest = hashlib.sha256(f"latentspace training replicate {seed} {replicate}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SEED_LIMIT
