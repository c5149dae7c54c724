"""The formal model as a ``networkx`` DAG: the specification of a sparse network.

Nodes (attribute ``role``):

* ``("x", i)`` -- ``"input"``, coordinate ``x_i``;
* ``("bias",)`` -- ``"bias"``, the constant 1 (biases are edges from it);
* ``("h", l, j)`` -- ``"hidden"``, unit ``j`` of sparse layer ``l`` (from 1),
  with attributes ``activation`` and ``gate`` (the routing weight, 1 for 0/1
  masks);
* ``("y",)`` -- ``"output"``;
* ``("route", l, stage, j)`` -- ``"route"``, the routing computation of layer
  ``l`` (gate logits, controller scores, k-NN inner products, and the
  features Top-K must compute to choose; only with ``include_routing=True``).

Edges carry ``weight`` and ``role`` (``"data"`` or ``"route"``). Every edge is
one multiply-add, so :func:`graph_flops` is 2 FLOPs per edge, split by role.
Node attribute ``layer`` orders the nodes left to right for drawing.

:func:`to_graph` builds the whole network (the dense model, mask = 1) and
refuses beyond :data:`MAX_GRAPH_EDGES` edges; :func:`active_subgraph` builds
the sub-DAG one input activates directly, without the full graph, so it works
at any width. :func:`evaluate_graph` walks a DAG in topological order and is
the reference the vectorised :meth:`~dsn_model.model.dsm.SparseNetwork.predict` is
tested against. Only DAGs built here are supported; acyclicity is checked at
the entry of :func:`evaluate_graph`, other structure is up to the caller.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike

from .._io import save_figure
from .._validation import check_batch
from .dsm import FlopCount, SparseNetwork
from .features import ACTIVATIONS

__all__ = [
    "MAX_GRAPH_EDGES",
    "active_subgraph",
    "draw_graph",
    "evaluate_graph",
    "graph_flops",
    "to_graph",
]

#: Largest number of edges :func:`to_graph` builds; beyond it use :func:`active_subgraph`.
MAX_GRAPH_EDGES = 200_000


def _source(layer: int, src) -> tuple:
    if src == "bias":
        return ("bias",)
    return ("x", src) if layer == 1 else ("h", layer - 1, src)


def _add_unit(G, model, layer, unit, gate, allowed):
    """Add hidden unit ``unit`` of ``layer`` with its in-edges from ``allowed`` sources."""
    features = model.layers[layer - 1].features
    G.add_node(
        ("h", layer, unit),
        role="hidden",
        layer=layer,
        unit=unit,
        activation=features.activation,
        gate=gate,
    )
    for src, w in features.unit_in_edges(unit):
        node = _source(layer, src)
        if src == "bias" or allowed is None or src in allowed:
            _ensure_source(G, node)
            G.add_edge(node, ("h", layer, unit), weight=w, role="data")


def _ensure_source(G, node):
    if node not in G:
        if node[0] == "x":
            G.add_node(node, role="input", layer=0, index=node[1])
        elif node[0] == "bias":
            G.add_node(node, role="bias", layer=0)


def _add_inputs(G, d):
    for i in range(d):
        _ensure_source(G, ("x", i))


def _add_routing(G, model, layer, allowed, offset):
    """Add the linear routing stages of ``layer`` as ``"route"`` nodes and edges."""
    stages = model.layers[layer - 1].router.routing_stages()
    for k, M in enumerate(stages):
        for j in range(M.shape[0]):
            node = ("route", layer, k, j)
            G.add_node(node, role="route", layer=offset + k, activation="identity", gate=1.0)
            for i in range(M.shape[1]):
                if k == 0:
                    if allowed is not None and i not in allowed:
                        continue
                    src = _source(layer, i)
                    _ensure_source(G, src)
                else:
                    src = ("route", layer, k - 1, i)
                G.add_edge(src, node, weight=float(M[j, i]), role="route")


def _count_full_edges(model: SparseNetwork) -> int:
    total = 0
    for layer in model.layers:
        total += layer.features.n_units * layer.features.edges_per_unit()
        total += layer.router.routing_edges()
    return total + model.n_units + (model.output_bias != 0)


def to_graph(model: SparseNetwork, *, include_routing: bool = True) -> nx.DiGraph:
    """The whole network as a DAG: every unit, every edge (mask = 1).

    Evaluating it gives the dense model ``A phi(x)``; the sparse model is
    :func:`active_subgraph`.

    Parameters
    ----------
    model : SparseNetwork
        A :class:`~dsn_model.model.dsm.DSM` or a stack of sparse layers.
    include_routing : bool, default=True
        Add the routers' linear stages as ``"route"`` nodes.

    Raises
    ------
    ValueError
        If the graph would have more than :data:`MAX_GRAPH_EDGES` edges.

    Examples
    --------
    >>> from dsn_model import DSM
    >>> G = to_graph(DSM.random(3, 4, 2, router="switch", random_state=0))
    >>> sorted({r for _, r in G.nodes(data="role")})
    ['bias', 'hidden', 'input', 'output', 'route']
    >>> G.number_of_edges()    # 4 units x (3 + bias) + 2 gates x 3 + 4 top edges
    26
    """
    if not isinstance(model, SparseNetwork):
        raise ValueError(f"`model` must be a DSM or SparseNetwork. Got {type(model).__name__}.")
    n_edges = _count_full_edges(model)
    if n_edges > MAX_GRAPH_EDGES:
        raise ValueError(
            f"The full graph would have {n_edges} edges (limit MAX_GRAPH_EDGES="
            f"{MAX_GRAPH_EDGES}); use active_subgraph(model, x) for one input instead."
        )
    G = nx.DiGraph(kind="full", input_dim=model.input_dim)
    _add_inputs(G, model.input_dim)
    offset = 1
    for layer in range(1, len(model.layers) + 1):
        if include_routing:
            _add_routing(G, model, layer, None, offset)
        for unit in range(model.layers[layer - 1].features.n_units):
            _add_unit(G, model, layer, unit, 1.0, None)
            G.nodes[("h", layer, unit)]["layer"] = offset + 2
        offset += 3
    G.add_node(("y",), role="output", layer=offset)
    for unit, a in enumerate(model.top_weights):
        G.add_edge(("h", len(model.layers), unit), ("y",), weight=float(a), role="data")
    _add_output_bias(G, model)
    return G


def _add_output_bias(G, model) -> None:
    if model.output_bias != 0:
        _ensure_source(G, ("bias",))
        G.add_edge(("bias",), ("y",), weight=model.output_bias, role="data")


def active_subgraph(
    model: SparseNetwork, x: ArrayLike, *, include_routing: bool = False
) -> nx.DiGraph:
    """The sub-DAG that input ``x`` activates, built without the full graph.

    Holds the inputs, the active units of every sparse layer (with their
    routing weight as node attribute ``gate``), the edges among them and the
    output. With ``include_routing=True`` it also holds the computation that
    decided the routing (``"route"`` nodes and edges), so that
    :func:`graph_flops` reproduces :meth:`~dsn_model.model.dsm.SparseNetwork.flops`.

    Parameters
    ----------
    model : SparseNetwork
    x : array_like, shape (d,) or (1, d)
    include_routing : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> from dsn_model import DSM
    >>> net = DSM.random(3, 1024, 4, router="hash", random_state=0)
    >>> G = active_subgraph(net, np.zeros(3))
    >>> sum(1 for _, r in G.nodes(data="role") if r == "hidden")
    4
    >>> float(evaluate_graph(G, np.zeros(3))) == float(net.predict(np.zeros((1, 3)))[0])
    True
    """
    if not isinstance(model, SparseNetwork):
        raise ValueError(f"`model` must be a DSM or SparseNetwork. Got {type(model).__name__}.")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    x = check_batch(x, model.input_dim, name="x")
    if len(x) != 1:
        raise ValueError(f"`x` must be a single input. Got {len(x)} rows.")
    routings = model.route_all(x)
    G = nx.DiGraph(kind="active", input_dim=model.input_dim)  # inputs added as edges reach them
    allowed = None
    offset = 1
    for layer, r in enumerate(routings, start=1):
        active = r.active[0]
        units = [int(u) for u in r.units[0][active]]
        gates = [float(w) for w in r.weights[0][active]]
        if include_routing:
            _add_routing(G, model, layer, allowed, offset)
            if model.layers[layer - 1].router.uses_features:
                _add_topk_routing(G, model, layer, set(units), allowed, offset)
        for unit, gate in zip(units, gates, strict=True):
            _add_unit(G, model, layer, unit, gate, allowed)
            G.nodes[("h", layer, unit)]["layer"] = offset + 2
        allowed = set(units)
        offset += 3
    G.add_node(("y",), role="output", layer=offset)
    top = len(model.layers)
    for unit in sorted(allowed):
        G.add_edge(("h", top, unit), ("y",), weight=float(model.top_weights[unit]), role="data")
    _add_output_bias(G, model)
    return G


def _add_topk_routing(G, model, layer, chosen, allowed, offset):
    """Top-K computes every feature to choose: add the unchosen ones as route nodes."""
    features = model.layers[layer - 1].features
    for unit in range(features.n_units):
        if unit in chosen:
            continue
        node = ("route", layer, "topk", unit)
        G.add_node(node, role="route", layer=offset + 1, activation=features.activation, gate=1.0)
        for src, w in features.unit_in_edges(unit):
            if src == "bias" or allowed is None or src in allowed:
                source = _source(layer, src)
                _ensure_source(G, source)
                G.add_edge(source, node, weight=w, role="route")


def evaluate_graph(G: nx.DiGraph, x: ArrayLike, *, return_values: bool = False):
    """Evaluate a DAG node by node in topological order.

    Inputs take ``x``, the bias node 1; a hidden or route node is
    ``gate * activation(sum_in weight * value)``; the output is the plain
    sum of its in-edges. Sums use ``math.fsum`` (correctly rounded).

    Parameters
    ----------
    G : networkx.DiGraph
        A graph from :func:`to_graph` or :func:`active_subgraph`.
    x : array_like, shape (d,)
    return_values : bool, default=False
        Also return the dict of every node's value.

    Returns
    -------
    float, or (float, dict)

    Raises
    ------
    ValueError
        If ``G`` has a cycle, no output node, or ``x`` has the wrong length; if
        an edge has no finite ``weight``, a hidden or route node no
        ``activation``, a gate is not finite, or a node has an unknown role.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node(("x", 0), role="input"); G.add_node(("y",), role="output")
    >>> G.add_edge(("x", 0), ("y",), weight=2.0)
    >>> evaluate_graph(G, [1.5])
    3.0
    """
    if not nx.is_directed_acyclic_graph(G):
        raise ValueError("`G` must be a directed acyclic graph; it has a cycle.")
    roles = nx.get_node_attributes(G, "role")
    if ("y",) not in G or roles.get(("y",)) != "output":
        raise ValueError(
            "`G` has no output node ('y',); build it with to_graph or active_subgraph."
        )
    x = np.asarray(x, dtype=np.float64).ravel()
    indices = [G.nodes[n].get("index", n[1]) for n, r in roles.items() if r == "input"]
    n_inputs = G.graph.get("input_dim", max(indices, default=-1) + 1)
    if len(x) != n_inputs or not np.all(np.isfinite(x)):
        raise ValueError(
            f"`x` must be a finite vector of the graph's {n_inputs} inputs. Got {len(x)} entries."
        )
    values: dict = {}
    for node in nx.topological_sort(G):
        role = roles.get(node)
        if role == "input":
            values[node] = float(x[G.nodes[node].get("index", node[1])])
            continue
        if role == "bias":
            values[node] = 1.0
            continue
        if role not in ("hidden", "route", "output"):
            raise ValueError(
                f"node {node!r} has role {role!r}; a node is an input, bias, hidden, route or "
                "output node."
            )
        z = math.fsum(
            _number(d, "weight", (u, node)) * values[u] for u, _, d in G.in_edges(node, data=True)
        )
        if role == "output":
            values[node] = z
            continue
        attrs = G.nodes[node]
        if "activation" not in attrs:
            raise ValueError(f"node {node!r} has no `activation` attribute.")
        name = attrs["activation"]
        if name not in ACTIVATIONS:
            raise ValueError(
                f"node {node!r} has an unknown activation {name!r}; known: {sorted(ACTIVATIONS)}."
            )
        gate = _number(attrs, "gate", node) if "gate" in attrs else 1.0
        values[node] = gate * float(ACTIVATIONS[name](np.float64(z)))
    out = values[("y",)]
    return (out, values) if return_values else out


def _number(attrs: dict, key: str, where) -> float:
    """A required finite numeric attribute (an edge's weight, a node's gate)."""
    if key not in attrs:
        raise ValueError(f"{'edge' if key == 'weight' else 'node'} {where!r} has no `{key}`.")
    try:
        value = float(attrs[key])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where!r} has a non-numeric `{key}`: {attrs[key]!r}.") from exc
    if not math.isfinite(value):
        raise ValueError(f"{where!r} has a non-finite `{key}`: {value}.")
    return value


def graph_flops(G: nx.DiGraph) -> FlopCount:
    """FLOPs from the edges: 2 per ``"data"`` edge (paper) and per ``"route"`` edge.

    Equals :meth:`~dsn_model.model.dsm.SparseNetwork.flops` for the graph from
    ``active_subgraph(model, x, include_routing=True)``.

    Examples
    --------
    >>> import numpy as np
    >>> from dsn_model import DSM
    >>> net = DSM.random(4, 12, 3, router="switch", random_state=0)
    >>> f = graph_flops(active_subgraph(net, np.zeros(4), include_routing=True))
    >>> int(f.paper), int(f.routing)
    (36, 32)
    """
    data = sum(1 for *_, role in G.edges(data="role") if role != "route")
    route = G.number_of_edges() - data
    return FlopCount(paper=np.int64(2 * data), routing=np.int64(2 * route))


def draw_graph(G: nx.DiGraph, *, ax=None, path: str | None = None, title: str | None = None):
    """Draw a DAG left to right by layer and colour nodes by role.

    Saves a PNG to ``path`` if given; returns the matplotlib Axes.
    """
    import matplotlib

    if path is not None and ax is None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    columns: dict = {}
    for node, layer in G.nodes(data="layer", default=0):
        columns.setdefault(layer, []).append(node)
    pos = {}
    for layer, nodes in columns.items():
        nodes.sort(key=lambda n: (n[0] == "bias", str(n[:-1]), n[-1] if n[1:] else 0))
        for rank, node in enumerate(nodes):
            pos[node] = (float(layer), (len(nodes) - 1) / 2.0 - rank)
    colours = {
        "input": "#4c72b0",
        "bias": "#8c8c8c",
        "hidden": "#dd8452",
        "route": "#c5b0d5",
        "output": "#55a868",
    }
    roles = nx.get_node_attributes(G, "role")
    node_colour = [colours.get(roles.get(n), "#cccccc") for n in G.nodes]
    widths = [0.5 + 2.0 * min(1.0, abs(w)) for *_, w in G.edges(data="weight", default=1.0)]
    styles = ["dotted" if r == "route" else "solid" for *_, r in G.edges(data="role")]
    names = {"x": "x{}", "h": "h{}", "route": "r{}", "bias": "1", "y": "y"}
    labels = {n: names[n[0]].format(n[-1]) for n in G.nodes}
    # curved edges, so an input -> unit edge is not read as passing through a routing node
    nx.draw_networkx_edges(
        G,
        pos,
        ax=ax,
        width=widths,
        style=styles,
        alpha=0.5,
        arrows=True,
        arrowstyle="-",
        connectionstyle="arc3,rad=0.12",
    )
    nx.draw_networkx_nodes(G, pos, ax=ax, node_color=node_colour, node_size=300)
    nx.draw_networkx_labels(G, pos, labels=labels, ax=ax, font_size=7)
    from matplotlib.lines import Line2D

    present = sorted(set(roles.values()) & set(colours), key=list(colours).index)
    handles = [
        Line2D([], [], marker="o", ls="", color=colours[r], label=r, markersize=8) for r in present
    ]
    handles.append(Line2D([], [], color="grey", ls="solid", label="data edge (width ~ |w|)"))
    if "dotted" in styles:
        handles.append(Line2D([], [], color="grey", ls="dotted", label="routing computation"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    if path is not None:
        save_figure(ax.figure, path, dpi=120, bbox_inches="tight")
    return ax
