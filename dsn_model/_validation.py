"""Input validation shared by the public entry points.

Validate once at the public boundary; internals assume valid input.
"""

from __future__ import annotations

import numbers
import os

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils import check_array

__all__ = [
    "as_rng",
    "check_batch",
    "check_memory",
    "check_numeric_targets",
    "check_positive_float",
    "check_positive_int",
    "memory_budget",
]


def check_batch(X: ArrayLike, input_dim: int | None = None, *, name: str = "X"):
    """Return ``X`` as a finite float64 array of shape ``(n, input_dim)``.

    Raises ``ValueError`` naming ``name`` for a wrong number of dimensions,
    an empty batch, NaN/inf entries or a wrong number of columns.
    """
    try:
        X = check_array(X, dtype=np.float64, ensure_2d=True, input_name=name)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(message if f"`{name}`" in message else f"`{name}`: {message}") from exc
    if input_dim is not None and X.shape[1] != input_dim:
        raise ValueError(
            f"`{name}` has {X.shape[1]} features per row, but the model expects "
            f"input_dim={input_dim}."
        )
    return X


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as ``int`` if it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Got {value!r}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Got {value}.")
    return int(value)


def check_positive_float(value, name: str) -> float:
    """Return ``value`` as ``float`` if it is a finite number ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a positive number. Got {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be a finite number > 0. Got {value}.")
    return value


def as_rng(random_state) -> np.random.Generator:
    """Turn ``None``, an int, a SeedSequence or a Generator into a Generator.

    A ``numpy.random.RandomState`` is accepted too (its next 64-bit draw
    seeds the Generator), so that scikit-learn's conventions keep working.
    """
    if isinstance(random_state, np.random.RandomState):
        random_state = int(random_state.randint(0, 2**63 - 1, dtype=np.int64))
    if isinstance(random_state, bool):
        raise ValueError(
            f"`random_state` must be None, an int or a Generator. Got {random_state!r}."
        )
    try:
        return np.random.default_rng(random_state)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "`random_state` must be None, an int, a SeedSequence or a "
            f"numpy Generator. Got {random_state!r}."
        ) from exc


def memory_budget() -> int:
    """A quarter of this machine's physical memory, in bytes: the most one structure may take
    (its working copies need room too)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 << 30


def check_memory(nbytes: float, what: str) -> None:
    """``ValueError`` before allocating ``nbytes`` for ``what`` beyond :func:`memory_budget`.

    Examples
    --------
    >>> check_memory(1e6, "a small array")
    >>> check_memory(1e30, "`n_units` = 10^23")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `n_units` = 10^23 would need ... GiB of memory; at most ...
    """
    budget = memory_budget()
    if nbytes > budget:
        raise ValueError(
            f"{what} would need {nbytes / 2**30:.1f} GiB of memory; at most "
            f"{budget / 2**30:.1f} GiB (a quarter of this machine's) may be allocated. "
            "Choose smaller parameters."
        )


def check_numeric_targets(y, name: str = "y") -> None:
    """``ValueError`` naming ``name`` unless ``y`` holds numbers (not strings or objects)."""
    if y is None:
        return  # scikit-learn's validation says that y is required
    values = np.asarray(y)
    if values.dtype.kind in "US" or (values.dtype.kind == "O" and not _numbers(values)):
        raise ValueError(
            f"`{name}` must hold numbers for regression. Got an array of dtype {values.dtype}."
        )


def _numbers(values: np.ndarray) -> bool:
    try:
        values.astype(np.float64)
    except (TypeError, ValueError):
        return False
    return True
