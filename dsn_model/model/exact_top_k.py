"""Top-k of linear scores as one fixed-order sum decides it, whatever the batch.

Routers that keep each input's ``k`` largest scores -- Top-K on the features
``sigma(B x + c)``, k-NN on ``<b_i, x>``, Switch on its gate ``W x``, the Scaling
Transformer's blocks on ``U (D x)`` -- compute the scores with one BLAS product,
whose rounding depends on the batch: a row alone goes through a matrix-vector
product and a batch through a blocked matrix product (on one machine, 60% of a
row's 256 scores differ in the last bit between the two). Where two scores nearly
tie at the k-th place, the same input could be routed differently alone and in a
batch.

So the fast selection is kept only where it cannot differ from the *reference*:
the scores computed as the fixed-order float64 sums ``((m_j0 x_0 + m_j1 x_1) +
...) + c_j``, stage by stage (:func:`fixed_order_scores`). The fast and the
reference scores both lie within a rounding band ``e(x)`` of the exact ones
(:func:`rounding_band`); if no unselected score comes within ``4 e(x)`` of the
k-th largest, every selected score exceeds every other one in the reference too,
and the selections agree. The few rows where one does come that close are scored
again in the fixed order and selected from those scores. Routing is then a
function of the input: the same alone, in any batch and with any BLAS
(docs/theory.md, Sections 2 and 3, "Routing that does not depend on the batch").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._kernels import abs_max, count_at_or_above, take_rows, top_k_at, top_k_rows
from .features import ACTIVATIONS

__all__ = [
    "UNIT_ROUNDOFF",
    "fixed_order_scores",
    "rounding_band",
    "screened_top_k",
    "selection_tolerance",
    "top_k_indices",
    "top_k_with_screen",
    "unsure_rows",
]

#: ``u``, the unit roundoff of float64.
UNIT_ROUNDOFF = np.finfo(np.float64).eps / 2


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest entries of each row, ties to the lower index.

    ``k = 1`` is an ``argmax``. For ``k <= t / 8`` (``k <= t / 2`` from
    ``t = 1024``) a compiled selection runs on the entries of each row above a
    cheap lower bound
    (:func:`~dsn_model._kernels.top_k_rows`, no ``n x t`` temporary); otherwise
    numpy's ``O(t)`` selection finds each row's k-th largest value and one
    compiled pass (:func:`~dsn_model._kernels.top_k_at`) keeps the entries above
    it and the lowest-index ones equal to it. The indices of a row come in
    increasing order of index.

    Examples
    --------
    >>> import numpy as np
    >>> top_k_indices(np.array([[0.1, 0.9, 0.5, 0.9]]), 2).tolist()
    [[1, 3]]
    >>> top_k_indices(np.array([[1.0, 1.0, 1.0]]), 2).tolist()
    [[0, 1]]
    """
    n, t = scores.shape
    if k == t:
        return np.broadcast_to(np.arange(t), (n, t)).copy()
    if k == 1:
        return scores.argmax(axis=1)[:, None]  # the first maximum: ties to the lower index
    if _compiled_selection_wins(t, k):
        return top_k_rows(scores, k)
    return top_k_at(scores, np.partition(scores, t - k, axis=1)[:, t - k], k)


def _compiled_selection_wins(t: int, k: int) -> bool:
    """Whether :func:`~dsn_model._kernels.top_k_rows` beats numpy's selection for ``1 < k < t``.

    Measured at t = 64 .. 4096 on normal scores and on ReLU features (whose zeros tie, which
    slows numpy's selection): it wins at k <= t / 16, from t = 256 up to k = t / 2 (1.1-3.4x),
    and from t = 1024 at every k (up to 11x; within 7% of numpy at k = t - 2).
    """
    return 1 < k < t and (t >= 16 * k or (t >= 256 and t >= 2 * k) or t >= 1024)


def rounding_band(
    X: np.ndarray, stages: Sequence[np.ndarray], bias: np.ndarray | None = None
) -> np.ndarray:
    """Per row, a bound on how far any float64 evaluation of the scores is from exact.

    The scores are ``M_L (... (M_1 x))`` plus ``bias`` after the last stage. A stage
    ``M`` of ``p`` inputs evaluated in any order (fused or not) errs by at most
    ``gamma_(p+1) (||m_j||_1 ||h||_inf + |c_j|)`` on its exact input ``h``; with
    ``gamma_q = q u / (1 - q u) <= 2 (q + 2) u`` and the error ``e`` already in ``h``,
    the error after the stage is at most ``2 (p + 3) u (L (a + e) + c) + L e``, where
    ``L = max_j ||m_j||_1``, ``c = max_j |c_j|`` and ``a`` bounds ``|h|``.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    stages : sequence of ndarray
        The matrices ``M_1 (p_1, d), M_2 (p_2, p_1), ...`` in the order applied.
    bias : ndarray of shape (p_L,), optional

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> band = rounding_band(np.array([[1.0, -2.0]]), [np.array([[1.0, 1.0]])])
    >>> bool(0 < band[0] < 1e-14)
    True
    """
    scale = abs_max(X, by_row=True)  # ||x||_inf of each row
    error = np.zeros(len(X))
    for i, M in enumerate(stages):
        widest = float(np.abs(M).sum(axis=1).max()) if M.size else 0.0
        last = i == len(stages) - 1
        offset = float(np.abs(bias).max()) if last and bias is not None and bias.size else 0.0
        error = (
            2 * (M.shape[1] + 3) * UNIT_ROUNDOFF * (widest * (scale + error) + offset)
            + widest * error
        )
        scale = widest * scale + offset
    return error


def fixed_order_scores(
    X: np.ndarray, stages: Sequence[np.ndarray], bias: np.ndarray | None = None
) -> np.ndarray:
    """The reference scores: each stage as ``sum_k m_jk h_k`` in float64, ``k = 0, 1, ...``
    in turn (one rounding per product and per sum, no fused multiply-add), then ``bias``.

    Each entry depends on its own row only, so a row's scores are the same alone and
    in any batch. Vectorised over rows and units; the loop runs over a stage's inputs.

    Examples
    --------
    >>> import numpy as np
    >>> fixed_order_scores(np.array([[1.0, 2.0]]), [np.array([[3.0, 4.0]])], np.array([0.5]))
    array([[11.5]])
    """
    H = np.asarray(X, dtype=np.float64)
    for M in stages:
        Z = np.zeros((len(H), M.shape[0]))
        for k in range(M.shape[1]):
            Z += H[:, k : k + 1] * M[:, k]
        H = Z
    return H + bias if bias is not None else H


def unsure_rows(scores: np.ndarray, kth: np.ndarray, tolerance: np.ndarray, k: int) -> np.ndarray:
    """Rows where an entry besides the ``k`` selected lies within ``tolerance`` of the k-th.

    ``kth`` is each row's k-th largest score; a row is unsure when more than ``k``
    entries are at least ``kth - tolerance``. A tolerance of 0 marks scores known
    exactly (their ties are real and go to the lower index); ``inf`` marks a row
    as unsure outright.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[3.0, 2.0, 2.0 - 1e-15], [3.0, 2.0, 1.0]])
    >>> unsure_rows(scores, np.array([2.0, 2.0]), np.array([1e-14, 1e-14]), 2).tolist()
    [True, False]
    """
    floors = kth - tolerance
    return (tolerance > 0) & (count_at_or_above(scores, floors) > k)


def top_k_with_screen(
    scores: np.ndarray,
    k: int,
    tolerance: np.ndarray,
    *,
    offset: np.ndarray | None = None,
    relu: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`top_k_indices`, the scores at them and :func:`unsure_rows`, in as few passes
    as the selection allows: ``(index, values, unsure)``.

    With ``offset`` or ``relu``, the scores selected from are ``scores + offset`` (then
    ``max(., 0)``), computed row by row inside the compiled selection where it runs, bit
    for bit as numpy computes them; ``values`` are those.

    Examples
    --------
    >>> import numpy as np
    >>> index, values, unsure = top_k_with_screen(
    ...     np.array([[3.0, 2.0, 2.0 - 1e-15], [3.0, 2.0, 1.0]]), 2, np.full(2, 1e-14)
    ... )
    >>> index.tolist(), unsure.tolist()  # row 0: its third score nearly ties the second
    ([[0, 1], [0, 1]], [True, False])
    """
    t = scores.shape[1]
    if _compiled_selection_wins(t, k):  # the screen reads the selection's candidates
        return top_k_rows(scores, k, tolerance=tolerance, offset=offset, relu=relu)
    if offset is not None:
        scores = scores + offset
    if relu:
        scores = np.maximum(scores, 0.0)
    index = np.array(top_k_indices(scores, k), dtype=np.int64)
    values = take_rows(scores, index)
    if k >= t:
        return index, values, np.zeros(len(scores), dtype=bool)
    return index, values, unsure_rows(scores, values.min(axis=1), tolerance, k)


def selection_tolerance(
    X: np.ndarray,
    stages: Sequence[np.ndarray],
    bias: np.ndarray | None = None,
    activation: str | None = None,
    band: np.ndarray | None = None,
) -> np.ndarray:
    """Per row, how close to the k-th largest fast score another must come for the
    selection to be redone from the reference scores (:func:`screened_top_k`'s screen).

    Four rounding bands (:func:`rounding_band`: the fast and the reference scores each
    lie within one of the exact ones); ``tanh`` adds its own rounding; ``sign`` features
    are exact unless a pre-activation lies within two bands of 0 (then ``inf``: redo).

    Examples
    --------
    >>> import numpy as np
    >>> tolerance = selection_tolerance(np.array([[1.0, -2.0]]), [np.array([[1.0, 1.0]])])
    >>> bool(0 < tolerance[0] < 1e-13)
    True
    """
    band = rounding_band(X, stages, bias) if band is None else band
    if activation == "sign":  # exact +-1 unless a pre-activation is near 0
        Z = X @ stages[0].T + (bias if bias is not None else 0.0)
        return np.where(np.abs(Z).min(axis=1) <= 2 * band, np.inf, 0.0)
    # relu and identity keep the band, tanh adds its own rounding
    return 4 * (band + (4 * UNIT_ROUNDOFF if activation == "tanh" else 0.0))


def screened_top_k(
    X: np.ndarray,
    stages: Sequence[np.ndarray],
    k: int,
    *,
    scores: np.ndarray | None = None,
    band: np.ndarray | None = None,
    groups: int = 1,
    bias: np.ndarray | None = None,
    activation: str | None = None,
    return_values: bool = False,
    linear_scores: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """The indices of each row's ``k`` largest reference scores, in each of ``groups``
    consecutive column groups, ties to the lower index: ``(n, groups * k)``.

    The scores may be features: ``activation(X @ M.T + bias)`` (one stage), the
    selection of a Top-K layer. The fast scores decide every row but those where an
    unselected score comes within the rounding tolerance of the k-th largest; those
    are selected again from scores computed in a fixed order.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    stages : sequence of ndarray
        The linear maps that score ``X`` (see :func:`rounding_band`).
    k : int
        Entries kept per group.
    scores : ndarray of shape (n, t), optional
        The fast scores ``X @ M_1.T @ M_2.T ...`` if the caller has them.
    band : ndarray of shape (n,), optional
        :func:`rounding_band` of ``X`` if the caller has it (a router scoring a
        batch in blocks computes it once).
    groups : int, default=1
        Select within each of this many equal blocks of columns (the Scaling
        Transformer's blocks); indices are columns of the whole row.
    bias : ndarray of shape (t,), optional
        Added to the last stage's product (features' biases).
    activation : {"identity", "relu", "sign", "tanh"}, optional
        Applied to the biased product: the scores are features. ``sign`` is exact
        unless a pre-activation lies within the band of 0; ``tanh`` adds its own
        rounding to the tolerance.
    return_values : bool, default=False
        Also return the (fast) scores at the selected indices.
    linear_scores : bool, default=False
        ``scores`` hold the product ``X @ M.T`` alone (one stage): ``bias`` and a
        ``relu`` or ``identity`` activation are applied row by row inside the selection
        (one pass over the features fewer), any other activation first.

    Returns
    -------
    ndarray of shape (n, groups * k), int64
        With ``return_values``: ``(indices, values)``, values shaped alike.

    Examples
    --------
    >>> import numpy as np
    >>> M = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    >>> screened_top_k(np.array([[0.3, 0.1], [0.2, 0.9]]), [M], 1).tolist()
    [[0], [1]]
    """
    activate = ACTIVATIONS[activation] if activation is not None else None
    fused = linear_scores and scores is not None and groups == 1
    fused = fused and activation in (None, "identity", "relu")
    if linear_scores and scores is not None and not fused:
        scores = scores + bias if bias is not None else scores
        scores = activate(scores) if activate is not None else scores
    if scores is None:
        scores = X
        for M in stages:
            scores = scores @ M.T
        if bias is not None:
            scores = scores + bias
        if activate is not None:
            scores = activate(scores)
    n, t = scores.shape
    if groups < 1 or t % groups:
        raise ValueError(f"`groups` must divide the {t} scores of a row. Got {groups}.")
    size = t // groups
    if not 1 <= k <= size:
        raise ValueError(f"`k` must be in [1, {size}] (the scores of a group). Got {k}.")
    offsets = np.arange(groups)[:, None] * size  # of each group's first column

    def whole_rows(local):  # (rows * groups, k) indices in a group -> (rows, groups * k)
        return (local.reshape(-1, groups, k) + offsets).reshape(-1, groups * k)

    tolerance = np.repeat(selection_tolerance(X, stages, bias, activation, band), groups)
    shift = {"offset": bias, "relu": activation == "relu"} if fused else {}
    local, values, unsure = top_k_with_screen(
        scores.reshape(n * groups, size), k, tolerance, **shift
    )
    units, values = whole_rows(local), values.reshape(n, groups * k)
    rows = np.flatnonzero(unsure.reshape(n, groups).any(axis=1))
    if rows.size:
        reference = fixed_order_scores(X[rows], stages, bias)
        if activate is not None:
            reference = activate(reference)
        units[rows] = whole_rows(top_k_indices(reference.reshape(rows.size * groups, size), k))
        fast = scores[rows]
        if fused:  # the fast features of these rows, as the selection computed them
            fast = fast + bias if bias is not None else fast
            fast = activate(fast) if activate is not None else fast
        values[rows] = take_rows(fast, units[rows])
    return (units, values) if return_values else units
