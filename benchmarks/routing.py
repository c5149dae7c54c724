"""Routing cost against width: ratios measured in one run.

1. Uniform-hash DSM: ``predict`` time per sample at t = 2^8 ... 2^16 units,
   relative to t = 2^8 (the forward pass touches s units, so the ratio should
   stay near 1; the target is <= 2 at 2^16).
2. Switch DSM: time per sample as the number of experts L grows at a fixed
   expert size, relative to L = 4, beside the FLOP count's routing share
   (the gate costs 2 d L FLOPs).
3. A dense layer of t units, for contrast, relative to t = 2^8.

Run: python benchmarks/routing.py [--n 100000]
"""

import argparse

import numpy as np
from _timing import best

from dsn_model import DSM, RandomFeatures


def main(n: int) -> None:
    d, s = 16, 4
    X = np.random.default_rng(0).uniform(-1, 1, size=(n, d))
    print(f"n = {n}, d = {d}, s = {s}; times are the best of 5, as ratios")
    print("\nuniform hash DSM, predict per sample vs t = 2^8; dense layer of t units vs t = 2^8")
    base_hash = base_dense = None
    for log_t in (8, 10, 12, 14, 16):
        t = 2**log_t
        net = DSM.random(d, t, s, router="hash", random_state=0)
        phi = RandomFeatures.random(d, t, random_state=0)
        A = np.ones(t)
        th = best(lambda net=net: net.predict(X))
        rows = X[: max(1, n // 64)]  # the dense layer is slow: time a slice, scale per sample
        td = best(lambda phi=phi, rows=rows, A=A: phi.transform(rows) @ A) / len(rows) * n
        base_hash = base_hash or th
        base_dense = base_dense or td
        print(
            f"  t = 2^{log_t:<2d}  hash DSM {th / base_hash:5.2f}x   dense {td / base_dense:7.2f}x"
        )
    print("\nSwitch DSM (expert size 4), predict per sample vs L = 4 experts")
    base = None
    for L in (4, 16, 64, 256, 1024):
        net = DSM.random(d, L * s, s, router="switch", random_state=0)
        ts = best(lambda net=net: net.predict(X))
        base = base or ts
        f = net.flops(X[:1])
        share = int(f.routing[0]) / int(f.total[0])
        print(
            f"  L = {L:5d}  time {ts / base:6.2f}x   FLOPs: paper {int(f.paper[0])}, "
            f"routing {int(f.routing[0])} ({share:.0%} of total)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="routing cost against width")
    parser.add_argument("--n", type=int, default=100_000)
    main(parser.parse_args().n)
