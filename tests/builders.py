"""Builders shared by the test modules."""

import numpy as np

from dsn_model import DSM

ROUTER_KINDS = ("topk", "switch", "block", "hash", "knn")


def random_dsm(kind: str, d: int, s: int, experts: int, seed: int) -> DSM:
    """A random DSM of ``kind`` with ``t = s * experts`` units."""
    return DSM.random(d, s * experts, s, router=kind, random_state=seed)


def cube(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, d))
