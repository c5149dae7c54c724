"""Switch-routed DSM predict against a grouped layer written directly in numpy, in one run.

The grouped layer is what a Mixture-of-Experts layer does on a CPU: route (the gate's
argmax), sort the inputs by expert, one dense product per expert on its rows, scatter
back. Both compute the same outputs (checked to 1e-10 before timing), on one BLAS
thread, best of ``--rounds`` interleaved rounds; beside them the gate product alone (the
floor of any Switch layer). Configurations: the expert sizes and counts of
docs/performance.md's table (d = 16 and 512; 64 or 4096 experts of 4 or 64 units).

Run: python benchmarks/experts.py [--batch 10000] [--rounds 5]
"""

import argparse
import itertools
from functools import partial

import numpy as np
from _timing import interleaved_best
from threadpoolctl import threadpool_limits

from dsn_model import DSM

#: (d, experts, units per expert)
CONFIGS = ((16, 64, 4), (16, 64, 64), (512, 64, 64), (16, 4096, 64), (512, 4096, 4))


def grouped_layer(net):
    """``net`` (Switch, ReLU units) as a grouped numpy function of a batch."""
    gate, W, c, a = net.router.gate, net.features.weights, net.features.bias, net.top_weights
    size = net.router.expert_size

    def forward(X):
        experts = (X @ gate.T).argmax(axis=1)
        rows = np.argsort(experts, kind="stable")
        experts = experts[rows]
        bounds = np.r_[0, np.flatnonzero(np.diff(experts)) + 1, len(experts)]
        out = np.empty(len(X))
        for lo, hi in itertools.pairwise(bounds):
            block = slice(experts[lo] * size, (experts[lo] + 1) * size)
            hidden = np.maximum(X[rows[lo:hi]] @ W[block].T + c[block], 0.0)
            out[rows[lo:hi]] = hidden @ a[block]
        return out + net.output_bias

    return forward


def main(batch: int = 10_000, rounds: int = 5, configs=CONFIGS) -> None:
    rng = np.random.default_rng(0)
    print(f"Switch DSM predict (top-1), batch {batch}, one thread, best of {rounds}")
    print(
        f"{'d':>4} {'experts':>8} {'units':>6} {'dsn':>10} {'grouped':>10} {'gate':>10} "
        f"{'dsn/grouped':>12} {'dsn/gate':>9}"
    )
    with threadpool_limits(1):
        for d, experts, size in configs:
            net = DSM.random(d, experts * size, size, router="switch", random_state=0)
            X = rng.uniform(-1, 1, (batch, d))
            layer = grouped_layer(net)
            assert np.allclose(net.predict(X), layer(X), rtol=1e-10, atol=1e-10)
            jobs = [
                partial(net.predict, X),
                partial(layer, X),
                partial(np.matmul, X, net.router.gate.T),
            ]
            ours, grouped, floor = interleaved_best(jobs, rounds)
            print(
                f"{d:>4} {experts:>8} {size:>6} {ours * 1e3:>8.1f}ms {grouped * 1e3:>8.1f}ms "
                f"{floor * 1e3:>8.2f}ms {ours / grouped:>11.2f}x {ours / floor:>8.1f}x"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    main(args.batch, args.rounds)
