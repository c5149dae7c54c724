"""The networkx DAG is the specification: the vectorised path must agree with it."""

import networkx as nx
import numpy as np
import pytest
from builders import ROUTER_KINDS, cube, random_dsm
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dsn_model import (
    DSM,
    RandomFeatures,
    SparseLayer,
    SparseNetwork,
    SwitchRouter,
    TopKRouter,
    UniformHashRouter,
    active_subgraph,
    evaluate_graph,
    graph_flops,
    to_graph,
)
from dsn_model.model.graph import MAX_GRAPH_EDGES

networks = st.tuples(
    st.sampled_from(ROUTER_KINDS),
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(0, 2**31),
)


def stacked(seed: int) -> SparseNetwork:
    rng = np.random.default_rng(seed)
    l1 = SparseLayer(
        RandomFeatures.random(3, 12, random_state=rng),
        SwitchRouter.random(3, 12, 3, random_state=rng),
    )
    l2 = SparseLayer(
        RandomFeatures.random(12, 8, activation="tanh", random_state=rng), TopKRouter(8, 3)
    )
    l3 = SparseLayer(
        RandomFeatures.random(8, 6, random_state=rng), UniformHashRouter(8, 6, 2, key=seed)
    )
    return SparseNetwork([l1, l2, l3], rng.standard_normal(6))


def _check_active_dag(net, x):
    G = active_subgraph(net, x)
    assert nx.is_directed_acyclic_graph(G)
    value = evaluate_graph(G, x)
    np.testing.assert_allclose(value, net.predict(x[None])[0], rtol=1e-12, atol=1e-12)
    top = len(net.layers)
    hidden = [n for n, r in G.nodes(data="role") if r == "hidden" and n[1] == top]
    assert len(hidden) <= net.sparsity
    sources = {n for n, r in G.nodes(data="role") if r in ("input", "bias")}
    reach_out = nx.ancestors(G, ("y",)) | {("y",)}
    reach_in = set().union(*(nx.descendants(G, s) | {s} for s in sources))
    assert set(G.nodes) <= reach_out & reach_in  # every node on an input->output path
    G_full = active_subgraph(net, x, include_routing=True)
    f_graph, f_model = graph_flops(G_full), net.flops(x[None])
    assert int(f_graph.paper) == int(f_model.paper[0])
    assert int(f_graph.routing) == int(f_model.routing[0])
    assert evaluate_graph(G_full, x) == value  # routing nodes never feed the output


@given(networks, st.data())
def test_active_subgraph_agrees_with_vectorised_path(shape, data):
    kind, d, s, experts, seed = shape
    net = random_dsm(kind, d, s, experts, seed)
    x = data.draw(  # the input itself: a failure shrinks to a simple vector
        hnp.arrays(np.float64, d, elements=st.floats(-2, 2, allow_subnormal=False))
    )
    _check_active_dag(net, x)


@given(st.integers(0, 2**31))
def test_stacked_network_graph_agrees(seed):
    net = stacked(seed)
    for x in cube(3, 3, seed):
        _check_active_dag(net, x)


@pytest.mark.parametrize("kind", ROUTER_KINDS)
def test_full_graph_is_the_dense_model(kind):
    net = DSM.random(3, 8, 2, router=kind, random_state=1)
    G = to_graph(net)
    x = cube(1, 3, 2)[0]
    dense = net.features.transform(x[None])[0] @ net.top_weights
    np.testing.assert_allclose(evaluate_graph(G, x), dense, rtol=1e-12, atol=1e-12)
    edges = G.number_of_edges()
    assert edges == 8 * net.features.edges_per_unit() + net.router.routing_edges() + 8


def test_full_graph_refuses_huge_models_but_active_subgraph_works():
    net = DSM.random(16, 2**16, 4, router="hash", random_state=0)
    with pytest.raises(ValueError, match="MAX_GRAPH_EDGES"):
        to_graph(net)
    assert 16 * 2**16 > MAX_GRAPH_EDGES
    G = active_subgraph(net, np.zeros(16))
    assert G.number_of_nodes() == 16 + 1 + 4 + 1


def test_evaluate_graph_rejects_cycles_and_bad_input():
    G = nx.DiGraph()
    G.add_node(("x", 0), role="input", index=0)
    G.add_node(("y",), role="output")
    G.add_edge(("x", 0), ("y",), weight=1.0)
    G.add_edge(("y",), ("x", 0), weight=1.0)
    with pytest.raises(ValueError, match="cycle"):
        evaluate_graph(G, [1.0])
    net = DSM.random(2, 4, 1, router="hash", random_state=0)
    with pytest.raises(ValueError, match="x"):
        active_subgraph(net, np.zeros(3))
    with pytest.raises(ValueError, match="single input"):
        active_subgraph(net, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="x"):
        evaluate_graph(active_subgraph(net, np.zeros(2)), [np.nan, 0.0])
    with pytest.raises(ValueError, match="model"):
        to_graph("not a model")
