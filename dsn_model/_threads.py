"""One BLAS thread for the many small matrix products of hashing loops.

Hashing multiplies cache-sized blocks by a thin matrix; with several BLAS
threads (and another job on the machine) such products run many times slower,
so the loops pin BLAS to one thread. The threadpoolctl controller is built
once: scanning the loaded libraries costs more than a small predict.
"""

from __future__ import annotations

from functools import lru_cache

from threadpoolctl import ThreadpoolController

__all__ = ["single_blas_thread"]


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


def single_blas_thread():
    """A context manager limiting BLAS to one thread (threadpoolctl)."""
    return _controller().limit(limits=1, user_api="blas")
