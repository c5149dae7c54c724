"""Sparse layers against the dense work they stand for, in one run: expert-routed DSMs
against grouped Mixture-of-Experts layers (numpy, and PyTorch where installed), and the
Top-K and uniform-hash DSMs against the dense layer of the same width.

1. Switch DSM predict (top-1 and top-2, ReLU experts) against a grouped layer: route (the
   gate's top experts), sort the inputs by expert, one dense product per expert on its
   rows, scatter back -- what a Mixture-of-Experts layer does on a CPU. Written in numpy,
   and in PyTorch (``torch.no_grad``, one thread) when it is installed; the gate product
   alone is the floor of any Switch layer. Configurations: d = 16 and 512; 64 or 4096
   experts of 4 or 64 units.
2. Top-K and uniform-hash DSMs (d = 8, t = 1024, s = 256) against the dense layer of the
   same t (its features, then the top weights, in numpy, 64 rows at a time: 512 KiB of
   features, which stay in cache; a whole batch at once takes about three times as long).

Every layer computes the same outputs (checked to 1e-10 before timing); times are the
best of ``--rounds`` interleaved rounds on one thread, batch ``--batch``.

Run: python benchmarks/experts.py [--batch 10000] [--rounds 5]
"""

import argparse
import itertools
from functools import partial

import numpy as np
from _timing import interleaved_best
from threadpoolctl import threadpool_limits

from dsn_model import DSM
from dsn_model.model.features import RandomFeatures
from dsn_model.model.routers import SwitchRouter

#: (d, experts, units per expert)
CONFIGS = ((16, 64, 4), (16, 64, 64), (512, 64, 64), (16, 4096, 64), (512, 4096, 4))


def switch_net(d: int, experts: int, size: int, top_k: int) -> DSM:
    """A Switch DSM of ``experts`` ReLU experts of ``size`` units, ``top_k`` per input."""
    rng = np.random.default_rng(0)
    phi = RandomFeatures.random(d, experts * size, random_state=rng)
    router = SwitchRouter(rng.standard_normal((experts, d)) / np.sqrt(d), size, top_k=top_k)
    return DSM(phi, router, rng.standard_normal(experts * size) / np.sqrt(size * top_k))


def grouped_layer(net):
    """``net`` (Switch, ReLU units) as a grouped numpy function of a batch."""
    gate, W, c, a = net.router.gate, net.features.weights, net.features.bias, net.top_weights
    size, k = net.router.expert_size, net.router.top_k

    def forward(X):
        logits = X @ gate.T
        chosen = np.argpartition(-logits, k - 1, axis=1)[:, :k] if k > 1 else logits.argmax(1)
        experts = np.reshape(chosen, -1)
        pairs = np.argsort(experts, kind="stable")
        experts, rows = experts[pairs], pairs // k
        bounds = np.r_[0, np.flatnonzero(np.diff(experts)) + 1, len(experts)]
        out = np.zeros(len(X))
        for lo, hi in itertools.pairwise(bounds):
            block = slice(experts[lo] * size, (experts[lo] + 1) * size)
            hidden = np.maximum(X[rows[lo:hi]] @ W[block].T + c[block], 0.0)
            np.add.at(out, rows[lo:hi], hidden @ a[block])
        return out + net.output_bias

    return forward


def torch_grouped_layer(net):
    """The same grouped layer in PyTorch: ``(layer, to_input)``."""
    import torch

    gate, W, c, a = (
        torch.from_numpy(m)
        for m in (net.router.gate, net.features.weights, net.features.bias, net.top_weights)
    )
    size, k = net.router.expert_size, net.router.top_k

    def forward(x):
        with torch.no_grad():
            experts = (x @ gate.T).topk(k, dim=1).indices.reshape(-1)
            experts, pairs = torch.sort(experts, stable=True)
            rows = pairs // k
            used, counts = torch.unique_consecutive(experts, return_counts=True)
            out = torch.zeros(len(x), dtype=x.dtype)
            start = 0
            for e, count in zip(used.tolist(), counts.tolist(), strict=True):
                idx = rows[start : start + count]
                block = slice(e * size, (e + 1) * size)
                hidden = torch.relu(x[idx] @ W[block].T + c[block])
                out.index_add_(0, idx, hidden @ a[block])
                start += count
            return out + net.output_bias

    return forward, torch.from_numpy


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def experts_table(batch: int, rounds: int, configs=CONFIGS) -> None:
    torch = _torch()
    print(f"1. Switch DSM predict, batch {batch}, one thread, best of {rounds} interleaved rounds")
    if torch is None:
        print("   (PyTorch is not installed: its column is left out; pip install torch)")
    else:
        print(f"   (PyTorch {torch.__version__})")
    print(
        f"{'top':>4} {'d':>4} {'experts':>8} {'units':>6} {'dsn':>9} {'numpy':>9} {'torch':>9} "
        f"{'gate':>9} {'dsn/numpy':>10} {'dsn/torch':>10} {'dsn/gate':>9}"
    )
    rng = np.random.default_rng(0)
    for top_k in (1, 2):
        for d, experts, size in configs:
            net = switch_net(d, experts, size, top_k)
            X = rng.uniform(-1, 1, (batch, d))
            expected = net.predict(X)
            layers = [grouped_layer(net)]
            inputs = [X]
            if torch is not None:
                layer, convert = torch_grouped_layer(net)
                layers.append(lambda x, f=layer: f(x).numpy())
                inputs.append(convert(X))
            for layer, x in zip(layers, inputs, strict=True):
                assert np.allclose(layer(x), expected, rtol=1e-10, atol=1e-10)
            jobs = [partial(net.predict, X)] + [
                partial(layer, x) for layer, x in zip(layers, inputs, strict=True)
            ]
            jobs.append(partial(np.matmul, X, net.router.gate.T))
            times = interleaved_best(jobs, rounds)
            ours, numpy_time, floor = times[0], times[1], times[-1]
            torch_time = times[2] if torch is not None else float("nan")
            print(
                f"{top_k:>4} {d:>4} {experts:>8} {size:>6} {ours * 1e3:>7.1f}ms "
                f"{numpy_time * 1e3:>7.1f}ms {torch_time * 1e3:>7.1f}ms {floor * 1e3:>7.2f}ms "
                f"{ours / numpy_time:>9.2f}x {ours / torch_time:>9.2f}x {ours / floor:>8.1f}x"
            )


def dense_table(batch: int, rounds: int, d: int = 8, t: int = 1024, s: int = 256) -> None:
    print(f"\n2. DSM predict against the dense layer of t = {t} units (d = {d}, s = {s})")
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, (batch, d))
    dense = DSM.random(d, t, t, router="topk", random_state=0)  # every unit: a dense layer
    W, c, a = dense.features.weights, dense.features.bias, dense.top_weights
    step = (1 << 19) // (8 * t)  # 512 KiB of features a block: they stay in cache

    def dense_layer(X):
        out = np.empty(len(X))
        for start in range(0, len(X), step):
            Z = X[start : start + step] @ W.T
            Z += c
            out[start : start + step] = np.maximum(Z, 0.0, out=Z) @ a
        return out

    assert np.allclose(dense_layer(X), dense.predict(X), rtol=1e-10, atol=1e-10)
    nets = {kind: DSM.random(d, t, s, router=kind, random_state=0) for kind in ("topk", "hash")}
    jobs = [partial(dense_layer, X)] + [partial(net.predict, X) for net in nets.values()]
    times = interleaved_best(jobs, rounds)
    print(f"   dense layer {times[0] / batch * 1e6:.2f} us per sample")
    for (kind, _), time in zip(nets.items(), times[1:], strict=True):
        print(f"   {kind:<5} DSM  {time / batch * 1e6:.2f} us per sample = {time / times[0]:.2f}x")


def main(batch: int = 10_000, rounds: int = 5, configs=CONFIGS) -> None:
    with threadpool_limits(1):
        experts_table(batch, rounds, configs)
        dense_table(batch, rounds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    main(args.batch, args.rounds)
