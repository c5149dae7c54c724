"""
Certified Lipschitz constants of the paper's targets
====================================================

Certified constants versus sampled gradient norms.

Run: python examples/lipschitz_of_targets.py
"""

import numpy as np
import sympy as sp

from dsn_model.targets import RandomHypercube, RandomPolynomial
from theory.lipschitz import (
    gradient,
    hypercube_lipschitz,
    lipschitz_bound,
    polynomial_lipschitz_chain,
)


def sampled_max(target, n=20000, seed=0):
    grad = sp.lambdify(target.symbols, gradient(target.expr, target.symbols), "numpy")
    X = np.random.default_rng(seed).uniform(-1, 1, (n, target.input_dim))
    G = np.stack([np.broadcast_to(g, (n,)) for g in grad(*X.T)], axis=1)
    return float(np.linalg.norm(G, axis=1).max())


def main() -> None:
    p = RandomPolynomial(3, 4, random_state=0)
    chain = polynomial_lipschitz_chain(p.expr, p.symbols)
    cert = lipschitz_bound(p.expr, p.symbols, [(-1, 1)] * 3, tol=1e-2, max_boxes=3000)
    print("random polynomial, n = 3, degree 4 (35 monomials):")
    print(
        f"  closed forms B1 <= B2 <= B3: {float(chain['B1']):.4f} <= "
        f"{float(chain['B2']):.4f} <= {float(chain['B3']):.4f}"
    )
    print(
        f"  branch and bound: L in [{cert.lower:.4f}, {cert.upper:.4f}] "
        f"({cert.n_boxes} boxes, converged: {cert.converged})"
    )
    print(f"  largest sampled gradient norm: {sampled_max(p):.4f}")

    h = RandomHypercube(4, random_state=0)
    exact = hypercube_lipschitz(h.values.astype(int), 4)
    print("random hypercube function, n = 4:")
    print(f"  exact L = {exact} = {float(exact):.4f}; target's own bound {h.lipschitz_bound():.4f}")
    print(f"  largest sampled gradient norm: {sampled_max(h):.4f}")


if __name__ == "__main__":
    main()
