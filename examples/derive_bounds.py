"""
Derive the paper's bounds
=========================

Theorem 4.1 and 4.3 quantities, a budget, the Eq. (1) limit.

Run: python examples/derive_bounds.py
"""

import sympy as sp

from theory import bounds
from theory.bounds import L, d, eps, k


def main() -> None:
    print("Theorem 4.1 (LSH learner, inputs on an unknown k-dim subspace):")
    print("  table size       ", bounds.table_size(d, k, L, eps))
    print("  samples          ", bounds.sample_complexity(d, k, L, eps))
    print("  forward pass     ", bounds.forward_cost_sparse(d, k, L, eps))
    print("Theorem 4.3 (dense model, random bottom layer), C = theta sqrt(2 pi e):")
    print("  width            ", bounds.dense_width_lower_bound(d, k, L, eps))
    print("  samples          ", bounds.dense_sample_lower_bound(d, k, L, eps))

    budget = 2**20
    e = bounds.solve_for(bounds.table_size(d, k, L, eps), budget, eps, d=64, k=3, L=1)
    print(f"\nA table of 2^20 buckets at d = 64, k = 3, L = 1 buys eps = {float(e):.4f}")

    for kk in (1, 2, 3):
        c = bounds.compare(
            bounds.forward_cost_sparse(d, kk, L, eps), bounds.forward_cost_dense(d, kk, L, eps), eps
        )
        print(
            f"k = {kk}: sparse / dense forward cost -> {c.limit} as eps -> 0; "
            f"dense leading term {c.leading_b}"
        )
    gap = bounds.inference_gap(64, 3, 1, eps)
    for value in (sp.Rational(1, 5), sp.Rational(1, 10), sp.Rational(1, 20)):
        print(
            f"  Eq. (1) at d = 64, k = 3, eps = {value}: dense / sparse = "
            f"{float(gap.subs(eps, value)):.4g}"
        )
    print("\nLaTeX of the table size:", bounds.latex(bounds.table_size(d, k, L, eps)))


if __name__ == "__main__":
    main()
