"""Tasks and records: one seeded fit-and-evaluate job each, run anywhere.

A sweep is a list of :class:`Task` (target x model x size x seed). Each task is
self-contained and seeded, so :func:`run_tasks` gives the same records with
one worker or many, on joblib's local processes or on a Dask cluster. A record
is a flat dict (written as CSV/JSON by :func:`write_records`).

Choices the paper leaves open and we fix: inputs uniform on ``[-1, 1]^n``;
exact ridge top layers, the penalty chosen on a validation split of the training
rows (:data:`ALPHA_GRID`); Adam on standardised targets, its step chosen likewise
(:data:`STEP_GRID`); ReLU random features ``N(0, 1/d)`` weights and ``U[-1, 1]``
biases; hyperplane LSH with offsets in ``[-1, 1]`` and every bucket scalar trained
jointly (:data:`PAPER_LSH`). :data:`SIZES` holds the quick and full
sizes every experiment draws from.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .._io import atomic_writer
from .._threads import single_blas_thread
from ..data import load_digits_data, random_subspace, uniform_cube, uniform_on_section
from ..estimators import (
    DenseClassifier,
    DenseRegressor,
    DSMClassifier,
    DSMRegressor,
    LSHRegressor,
    RandomHashRegressor,
)
from ..targets import RandomHypercube, RandomPolynomial

__all__ = [
    "ALPHA_GRID",
    "EXACT_LSH",
    "PAPER_LSH",
    "SIZES",
    "STEP_GRID",
    "VALIDATION_FRACTION",
    "Task",
    "default_grid",
    "estimated_seconds",
    "iter_tasks",
    "longest_first",
    "run_task",
    "run_tasks",
    "table1_scale",
    "task_id",
    "write_records",
]


@dataclass(frozen=True)
class Task:
    """One fit-and-evaluate job. ``model`` is a name; ``params`` its keyword arguments."""

    experiment: str
    target: str
    model: str
    params: dict = field(default_factory=dict, hash=False)
    seed: int = 0
    n_train: int = 10_000
    n_test: int = 5_000
    d: int = 8
    k: int = 0  # > 0: inputs on a random k-dim section of the cube
    label: str = ""
    nested: bool = False  # target and test set fixed by the seed; training sets nested in n
    grid: dict = field(default_factory=dict, hash=False)  # {name: values}; {}: default_grid


# LSH models of the reproduction hash in float64: cells exactly as the paper's
# halfspaces, and the committed full run (results/) stays reproducible bit for bit.
EXACT_LSH = {"hash_dtype": "float64"}

#: The paper's LSH model as Section 5 trains it: one scalar per bucket, all of them trained
#: jointly (ridge). A bucket no training point fell in keeps what training left it, a zero
#: contribution (the "global" fallback: the table's share of the intercept).
PAPER_LSH = {"solver": "ridge", "fallback": "global", **EXACT_LSH}

#: Ridge penalties per sample tried on the validation split (exact and joint solvers).
ALPHA_GRID = {"alpha": (1e-7, 1e-5, 1e-3, 1e-1)}

#: Adam step sizes tried on the validation split (standardised targets).
STEP_GRID = {"learning_rate": (1e-3, 1e-2, 1e-1)}

#: The share of the training rows held out to choose ``Task.grid``'s value.
VALIDATION_FRACTION = 0.2

_MODELS = {
    "dense": DenseRegressor,
    "dsm": DSMRegressor,
    "hash": RandomHashRegressor,
    "lsh": LSHRegressor,
    "dense-clf": DenseClassifier,
    "dsm-clf": DSMClassifier,
}


def _regression_data(task: Task):
    return _cached_data(
        task.seed, task.n_train, task.n_test, task.d, task.k, task.target, task.nested
    )


@functools.lru_cache(maxsize=8)  # tasks of one seed share their data (at most 8 x 5 MB)
def _cached_data(seed, n_train, n_test, d, k, target, nested):
    task = Task("", target, "", seed=seed, n_train=n_train, n_test=n_test, d=d, k=k)
    if nested:
        return _nested_data(task)
    rng = np.random.default_rng(task.seed)
    n = task.n_train + task.n_test
    if task.k:
        U = random_subspace(task.d, task.k, random_state=rng)
        X = uniform_on_section(n, U, random_state=rng)
        inner = RandomPolynomial(task.k, 4, random_state=rng)
        y = inner(X @ U)
    else:
        X = uniform_cube(n, task.d, random_state=rng)
        f = (
            RandomPolynomial(task.d, 4, random_state=rng)
            if task.target == "polynomial"
            else RandomHypercube(task.d, random_state=rng)
        )
        y = f(X)
    return X[: task.n_train], y[: task.n_train], X[task.n_train :], y[task.n_train :]


def _nested_data(task: Task):
    """Separate streams for the target, the test inputs and the training inputs: a larger
    ``n_train`` extends the same training set, and target and test set do not change."""
    f = (
        RandomPolynomial(task.d, 4, random_state=np.random.default_rng([task.seed, 0]))
        if task.target == "polynomial"
        else RandomHypercube(task.d, random_state=np.random.default_rng([task.seed, 0]))
    )
    Xte = uniform_cube(task.n_test, task.d, random_state=np.random.default_rng([task.seed, 1]))
    Xtr = uniform_cube(task.n_train, task.d, random_state=np.random.default_rng([task.seed, 2]))
    return Xtr, f(Xtr), Xte, f(Xte)


def _digits(task: Task):
    X, y = load_digits_data()
    order = np.random.default_rng(task.seed).permutation(len(X))
    cut = int(0.75 * len(X))
    return X[order[:cut]], y[order[:cut]], X[order[cut:]], y[order[cut:]]


#: Epochs at which a model trained by Adam also records its test error.
CHECKPOINTS = (1, 2, 5, 10, 20, 50, 100, 200)


def _test_error(model, task: Task, Xte, yte, scale=(0.0, 1.0)) -> dict:
    pred = model.predict(Xte)
    if task.target == "digits":
        return {"accuracy": float(np.mean(pred == yte))}
    mse = float(np.mean((scale[0] + scale[1] * pred - yte) ** 2))
    return {"mse": mse, "mse_over_var": mse / float(yte.var())}


def _fit(model, task: Task, Xtr, ytr):
    """Fit; a model trained by Adam goes epoch by epoch, kept as it was at CHECKPOINTS.

    Adam trains on standardised targets (``(y - mean) / sd`` of its training rows;
    predictions are mapped back): its step size then means the same at any target scale.
    Returns ``(seconds, snapshots, scale)``: ``snapshots`` maps a checkpoint epoch to
    the model then (the last one is ``model`` itself; none for other solvers), to be
    evaluated by :func:`_curve` once a step is chosen; ``scale = (mean, sd)`` maps
    predictions back.
    """
    if task.params.get("solver") != "adam":
        start = time.perf_counter()
        model.fit(Xtr, ytr)
        return time.perf_counter() - start, {}, (0.0, 1.0)
    scale = (float(ytr.mean()), float(ytr.std()) or 1.0)
    ys = (ytr - scale[0]) / scale[1]
    epochs, seconds, snapshots = model.epochs, 0.0, {}
    model.set_params(epochs=1)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.fit(Xtr, ys) if epoch == 1 else model.partial_fit(Xtr, ys)
        seconds += time.perf_counter() - start
        if epoch in CHECKPOINTS and epoch < epochs:
            snapshots[epoch] = copy.deepcopy(model)
    model.set_params(epochs=epochs)
    snapshots[epochs] = model
    return seconds, snapshots, scale


def _curve(task: Task, snapshots: dict, Xtr, ytr, Xte, yte, scale) -> dict:
    """Test and training error (MSE / Var on standardised targets) of each snapshot."""
    if not snapshots:
        return {}
    ys = (ytr - scale[0]) / scale[1]
    curve = {e: _test_error(m, task, Xte, yte, scale) for e, m in snapshots.items()}
    key = "accuracy" if task.target == "digits" else "mse_over_var"
    return {
        "curve_epochs": list(curve),
        f"curve_{key}": [errors[key] for errors in curve.values()],
        "curve_train_mse_over_var": [
            float(np.mean((m.predict(Xtr) - ys) ** 2)) for m in snapshots.values()
        ],
    }


def _error(task: Task, pred, y) -> float:
    """What a hyper-parameter is chosen by: error rate (digits) or MSE / Var."""
    if task.target == "digits":
        return float(np.mean(pred != y))
    return float(np.mean((pred - y) ** 2) / y.var())


def default_grid(task: Task) -> dict:
    """The hyper-parameter a task chooses on validation unless ``task.grid`` names one:
    the ridge penalty of exact and joint solvers (:data:`ALPHA_GRID`), Adam's step
    (:data:`STEP_GRID`); nothing for a value fixed in ``task.params`` or for Theorem 4.1's
    per-bucket means, which have no hyper-parameter to train.

    Examples
    --------
    >>> default_grid(Task("", "polynomial", "dense", {"n_units": 8})) == ALPHA_GRID
    True
    >>> default_grid(Task("", "polynomial", "lsh", {"solver": "mean"}))
    {}
    """
    if task.grid:
        return task.grid
    solver = task.params.get("solver", "mean" if task.model == "lsh" else "exact")
    if solver in ("exact", "ridge") and "alpha" not in task.params:
        return ALPHA_GRID
    if solver == "adam" and "learning_rate" not in task.params:
        return STEP_GRID
    return {}


def _exact_path(task: Task, name: str) -> bool:
    """Whether ``name`` can be changed after a fit by re-solving the kept sums or codes."""
    return name == "alpha" and task.params.get("solver", "exact") in ("exact", "ridge")


def _fit_validated(task: Task, Xtr, ytr, Xte, yte):
    """Fit the task's model, choosing its :func:`default_grid` value on a validation split.

    The last ``VALIDATION_FRACTION`` of the training rows (an i.i.d. sample) is held out.
    A ridge penalty is chosen on a path from one fit on the rest, then the model is
    re-solved with it on every training row (``partial_fit`` merges the held-out rows
    exactly). Any other value (Adam's step) is one fit per value; the chosen model, trained
    on the rest, is kept. The test set is never read to choose.
    Returns ``(model, seconds, curve, scale, extra record fields)``.
    """
    make = _MODELS[task.model]
    grid = default_grid(task)
    if not grid:
        model = make(**task.params, random_state=task.seed)
        seconds, snapshots, scale = _fit(model, task, Xtr, ytr)
        return model, seconds, _curve(task, snapshots, Xtr, ytr, Xte, yte, scale), scale, {}
    ((name, values),) = grid.items()
    cut = len(Xtr) - max(1, int(VALIDATION_FRACTION * len(Xtr)))
    Xfit, yfit, Xval, yval = Xtr[:cut], ytr[:cut], Xtr[cut:], ytr[cut:]
    scores = []
    if _exact_path(task, name):
        model = make(**{**task.params, name: values[0]}, random_state=task.seed)
        seconds, snapshots, scale = _fit(model, task, Xfit, yfit)
        curve = _curve(task, snapshots, Xfit, yfit, Xte, yte, scale)
        start = time.perf_counter()
        for value in values:
            model.set_params(**{name: value}).refit_top_layer()
            scores.append(_error(task, model.predict(Xval), yval))
        best = values[int(np.argmin(scores))]
        model.set_params(**{name: best}).refit_top_layer()
        model.partial_fit(Xval, yval)  # the chosen penalty on every training row
        seconds += time.perf_counter() - start
    else:
        fitted = []
        for value in values:
            model = make(**{**task.params, name: value}, random_state=task.seed)
            seconds, snapshots, scale = _fit(model, task, Xfit, yfit)
            scores.append(_error(task, scale[0] + scale[1] * model.predict(Xval), yval))
            fitted.append((model, seconds, snapshots, scale))
        best = values[int(np.argmin(scores))]
        model, seconds, snapshots, scale = fitted[int(np.argmin(scores))]
        del fitted  # the other steps' models and their kept features
        curve = _curve(task, snapshots, Xfit, yfit, Xte, yte, scale)  # the chosen step only
    extra = {
        f"chosen_{name}": best,
        "validation_error": float(min(scores)),
        "validation_rows": len(Xval),
    }
    return model, seconds, curve, scale, extra


def run_task(task: Task) -> dict:
    """Fit the task's model on its data and return one record, on one BLAS thread.

    A BLAS product split over threads may round differently, so records would depend
    on how many threads the worker happens to have (joblib gives each of ``jobs``
    workers ``cores / jobs``); one thread makes them the same for any ``jobs`` or backend.
    """
    with single_blas_thread():
        return _run_task(task)


def _run_task(task: Task) -> dict:
    Xtr, ytr, Xte, yte = _digits(task) if task.target == "digits" else _regression_data(task)
    model, seconds, curve, scale, extra = _fit_validated(task, Xtr, ytr, Xte, yte)
    record = {
        "experiment": task.experiment,
        "target": task.target,
        "model": task.model,
        "label": task.label or task.model,
        "seed": task.seed,
        "d": task.d,
        "k": task.k,
        "n_train": len(Xtr),  # the real size (digits has 1347 training images)
        "fit_seconds": round(seconds, 4),
    }
    record.update({f"param_{key}": value for key, value in task.params.items()})
    record.update(extra)
    record.update(_test_error(model, task, Xte, yte, scale))
    record.update(curve)
    record["active_units"] = model.sparsity_
    if task.model == "lsh":
        universe = model.family_.universe
        record["buckets"] = int(universe) if universe is not None else int(model.n_buckets_.sum())
    else:
        record["total_units"] = model.features_.n_units
    flops = model.flops_per_sample()
    record.update(flops_paper=int(flops.paper[0]), flops_total=int(flops.total[0]))
    return record


def task_id(task: Task) -> str:
    """A short digest of the task's fields and the code version: its record's file name."""
    from .. import __version__

    fields = {**asdict(task), "version": __version__}
    if not task.nested:  # a field added later enters the digest only when set
        del fields["nested"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


def estimated_seconds(task: Task) -> float:
    """A rough guess of a task's time on one core, to start the longest tasks first.

    Rows times the features each row touches, times a cost per feature fitted to the
    task times of one quick reproduction (within a factor of about 2; conjugate-gradient
    iterations of the joint LSH fit grow like the square root of the rows). It orders
    tasks only: records never depend on it.

    Examples
    --------
    >>> small = Task("", "polynomial", "dense", {"n_units": 64})
    >>> big = Task("", "polynomial", "dsm", {"n_units": 1024, "sparsity": 256})
    >>> estimated_seconds(small) < estimated_seconds(big)
    True
    """
    p, rows = task.params, task.n_train
    if task.model == "lsh":
        width = p.get("n_tables", 64) * ((task.d + 1) if p.get("degree", 0) else 1)
        if p.get("solver", "mean") == "mean":
            return 0.05 + 5e-8 * rows * width
        return 0.05 + 5e-7 * rows * width * np.sqrt(rows / 8000)
    work = 5e-8 * rows * (p.get("n_units", 256) + p.get("sparsity", 0))
    if p.get("solver") == "adam":  # one fit per step size, epoch by epoch
        work *= 0.4 * p.get("epochs", 10) * len(STEP_GRID["learning_rate"])
    return 0.05 + work


def longest_first(tasks) -> list[int]:
    """Indices of ``tasks``, the longest (by :func:`estimated_seconds`) first.

    Given to workers in this order, the short tasks fill the gaps at the end instead of
    one long task running alone (the longest-processing-time rule).

    Examples
    --------
    >>> tasks = [Task("", "polynomial", "dense", {"n_units": u}) for u in (8, 512, 64)]
    >>> longest_first(tasks)
    [1, 2, 0]
    """
    costs = [estimated_seconds(t) for t in tasks]
    return sorted(range(len(costs)), key=lambda i: -costs[i])


def _timed_task(index: int, task: Task) -> tuple[int, dict, float]:
    start = time.perf_counter()
    record = run_task(task)
    return index, record, time.perf_counter() - start


def iter_tasks(
    tasks,
    *,
    jobs: int = 1,
    dask_address: str | None = None,
    progress: bool = True,
    ordered: bool = True,
):
    """Run tasks (joblib processes or a Dask cluster); yield ``(task, record, seconds)``.

    ``seconds`` is the task's time in its worker. With ``ordered``, each record is yielded
    as soon as its task and all earlier ones finished; without, as soon as its task
    finished (give the longest tasks first: see :func:`longest_first`). Either way a
    caller can keep each record before the next one ends. The progress bar names the task.
    """
    from joblib import Parallel, delayed, parallel_config
    from tqdm.auto import tqdm

    tasks = list(tasks)
    with contextlib.ExitStack() as stack:
        if dask_address is not None:
            stack.enter_context(_dask_client(dask_address))
            stack.enter_context(parallel_config(backend="dask"))
        runner = Parallel(n_jobs=jobs, return_as="generator" if ordered else "generator_unordered")(
            delayed(_timed_task)(i, t) for i, t in enumerate(tasks)
        )
        bar = stack.enter_context(tqdm(total=len(tasks), disable=not progress))
        for index, record, seconds in runner:
            task = tasks[index]
            bar.set_description(f"{task.experiment}: {task.label} seed {task.seed}")
            bar.update()
            yield task, record, seconds


#: Seconds a Dask scheduler has to accept a connection and greet us.
DASK_TIMEOUT = 10.0


def _probe_scheduler(address: str, timeout: float) -> None:
    """Connect to a ``tcp://`` scheduler and read its greeting, both within ``timeout``.

    A Dask scheduler speaks first on a new connection: a frame count (a small
    little-endian integer) then its handshake. A socket that accepts but never
    answers, or a server of another protocol (HTTP waits for a request), is
    refused here by name -- not after minutes, nor by a client decoding an HTTP
    reply as a frame of exabytes.
    """
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":
        return
    host, port = parse_host_port(location)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            head = b""
            while len(head) < 8:
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    break
                head += chunk
    except TimeoutError as exc:
        raise ValueError(
            f"`--dask`: {address!r} accepted the connection but did not answer as a Dask "
            f"scheduler within {timeout:.0f} s."
        ) from exc
    if len(head) < 8 or not 0 < int.from_bytes(head, "little") <= 64:
        raise ValueError(f"`--dask`: {address!r} does not speak the Dask protocol.")


@contextlib.contextmanager
def _dask_client(address: str, timeout: float | None = None):
    from dask.distributed import Client

    timeout = DASK_TIMEOUT if timeout is None else timeout
    try:
        _probe_scheduler(address, timeout)
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ValueError(
            f"`--dask`: cannot reach a Dask scheduler at {address!r} within {timeout:.0f} s."
        ) from exc
    with client:
        yield client


def run_tasks(
    tasks, *, jobs: int = 1, dask_address: str | None = None, progress: bool = True
) -> list[dict]:
    """Run tasks with joblib (``jobs`` processes) or on a Dask cluster; keep task order.

    Each task is seeded by itself, so records do not depend on the backend
    or the number of workers.
    """
    runner = iter_tasks(tasks, jobs=jobs, dask_address=dask_address, progress=progress)
    return [record for _, record, _ in runner]


def write_records(records: list[dict], path_stem) -> None:
    """Write records as ``<stem>.csv`` and ``<stem>.json``, each replaced atomically."""
    keys = sorted({key for record in records for key in record})
    with atomic_writer(f"{path_stem}.csv", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(records)
    with atomic_writer(f"{path_stem}.json") as fh:
        json.dump(records, fh, indent=1)


# ------------------------------------------------------------------ the sweeps
SIZES = {
    "quick": {
        "n_train": 8000,
        "n_test": 4000,
        "active": (32, 64, 128),
        "totals": (512, 1024),
        "buckets": (8, 11, 14),
        "table1_scale": 16,
        "lsh_tables": (32, 64, 128),
    },
    "full": {
        "n_train": 50000,
        "n_test": 20000,
        "active": (64, 128, 256),
        "totals": (1024, 2048, 4096),
        "buckets": (8, 11, 14),
        "table1_scale": 4,
        "lsh_tables": (64, 128, 256),
    },
}


def table1_scale(quick: bool) -> int:
    """Factor by which Table 1's widths are divided (1 reproduces the paper's sizes)."""
    return SIZES["quick" if quick else "full"]["table1_scale"]
