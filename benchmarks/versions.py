"""This version against another checkout, on the workloads the compiled loops serve.

Each workload runs in a fresh process per version (``PYTHONPATH`` set to the checkout,
one BLAS thread, the numba cache warmed by a first call), the versions in turn for
``--rounds`` rounds; a version's figure is its best time. Printed: before, after, and
after / before per workload.

Workloads (d = 8, inputs uniform on [-1, 1]^d):

* ``topk predict``: a Top-K DSM(8, 64, 1024) predicts 2e4 rows (features, selection);
* ``hash predict``: a uniform-hash DSM(8, 64, 1024) predicts 2e4 rows (hash, sampling);
* ``DSM fit``: the Top-K regressor (t = 1024, s = 64) fits 2e4 rows (sparse Gram);
* ``LSH fit, means``: 32 tables of 2^10 buckets fit 1e5 rows (hashing, bucket sums);
* ``LSH fit, ridge``: the same tables trained jointly on 2e4 rows (design products);
* ``LSH predict``: the means model predicts 1e5 rows (hashing, lookups).

Run: git worktree add /tmp/before REV
     python benchmarks/versions.py --baseline /tmp/before [--rounds 3] [--only WORKLOAD]
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

#: One process per (version, workload); prints the best of 3 calls after a warm-up call.
_WORKLOAD = r"""
import inspect, json, sys, time
import numpy as np
from threadpoolctl import threadpool_limits
from dsn_model import DSM
from dsn_model.estimators import DSMRegressor
from dsn_model.lsh.regressor import LSHRegressor

name = sys.argv[1]
rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (100_000, 8))
y = np.sin(3 * X[:, 0]) * X[:, 1]
small, ys = X[:20_000], y[:20_000]
active = "sparsity" if "sparsity" in inspect.signature(DSMRegressor).parameters else "n_active"
lsh = {"n_tables": 32, "n_hashes": 10, "random_state": 0}
means = LSHRegressor(**lsh).fit(X, y)
jobs = {
    "topk predict": lambda: DSM.random(8, 1024, 64, router="topk", random_state=0).predict(small),
    "hash predict": lambda: DSM.random(8, 1024, 64, router="hash", random_state=0).predict(small),
    "DSM fit": lambda: DSMRegressor(n_units=1024, random_state=0, **{active: 64}).fit(small, ys),
    "LSH fit, means": lambda: LSHRegressor(**lsh).fit(X, y),
    "LSH fit, ridge": lambda: LSHRegressor(solver="ridge", **lsh).fit(small, ys),
    "LSH predict": lambda: means.predict(X),
}
with threadpool_limits(1):
    jobs[name]()  # compiles, or loads the compiled loops
    times = []
    for _ in range(3):
        start = time.perf_counter()
        jobs[name]()
        times.append(time.perf_counter() - start)
print(json.dumps(min(times)))
"""

WORKLOADS = (
    "topk predict",
    "hash predict",
    "DSM fit",
    "LSH fit, means",
    "LSH fit, ridge",
    "LSH predict",
)


def _time(checkout: Path, name: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONWARNINGS": "ignore"}
    out = subprocess.run(
        [sys.executable, "-c", _WORKLOAD, name],
        env=env,
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="a checkout of the other version")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", action="append", choices=WORKLOADS, help="repeatable")
    args = parser.parse_args(argv)
    here = Path(__file__).resolve().parents[1]
    before = Path(args.baseline).resolve()
    print(f"{'workload':<16} {'before':>9} {'after':>9} {'after/before':>13}")
    for name in args.only or WORKLOADS:
        times = {before: [], here: []}
        for _ in range(args.rounds):
            for checkout in (before, here):
                times[checkout].append(_time(checkout, name))
        old, new = min(times[before]), min(times[here])
        print(f"{name:<16} {old:>8.3f}s {new:>8.3f}s {new / old:>12.2f}x")


if __name__ == "__main__":
    main()
