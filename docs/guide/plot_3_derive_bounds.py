"""
Derive a bound symbolically
===========================

`theory.bounds` writes the paper's bounds as sympy expressions in ``d``, ``k``,
``L`` and ``eps`` with every hidden constant explicit; evaluate them, compare
them as eps -> 0, and solve them for the quantity you need.
"""

# %%
import sympy as sp

from theory import bounds
from theory.bounds import L, d, eps, k

table = bounds.table_size(d, k, L, eps)
samples = bounds.sample_complexity(d, k, L, eps)
dense = bounds.dense_width_lower_bound(d, k, L, eps)
print("Theorem 4.1 table size:", table)
print("Theorem 4.1 samples:   ", samples)
print("Theorem 4.3 dense width:", dense)

# %%
# Evaluate exactly at rational parameters.
print(bounds.evaluate(table, d=64, k=3, L=1, eps=sp.Rational(1, 20)))

# %%
# Solve for eps: the accuracy a table of 2^20 buckets buys at d = 64, k = 3.
budget = bounds.solve_for(table, 2**20, eps, d=64, k=3, L=1)
print(budget, "=", float(budget))

# %%
# Equation (1): the dense / sparse forward cost as eps -> 0.
gap = bounds.compare(
    bounds.forward_cost_sparse(8, 2, 1, eps), bounds.forward_cost_dense(8, 2, 1, eps), eps
)
print("limit of sparse / dense:", gap.limit, "; dense leading term:", gap.leading_b)
