"""Hypothesis strategies for property tests of sparse networks, built to shrink.

Every network, subspace and target is built from arrays drawn with
``hypothesis.extra.numpy`` (bounded, finite elements; shapes from
``st.integers``), never from a hidden random seed: when a property fails,
hypothesis shrinks the counter-example to the fewest units, the smallest
shapes and the simplest weights (0, +-1, 1/2) that still fail, and prints
that. Only the uniform hash router's key and an LSH model's family keep a
seed (they *are* a seed). All options are keyword-only and checked eagerly:
a bad option raises ``hypothesis.errors.InvalidArgument`` when the strategy
is built, not when it is drawn.

A property test a user might write::

    from hypothesis import given
    from dsn_model.strategies import dsm_networks

    @given(dsm_networks(input_dim=4, max_units=64))
    def test_sparsity(net):
        X = np.zeros((3, 4))
        assert (net.route(X).n_active() <= net.sparsity).all()

Examples
--------
A false property, "every Top-K network is 0 at the all-ones input", shrinks
to a single unit with the simplest weights that break it:

>>> from hypothesis import find, settings
>>> net = find(
...     dsm_networks(input_dim=2, max_units=8, routers=("topk",)),
...     lambda net: abs(net.predict(np.ones((1, 2)))[0]) > 0.5,
...     settings=settings(database=None, max_examples=500),
... )
>>> net.n_units, net.sparsity
(1, 1)
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from .lsh.families import HyperplaneLSH, family_from_state
from .lsh.regressor import LSHRegressor
from .model.dsm import DSM
from .model.features import ConstantFeatures, RandomFeatures
from .model.routers import (
    ROUTERS,
    BlockRouter,
    KNNRouter,
    LSHRouter,
    SwitchRouter,
    TopKRouter,
    UniformHashRouter,
)
from .model.routing_result import Routing
from .targets import DistanceTarget, LinearTarget, ReLUNetworkTarget

__all__ = [
    "dsm_networks",
    "lipschitz_targets",
    "lsh_models",
    "matrices",
    "routings",
    "subspaces",
]

_seeds = st.integers(0, 2**32 - 1)


def _positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(f"`{name}` must be an integer >= {minimum}. Got {value!r}.")
    return value


def matrices(rows: int, cols: int | None = None, *, bound: float = 1.0):
    """Float64 arrays ``(rows, cols)`` (or ``(rows,)``) with finite entries in ``[-bound, bound]``.

    Entries shrink towards 0 and simple values, so a counter-example built from
    them is as plain as the property allows.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(matrices(2, 3))
    ... def check(M):
    ...     assert M.shape == (2, 3) and np.abs(M).max(initial=0) <= 1
    >>> check()
    """
    shape = (rows,) if cols is None else (rows, cols)
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=32)
    return hnp.arrays(np.float64, shape, elements=elements)


def subspaces(*, d: int, k: int) -> st.SearchStrategy[np.ndarray]:
    """Orthonormal bases ``U (d, k)`` of k-dim subspaces of R^d.

    ``U`` is the orthonormalised ``I[:, :k] + A`` for a drawn ``A`` with
    entries in ``[-1, 1]``: it shrinks to the coordinate subspace.

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

    def build(A):
        Q, R = np.linalg.qr(np.eye(d)[:, :k] + A)
        return Q * np.sign(np.diag(R))

    def full_rank(A):
        return np.linalg.svd(np.eye(d)[:, :k] + A, compute_uv=False).min() > 1e-3

    return matrices(d, k).filter(full_rank).map(build)


def lipschitz_targets(*, n: int, L: float = 1.0):
    """Targets on ``[-1, 1]^n`` whose ``lipschitz_bound()`` is at most ``L``.

    Linear maps, distances to a point and ReLU networks (width 1 to 8), built
    from drawn arrays and each scaled to a Lipschitz constant in ``(0, L]``.
    """
    _positive_int(n, "n")
    if not (isinstance(L, int | float) and L > 0):
        raise InvalidArgument(f"`L` must be a positive number. Got {L!r}.")
    scale = st.floats(0.05, 1.0)
    direction = matrices(n).filter(lambda w: np.linalg.norm(w) > 1e-3)

    def linear(w, s):
        return LinearTarget(w / np.linalg.norm(w) * s * L)

    def distance(c, s):
        return DistanceTarget(c, lipschitz=s * L)

    @st.composite
    def relu(draw):
        width = draw(st.integers(1, 8))
        B = draw(matrices(width, n))
        a = draw(matrices(width))
        if not np.any(a[:, None] * B):
            a, B = np.ones(width), np.eye(width, n)  # a network with some slope
        return ReLUNetworkTarget.from_weights(
            B, draw(matrices(width)), a, lipschitz=draw(scale) * L
        )

    return st.one_of(
        st.builds(linear, direction, scale), st.builds(distance, matrices(n), scale), relu()
    )


def dsm_networks(*, input_dim: int = 4, max_units: int = 64, routers=tuple(ROUTERS)):
    """``DSM`` networks of the given router kinds, every weight drawn.

    The router kind, ``s`` and the units per expert, block or table are drawn
    first (shrinking to one unit), then every array: the features' weights and
    biases, the top weights, and the router's own (a Switch gate, a block
    controller, k-NN centres, LSH hyperplanes).
    """
    _positive_int(input_dim, "input_dim")
    _positive_int(max_units, "max_units", minimum=2)
    routers = tuple(routers)
    unknown = set(routers) - set(ROUTERS)
    if not routers or unknown:
        raise InvalidArgument(f"`routers` must be a non-empty subset of {list(ROUTERS)}.")
    d = input_dim

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(routers))
        s = draw(st.integers(1, max(1, max_units // 2)))
        if kind == "lsh":
            m = draw(st.integers(1, max(1, (max_units // s).bit_length() - 1)))
            per_table = 2**m
        else:
            per_table = draw(st.integers(1, max(1, max_units // s)))
        t = s * per_table
        top = draw(matrices(t))
        if kind == "knn":
            return DSM(ConstantFeatures(d, t), KNNRouter(draw(matrices(t, d)), s), top)
        if kind == "lsh":
            state = {
                "name": HyperplaneLSH.__name__,
                "input_dim": d,
                "n_hashes": m,
                "n_tables": s,
                "offset": 1.0,
                "dtype": "float64",
                "directions": draw(matrices(s * m, d)),
                "offsets": draw(matrices(s * m)),
            }
            router = LSHRouter(family_from_state(state))
            return DSM(ConstantFeatures(d, t), router, top)
        if kind == "topk":
            router = TopKRouter(t, s)
        elif kind == "switch":  # t / s experts of s units
            router = SwitchRouter(draw(matrices(per_table, d)), s)
        elif kind == "block":  # s blocks of t / s units, a rank-r controller
            r = draw(st.integers(1, min(4, t)))
            router = BlockRouter(s, draw(matrices(r, d)), draw(matrices(t, r)))
        else:
            router = UniformHashRouter(d, t, s, key=draw(_seeds))
        phi = RandomFeatures(draw(matrices(t, d)), draw(matrices(t)))
        return DSM(phi, router, top)

    return build()


def lsh_models(
    *,
    input_dim: int = 3,
    n_samples: int = 200,
    families=("hyperplane", "euclidean", "cross-polytope"),
):
    """``LSHRegressor`` models fitted to ``sin(X w)`` on drawn ``X`` in ``[-1, 1]^d`` and ``w``.

    The training inputs and the target's direction are drawn arrays (they
    shrink); the hash family is drawn from a seed.
    """
    _positive_int(input_dim, "input_dim")
    _positive_int(n_samples, "n_samples")

    def build(X, w, seed, family, tables, hashes, degree):
        kwargs = {"width": 0.5} if family == "euclidean" else {}
        return LSHRegressor(
            family=family,
            n_tables=tables,
            n_hashes=hashes,
            degree=degree,
            random_state=seed,
            **kwargs,
        ).fit(X, np.sin(X @ (3 * w)))

    return st.builds(
        build,
        matrices(n_samples, input_dim),
        matrices(input_dim),
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
    row = st.lists(st.integers(0, n_units - 1), unique=True, max_size=sparsity)

    @st.composite
    def build(draw):
        rows = draw(st.lists(row, min_size=n, max_size=n))
        units = np.full((n, sparsity), -1)
        for i, active in enumerate(rows):  # a test-data builder, not a hot path
            units[i, : len(active)] = active
        weights = draw(hnp.arrays(np.float64, units.shape, elements=st.floats(0.1, 1.0)))
        return Routing(units, np.where(units >= 0, weights, 0.0), n_units)

    return build()
