"""Bad library input: a clear ValueError naming the parameter, before anything large exists."""

import networkx as nx
import numpy as np
import pytest

from dsn_model import DSM
from dsn_model.estimators import DenseRegressor, DSMRegressor
from dsn_model.lsh.regressor import LSHRegressor
from dsn_model.model.graph import active_subgraph, evaluate_graph

X = np.random.default_rng(0).uniform(-1, 1, (50, 8))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: LSHRegressor(n_tables=10**7).fit(X, X[:, 0]), "n_tables.*GiB"),
        (
            lambda: LSHRegressor(degree=1, n_hashes=10).fit(np.zeros((5, 2000)), np.zeros(5)),
            "degree.*GiB",
        ),
        (lambda: DSMRegressor(n_units=10**9, sparsity=4).fit(X, X[:, 0]), "n_units.*GiB"),
        (lambda: DSM.random(8, 10**12, 4, router="hash", random_state=0), "n_units.*GiB"),
    ],
)
def test_what_cannot_fit_in_memory_is_refused_before_allocating(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_inputs_that_overflow_float32_hashing_name_hash_dtype():
    model = LSHRegressor(random_state=0).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="hash_dtype"):
        model.predict(X * 1e300)
    with pytest.raises(ValueError, match="hash_dtype"):
        LSHRegressor(random_state=0).fit(X * 1e300, X[:, 0])
    exact = LSHRegressor(hash_dtype="float64", random_state=0).fit(X * 1e300, X[:, 0])
    assert np.isfinite(exact.predict(X * 1e300)).all()  # float64 hashes them


@pytest.mark.parametrize("model", [LSHRegressor(), DenseRegressor(n_units=8)])
def test_string_targets_name_y(model):
    with pytest.raises(ValueError, match="`y` must hold numbers"):
        model.fit(X[:4], np.array(["a", "b", "c", "d"]))


def test_evaluate_graph_refuses_bad_vectors_nodes_and_weights():
    net = DSM.random(8, 16, 2, router="topk", random_state=0)
    G = active_subgraph(net, X[0])
    with pytest.raises(ValueError, match=r"8 inputs\. Got 9"):
        evaluate_graph(G, np.r_[X[0], 0.0])
    H = nx.DiGraph()
    H.add_node(("x", 0), role="input", index=0)
    H.add_node(("h", 0), role="hidden", activation="swish")
    H.add_node(("y",), role="output")
    H.add_edge(("x", 0), ("h", 0), weight=1.0)
    H.add_edge(("h", 0), ("y",), weight=1.0)
    with pytest.raises(ValueError, match=r"\('h', 0\).*swish"):
        evaluate_graph(H, [1.0])
    H.nodes[("h", 0)]["activation"] = "relu"
    H.edges[("x", 0), ("h", 0)]["weight"] = "heavy"
    with pytest.raises(ValueError, match=r"\('h', 0\).*non-numeric"):
        evaluate_graph(H, [1.0])
