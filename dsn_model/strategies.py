"""Hypothesis strategies for property tests of sparse networks.

All options are keyword-only and checked eagerly: a bad option raises
``hypothesis.errors.InvalidArgument`` when the strategy is built, not when it
is drawn. Every strategy draws its randomness through an integer seed, so
shrinking works and failures replay.

A property test a user might write::

    from hypothesis import given
    from dsn_model.strategies import dsm_networks

    @given(dsm_networks(input_dim=4, max_units=64))
    def test_sparsity(net):
        X = np.zeros((3, 4))
        assert (net.route(X).n_active() <= net.sparsity).all()
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .lsh.regressor import LSHRegressor
from .model.dsm import DSM
from .model.routers import ROUTERS
from .model.routing_result import Routing
from .targets import DistanceTarget, LinearTarget, ReLUNetworkTarget

__all__ = ["dsm_networks", "lipschitz_targets", "lsh_models", "routings", "subspaces"]

_seeds = st.integers(0, 2**32 - 1)


def _positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(f"`{name}` must be an integer >= {minimum}. Got {value!r}.")
    return value


def subspaces(*, d: int, k: int) -> st.SearchStrategy[np.ndarray]:
    """Orthonormal bases ``U (d, k)`` of random k-dim subspaces of R^d.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(subspaces(d=5, k=2))
    ... def check(U):
    ...     assert U.shape == (5, 2) and np.allclose(U.T @ U, np.eye(2))
    >>> check()
    """
    _positive_int(d, "d")
    _positive_int(k, "k")
    if k > d:
        raise InvalidArgument(f"`k` must be <= d={d}. Got {k}.")

    def build(seed):
        Q, R = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, k)))
        return Q * np.sign(np.diag(R))

    return _seeds.map(build)


def lipschitz_targets(*, n: int, L: float = 1.0):
    """Targets on ``[-1, 1]^n`` whose ``lipschitz_bound()`` is at most ``L``.

    Linear maps, distances to a point and random ReLU networks, each scaled to
    a Lipschitz constant in ``(0, L]``.
    """
    _positive_int(n, "n")
    if not (isinstance(L, int | float) and L > 0):
        raise InvalidArgument(f"`L` must be a positive number. Got {L!r}.")
    scale = st.floats(0.05, 1.0)

    def linear(seed, s):
        w = np.random.default_rng(seed).standard_normal(n)
        return LinearTarget(w / np.linalg.norm(w) * s * L)

    def distance(seed, s):
        return DistanceTarget(np.random.default_rng(seed).uniform(-1, 1, n), lipschitz=s * L)

    def relu(seed, s):
        return ReLUNetworkTarget(n, width=16, lipschitz=s * L, random_state=seed)

    return st.one_of([st.builds(f, _seeds, scale) for f in (linear, distance, relu)])


def dsm_networks(*, input_dim: int = 4, max_units: int = 64, routers=tuple(ROUTERS)):
    """Random ``DSM`` networks of the given router kinds (see :meth:`DSM.random`)."""
    _positive_int(input_dim, "input_dim")
    _positive_int(max_units, "max_units", minimum=2)
    routers = tuple(routers)
    unknown = set(routers) - set(ROUTERS)
    if not routers or unknown:
        raise InvalidArgument(f"`routers` must be a non-empty subset of {list(ROUTERS)}.")

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(routers))
        s = draw(st.integers(1, max(1, max_units // 2)))
        if kind == "lsh":
            per_table = 2 ** draw(st.integers(1, max(1, (max_units // s).bit_length() - 1)))
        else:
            per_table = draw(st.integers(1, max(1, max_units // s)))
        return DSM.random(input_dim, s * per_table, s, router=kind, random_state=draw(_seeds))

    return build()


def lsh_models(
    *,
    input_dim: int = 3,
    n_samples: int = 200,
    families=("hyperplane", "euclidean", "cross-polytope"),
):
    """``LSHRegressor`` models fitted to a random smooth target on ``[-1, 1]^d``."""
    _positive_int(input_dim, "input_dim")
    _positive_int(n_samples, "n_samples")

    def build(seed, family, tables, hashes, degree):
        rng = np.random.default_rng(seed)
        X = rng.uniform(-1, 1, (n_samples, input_dim))
        y = np.sin(X @ rng.standard_normal(input_dim))
        kwargs = {"width": 0.5} if family == "euclidean" else {}
        return LSHRegressor(
            family=family,
            n_tables=tables,
            n_hashes=hashes,
            degree=degree,
            random_state=seed,
            **kwargs,
        ).fit(X, y)

    return st.builds(
        build,
        _seeds,
        st.sampled_from(tuple(families)),
        st.integers(1, 4),
        st.integers(1, 8),
        st.sampled_from((0, 1)),
    )


def routings(*, n_units: int, sparsity: int, n: int = 5) -> st.SearchStrategy[Routing]:
    """Valid ``Routing`` objects: at most ``sparsity`` distinct units per row, -1 padding."""
    _positive_int(n_units, "n_units")
    _positive_int(sparsity, "sparsity")
    _positive_int(n, "n")
    if sparsity > n_units:
        raise InvalidArgument(f"`sparsity` must be <= n_units={n_units}. Got {sparsity}.")

    def build(seed):
        rng = np.random.default_rng(seed)
        units = np.full((n, sparsity), -1)
        for row in range(n):  # a test-data builder, not a hot path
            active = rng.integers(0, sparsity + 1)
            units[row, :active] = rng.choice(n_units, size=active, replace=False)
        return Routing(units, np.where(units >= 0, rng.uniform(0.1, 1, units.shape), 0.0), n_units)

    return _seeds.map(build)
