"""
Which sub-network does an input activate?
=========================================

A small Switch DSM and two nearby inputs.

Run: python examples/inspect_routing.py [--out active_subgraph.png]
"""

import argparse

import numpy as np

from dsn_model import DSM, active_subgraph, draw_graph, graph_flops


def main(out: str) -> None:
    # DSM(d=4, s=3, t=12): 4 experts of 3 units, a Switch gate picks one.
    net = DSM.random(4, 12, 3, router="switch", random_state=0)
    x = np.array([0.30, -0.20, 0.50, 0.10])
    near = x + np.array([0.01, 0.0, -0.01, 0.0])
    far = -x
    for name, point in [("x", x), ("x + small step", near), ("-x", far)]:
        routing = net.route(point[None])
        print(
            f"{name:>15}: units {routing.units[0].tolist()}, g = {net.predict(point[None])[0]:+.4f}"
        )
    flops = net.flops(x[None])
    print(
        f"FLOPs per input: {int(flops.paper[0])} on active units (the paper's count), "
        f"{int(flops.routing[0])} for the gate, {int(flops.total[0])} in total"
    )
    G = active_subgraph(net, x, include_routing=True)
    assert int(graph_flops(G).total) == int(flops.total[0])
    draw_graph(G, path=out, title="Active sub-DAG of x (dotted: the Switch gate)")
    print(
        f"saved the active sub-DAG ({G.number_of_nodes()} nodes, "
        f"{G.number_of_edges()} edges) to {out}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--out", default="active_subgraph.png")
    main(parser.parse_args().out)
