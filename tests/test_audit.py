"""Router audits: analytic collision curves, hand-computed balance, capacity semantics."""

import re

import numpy as np
import pytest
from builders import assert_drawn

from dsn_model import DSM, RandomFeatures, Routing, SwitchRouter
from dsn_model.audit.statistics import (
    collision_curve,
    cross_polytope_collision,
    hyperplane_collision,
    load_balance,
    pstable_collision,
    router_z_loss,
    switch_aux_loss,
)
from dsn_model.cli import main
from dsn_model.lsh.families import CrossPolytopeLSH, EuclideanLSH, HyperplaneLSH
from dsn_model.model.routers import ExpertChoiceRouter


def test_euclidean_collisions_match_datar_within_the_band():
    """One pair per radius, 20,000 independent tables: iid Bernoulli(p(r)^2) trials.

    Seed 0; the 95% Clopper-Pearson band must contain the closed form at each
    of 5 radii (a family with a different width would miss it by far).
    """
    family = EuclideanLSH(4, 2, width=0.5, n_tables=20_000, random_state=0)
    radii = np.array([0.05, 0.1, 0.2, 0.4, 0.8])
    curve = collision_curve(family, radii, n_pairs=1, random_state=1)
    expected = pstable_collision(radii, 0.5, 2)
    assert ((curve.low <= expected) & (expected <= curve.high)).all(), (curve, expected)
    wrong = pstable_collision(radii, 0.7, 2)
    assert not ((curve.low <= wrong) & (wrong <= curve.high)).all()


def test_hyperplane_collisions_match_charikar_within_the_band():
    family = HyperplaneLSH(5, 3, n_tables=20_000, offset=0.0, random_state=0)
    angles = np.array([0.1, 0.5, 1.0, 2.0])
    curve = collision_curve(family, angles, n_pairs=1, angular=True, random_state=2)
    expected = hyperplane_collision(angles, 3)
    assert ((curve.low <= expected) & (expected <= curve.high)).all(), (curve, expected)


def test_cross_polytope_collisions_match_the_numeric_evaluation_within_the_band():
    """Fresh rotations (seed 7, 2e5 samples, MC error ~0.001) against the audited
    family (20,000 tables, seed 0): the band must contain the reference."""
    family = CrossPolytopeLSH(4, 1, n_tables=20_000, random_state=0)
    angles = np.array([0.1, 0.5, 1.0, 1.5])
    curve = collision_curve(family, angles, n_pairs=1, angular=True, random_state=3)
    expected = cross_polytope_collision(angles, 4, 1, random_state=7)
    assert ((curve.low <= expected) & (expected <= curve.high)).all(), (curve, expected)
    assert cross_polytope_collision(0.3, 4).shape == ()


def test_balance_metrics_by_hand():
    r = Routing(np.array([[0, 1], [0, -1], [2, 0], [-1, -1]]), np.ones((4, 2)), n_units=4)
    b = load_balance(r)
    assert b["load"].tolist() == [3, 1, 1, 0]
    q = np.array([3, 1, 1]) / 5
    assert b["entropy"] == pytest.approx(-(q * np.log(q)).sum())
    assert b["max_over_mean"] == pytest.approx(3 / 1.25)
    assert b["unused_fraction"] == 0.25 and b["dropped_fraction"] == 0.25
    assert b["load_histogram"].tolist() == [1, 2, 0, 1]
    balanced = np.zeros((4, 4))
    assert switch_aux_loss(balanced, np.array([0, 1, 2, 3])) == pytest.approx(1.0)
    skewed = np.array([[20.0, 0, 0, 0]] * 4)
    assert switch_aux_loss(skewed, np.zeros(4, dtype=int)) == pytest.approx(4.0, rel=1e-6)
    assert router_z_loss(np.zeros((2, 4))) == pytest.approx(np.log(4) ** 2)


@pytest.mark.parametrize("policy", ["position", "probability"])
def test_capacity_drops_beyond_capacity_and_dropped_inputs_contribute_zero(policy):
    rng = np.random.default_rng(0)
    gate = rng.standard_normal((4, 3))
    router = SwitchRouter(gate, expert_size=2, capacity_factor=0.5, drop_policy=policy)
    X = rng.uniform(-1, 1, (200, 3))
    r = router.route(X)
    experts = r.units[:, 0] // 2
    kept = r.units[:, 0] >= 0
    capacity = router.capacity(200)
    assert capacity == 25
    assert np.bincount(experts[kept], minlength=4).max() <= capacity
    chosen = router.expert_of(X)[:, 0]
    for e in range(4):  # an expert over capacity keeps exactly `capacity` inputs
        if (chosen == e).sum() >= capacity:
            assert (experts[kept] == e).sum() == capacity
    if policy == "probability":  # the kept inputs of an expert have the highest gate scores
        logits = X @ gate.T
        p = np.exp(logits - logits.max(1, keepdims=True))
        p = (p / p.sum(1, keepdims=True))[np.arange(200), chosen]
        for e in range(4):
            mine = chosen == e
            if kept[mine].any() and (~kept[mine]).any():
                assert p[mine & kept].min() >= p[mine & ~kept].max()
    net = DSM(RandomFeatures.random(3, 8, random_state=0), router, np.ones(8))
    out = net.predict(X)
    assert (out[~kept] == 0.0).all() and (out[kept] != 0.0).any()
    dropless = SwitchRouter(gate, expert_size=2).route(X)
    assert (dropless.n_active() == 2).all()


def test_expert_choice_gives_each_expert_exactly_its_capacity():
    rng = np.random.default_rng(1)
    router = ExpertChoiceRouter(rng.standard_normal((5, 3)), expert_size=2, capacity=7)
    r = router.route(rng.uniform(-1, 1, (40, 3)))
    load = np.bincount(r.units[r.active] // 2, minlength=5)
    assert (load == 2 * 7).all()  # 7 inputs x 2 units per expert
    per_input = r.n_active() // 2
    assert per_input.sum() == 35 and per_input.max() > per_input.min()  # s varies per input
    assert r.units.shape[1] == router.sparsity == 10


@pytest.mark.parametrize("router", ["hash", "lsh-euclidean", "switch", "lsh-cross-polytope", "knn"])
def test_audit_cli_writes_plot_and_summary(router, tmp_path, capsys):
    family = ["--router", "lsh", "--family", router[4:]] if router.startswith("lsh-") else []
    args = ["audit", *(family or ["--router", router]), "--out", str(tmp_path)]
    assert main(args + (["--capacity-factor", "1.0"] if router == "switch" else [])) == 0
    text = (tmp_path / f"audit_{router}.md").read_text()
    rows = re.findall(r"^\| ([\d.]+) \| ([\d.]+) \| \[([\d.]+), ([\d.]+)\] \|$", text, re.M)
    assert len(rows) >= 5
    radius, share = float(rows[0][0]), float(rows[0][1])
    assert radius == 0.0
    if router != "switch":  # without capacity an input always shares its units with itself
        assert share == 1.0
    for _, share, lo, hi in rows:
        assert 0 <= float(lo) <= float(hi) <= 1 and 0 <= float(share) <= 1
    max_over_mean = float(re.search(r"max / mean load: ([\d.]+)", text).group(1))
    assert max_over_mean >= 1.0
    assert_drawn(tmp_path / f"audit_{router}.png")


def test_bad_audit_input():
    with pytest.raises(ValueError, match="mode"):
        collision_curve(HyperplaneLSH(2, 2), [0.1], mode="some")
    with pytest.raises(ValueError, match="radii"):
        collision_curve(HyperplaneLSH(2, 2), [-1.0])
    with pytest.raises(ValueError, match="capacity_factor"):
        SwitchRouter(np.eye(2), 1, capacity_factor=0)
    with pytest.raises(ValueError, match="drop_policy"):
        SwitchRouter(np.eye(2), 1, drop_policy="random")


def test_the_collision_band_covers_the_closed_form_at_about_its_nominal_rate():
    """Calibration: 60 independently drawn families x 3 radii, 95% bands; the Datar
    closed form (an average over families) must fall inside about 95% of them. Binomial
    odds of a correct 95% band covering fewer than 88% or more than 99% of 180: < 0.2%."""
    from dsn_model.audit.statistics import collision_curve, pstable_collision
    from dsn_model.lsh.families import EuclideanLSH

    radii = np.array([0.1, 0.3, 0.5])
    covered = 0
    for seed in range(60):
        family = EuclideanLSH(8, 2, 0.5, 8, random_state=seed)
        curve = collision_curve(family, radii, n_pairs=200, random_state=seed + 1000)
        reference = pstable_collision(radii, 0.5, 2)
        covered += int(((curve.low <= reference) & (reference <= curve.high)).sum())
    assert 0.88 <= covered / 180 <= 0.99


def test_an_audit_is_computed_drawn_and_written_separately():
    from dsn_model.audit.report import audit_markdown, compute_audit, draw_audit

    audit = compute_audit("hash", input_dim=4, n_units=64, sparsity=2, n=2000, random_state=0)
    assert audit.curve.probability[0] == 1.0  # an input shares its units with itself
    assert audit.balance["dropped_fraction"] == 0.0
    text = audit_markdown(audit, "a.png")
    assert text.startswith("# Audit of `hash` (d = 4, t = 64, s = 2)") and "![audit](a.png)" in text
    fig = draw_audit(audit)
    assert fig.axes[0].get_title() == "locality of hash"
