"""theory.bounds against formulas typed independently, monotonicity, errors."""

import math

import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

from theory import bounds as B
from theory.bounds import L, d, eps, k


def num(expr):
    return float(sp.N(expr, 30))


@pytest.mark.parametrize(
    ("dd", "kk", "LL", "ee"), [(64, 3, 2, 0.1), (8, 1, 1, 0.05), (32, 2, 0.5, 0.2)]
)
def test_values_match_the_formulas(dd, kk, LL, ee):
    r = LL * math.sqrt(dd) / ee
    assert num(B.table_size(dd, kk, LL, ee)) == pytest.approx(r**kk, rel=1e-12)
    assert num(B.sample_complexity(dd, kk, LL, ee)) == pytest.approx(
        kk * r**kk * math.log(r), rel=1e-12
    )
    D = 4 * kk
    assert num(B.forward_cost_sparse(dd, kk, LL, ee)) == pytest.approx(
        2 * D * dd + 3 * D + D * math.log2(r), rel=1e-12
    )
    ratio = math.sqrt(dd // kk) * LL / (1.25 * ee)  # half-side of the cube over r
    omega = math.pi ** (kk / 2) / math.gamma(kk / 2 + 1)
    width = max((math.floor(ratio) + 1) ** kk, ratio**kk / omega)
    assert num(B.dense_width_lower_bound(dd, kk, LL, ee)) == pytest.approx(width, rel=1e-12)
    assert num(B.dense_sample_lower_bound(dd, kk, LL, ee)) == pytest.approx(
        width * math.log(2**kk * width), rel=1e-12
    )
    C = 1.25 * math.sqrt(2 * math.pi * math.e)
    constant_form = (math.sqrt(kk * (dd // kk)) * LL / (C * ee)) ** kk
    assert num(B.constant_width_bound(dd, kk, LL, ee)) == pytest.approx(constant_form, rel=1e-12)
    assert constant_form <= ratio**kk / omega
    assert num(B.inference_gap(dd, kk, LL, ee)) == pytest.approx(
        dd * constant_form / (2 * D * dd + 3 * D + D * math.log2(r)), rel=1e-12
    )


def test_count_bounds():
    assert B.cell_count_bound(30, 3) == sum(math.comb(30, j) for j in range(4))
    w = sp.Rational(1, 4)
    lemma = num(B.nonempty_bucket_bound(8, 2, w, C=4))
    radius = math.sqrt(2) + math.sqrt(2 * math.log(80))
    assert lemma == pytest.approx((math.e * 4 * (2 * math.sqrt(8) * radius / 0.25 + 1)) ** 2)
    assert B.naive_bucket_count(8, 2, w) == 512
    assert lemma > 512
    assert num(B.cell_diameter_bound(0.5, 0.74)) == pytest.approx(0.5 / 0.74)


positive = st.floats(0.01, 0.5)


@given(st.integers(2, 64), st.integers(1, 3), st.floats(0.5, 4), positive, positive)
def test_bounds_move_in_the_theorems_direction(dd, kk, LL, e1, e2):
    kk = min(kk, dd)
    lo, hi = sorted((e1, e2))
    assume(hi - lo >= 1e-6)
    for f in (
        B.table_size,
        B.forward_cost_dense,
        B.inference_gap,
        B.forward_cost_sparse,
    ):
        assert num(f(dd, kk, LL, lo)) > num(f(dd, kk, LL, hi))  # smaller eps, larger bound
        assert num(f(dd + 1, kk, LL, lo)) > num(f(dd, kk, LL, lo))  # grows with d
        assert num(f(dd, kk, 2 * LL, lo)) > num(f(dd, kk, LL, lo))  # and with L
    width = B.dense_width_lower_bound  # a packing size: monotone, with floors (q = floor(d/k))
    assert num(width(dd, kk, LL, lo)) >= num(width(dd, kk, LL, hi))
    assert num(width(dd + kk, kk, LL, lo)) >= num(width(dd, kk, LL, lo))
    assert num(width(dd, kk, 2 * LL, lo)) >= num(width(dd, kk, LL, lo))
    assert num(width(4 * dd, kk, LL, lo)) > num(width(dd, kk, LL, lo))  # sqrt(q) doubles
    if LL * math.sqrt(dd) / hi > math.e:  # k r^k log r increases once r > e
        assert num(B.sample_complexity(dd, kk, LL, lo)) > num(B.sample_complexity(dd, kk, LL, hi))
    assert num(B.dense_width_lower_bound(dd, kk, LL, lo, theta=2)) <= num(
        B.dense_width_lower_bound(dd, kk, LL, lo)
    )


@pytest.mark.parametrize("kk", [1, 2, 3])
def test_sparse_over_dense_cost_tends_to_zero(kk):
    c = B.compare(B.forward_cost_sparse(d, kk, L, eps), B.forward_cost_dense(d, kk, L, eps), eps)
    assert c.limit == 0
    assert sp.limit(B.inference_gap(16, kk, 1, eps), eps, 0, "+") == sp.oo


def test_solve_for_inverts_the_bound():
    e = B.solve_for(B.table_size(d, k, L, eps), 2**20, "eps", d=64, k=3, L=1)
    assert num(B.table_size(64, 3, 1, e)) == pytest.approx(2**20, rel=1e-9)
    n = B.solve_for(B.sample_complexity(d, k, L, eps), 10**6, eps, d=16, k=2, L=1)
    assert num(B.sample_complexity(16, 2, 1, n)) == pytest.approx(10**6, rel=1e-9)


def test_evaluate_is_exact_on_exact_input_and_latex_prints():
    assert B.evaluate(B.table_size(d, k, L, eps), d=4, k=2, L=1, eps=sp.Rational(1, 3)) == 36
    assert "\\sqrt{d}" in B.latex(B.table_size(d, k, L, eps))
    f = B.numeric(B.table_size(d, k, L, eps), "d", "k", "L", "eps")
    assert f(4, 2, 1, 0.5) == pytest.approx(16.0)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: B.table_size(8, 2, 1, 0), "eps"),
        (lambda: B.table_size(8, 2, 1, -0.1), "eps"),
        (lambda: B.sample_complexity(2, 3, 1, 0.1), "k"),
        (lambda: B.dense_width_lower_bound("d", 2, 1, 0.1), "d"),
        (lambda: B.table_size(8.5, 2, 1, 0.1), "d"),
        (lambda: B.table_size(8, 2, 0, 0.1), "L"),
        (lambda: B.evaluate(B.table_size(d, k, L, eps), z=3), "z"),
        (lambda: B.evaluate(B.table_size(d, k, L, eps), d="x"), "d"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
