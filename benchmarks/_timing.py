"""Timing helpers shared by the benchmark scripts."""

import timeit
from collections.abc import Callable


def best(fn: Callable[[], object], repeats: int = 5) -> float:
    """Best wall time of ``repeats`` calls (``timeit.repeat``)."""
    return min(timeit.repeat(fn, number=1, repeat=repeats))


def interleaved_best(jobs: list[Callable[[], object]], rounds: int) -> list[float]:
    """Each job's best wall time over ``rounds`` rounds that run every job once, in turn.

    A slow spell of a shared machine then costs every job alike instead of one ratio.
    """
    times = [[best(job, 1) for job in jobs] for _ in range(rounds)]
    return [min(column) for column in zip(*times, strict=True)]
