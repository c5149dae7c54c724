"""A Switch-routed DSM layer against the same layer written in PyTorch, on the CPU.

Both compute, for a batch of n inputs in d = 16 dimensions, the gate logits of L experts,
each input's best expert (argmax), that expert's s = 4 ReLU units and the top layer's
weighted sum; the PyTorch layer gathers the chosen experts' weights (no loop over experts).
Both run on one thread; the outputs are checked equal before timing. Times are per sample,
best of 5, with the gate product ``X @ gate.T`` alone as the floor.

PyTorch is not a dependency of this project: run this script where it is installed
(``pip install torch``). Without it the script says so and stops.

Run: python benchmarks/switch_torch.py [--batch 10000] [--log-t 10 16]
"""

import argparse

import numpy as np
from _timing import best
from threadpoolctl import threadpool_limits

from dsn_model import DSM


def torch_layer(net):
    """The DSM ``net`` (Switch router, ReLU units) as a PyTorch function of a batch."""
    import torch

    gate = torch.from_numpy(net.router.gate)
    B = torch.from_numpy(net.features.weights)
    c = torch.from_numpy(net.features.bias)
    a = torch.from_numpy(net.top_weights)
    size = net.router.expert_size
    offsets = torch.arange(size)

    def forward(x):
        with torch.no_grad():
            expert = (x @ gate.T).argmax(dim=1)
            units = expert[:, None] * size + offsets  # (n, s)
            hidden = torch.relu(torch.einsum("nsd,nd->ns", B[units], x) + c[units])
            return (hidden * a[units]).sum(dim=1) + net.output_bias

    return forward


def main(batch: int = 10_000, log_ts=(10, 16)):
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare (pip install torch).")
        return
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (batch, 16))
    x = torch.from_numpy(X)
    print(f"Switch DSM, d = 16, s = 4, batch {batch}, one thread (PyTorch {torch.__version__})")
    with threadpool_limits(1):
        for log_t in log_ts:
            net = DSM.random(16, 2**log_t, 4, router="switch", random_state=0)
            layer = torch_layer(net)
            assert np.allclose(layer(x).numpy(), net.predict(X), rtol=1e-10, atol=1e-12)
            gate = net.router.gate
            ours, theirs = best(lambda n=net: n.predict(X)), best(lambda f=layer: f(x))
            floor = best(lambda g=gate: X @ g.T)
            print(
                f"  t = 2^{log_t} ({2**log_t // 4} experts): dsn {ours / batch * 1e6:.1f} us, "
                f"PyTorch {theirs / batch * 1e6:.1f} us, gate product {floor / batch * 1e6:.1f} "
                f"us per sample; PyTorch / dsn = {theirs / ours:.2f}x, "
                f"dsn / gate = {ours / floor:.2f}x"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--log-t", type=int, nargs="+", default=[10, 16])
    args = parser.parse_args()
    main(batch=args.batch, log_ts=tuple(args.log_t))
