"""``dsn audit``: collision curves, load balance and capacity of a router, as PNG + markdown."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import atomic_writer, save_figure, writable_folder
from .._validation import as_rng
from ..data import uniform_cube
from ..lsh.buckets import BucketIndex
from ..lsh.families import FAMILIES, CrossPolytopeLSH, EuclideanLSH, HyperplaneLSH
from ..model.dsm import DSM
from ..model.features import ConstantFeatures
from ..model.routers import ROUTERS, LSHRouter, SwitchRouter
from ..model.routing_result import Routing
from .statistics import (
    collision_curve,
    cross_polytope_collision,
    hyperplane_collision,
    load_balance,
    pstable_collision,
    switch_aux_loss,
)

__all__ = [
    "AUDIT_ROUTERS",
    "Audit",
    "audit_markdown",
    "audit_router",
    "build_audited",
    "compute_audit",
    "draw_audit",
]

#: Router kinds ``dsn audit`` understands: the registered routers (``knn`` with random
#: centres) and one LSH router per hash family (``dsn audit --router lsh --family F``).
AUDIT_ROUTERS = tuple([name for name in ROUTERS if name != "lsh"] + [f"lsh-{f}" for f in FAMILIES])


def build_audited(
    kind: str,
    *,
    input_dim: int = 8,
    n_units: int = 256,
    sparsity: int = 4,
    width: float = 0.5,
    capacity_factor: float | None = None,
    random_state=0,
) -> DSM:
    """A random DSM whose top layer uses router ``kind`` (``random_state``: None, an int or
    a numpy Generator)."""
    if kind not in AUDIT_ROUTERS:
        raise ValueError(f"`router` must be one of {AUDIT_ROUTERS}. Got {kind!r}.")
    d, t, s = input_dim, n_units, sparsity
    _check_audit_sizes(kind, d, t, s, capacity_factor)
    rng = as_rng(random_state)
    if kind in ("topk", "block", "hash", "knn"):
        return DSM.random(d, t, s, router=kind, random_state=rng)
    if kind == "switch":
        net = DSM.random(d, t, s, router="switch", random_state=rng)
        gate = SwitchRouter(net.router.gate, s, capacity_factor=capacity_factor)
        return DSM(net.features, gate, net.top_weights)
    if kind in ("lsh-hyperplane", "lsh-cross-polytope"):
        if kind == "lsh-hyperplane":
            family = HyperplaneLSH(d, (t // s).bit_length() - 1, s, random_state=rng)
        else:
            family = CrossPolytopeLSH(d, 1, s, random_state=rng)
        router = LSHRouter(family)
        return DSM(ConstantFeatures(d, router.n_units), router, np.zeros(router.n_units))
    family = EuclideanLSH(d, 2, width, s, random_state=rng)
    index = BucketIndex(s, 2, None)
    router = LSHRouter(
        family, units_of=lambda X: index.insert(family.keys(X)), n_unit_ids=s * 2**20
    )
    return DSM(ConstantFeatures(d, router.n_unit_ids), router, np.zeros(router.n_unit_ids))


def _check_audit_sizes(kind, d, t, s, capacity_factor) -> None:
    """Refuse, by the parameter the user set, what the router cannot be built from."""
    if capacity_factor is not None:
        if kind != "switch":
            raise ValueError(
                f"`capacity_factor` applies to the switch router only (experts have a "
                f"capacity); {kind!r} has none. Got {capacity_factor}."
            )
        if not (np.isfinite(capacity_factor) and capacity_factor > 0):
            raise ValueError(
                f"`capacity_factor` must be a finite number > 0. Got {capacity_factor}."
            )
    if kind == "lsh-hyperplane":
        m = (t // s).bit_length() - 1 if t >= 2 * s else 0
        if m < 1 or t != s * 2**m:
            raise ValueError(
                f"`n_units` (t) must be s 2^m for lsh-hyperplane (s = {s} tables of m >= 1 "
                f"bits): t = {t} is not (t / s = {t / s:g})."
            )
    if kind == "lsh-cross-polytope" and d < 2:
        raise ValueError(
            f"`input_dim` (d) must be >= 2 for lsh-cross-polytope (a cone needs 2 axes). Got {d}."
        )


@dataclass
class Audit:
    """What an audit measured: the router, its collision curve and its load balance."""

    kind: str
    net: DSM
    radii: np.ndarray
    curve: object
    mode: str
    angular: bool
    X: np.ndarray
    routing: Routing
    balance: dict
    width: float


def compute_audit(
    kind: str,
    *,
    input_dim: int = 8,
    n_units: int = 256,
    sparsity: int = 4,
    width: float = 0.5,
    capacity_factor: float | None = None,
    n: int = 20000,
    random_state: int = 0,
) -> Audit:
    """Measure a router's locality (collision curve with a 95% band) and load balance.

    ``random_state`` (an int) seeds the router, the pairs and the ``n`` balance inputs.
    """
    seed = random_state
    net = build_audited(
        kind,
        input_dim=input_dim,
        n_units=n_units,
        sparsity=sparsity,
        width=width,
        capacity_factor=capacity_factor,
        random_state=seed,
    )
    d, s = input_dim, sparsity
    angular = kind == "lsh-cross-polytope"  # cones: locality in angle, not distance
    radii = np.linspace(0.0, np.pi / 2 if angular else 1.0, 11)
    mode = "slot" if kind.startswith("lsh") else "any"
    audited = net.router.family if mode == "slot" else net
    curve = collision_curve(
        audited, radii, n_pairs=400, mode=mode, angular=angular, random_state=seed
    )
    X = uniform_cube(n, d, random_state=np.random.default_rng(seed))
    if kind == "lsh-euclidean":  # unbounded keys: balance over the cells met by X
        index = BucketIndex(s, 2, None)
        slots = index.insert(net.router.family.keys(X))
        routing = Routing(slots, np.ones(slots.shape), index.n_slots)
    else:
        routing = net.route(X)
    return Audit(kind, net, radii, curve, mode, angular, X, routing, load_balance(routing), width)


def draw_audit(audit: Audit):
    """The locality curve (with its closed form where one exists) beside the load histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, radii, curve = audit, audit.radii, audit.curve
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    axes[0].fill_between(radii, curve.low, curve.high, alpha=0.3, label="95% band")
    axes[0].plot(radii, curve.probability, marker="o", label=f"estimate ({a.mode})")
    if a.kind == "lsh-euclidean":
        axes[0].plot(
            radii, pstable_collision(radii, a.width, 2), "k--", label="Datar et al. p(r)^2"
        )
    if a.angular:
        axes[0].plot(
            radii,
            cross_polytope_collision(radii, a.net.input_dim, 1),
            "k--",
            label="numeric evaluation (fresh rotations)",
        )
    axes[0].set_xlabel(
        "angle between the two inputs" if a.angular else "distance r between the two inputs"
    )
    axes[0].set_ylabel("P(share a unit)")
    axes[0].set_title(f"locality of {a.kind}")
    axes[0].legend(fontsize=8)
    histogram = a.balance["load_histogram"]
    axes[1].bar(np.arange(len(histogram)), histogram)
    axes[1].set_xlabel("inputs routed to a unit")
    axes[1].set_ylabel("units")
    axes[1].set_title(f"load over {len(a.X)} inputs (max/mean {a.balance['max_over_mean']:.2f})")
    fig.tight_layout()
    return fig


def audit_markdown(audit: Audit, figure: str) -> str:
    """The audit as markdown: the curve as a table, the balance and the router's own notes."""
    a, net, n, balance = audit, audit.net, len(audit.X), audit.balance
    lines = [
        f"# Audit of `{a.kind}` (d = {net.input_dim}, t = {net.n_units}, s = {net.sparsity})\n",
        f"![audit]({figure})\n",
        "| r | P(share) | 95% band |",
        "|---|---|---|",
    ]
    for r, p, lo, hi in zip(a.radii, a.curve.probability, a.curve.low, a.curve.high, strict=True):
        lines.append(f"| {r:.1f} | {p:.3f} | [{lo:.3f}, {hi:.3f}] |")
    over = (
        f"over the {a.routing.n_units} cells that the {n} sample inputs meet (of t = "
        f"{net.n_units}: unbounded keys are stored only where met)"
        if a.kind == "lsh-euclidean"
        else f"over all t = {a.routing.n_units} units, {n} sample inputs"
    )
    lines += [
        "",
        f"Load balance {over}:",
        "",
        f"- load entropy / log(units): {balance['entropy_ratio']:.3f} (1 = all used equally)",
        f"- max / mean load: {balance['max_over_mean']:.2f}",
        f"- units no input activated: {balance['unused_fraction']:.1%}",
        f"- inputs with no active unit (dropped): {balance['dropped_fraction']:.1%}",
    ]
    if a.kind == "switch":
        logits = a.X @ net.router.gate.T
        lines.append(
            f"- Switch load-balancing loss (scaled by E): "
            f"{switch_aux_loss(logits, net.router.expert_of(a.X)):.3f} (1 at perfect balance; "
            "it weighs each expert's share of inputs by its mean gate probability, so it can "
            "sit near 1 while the max/mean load above is large)"
        )
        capacity = net.router.capacity(n)
        if capacity is not None:
            lines.append(
                f"- capacity: each expert takes at most ceil(capacity_factor x n x top_k / E)"
                f" = {capacity} of the {n} inputs; the inputs beyond it are dropped (no active"
                " unit, output 0) -- a factor near 1 drops many inputs when the load is uneven"
            )
    if a.kind == "lsh-hyperplane":
        lines.append(
            f"- reference: hyperplanes through 0 would collide with "
            f"(1 - theta/pi)^m = {hyperplane_collision(np.pi / 4, 6):.3f} at 45 degrees;"
            " these have offsets, so no closed form is drawn"
        )
    return "\n".join(lines) + "\n"


def audit_router(
    kind: str,
    out,
    *,
    input_dim: int = 8,
    n_units: int = 256,
    sparsity: int = 4,
    width: float = 0.5,
    capacity_factor: float | None = None,
    n: int = 20000,
    random_state: int = 0,
) -> Path:
    """Write ``audit_<kind>.png`` and ``audit_<kind>.md`` into ``out``; return the markdown path.

    :func:`compute_audit` measures, :func:`draw_audit` draws, :func:`audit_markdown` writes.
    """
    import matplotlib.pyplot as plt

    out, _ = writable_folder(out)
    audit = compute_audit(
        kind,
        input_dim=input_dim,
        n_units=n_units,
        sparsity=sparsity,
        width=width,
        capacity_factor=capacity_factor,
        n=n,
        random_state=random_state,
    )
    fig = draw_audit(audit)
    png = out / f"audit_{kind}.png"
    save_figure(fig, png, dpi=110)
    plt.close(fig)
    path = out / f"audit_{kind}.md"
    with atomic_writer(path) as fh:
        fh.write(audit_markdown(audit, png.name))
    return path
