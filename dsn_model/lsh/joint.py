"""The LSH model's top layer trained jointly: every bucket's coefficients at once.

As a DSM(d, s, s 2^m) the LSH model is a fixed random bottom layer (the hash tables) and a
trainable top layer: one coefficient block per bucket, the prediction their sum over the
``s`` tables (docs/theory.md, "The LSH model's top layer"). Row ``j`` of the design ``Z``
has ``z_j = 1`` (``degree=0``) or ``z_j = (1, x_j)`` (``degree=1``) in the block of the
bucket it falls in, for each table. This module fits that layer like every other top layer:

* :func:`ridge_top_layer` -- ``min_b mean((y - mu - Z b)^2) + alpha ||b||^2`` by
  conjugate gradients (scipy's ``cg``) on the normal equations (preconditioned by their
  block diagonal) or on their dual (one unknown per row, when rows are fewer),
  matrix-free with compiled products;
* :func:`adam_epoch` -- the same objective by minibatch Adam (scikit-learn's
  ``MLPRegressor`` on sparse rows of ``Z``), one epoch per call.

Theorem 4.1's learner -- each table's bucket set to its training mean, tables averaged --
is a different estimator (``LSHRegressor(solver="mean")``); it ignores that the tables
explain the target together.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, cg
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning

from .._kernels import design_product, design_transpose_product

__all__ = ["RidgeSolution", "TableCodes", "adam_epoch", "ridge_top_layer"]


@dataclass
class TableCodes:
    """The units each training row reads, table by table: the design ``Z`` in compact form.

    Attributes
    ----------
    codes : ndarray (s, n), unsigned or int32/int64
        Row ``j`` reads unit ``codes[i, j] + offsets[i]`` in table ``i``.
    offsets : ndarray (s,) int64
    n_units : int
        Columns (blocks) of the design: the stored bucket slots.
    X : ndarray (n, d) or None
        The rows themselves for affine buckets (``degree=1``); None for constants.

    Examples
    --------
    >>> import numpy as np
    >>> design = TableCodes(np.array([[0, 1], [1, 1]], dtype=np.uint8), np.array([0, 2]), 4)
    >>> design.to_csr().toarray()
    array([[1., 0., 0., 1.],
           [0., 1., 0., 1.]])
    """

    codes: np.ndarray
    offsets: np.ndarray
    n_units: int
    X: np.ndarray | None = None

    def __post_init__(self):
        codes = np.ascontiguousarray(self.codes)
        if codes.dtype.kind not in "ui" or codes.ndim != 2:
            raise ValueError(f"`codes` must be an integer matrix (s, n). Got {codes.dtype}.")
        self.offsets = np.ascontiguousarray(self.offsets, dtype=np.int64)
        if self.offsets.shape != (codes.shape[0],):
            raise ValueError(f"`offsets` must hold one integer per table: {codes.shape[0]}.")
        if codes.size:
            low = codes.min(axis=1).astype(np.int64) + self.offsets
            high = codes.max(axis=1).astype(np.int64) + self.offsets
            if low.min() < 0 or high.max() >= self.n_units:
                raise ValueError(f"`codes` + `offsets` must lie in [0, {self.n_units}).")
        if self.X is not None:
            self.X = np.ascontiguousarray(self.X, dtype=np.float64)
            if self.X.shape[0] != codes.shape[1]:
                raise ValueError(f"`X` must have one row per code column: {codes.shape[1]}.")
        self.codes = codes

    @property
    def n_rows(self) -> int:
        return self.codes.shape[1]

    @property
    def width(self) -> int:
        """Coefficients per unit: 1, or ``d + 1`` for affine buckets."""
        return 1 if self.X is None else self.X.shape[1] + 1

    def coef_shape(self) -> tuple[int, ...]:
        return (self.n_units,) if self.X is None else (self.n_units, self.width)

    def product(self, coef: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``Z coef``, ``(n,)``."""
        out = np.empty(self.n_rows) if out is None else out
        return design_product(coef, self.codes, self.offsets, self.X, out)

    def transpose_product(self, r: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``Z^T r``, shaped like the coefficients."""
        out = np.empty(self.coef_shape()) if out is None else out
        return design_transpose_product(r, self.codes, self.offsets, self.X, out)

    def csr_rows(self, rows: np.ndarray) -> sp.csr_matrix:
        """The explicit rows ``Z[rows]`` as a CSR matrix of ``n_units * width`` columns."""
        s, p = self.codes.shape[0], self.width
        units = self.codes[:, rows].T.astype(np.int64) + self.offsets  # (r, s)
        if self.X is None:
            data = np.ones(units.size)
            indices = units.ravel()
        else:
            z = np.hstack([np.ones((len(rows), 1)), self.X[rows]])  # (r, p)
            indices = (units[:, :, None] * p + np.arange(p)).ravel()
            data = np.broadcast_to(z[:, None, :], (len(rows), s, p)).ravel()
        indptr = np.arange(0, len(rows) * s * p + 1, s * p)
        return sp.csr_matrix(
            (data, indices, indptr), shape=(len(rows), self.n_units * p), copy=False
        )

    def to_csr(self) -> sp.csr_matrix:
        """The explicit design ``Z`` (``n`` x ``n_units * width``), for tests and comparisons."""
        return self.csr_rows(np.arange(self.n_rows))


def _block_preconditioner(blocks: np.ndarray, lam: float):
    """``M ~ (diag blocks of Z^T Z + lam I)^{-1}`` as a function; empty units map to 0."""
    if blocks.ndim == 1:  # degree 0: the bucket counts
        diagonal = blocks + lam
        inverse = np.divide(1.0, diagonal, out=np.zeros_like(diagonal), where=diagonal > 0)
        return lambda v: v * inverse
    p = blocks.shape[1]
    jitter = 1e-12 * max(1.0, float(np.trace(blocks, axis1=1, axis2=2).max()) / p)
    inverse = np.linalg.inv(blocks + (lam + jitter) * np.eye(p))
    return lambda v: np.einsum("upq,uq->up", inverse, v.reshape(-1, p)).ravel()


@dataclass
class RidgeSolution:
    """What :func:`ridge_top_layer` returns.

    Attributes
    ----------
    coef : ndarray, shaped like ``TableCodes.coef_shape()``
        Each unit's trained contribution ``b``.
    intercept : float
        ``mu``, the mean target (unpenalised).
    iterations : int
        Conjugate-gradient iterations (products with ``Z^T Z`` or ``Z Z^T``).
    dual : ndarray (n,) or None
        ``w`` with ``coef = Z^T w`` when the dual form was solved (a warm start for the
        next solve on the same rows); None for the primal form.
    """

    coef: np.ndarray
    intercept: float
    iterations: int
    dual: np.ndarray | None = None


def _warn_unconverged(tol: float, max_iter: int) -> None:
    warnings.warn(
        f"The joint ridge fit did not reach `tol`={tol:g} in `max_iter`={max_iter} "
        "iterations; increase max_iter or alpha.",
        ConvergenceWarning,
        stacklevel=4,
    )


def ridge_top_layer(
    design: TableCodes,
    y: np.ndarray,
    alpha: float,
    blocks: np.ndarray,
    *,
    x0: np.ndarray | None = None,
    dual_x0: np.ndarray | None = None,
    tol: float = 1e-4,
    max_iter: int = 1000,
    form: str = "auto",
) -> RidgeSolution:
    """Ridge regression of ``y`` on the one-hot design, by conjugate gradients (scipy's ``cg``).

    Minimises ``mean((y - mu - Z b)^2) + alpha ||b||^2`` with ``mu = mean(y)``: the penalty
    of the random-feature estimators. Every row has one unit per table, so ``Z 1 = s`` and
    ``mu`` is the model's intercept, unpenalised. Two equivalent forms:

    * primal: ``(Z^T Z + alpha n I) b = Z^T (y - mu)``, one unknown per coefficient,
      preconditioned by the block diagonal of ``Z^T Z`` (each bucket's own Gram block);
    * dual: ``(Z Z^T + alpha n I) w = y - mu`` and ``b = Z^T w``, one unknown per row
      (``Z Z^T`` has ``s`` on its diagonal: no preconditioner needed).

    ``form="auto"`` takes the dual when there are at most a quarter as many rows as
    coefficients and ``alpha > 0`` (with 2^14 buckets per table and 4e4 rows, its vectors
    are 100x shorter), else the preconditioned primal.

    Parameters
    ----------
    design : TableCodes
    y : ndarray (n,)
    alpha : float >= 0
        Penalty per sample.
    blocks : ndarray (n_units,) or (n_units, p, p)
        The block diagonal of ``Z^T Z``: bucket counts (``degree=0``) or each bucket's
        Gram matrix of ``(1, x)`` (``degree=1``); the primal preconditioner.
    x0, dual_x0 : ndarray, optional
        Warm starts of the primal (shaped like the coefficients; default each table's
        centred bucket means / s) and of the dual (``(n,)``; default 0).
    tol : float
        Stop when the residual of the form solved is ``tol`` times its right-hand side.
    max_iter : int
        A ``ConvergenceWarning`` if it passes first.
    form : {"auto", "primal", "dual"}

    Returns
    -------
    RidgeSolution

    Examples
    --------
    >>> import numpy as np
    >>> design = TableCodes(np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=np.uint8),
    ...                     np.array([0, 2]), 4)
    >>> y = np.array([0.0, 1.0, 2.0, 3.0])       # = 2 [table 0 is 1] + [table 1 is 1]
    >>> counts = np.bincount((design.codes.T + design.offsets).ravel(), minlength=4)
    >>> fit = ridge_top_layer(design, y, 0.0, counts.astype(float), tol=1e-12)
    >>> np.round(design.product(fit.coef) + fit.intercept, 9)
    array([0., 1., 2., 3.])
    """
    if form not in ("auto", "primal", "dual"):
        raise ValueError(f"`form` must be 'auto', 'primal' or 'dual'. Got {form!r}.")
    n = design.n_rows
    lam = float(alpha) * n
    mu = float(np.mean(y))
    shape = design.coef_shape()
    size = int(np.prod(shape))
    if not np.any(y != mu):
        return RidgeSolution(np.zeros(shape), mu, 0)
    if form == "dual" or (form == "auto" and lam > 0 and 4 * n <= size):
        return _dual(design, y - mu, mu, lam, dual_x0, tol, max_iter)
    rhs = design.transpose_product(y - mu).ravel()
    scratch_rows = np.empty(n)
    scratch_units = np.empty(shape)
    count = [0]

    def normal_product(b):
        count[0] += 1
        design.product(b.reshape(shape), scratch_rows)
        design.transpose_product(scratch_rows, scratch_units)
        return scratch_units.ravel() + lam * b

    preconditioner = _block_preconditioner(blocks, lam)
    start = preconditioner(rhs) / design.codes.shape[0] if x0 is None else np.ravel(x0)
    operator = LinearOperator((size, size), matvec=normal_product, dtype=np.float64)
    M = LinearOperator((size, size), matvec=preconditioner, dtype=np.float64)
    coef, info = cg(operator, rhs, x0=start, rtol=tol, atol=0.0, maxiter=max_iter, M=M)
    if info > 0:
        _warn_unconverged(tol, max_iter)
    return RidgeSolution(coef.reshape(shape), mu, count[0])


def _dual(design: TableCodes, r, mu, lam, w0, tol, max_iter) -> RidgeSolution:
    n = design.n_rows
    scratch_rows = np.empty(n)
    scratch_units = np.empty(design.coef_shape())
    count = [0]

    def kernel_product(w):
        count[0] += 1
        design.transpose_product(w, scratch_units)
        design.product(scratch_units, scratch_rows)
        return scratch_rows + lam * w

    operator = LinearOperator((n, n), matvec=kernel_product, dtype=np.float64)
    start = np.zeros(n) if w0 is None else np.asarray(w0, dtype=np.float64)
    w, info = cg(operator, r, x0=start, rtol=tol, atol=0.0, maxiter=max_iter)
    if info > 0:
        _warn_unconverged(tol, max_iter)
    return RidgeSolution(design.transpose_product(w), mu, count[0], w)


def adam_epoch(optimiser, design: TableCodes, y: np.ndarray, rng: np.random.Generator) -> None:
    """One pass of minibatch Adam over the design's rows in a random order.

    ``optimiser`` is a linear ``MLPRegressor(hidden_layer_sizes=(), solver="adam",
    shuffle=False)``; its ``alpha`` is the ridge penalty per sample times the batch size,
    so that it minimises the objective of :func:`ridge_top_layer` (scikit-learn's
    minibatch loss is ``mean(r^2) / 2 + alpha_mlp ||b||^2 / (2 b)``). Its weights are
    the coefficients ``b`` (unit-major), its intercept ``mu``.
    """
    order = rng.permutation(design.n_rows)
    batch = optimiser.batch_size
    row_cost = design.codes.shape[0] * design.width
    block = max(1, (1 << 22) // (16 * row_cost) // batch) * batch  # CSR blocks of ~4 MiB
    for start in range(0, len(order), block):
        rows = order[start : start + block]
        # the design's rows are finite by construction: no second scan of each block
        with warnings.catch_warnings(), config_context(assume_finite=True):
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
            optimiser.partial_fit(design.csr_rows(rows), y[rows])
