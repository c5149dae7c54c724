"""
Your own sparse network
=======================

Build a DSM(d, s, t) from weights you already have -- here a Switch layer's gate
and its experts' matrices as numpy arrays, as you would export them from a
trained mixture-of-experts layer -- see which sub-network an input activates,
and count its FLOPs both ways.
"""

# %%
# The weights: a Switch layer with E = 4 experts of 3 hidden units each, on
# d = 5 inputs. ``gate`` is the router's (E, d) matrix; ``W`` and ``b`` stack
# the experts' first layers (unit ``e * 3 + j`` is unit ``j`` of expert ``e``);
# ``a`` holds the output weights.
import matplotlib.pyplot as plt
import numpy as np

from dsn_model import DSM, RandomFeatures, SwitchRouter, active_subgraph, draw_graph, graph_flops

rng = np.random.default_rng(0)
d, E, size = 5, 4, 3
gate = rng.standard_normal((E, d))
W, b = rng.standard_normal((E * size, d)), rng.standard_normal(E * size)
a = rng.standard_normal(E * size)

net = DSM(RandomFeatures(W, b, activation="relu"), SwitchRouter(gate, size), a)
print(net)

# %%
# Which units does an input activate? The Switch gate picks one expert: its
# three units, out of twelve.
x = rng.uniform(-1, 1, (2, d))
routing = net.route(x)
print("active units per input:", routing.units.tolist())
print("outputs:", net.predict(x).round(4).tolist())

# %%
# FLOPs both ways: the paper counts the active units only (``paper``); the
# gate's own product is ``routing``; ``total`` is what a forward pass costs.
flops = net.flops(x)
print(
    f"paper {flops.paper.tolist()}, routing {flops.routing.tolist()}, total {flops.total.tolist()}"
)

# %%
# The active sub-DAG of the first input, routing included: the same count
# read off its edges.
G = active_subgraph(net, x[0], include_routing=True)
assert graph_flops(G).total == flops.total[0]
fig, ax = plt.subplots(figsize=(8, 5))
draw_graph(G, ax=ax, title="active sub-DAG (dotted: the Switch gate)")
plt.show()
