"""The top layer trained by Adam, as the paper trains it: epochs over features kept.

scikit-learn's linear ``MLPRegressor`` runs Adam over shuffled minibatches; the features
of rows read again and again (epochs, checkpoints, a grid of step sizes) are computed
once and kept (:mod:`dsn_model._kept`), and a Top-K routing of a chunk is kept across
epochs, so an epoch costs the optimiser's products only.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np
from scipy.sparse import csr_matrix
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from .. import _kept
from .._kernels import dense_rows

#: Largest routing (active units of every row of a chunk) kept across Adam epochs.
_ROUTING_CACHE_BYTES = 1 << 28


def _sparse_rows(units: np.ndarray, values: np.ndarray, t: int) -> csr_matrix:
    """Rows of ``t`` features as a CSR matrix: ``values[r]`` at ``units[r]`` (an empty slot,
    unit 0 with value 0, adds nothing). scikit-learn's MLP multiplies it as it stands."""
    n, s = units.shape
    return csr_matrix((values.ravel(), units.ravel(), np.arange(0, n * s + 1, s)), shape=(n, t))


class _AdamTopLayer:
    """The Adam solver of a random-feature model (mixed into it)."""

    def _start_adam(self) -> None:
        """A linear ``MLPRegressor`` trained by Adam: the top layer's optimiser."""
        self._adam = MLPRegressor(
            hidden_layer_sizes=(),
            solver="adam",
            alpha=self.alpha * self.batch_size,  # = ridge's alpha per sample, see _adam_epoch
            batch_size=self.batch_size,
            learning_rate_init=self.learning_rate,
            shuffle=False,  # rows are permuted here, once per epoch
            random_state=int(self._adam_rng.integers(2**31)),
        )

    def _adam_epoch(self, X, Y) -> None:
        """One pass of Adam over ``X`` in a random order, features computed block by block.

        scikit-learn's loss per minibatch of ``b`` rows is ``mean(r^2) / 2 + alpha_mlp
        ||a||^2 / (2 b)``; with ``alpha_mlp = alpha b`` it is half of ridge's
        ``mean(r^2) + alpha ||a||^2``: the same minimiser as the exact solver.
        """
        order = self._adam_rng.permutation(len(X))
        t = self.features_.n_units
        kept = self._kept_features(X)
        routed = None if kept is not None else self._chunk_routing(X)
        # whole minibatches per call (at least 8, to spread scikit-learn's per-call checks):
        # the updates are the same for any block size, minibatch by minibatch
        block = max(8, (4 << 20) // (8 * t) // self.batch_size) * self.batch_size
        for start in range(0, len(X), block):
            rows = order[start : start + block]
            if kept is not None:  # the features of every row, computed once per chunk
                units, values = kept[0] if kept[0] is None else kept[0][rows], kept[1][rows]
            elif routed is None:
                units, values = self._active_features(X[rows])
            else:  # the routed units' features, computed as routing would, with no selection
                units = np.maximum(routed[rows], 0).astype(np.int64)  # empty slots: unit 0 ...
                step = self._block_rows()
                values = np.concatenate(
                    [
                        self._layer.features_at(X[rows[i : i + step]], units[i : i + step])
                        for i in range(0, len(rows), step)
                    ]
                )
                values[routed[rows] < 0] = 0.0  # ... with value 0, as forward gives them
            if units is not None:  # rows of t features: sparse ones where most are zero
                values = (
                    _sparse_rows(units, values, t)
                    if 4 * units.shape[1] <= t
                    else (dense_rows(units, values, t))
                )
            target = Y[rows]
            # features computed here are finite (inputs were checked): no second scan
            with warnings.catch_warnings(), config_context(assume_finite=True):
                warnings.simplefilter("ignore", ConvergenceWarning)
                # an epoch's last block may be shorter than a minibatch: it is one
                warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
                self._adam.partial_fit(values, target[:, 0] if target.shape[1] == 1 else target)

    def _kept_features(self, X, *, defer: bool = False):
        """``(units, values)`` of ``X``'s active features, computed once and kept while the
        model's features stay the same (Adam's epochs, its checkpoint predictions and a
        grid of step sizes read the same rows again and again); ``None`` beyond
        ``_ROUTING_CACHE_BYTES / 8`` per array.

        Kept by :mod:`dsn_model._kept`: shared by models whose features and router are
        the same byte for byte, outside the model's ``__dict__``; the values are those
        :meth:`_active_features` gives, so predictions are unchanged. With ``defer``, an
        array is kept from its second reading on (``None`` the first time).
        """
        width = self.features_.n_units if self.router_ is None else self.sparsity_
        if len(X) * width * 12 > _ROUTING_CACHE_BYTES // 8:
            return None
        if not _kept.holds(self):  # e.g. a model loaded or copied after its fit
            _kept.hold(self, _kept.fingerprint(type(self).__name__, self.features_, self.router_))
        return _kept.kept(self, X, self._features_of, defer=defer)

    def _features_of(self, X):
        """:meth:`_active_features` of ``X`` block by block, written into one array each."""
        step = self._block_rows()
        units = values = None
        for start in range(0, len(X), step):
            block_units, block_values = self._active_features(X[start : start + step])
            if values is None:
                values = np.empty((len(X), block_values.shape[1]))
                if block_units is not None:
                    units = np.empty((len(X), block_units.shape[1]), dtype=block_units.dtype)
            values[start : start + step] = block_values
            if units is not None:
                units[start : start + step] = block_units
        return (units, values) if values is not None else self._active_features(X)

    def _chunk_routing(self, X) -> np.ndarray | None:
        """The active units of every row of ``X`` for a feature-routed (Top-K) model, kept
        across Adam epochs over the same chunk; ``None`` for other models (their routing
        is cheap or absent) or if it would take more than ``_ROUTING_CACHE_BYTES``.

        Routing a row needs all ``t`` features and a selection; an epoch only needs the
        features of the ``s`` units, so it reads them from features it computes anyway.
        The chunk is recognised by its shape and a digest of its bytes.
        """
        router = self._layer.router
        if self.router_ is None or not router.uses_features:
            return None
        cache = getattr(self, "_routing_cache", None)  # a pickled model has none
        t, s = self.features_.n_units, self.sparsity_
        dtype = np.int32 if t < 1 << 31 else np.int64
        if len(X) * s * np.dtype(dtype).itemsize > _ROUTING_CACHE_BYTES:
            return None
        X = np.ascontiguousarray(X)
        key = (X.shape, hashlib.blake2b(X.data, digest_size=16).digest())
        if cache is None or cache[0] != key:
            routed = np.empty((len(X), s), dtype=dtype)
            step = self._block_rows()
            for start in range(0, len(X), step):
                block = X[start : start + step]
                routed[start : start + step] = self._layer.forward(block)[0].units
            self._routing_cache = (key, routed)
        return self._routing_cache[1]
