"""Every seed a command derives from a root seed, in one place.

`compare`, `brief` and the validation cases run replication k of every scenario on
`replication_seeds(root, n)[k]`, so any of them can reproduce a run of another. Sweeps
derive each run's seed from the root seed and the run's identity (`seed_of`), so seeds do
not move when a design grows.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

SEED_MASK = (1 << 63) - 1       # seeds fit a signed 64-bit integer (Parquet int64, Mesa)


def replication_seeds(root_seed: int, n: int) -> list[int]:
    """n 63-bit seeds spawned from one root seed; the first k are the same for any n >= k."""
    children = np.random.SeedSequence(root_seed).spawn(n)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def seed_of(root_seed: int, identity: str) -> int:
    """63-bit seed from the root seed and the run identity (SeedSequence mixes the two)."""
    digest = hashlib.blake2b(identity.encode(), digest_size=16).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    state = np.random.SeedSequence(entropy=root_seed, spawn_key=words).generate_state(1, np.uint64)
    return int(state[0]) & SEED_MASK


def design_seed(root_seed: int) -> int:
    """Seed of the SALib sampler: fixed by the root seed, apart from every run's seed."""
    identity = json.dumps({"design": True}, sort_keys=True, separators=(",", ":"))
    return seed_of(root_seed, identity) & 0xFFFFFFFF
