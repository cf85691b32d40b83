"""Named random streams spawned from one root seed.

Each component asks for its stream by name. The stream's seed is derived from the run's root
seed, the replication index and a stable hash of the name, so adding a component never shifts
the numbers any other component draws.
"""

from __future__ import annotations

import hashlib

import numpy as np


def name_key(name: str) -> int:
    """Stable 64-bit key of a stream name (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class RngStreams:
    """Factory of independent, reproducible generators for one run (and replication)."""

    def __init__(self, seed: int, replication: int = 0):
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, name_key(name))
        )

    def stream(self, name: str) -> np.random.Generator:
        """The generator for ``name`` (the same object on every call in this run)."""
        gen = self._cache.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._cache[name] = gen
        return gen

    def seed_for(self, name: str) -> int:
        """An integer seed for a compiled kernel, derived like a stream."""
        return int(self.seed_sequence(name).generate_state(1, np.uint64)[0] >> np.uint64(1))
