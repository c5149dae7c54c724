"""LSHRegressor throughput and accuracy, as ratios against baselines of the same run.

1. fit / predict throughput (samples/s) for s in {1, 4, 16}, m in {8, 16}
   (hyperplane, d = 8, float32 and float64 hashing), and the time beyond the
   bare hashing product ``X @ W`` of the same shape (in blocks, one BLAS
   thread: the floor); Euclidean LSH at the same s and number of hashes, at
   widths 4 and 2, as time ratios beside its number of buckets; fit and predict
   time over the blocked float32 product (s = 4 and 16, m = 16).
2. predict time per sample for m = 8 .. 20 relative to m = 8, beside a dense
   layer of 2^m units relative to its own m = 8 time.
3. predict throughput and test MSE against scikit-learn's
   KNeighborsRegressor(n_neighbors=10) and ExtraTreesRegressor, all trained on
   the same 1e5 points.
4. streaming fit of many samples in chunks: peak traced memory beyond the
   chunk being processed.

Run: python benchmarks/lsh.py [--n 1000000] [--stream 10000000]
One BLAS thread throughout (threadpoolctl), so the ratios compare like with like.
"""

import argparse
import time
import tracemalloc
from functools import partial

import numpy as np
from _timing import best, interleaved_best
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.neighbors import KNeighborsRegressor
from threadpoolctl import threadpool_limits

from dsn_model import RandomFeatures
from dsn_model.lsh.regressor import LSHRegressor


def target(X):
    return np.sin(2 * X[:, 0]) * np.cos(X[:, 1]) + 0.5 * X[:, 2:].sum(axis=1) / X.shape[1]


def bare_product(X, W, rows=8192):
    for start in range(0, len(X), rows):
        X[start : start + rows] @ W


def throughput(n, d=8):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n, d))
    y = target(X)
    print(
        f"1. throughput, n = {n}, d = {d} (samples/s; 'beyond' = (time - bare) / bare, bare = "
        "the float64 product X @ W in blocks)\n"
        "   hyperplane hashing in float32 (the default), then in float64; Euclidean LSH with\n"
        "   the same s and number of hashes, as time ratios to the float32 hyperplane model\n"
        "   (fit + predict), beside its non-empty buckets per table relative to the hyperplane's"
    )
    print(
        "   s   m   fit/s      predict/s  fit beyond  predict beyond | float64: fit/s  "
        "predict/s | euclidean width 4: time, buckets | width 2: time, buckets"
    )
    for s in (1, 4, 16):
        for m in (8, 16):
            W = rng.standard_normal((d, s * m))
            tb = best(lambda W=W: bare_product(X, W))
            model = LSHRegressor(n_tables=s, n_hashes=m, random_state=0)
            tf = best(lambda model=model: model.fit(X, y))
            tp = best(lambda model=model: model.predict(X))
            double = LSHRegressor(n_tables=s, n_hashes=m, hash_dtype="float64", random_state=0)
            tf64 = best(lambda double=double: double.fit(X, y))
            tp64 = best(lambda double=double: double.predict(X))
            line = (
                f"  {s:2d}  {m:2d}  {n / tf:9.2e}  {n / tp:9.2e}  {(tf - tb) / tb:9.1f}x"
                f"  {(tp - tb) / tb:12.1f}x  | {n / tf64:14.2e}  {n / tp64:9.2e} |"
            )
            for width in (4.0, 2.0):
                eu = LSHRegressor(
                    family="euclidean", n_tables=s, n_hashes=m, width=width, random_state=0
                )
                te = best(lambda eu=eu: eu.fit(X, y), 2) + best(lambda eu=eu: eu.predict(X), 2)
                buckets = eu.n_buckets_.mean() / model.n_buckets_.mean()
                line += f" {te / (tf + tp):17.2f}x, {buckets:6.1f}x  |"
            print(line[:-1])


def float32_floor(n, d=8, rounds=7):
    """Fit and predict time over the blocked float32 product ``X @ W`` they hash with.

    The three are timed in turn, ``rounds`` times, and each keeps its best: a slow
    spell of the machine then costs all three alike instead of one ratio.
    """
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n, d))
    y = target(X)
    X32 = X.astype(np.float32)
    print(
        "\n   against the blocked float32 product X @ W of the same shape (the hashing floor), "
        f"best of {rounds} interleaved rounds:"
    )
    for s, m in ((4, 16), (16, 16)):
        W = rng.standard_normal((d, s * m)).astype(np.float32)
        model = LSHRegressor(n_tables=s, n_hashes=m, random_state=0).fit(X, y)
        floor, tf, tp = interleaved_best(
            [partial(bare_product, X32, W), partial(model.fit, X, y), partial(model.predict, X)],
            rounds,
        )
        print(f"   s = {s:2d}, m = {m}: fit {tf / floor:.2f}x, predict {tp / floor:.2f}x")
    print("   (at s = 16 when the target was set: fit 4.4x, predict 2.7x; target <= 3x)")


def table_size(n, d=8, s=4):
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (n, d))
    y = target(X)
    print(f"\n2. predict time per sample vs table size (s = {s}), relative to m = 8")
    base_lsh = base_dense = None
    for m in (8, 12, 16, 20):
        model = LSHRegressor(n_tables=s, n_hashes=m, random_state=0).fit(X, y)
        tl = best(lambda model=model: model.predict(X)) / n
        phi = RandomFeatures.random(d, 2**m, random_state=0)
        A = np.ones(2**m)
        rows = X[: max(16, min(n, 2**24 // 2**m))]  # bound the (rows, 2^m) buffer
        td = best(lambda phi=phi, A=A, rows=rows: phi.transform(rows) @ A) / len(rows)
        base_lsh, base_dense = base_lsh or tl, base_dense or td
        print(
            f"   m = {m:2d} (2^{m} buckets per table): LSH {tl / base_lsh:5.2f}x   "
            f"dense layer of 2^{m} units {td / base_dense:8.1f}x"
        )


def comparators(n_train=100_000, n_test=100_000, d=8):
    rng = np.random.default_rng(2)
    X, Xt = rng.uniform(-1, 1, (n_train, d)), rng.uniform(-1, 1, (n_test, d))
    y, yt = target(X), target(Xt)
    print(f"\n3. against scikit-learn, trained on {n_train}, tested on {n_test} points (d = {d})")
    models = {
        "LSH (s=16, m=10, probe)": LSHRegressor(
            n_tables=16, n_hashes=10, fallback="probe", random_state=0
        ),
        "LSH (s=16, m=10, degree 1)": LSHRegressor(
            n_tables=16, n_hashes=10, degree=1, random_state=0
        ),
        "KNeighborsRegressor(10)": KNeighborsRegressor(n_neighbors=10),
        "ExtraTreesRegressor(50)": ExtraTreesRegressor(n_estimators=50, random_state=0, n_jobs=1),
    }
    times, mses = {}, {}
    for name, model in models.items():
        model.fit(X, y)
        times[name] = best(lambda model=model: model.predict(Xt), 1)
        mses[name] = float(np.mean((model.predict(Xt) - yt) ** 2))
    ref = times["KNeighborsRegressor(10)"]
    for name in models:
        print(
            f"   {name:28s} predict {n_test / times[name]:9.2e}/s ({ref / times[name]:7.1f}x "
            f"k-NN)   MSE/Var {mses[name] / yt.var():.4f}"
        )


def streaming(total, d=8, chunk=500_000):
    model = LSHRegressor(n_tables=4, n_hashes=16, random_state=0)
    rng = np.random.default_rng(3)
    tracemalloc.start()
    start = time.perf_counter()
    peak_beyond = 0
    for _ in range(total // chunk):
        Xc = rng.uniform(-1, 1, (chunk, d))
        yc = target(Xc)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        model.partial_fit(Xc, yc)
        peak_beyond = max(peak_beyond, tracemalloc.get_traced_memory()[1] - base)
    elapsed = time.perf_counter() - start
    tracemalloc.stop()
    print(
        f"\n4. streaming fit of {total} samples in chunks of {chunk} (s = 4, m = 16): "
        f"{total / elapsed:.2e} samples/s including data generation, peak memory beyond the "
        f"chunk {peak_beyond / 2**20:.0f} MiB"
    )


def main(n, stream, quick=False):
    with threadpool_limits(1, "blas"):
        throughput(n)
        float32_floor(n)
        table_size(n)
        comparators(*((2000, 2000) if quick else (100_000, 100_000)))
        streaming(stream, chunk=min(500_000, stream))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="LSHRegressor benchmarks")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--stream", type=int, default=10_000_000)
    args = parser.parse_args()
    main(args.n, args.stream)
