"""The LSH model's jointly trained top layer: speed against scipy's LSQR, memory at scale.

1. Fig. 2's configuration (random polynomial, d = 8, n = 5e4, s = 256 tables, m = 11):
   the time to solve the joint ridge problem by ``ridge_top_layer`` (conjugate gradients
   on the primal or the dual form, compiled products) against ``scipy.sparse.linalg.lsqr`` on the
   explicit CSR design (its construction included), each to a tolerance at which its test
   error is within 1% of the converged one; hashing is shared and excluded.
2. ``LSHRegressor(solver="ridge").fit`` at n = 1e6, s = 64, m = 11: peak memory the fit
   allocates (tracemalloc), and its time over the hashing alone (``solver="mean"``).

Run: python benchmarks/lsh_joint.py [--n 50000] [--big 1000000]
One BLAS thread throughout.
"""

import argparse
import time
import tracemalloc

import numpy as np
from scipy.sparse.linalg import lsqr
from threadpoolctl import threadpool_limits

from dsn_model.experiments.tasks import Task, _regression_data
from dsn_model.lsh.joint import ridge_top_layer
from dsn_model.lsh.regressor import LSHRegressor

#: Stopping tolerances tried, loosest first, for both solvers (each stops at the first that
#: brings its test error within 1% of the converged one).
TOLERANCES = (1e-2, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4, 1e-5, 1e-6)


def _test_error(model, coef, mu, Xte, yte):
    model.bucket_coef_, model.intercept_ = coef, mu
    model._finalize()
    return float(np.mean((model.predict(Xte) - yte) ** 2) / yte.var())


def _converged(err, best):
    return abs(err - best) <= 0.01 * best


def joint_speed(n: int, tables: int, m: int, alpha: float) -> None:
    Xtr, ytr, Xte, yte = _regression_data(
        Task("fig2", "polynomial", "lsh", seed=0, n_train=n, n_test=max(n // 2, 1000))
    )
    model = LSHRegressor(n_tables=tables, n_hashes=m, solver="ridge", alpha=alpha, tol=1e-8)
    model.set_params(random_state=0).fit(Xtr, ytr)
    best = _test_error(model, model.bucket_coef_, model.intercept_, Xte, yte)
    design, y = model._design()
    blocks, lam = model._unit_blocks(), alpha * len(y)
    print(
        f"1. joint ridge fit, n = {n}, s = {tables}, m = {m}, alpha = {alpha:g} per sample "
        f"({design.n_units} bucket scalars); converged test MSE/Var {best:.4f}"
    )
    ours = {}
    for form in ("primal", "dual"):
        for tol in TOLERANCES:
            start = time.perf_counter()
            fit = ridge_top_layer(design, y, alpha, blocks, tol=tol, form=form)
            seconds = time.perf_counter() - start
            err = _test_error(model, fit.coef, fit.intercept, Xte, yte)
            print(
                f"   cg {form:6s} tol {tol:.0e}: {fit.iterations:4d} products {seconds:7.2f} s  "
                f"{err:.4f}"
            )
            if _converged(err, best):
                ours[form] = seconds
                break
    lsq = None
    for tol in TOLERANCES:
        start = time.perf_counter()
        result = lsqr(design.to_csr(), y - y.mean(), damp=np.sqrt(lam), atol=tol, btol=tol)
        seconds = time.perf_counter() - start
        err = _test_error(model, result[0], float(y.mean()), Xte, yte)
        print(f"   lsqr      tol {tol:.0e}: {result[2]:4d} iterations {seconds:7.2f} s  {err:.4f}")
        if _converged(err, best):
            lsq = seconds
            break
    for form, seconds in ours.items():
        if lsq:
            print(f"   LSQR on the CSR design takes {lsq / seconds:.1f}x the time of the {form} CG")


def joint_memory(n: int, tables: int, m: int) -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (n, 8))
    y = np.sin(2 * X[:, 0]) * np.cos(X[:, 1]) + 0.5 * X[:, 2:].mean(axis=1)
    start = time.perf_counter()
    LSHRegressor(n_tables=tables, n_hashes=m, random_state=0).fit(X, y)
    hashing = time.perf_counter() - start
    tracemalloc.start()
    start = time.perf_counter()
    model = LSHRegressor(n_tables=tables, n_hashes=m, solver="ridge", alpha=1e-4)
    model.set_params(random_state=0).fit(X, y)
    ridge = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    print(
        f"2. solver='ridge' at n = {n}, s = {tables}, m = {m}: {model.n_iter_} CG products, "
        f"fit {ridge / hashing:.1f}x the time of solver='mean' (hashing and bucket sums); "
        f"peak traced memory of the fit {peak:.0f} MiB (input {X.nbytes / 2**20:.0f} MiB)"
    )


def main(n: int = 50_000, big: int = 1_000_000, tables: int = 256, m: int = 11) -> None:
    with threadpool_limits(1):
        joint_speed(n, tables, m, alpha=1e-3)
        joint_memory(big, 64, m)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    main(**vars(parser.parse_args()))
