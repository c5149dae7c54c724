"""The ``dsn`` command: inspect routings, derive bounds, reproduce, check.

Each sub-command is one function taking the parsed arguments; ``theory`` is
imported only inside the commands that need it.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

__all__ = ["main"]


def _inspect(args: argparse.Namespace) -> int:
    from .dsm import DSM
    from .graph import active_subgraph, draw_graph

    net = DSM.random(args.d, args.t, args.s, router=args.router, random_state=args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-1, 1, size=args.d)
    near = x + args.step * rng.standard_normal(args.d) / np.sqrt(args.d)
    print(f"DSM(d={net.input_dim}, s={net.sparsity}, t={net.n_units}), router={args.router}")
    for name, point in (("x", x), ("x + step", near)):
        units = net.route(point[None]).units[0]
        print(
            f"  {name:>9}: active units {sorted(units[units >= 0].tolist())}, "
            f"g = {net.predict(point[None])[0]:+.6f}"
        )
    flops = net.flops(x[None])
    print(
        f"  FLOPs: {int(flops.paper[0])} active (paper), {int(flops.routing[0])} routing, "
        f"{int(flops.total[0])} total"
    )
    if args.png:
        draw_graph(
            active_subgraph(net, x, include_routing=True),
            path=args.png,
            title=f"active sub-DAG ({args.router})",
        )
        print(f"  saved {args.png}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dsn", description="Data-dependent sparse networks: simulate and check."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="route two nearby inputs through a random DSM")
    p.add_argument("--router", default="switch", choices=["topk", "switch", "block", "hash", "knn"])
    p.add_argument("--d", type=int, default=8, help="input dimension d")
    p.add_argument("--t", type=int, default=64, help="width t of the sparse layer")
    p.add_argument("--s", type=int, default=4, help="sparsity s")
    p.add_argument("--step", type=float, default=1e-3, help="distance of the second input")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--png", default=None, help="save the active sub-DAG to this PNG")
    p.set_defaults(func=_inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dsn`` console command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as exc:
        print(f"dsn {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
