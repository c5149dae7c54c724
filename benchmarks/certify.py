"""Certifying the uniform error of fitted LSH models: speed, measured in one run.

1. Certify a fitted one-table Euclidean model on a 2-dim section of [-1, 1]^16
   with about 1e5 cells (one BLAS thread), against the breadth-first baseline
   (one LP and one qhull call per cell, timed on a sample of cells and scaled
   to all of them).
2. Theorem 4.1 end to end at eps = 0.05, d = 16, k = 2: the certified width,
   1e7 samples streamed through ``partial_fit`` in chunks of 1e6, then the
   certificate over every cell of Gamma. Sampling time is reported apart.

Run: python benchmarks/certify.py [--stream 10000000] [--quick]
"""

import argparse
import itertools
import time

import numpy as np
from threadpoolctl import threadpool_limits

from dsn_model.data import random_subspace, uniform_on_section
from dsn_model.lsh.families import EuclideanLSH
from dsn_model.lsh.regressor import LSHRegressor
from dsn_model.targets import DistanceTarget
from theory.certify import certify_uniform_error, enumerate_cells
from theory.geometry import lambda_inf


def _problem(d, width, n, seed=0):
    rng = np.random.default_rng(seed)
    U = random_subspace(d, 2, random_state=rng)
    f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0])
    X = uniform_on_section(n, U, random_state=rng)
    model = LSHRegressor(
        family="euclidean",
        n_tables=1,
        n_hashes=8,
        width=width,
        hash_dtype="float64",
        random_state=seed,
    ).fit(X, f(X))
    return model, U, f


def main(
    d: int = 16,
    width: float = 0.05,
    n: int = 200_000,
    stream: int = 10_000_000,
    quick: bool = False,
) -> None:
    with threadpool_limits(1):
        model, U, f = _problem(d, width, n)
        start = time.perf_counter()
        cert = certify_uniform_error(model, U, f, 1.0)
        sweep = time.perf_counter() - start
        fam = model.family_
        sample = 50 if quick else 500
        start = time.perf_counter()
        for _ in itertools.islice(
            enumerate_cells(U, fam.directions, fam.offsets, fam.width), sample
        ):
            pass
        per_cell = (time.perf_counter() - start) / sample
    print(f"1. certify {cert.n_cells} cells (d = {d}, k = 2, width {width}, one BLAS thread)")
    print(f"   planar sweep + certificate: {sweep:.2f} s ({cert.n_cells / sweep:,.0f} cells/s)")
    print(
        f"   breadth-first baseline: {per_cell * 1e3:.2f} ms per cell, "
        f"{per_cell * cert.n_cells:.0f} s for all: {per_cell * cert.n_cells / sweep:.0f}x slower"
    )
    print(f"   certificate [{cert.lower:.4f}, {cert.upper:.4f}], volumes {cert.volume_ratio:.12f}")

    eps, L, C = 0.05, 1.0, 4
    rng = np.random.default_rng(1)
    U = random_subspace(d, 2, random_state=rng)
    f = DistanceTarget(uniform_on_section(1, U, random_state=rng)[0])
    state = int(rng.integers(2**31))
    lam = lambda_inf(EuclideanLSH(d, C * 2, 1.0, random_state=state).directions @ U)
    model = LSHRegressor(  # Theorem 4.1's learner: the nearest-point fallback
        family="euclidean",
        n_tables=1,
        n_hashes=C * 2,
        width=(1 - 1e-9) * eps * lam / L,
        fallback="nearest",
        hash_dtype="float64",
        random_state=state,
    )
    chunk = min(1_000_000, stream)
    sampling = fitting = 0.0
    with threadpool_limits(1):
        for _ in range(stream // chunk):
            start = time.perf_counter()
            X = uniform_on_section(chunk, U, random_state=rng)
            y = f(X)
            sampling += time.perf_counter() - start
            start = time.perf_counter()
            model.partial_fit(X, y)
            fitting += time.perf_counter() - start
        start = time.perf_counter()
        cert = certify_uniform_error(model, U, f, L)
        certifying = time.perf_counter() - start
    print(f"\n2. Theorem 4.1 end to end: eps = {eps}, d = {d}, k = 2, {stream:,} streamed samples")
    print(
        f"   fit {fitting:.1f} s + certify {certifying:.1f} s = {fitting + certifying:.1f} s "
        f"(sampling the data: {sampling:.1f} s more)"
    )
    print(
        f"   {cert.n_cells} cells, {cert.n_seen} trained; certified sup error "
        f"[{cert.lower:.4f}, {cert.upper:.4f}] (eps = {eps}, fallback 'nearest')"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    main(stream=args.stream, quick=args.quick)
