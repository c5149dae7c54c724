"""Builders shared by the test modules."""

import numpy as np

from dsn_model import DSM
from dsn_model.model.routers import ROUTERS

ROUTER_KINDS = tuple(ROUTERS)  # every registered router


def random_dsm(kind: str, d: int, s: int, experts: int, seed: int) -> DSM:
    """A random DSM of ``kind`` with ``t = s * experts`` units (``s * 2^experts`` for LSH)."""
    per_block = 2**experts if kind == "lsh" else experts
    return DSM.random(d, s * per_block, s, router=kind, random_state=seed)


def cube(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, d))
