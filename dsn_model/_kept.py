"""Arrays a model computes from an input it reads again and again, kept and shared.

Adam's epochs, its checkpoint predictions and a grid of step sizes read the same rows
many times through models whose features are the same (one seed, one draw). What a
model computes from such rows (its active features) is kept here, under

* the *fingerprint* of what produced it -- a digest of the model's feature map and
  router, their arrays byte for byte -- so models drawn alike share it, and
* a digest of the input's bytes and its shape.

Entries of a fingerprint live while a model holding it does (``weakref.finalize``), up
to :data:`MAX_ENTRIES` inputs each (the oldest dropped first). Nothing is kept in the
model's ``__dict__``: copies and saved models do not carry it.
"""

from __future__ import annotations

import hashlib
import uuid
import weakref
from collections import Counter

import numpy as np

__all__ = ["MAX_ENTRIES", "fingerprint", "hold", "holds", "kept", "release"]

#: Inputs kept per fingerprint.
MAX_ENTRIES = 4

_ENTRIES: dict[bytes, dict] = {}
_HOLDERS: Counter = Counter()
_HELD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _update(digest, obj) -> bool:
    """Feed ``obj``'s type and attributes to ``digest``; False if one cannot be digested."""
    digest.update(type(obj).__qualname__.encode())
    for name, value in sorted(vars(obj).items()):
        digest.update(name.encode())
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype.str}{value.shape}".encode())
            digest.update(np.ascontiguousarray(value).data)
        elif value is None or isinstance(value, (bool, int, float, str)):
            digest.update(repr(value).encode())
        else:
            return False
    return True


def fingerprint(*parts) -> bytes | None:
    """A digest of strings and of objects made of arrays and scalars; None if an object
    holds something else.

    Examples
    --------
    >>> class Weights:
    ...     def __init__(self, w):
    ...         self.w = w
    >>> fingerprint(Weights(np.ones(3))) == fingerprint(Weights(np.ones(3)))
    True
    >>> fingerprint(Weights(np.ones(3))) == fingerprint(Weights(np.zeros(3)))
    False
    >>> fingerprint(Weights([1.0])) is None      # a list: not digested, never shared
    True
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, str) or part is None:
            digest.update(repr(part).encode())
        elif not _update(digest, part):
            return None
    return digest.digest()


def hold(model, key: bytes | None) -> None:
    """Attach ``model`` to the entries of ``key`` (releasing what it held before); with
    ``key=None`` to entries of its own."""
    release(model)
    key = uuid.uuid4().bytes if key is None else key
    _HOLDERS[key] += 1
    _HELD[model] = (key, weakref.finalize(model, _drop, key))


def holds(model) -> bool:
    """Whether ``model`` is attached to entries."""
    return model in _HELD


def release(model) -> None:
    """Detach ``model`` from its entries; they go when no model holds them."""
    held = _HELD.pop(model, None)
    if held is not None and held[1].detach() is not None:
        _drop(held[0])


def _drop(key: bytes) -> None:
    _HOLDERS[key] -= 1
    if _HOLDERS[key] <= 0:
        del _HOLDERS[key]
        _ENTRIES.pop(key, None)


def kept(model, X: np.ndarray, compute, *, defer: bool = False):
    """``compute(X)``, kept for the models sharing ``model``'s fingerprint; computed
    afresh if ``model`` holds none. With ``defer``, an input seen for the first time is
    only noted and ``None`` returned (the caller has a cheaper way to read it once); it
    is computed and kept when it comes again.

    Examples
    --------
    >>> class Model:
    ...     def __init__(self):
    ...         self.w = np.arange(3.0)
    >>> calls = []
    >>> def double(X):
    ...     calls.append(1)
    ...     return 2 * X
    >>> a, b = Model(), Model()
    >>> hold(a, fingerprint(a)); hold(b, fingerprint(b))
    >>> X = np.ones(2)
    >>> _ = kept(a, X, double); _ = kept(b, X, double)   # b draws what a computed
    >>> len(calls)
    1
    >>> kept(a, np.zeros(2), double, defer=True) is None, len(calls)   # noted only
    (True, 1)
    >>> _ = kept(a, np.zeros(2), double, defer=True); len(calls)       # seen again: kept
    2
    """
    held = _HELD.get(model)
    if held is None:
        return None if defer else compute(X)
    entries = _ENTRIES.setdefault(held[0], {})
    X = np.ascontiguousarray(X)
    key = (X.shape, X.dtype.str, hashlib.blake2b(X.data, digest_size=16).digest())
    if entries.get(key) is None:
        if defer and key not in entries:
            value = None  # noted: computed if it comes again
        else:
            value = compute(X)
        entries.pop(key, None)
        while len(entries) >= MAX_ENTRIES:
            entries.pop(next(iter(entries)))
        entries[key] = value
    return entries[key]
