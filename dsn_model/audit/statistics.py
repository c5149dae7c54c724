"""Router audits: locality (collision curves), balance, capacity.

* :func:`collision_curve` -- the probability that two inputs at distance r
  share an active unit (or a whole routing, or, per slot, the same table's
  bucket), for any router, with a Clopper-Pearson band -- or, per table of an
  LSH family, a band for both the pairs and the independently drawn tables
  (the closed forms average over families, so a band for one fixed family
  would be too narrow);
* analytic references: :func:`pstable_collision` (Datar et al. 2004, the
  Euclidean family) and :func:`hyperplane_collision` (Charikar: ``(1 -
  theta/pi)^m`` per table, for pairs at angle theta); for cross-polytope LSH a
  documented numeric evaluation, :func:`cross_polytope_collision`;
* :func:`load_balance` -- per-unit load, entropy, max/mean, unused units,
  load histogram; :func:`switch_aux_loss` (Fedus et al.: ``E sum_i f_i P_i``,
  scaled by the number of experts E, so 1 at perfect balance) and
  :func:`router_z_loss` (Zoph et al.: mean squared log-sum-exp of the logits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.special import logsumexp

from .._validation import as_rng, check_positive_int
from ..model.routing_result import Routing

__all__ = [
    "CollisionCurve",
    "collision_curve",
    "cross_polytope_collision",
    "hyperplane_collision",
    "load_balance",
    "pstable_collision",
    "router_z_loss",
    "switch_aux_loss",
]


@dataclass(frozen=True)
class CollisionCurve:
    """Estimated collision probability per radius with its confidence band."""

    radii: np.ndarray
    probability: np.ndarray
    low: np.ndarray
    high: np.ndarray
    trials: np.ndarray
    mode: str


def _shared(a: Routing, b: Routing, mode: str) -> np.ndarray:
    """Per pair: successes and trials under ``mode``."""
    if mode == "slot":  # table j of x against table j of x'
        ok = (a.units == b.units) & a.active
        return ok.sum(axis=1), np.full(len(ok), a.slots)
    if mode == "all":
        hits = (np.sort(a.units, axis=1) == np.sort(b.units, axis=1)).all(axis=1)
        return hits.astype(int), np.ones(len(hits), dtype=int)
    hits = ((a.units[:, :, None] == b.units[:, None, :]) & a.active[:, :, None]).any(axis=(1, 2))
    return hits.astype(int), np.ones(len(hits), dtype=int)


def collision_curve(
    router,
    radii,
    *,
    n_pairs: int = 500,
    sampler=None,
    mode: str = "any",
    angular: bool = False,
    confidence: float = 0.95,
    random_state=None,
) -> CollisionCurve:
    """Probability that inputs at distance (or angle) r share their routing.

    Pairs ``(x, x + r u)`` with ``x`` from ``sampler(n, rng)`` (default:
    uniform on ``[-1, 1]^d``) and ``u`` uniform on the unit sphere; with
    ``angular=True``, unit vectors at angle ``r`` instead.

    Parameters
    ----------
    router : Router, DSM or LSHFamily
        Anything with ``input_dim`` and ``route(X) -> Routing`` (a DSM audits
        its top sparse layer; pass one for Top-K, which routes on features),
        or a hash family, whose key vectors are compared table by table
        (``mode`` is then "slot").
    radii : array_like
    n_pairs : int, default=500
    sampler : callable ``(n, rng) -> (n, d)``, optional
    mode : {"any", "all", "slot"}
        ``"any"``: the pair shares at least one active unit; ``"all"``: the
        same set of units; ``"slot"``: per slot (an LSH table), the same unit
        -- trials are pairs times slots.
    angular : bool, default=False
    confidence : float, default=0.95
    random_state : None, int or Generator

    Examples
    --------
    >>> from dsn_model import UniformHashRouter
    >>> curve = collision_curve(UniformHashRouter(2, 64, 1, key=0), [0.0, 0.1], n_pairs=50,
    ...                         random_state=0)
    >>> curve.probability.tolist()
    [1.0, 0.0]
    """
    if getattr(router, "input_dim", None) is None:
        raise ValueError(
            "`router` must read the input: pass a DSM for Top-K, which routes on features."
        )
    if mode not in ("any", "all", "slot"):
        raise ValueError(f"`mode` must be 'any', 'all' or 'slot'. Got {mode!r}.")
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    radii = np.asarray(radii, dtype=float)
    if radii.ndim != 1 or not np.all(np.isfinite(radii)) or np.any(radii < 0):
        raise ValueError("`radii` must be a 1-D array of finite numbers >= 0.")
    rng = as_rng(random_state)
    d = router.input_dim
    p, lo, hi, n = [], [], [], []
    for r in radii:
        u = rng.standard_normal((n_pairs, d))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        if angular:
            x = rng.standard_normal((n_pairs, d))
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            v = u - (u * x).sum(axis=1, keepdims=True) * x  # orthogonal to x
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            y = np.cos(r) * x + np.sin(r) * v
        else:
            x = sampler(n_pairs, rng) if sampler is not None else rng.uniform(-1, 1, (n_pairs, d))
            y = x + r * u
        if hasattr(router, "keys"):  # an LSH family: compare key vectors table by table
            same = (router.keys(x) == router.keys(y)).all(axis=2)
        elif mode == "slot":
            a, b = router.route(x), router.route(y)
            same = (a.units == b.units) & a.active
        else:
            same = None
        if same is not None and same.shape[1] > 1:  # pairs x tables: two sources of variance
            estimate, low, high = _two_way_band(same.astype(float), confidence)
            t = same.size
        else:
            hits, trials = (
                (same.sum(axis=1), np.ones(len(same), dtype=int))
                if (same is not None)
                else _shared(router.route(x), router.route(y), mode)
            )
            k, t = int(hits.sum()), int(trials.sum())
            ci = stats.binomtest(k, t).proportion_ci(confidence_level=confidence)
            estimate, low, high = k / t, ci.low, ci.high
        p.append(estimate)
        lo.append(low)
        hi.append(high)
        n.append(t)
    return CollisionCurve(radii, np.array(p), np.array(lo), np.array(hi), np.array(n), mode)


def _two_way_band(hits: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean of a pairs x tables 0/1 matrix with a band for both sources of variation.

    Every table is an independent draw of the hash family and every pair an
    independent draw of the inputs, but all tables see the same pairs: the
    variance of the mean is about ``var(table means) / s + var(pair means) / n``
    (a two-way random-effects approximation, slightly conservative). The band
    uses Student's t with ``s - 1`` degrees of freedom, the scarcer source.
    """
    n, s = hits.shape
    mean = float(hits.mean())
    var = hits.mean(axis=0).var(ddof=1) / s
    if n > 1:
        var += hits.mean(axis=1).var(ddof=1) / n
    half = stats.t.ppf(0.5 + confidence / 2, s - 1) * np.sqrt(var)
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def pstable_collision(r, width: float, n_hashes: int = 1) -> np.ndarray:
    """Datar et al.'s collision probability of ``floor((a.x + b)/w)`` for ``|x - x'| = r``.

    Per hash ``p(c) = 1 - 2 Phi(-w/c) - 2 c / (sqrt(2 pi) w) (1 - exp(-w^2/(2 c^2)))``
    with ``c = r``; a table of D hashes collides with ``p^D``.

    Examples
    --------
    >>> float(pstable_collision(0.0, 1.0))
    1.0
    """
    r = np.asarray(r, dtype=float)
    w = float(width)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = w / r
        p = 1 - 2 * stats.norm.cdf(-s) - 2 / (np.sqrt(2 * np.pi) * s) * (1 - np.exp(-(s**2) / 2))
    return np.where(r == 0, 1.0, p) ** n_hashes


def hyperplane_collision(theta, n_hashes: int = 1) -> np.ndarray:
    """Charikar's ``(1 - theta/pi)^m``: m hyperplanes through 0, pair at angle theta.

    Examples
    --------
    >>> float(hyperplane_collision(np.pi / 2, 2))
    0.25
    """
    return (1 - np.asarray(theta, dtype=float) / np.pi) ** n_hashes


def cross_polytope_collision(
    theta, d: int, n_hashes: int = 1, *, samples: int = 200_000, random_state=0
) -> np.ndarray:
    """Collision probability of cross-polytope LSH for unit inputs at angle theta.

    No closed form is used (Andoni et al. give only asymptotics): a numeric
    evaluation. For a Haar rotation R, ``(R x, R y)`` of unit vectors at angle
    theta is distributed as ``(u, cos(theta) u + sin(theta) v)`` with ``(u, v)``
    a uniformly random orthonormal pair, so the per-hash probability is the
    fraction of ``samples`` such pairs whose signed argmax coordinates agree
    (Monte Carlo standard error <= 0.5 / sqrt(samples), about 0.001 by
    default); a table of m hashes collides with its m-th power.

    Examples
    --------
    >>> float(cross_polytope_collision(0.0, 4, samples=1000)[()])
    1.0
    """
    d = check_positive_int(d, "d")
    rng = as_rng(random_state)
    shape = np.shape(theta)
    theta = np.atleast_1d(np.asarray(theta, dtype=float)).ravel()
    Q, _ = np.linalg.qr(rng.standard_normal((samples, d, 2)))
    u, v = Q[:, :, 0], Q[:, :, 1]

    def code(z):
        i = np.abs(z).argmax(axis=1)
        return i + d * (z[np.arange(len(z)), i] < 0)

    cu = code(u)
    p = np.array([np.mean(cu == code(np.cos(a) * u + np.sin(a) * v)) for a in theta])
    return (p**n_hashes).reshape(shape)


def load_balance(routing: Routing) -> dict:
    """Per-unit load and balance statistics of a routing.

    Returns ``load`` (inputs per unit), ``entropy`` (of the load
    distribution, in nats) and ``entropy_ratio`` (over ``log t``),
    ``max_over_mean``, ``unused_fraction``, ``load_histogram`` (units per
    load value) and ``dropped_fraction`` (inputs with no active unit).

    Examples
    --------
    >>> r = Routing(np.array([[0], [0], [1], [-1]]), np.ones((4, 1)), n_units=4)
    >>> stats_ = load_balance(r)
    >>> stats_["load"].tolist(), stats_["unused_fraction"], stats_["max_over_mean"]
    ([2, 1, 0, 0], 0.5, 2.6666666666666665)
    """
    units = routing.units[routing.active]
    load = np.bincount(units, minlength=routing.n_units)
    total = load.sum()
    q = load[load > 0] / total if total else np.array([1.0])
    entropy = float(-(q * np.log(q)).sum())
    mean = total / routing.n_units
    return {
        "load": load,
        "entropy": entropy,
        "entropy_ratio": entropy / np.log(routing.n_units) if routing.n_units > 1 else 1.0,
        "max_over_mean": float(load.max() / mean) if mean else 0.0,
        "unused_fraction": float(np.mean(load == 0)),
        "load_histogram": np.bincount(load),
        "dropped_fraction": float(np.mean(routing.n_active() == 0)),
    }


def switch_aux_loss(logits: np.ndarray, experts: np.ndarray) -> float:
    """Switch Transformer load-balancing loss ``E sum_i f_i P_i`` (scaled by E, not E^2).

    ``f_i`` is the fraction of inputs whose (first) expert is i, ``P_i`` the
    mean softmax probability of expert i. Equals 1 at perfect balance and E
    when every input goes to one expert with probability 1.

    Examples
    --------
    >>> logits = np.array([[9.0, -9.0], [-9.0, 9.0]])
    >>> round(switch_aux_loss(logits, np.array([0, 1])), 6)
    1.0
    """
    logits = np.asarray(logits, dtype=float)
    E = logits.shape[1]
    probs = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    f = np.bincount(np.asarray(experts).reshape(len(logits), -1)[:, 0], minlength=E) / len(logits)
    return float(E * (f * probs.mean(axis=0)).sum())


def router_z_loss(logits: np.ndarray) -> float:
    """Router z-loss: mean over inputs of ``logsumexp(logits)^2``.

    Examples
    --------
    >>> round(router_z_loss(np.zeros((3, 4))), 6)   # log(4)^2
    1.921812
    """
    return float(np.mean(logsumexp(np.asarray(logits, dtype=float), axis=1) ** 2))
