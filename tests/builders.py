"""Builders shared by the test modules."""

import shutil
import subprocess

import numpy as np

from dsn_model import DSM
from dsn_model.model.routers import ROUTERS

ROUTER_KINDS = tuple(ROUTERS)  # every registered router


def random_dsm(kind: str, d: int, s: int, experts: int, seed: int) -> DSM:
    """A random DSM of ``kind`` with ``t = s * experts`` units (``s * 2^experts`` for LSH)."""
    per_block = 2**experts if kind == "lsh" else experts
    return DSM.random(d, s * per_block, s, router=kind, random_state=seed)


def cube(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, d))


def assert_drawn(path, *, min_side: int = 300) -> None:
    """A PNG with a real picture: decodable, of a figure's size, not a blank canvas."""
    import matplotlib.pyplot as plt

    image = plt.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= min_side, image.shape
    ink = (image[..., :3] < 0.9).any(axis=2).mean()  # pixels that are not near-white
    assert 0.01 < ink < 0.9, ink


#: The installed ``dsn`` command, or None.
DSN = shutil.which("dsn")


def run_dsn(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """Run the installed ``dsn`` with ``args``, capturing its output."""
    return subprocess.run(
        [DSN, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False
    )


def one_line_error(result, *words) -> None:
    """The command failed with exit code 2 and one line naming every one of ``words``."""
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
