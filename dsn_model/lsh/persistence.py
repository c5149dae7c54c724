"""Saving and loading an :class:`~dsn_model.lsh.regressor.LSHRegressor` without pickle.

A model is an ``.npz`` archive: its parameters and counters as JSON (``meta``), the hash
family's arrays, the bucket index, the fitted statistics and a SHA-256 checksum of all of
them, written atomically. Loading validates everything before trusting it: member names
and sizes from the zip directory before anything is decompressed, shapes against the
parameters, counts, sums and codes (:func:`load_model`).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._io import atomic_writer
from .._validation import check_memory
from .buckets import BucketIndex
from .families import FAMILIES, family_from_state

__all__ = ["STATE", "load_model", "save_model"]

FORMAT = "dsn.LSHRegressor/1"
STATE = (
    "bucket_counts_",
    "bucket_sums_",
    "bucket_gram_",
    "bucket_xty_",
    "X_seen_",
    "y_seen_",
    "bucket_coef_",
)


def save_model(self, path) -> None:
    """Save the fitted model to an ``.npz`` file (no pickle).

    The file holds the parameters (JSON), the feature names of a model
    fitted on a DataFrame, the hash family's arrays, the bucket statistics
    and a SHA-256 checksum of all of them.
    """
    check_is_fitted(self, "unit_coef_")
    arrays = {
        "family." + k: np.asarray(v) for k, v in self.family_.get_state().items() if k != "name"
    }
    arrays.update({"index." + k: v for k, v in self.index_.to_arrays().items()})
    for name in STATE:
        if getattr(self, name) is not None:
            arrays["state." + name] = getattr(self, name)
    meta = {
        "format": FORMAT,
        "params": _json_params(self),
        "family": type(self.family_).__name__,
        "n_features_in": self.n_features_in_,
        "n_samples_seen": self.n_samples_seen_,
        "y_sum": self.y_sum_,
        "intercept": self.intercept_,
        "n_iter": self.n_iter_,
    }
    if hasattr(self, "feature_names_in_"):  # fitted on a DataFrame: its columns
        meta["feature_names_in"] = [str(name) for name in self.feature_names_in_]
    arrays["meta"] = np.array(json.dumps(meta))
    arrays["checksum"] = np.array(_checksum(arrays))
    with atomic_writer(path, "wb") as fh:  # a crash mid-write leaves the old file
        np.savez(fh, **arrays)


def _json_params(self) -> dict:
    params = {k: v.item() if isinstance(v, np.generic) else v for k, v in self.get_params().items()}
    if params["table_weights"] is not None:
        params["table_weights"] = np.asarray(params["table_weights"], dtype=float).tolist()
    rs = params["random_state"]
    if rs is not None and not isinstance(rs, int | np.integer):
        params["random_state"] = None  # a Generator cannot be stored; the arrays are
    elif rs is not None:
        params["random_state"] = int(rs)
    return params


def load_model(cls, path):
    """An instance of ``cls`` from a file :func:`save_model` wrote; what is validated, and why
    the checksum is no authentication, is said by ``LSHRegressor.load``."""
    where = f"`path` {str(path)!r}"
    arrays = _read_npz(path, where)
    try:
        checksum = str(arrays.pop("checksum"))
        meta = json.loads(str(arrays["meta"]))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where} is not a saved LSHRegressor (no meta/checksum).") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise ValueError(f"{where} holds format {found!r}, expected {FORMAT!r}.")
    if _checksum(arrays) != checksum:
        raise ValueError(f"{where} is corrupted: its checksum does not match.")
    try:
        return _from_contents(cls, meta, arrays)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    except (KeyError, TypeError, IndexError, AttributeError, ZeroDivisionError) as exc:
        raise ValueError(f"{where} has a missing or malformed field: {exc!r}") from exc


def _from_contents(cls, meta: dict, arrays: dict):
    params = meta["params"]
    if not isinstance(params, dict):
        raise ValueError("field `params` must be a mapping.")
    model = cls(**params)
    d = meta["n_features_in"]
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"field `n_features_in` must be a positive integer. Got {d!r}.")
    model.n_features_in_ = d
    names = meta.get("feature_names_in")
    if names is not None:
        if not (
            isinstance(names, list) and len(names) == d and all(isinstance(n, str) for n in names)
        ):
            raise ValueError(f"field `feature_names_in` must list {d} column names.")
        model.feature_names_in_ = np.array(names, dtype=object)
    model.table_weights_ = model._check_params()
    state = {k[len("family.") :]: v for k, v in arrays.items() if k.startswith("family.")}
    state["name"] = meta["family"]
    model.family_ = family_from_state(state)
    f = model.family_
    if type(f) is not FAMILIES[model.family]:
        raise ValueError(f"field `family` {meta['family']!r} contradicts `params.family`.")
    if (f.input_dim, f.n_tables, f.n_hashes) != (d, model.n_tables, model.n_hashes):
        raise ValueError(
            "the hash family's (input_dim, n_tables, n_hashes) = "
            f"{(f.input_dim, f.n_tables, f.n_hashes)} contradict the parameters "
            f"{(d, model.n_tables, model.n_hashes)}."
        )
    index_arrays = {k[len("index.") :]: v for k, v in arrays.items() if k.startswith("index.")}
    model.index_ = BucketIndex.from_arrays(f.n_tables, f.key_width, f.universe, index_arrays)
    for name in STATE:
        setattr(model, name, arrays.get("state." + name))
    seen = meta["n_samples_seen"]
    if isinstance(seen, bool) or not isinstance(seen, int) or seen < 1:
        raise ValueError(f"field `n_samples_seen` must be a positive integer. Got {seen!r}.")
    model.n_samples_seen_ = seen
    model.y_sum_ = float(meta["y_sum"])
    model.intercept_ = float(meta.get("intercept", model.y_sum_ / seen))
    model.n_iter_ = int(meta.get("n_iter", 0))
    if not np.isfinite(model.intercept_):
        raise ValueError("field `intercept` must be finite.")
    model._kept, model._adam, model._solved = None, None, {}  # trained coefficients only
    model._fitted_params = model._fixed_params()
    _validate_state(model)
    model._finalize()
    return model


def _read_npz(path, where: str) -> dict:
    """The arrays of an ``.npz`` archive, each member's size checked before it is read."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            for info in members:  # from the zip directory, before anything is decompressed
                name = info.filename.removesuffix(".npy")
                known = name in ("meta", "checksum") or name in {f"state.{k}" for k in STATE}
                if not known and not name.startswith(("family.", "index.")):
                    raise ValueError(
                        f"{where}: member {info.filename!r} is not part of a saved "
                        "LSHRegressor; refused before reading it."
                    )
            check_memory(sum(info.file_size for info in members), f"{where}'s arrays")
            for info in members:
                with archive.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    read = (
                        np.lib.format.read_array_header_1_0
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = read(fh)
                    header = fh.tell()
                if dtype.hasobject:
                    raise ValueError(f"{where}: member {info.filename!r} holds Python objects.")
                declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if declared != info.file_size - header:
                    raise ValueError(
                        f"{where}: member {info.filename!r} declares {declared} bytes of data "
                        f"but holds {info.file_size - header}; refused before reading it."
                    )
        with np.load(Path(path), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except zipfile.BadZipFile as exc:
        raise ValueError(
            f"{where} is not an .npz archive written by LSHRegressor.save (a .npy or text file?)."
        ) from exc
    except (OSError, EOFError) as exc:
        raise ValueError(f"{where} cannot be read: {exc}") from exc
    except ValueError as exc:
        if str(exc).startswith(where):
            raise
        raise ValueError(f"{where} is not a readable .npz archive: {exc}") from exc


def _validate_state(model) -> None:
    """Shapes, finiteness and count consistency of loaded bucket statistics."""
    n, s, d = model.index_.n_slots, model.family_.n_tables, model.n_features_in_
    p = d + 1 if model.degree == 1 else 1
    expected = {
        "bucket_counts_": (n,),
        "bucket_sums_": (n,),
        "bucket_gram_": (n, p * (p + 1) // 2) if model.degree == 1 else None,
        "bucket_xty_": (n, p) if model.degree == 1 else None,
        "X_seen_": (model.n_samples_seen_, d) if model.fallback == "nearest" else None,
        "y_seen_": (model.n_samples_seen_,) if model.fallback == "nearest" else None,
        "bucket_coef_": None if model.solver == "mean" else (n,) if p == 1 else (n, p),
    }
    for name, shape in expected.items():
        value = getattr(model, name)
        if shape is None:
            if value is not None:
                raise ValueError(f"field `{name}` is present but this model has none.")
            continue
        if value is None or np.shape(value) != shape:
            got = None if value is None else np.shape(value)
            raise ValueError(f"field `{name}` has shape {got}, expected {shape}.")
        if value.dtype.kind not in "fiu" or not np.all(np.isfinite(value)):
            raise ValueError(f"field `{name}` must hold finite numbers.")
        setattr(model, name, value.astype(np.float64))
    counts = model.bucket_counts_
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("field `bucket_counts_` must hold non-negative integers.")
    tables = model.index_.slot_tables()
    if len(tables) != n or (n and (tables.min() < 0 or tables.max() >= s)):
        raise ValueError("field `index` assigns slots to tables that do not exist.")
    per_table = np.bincount(tables, weights=counts, minlength=s)
    if not np.array_equal(per_table, np.full(s, float(model.n_samples_seen_))):
        raise ValueError(
            f"field `bucket_counts_` sums to {per_table.tolist()} per table; every table "
            f"must hold n_samples_seen = {model.n_samples_seen_} samples."
        )
    if not np.isfinite(model.y_sum_):
        raise ValueError("field `y_sum` must be finite.")
    sums = np.bincount(tables, weights=model.bucket_sums_, minlength=s)
    if not np.allclose(sums, model.y_sum_, rtol=1e-9, atol=1e-9 * max(1.0, abs(model.y_sum_))):
        raise ValueError("field `bucket_sums_` does not add up to `y_sum` in every table.")


def _checksum(arrays: dict) -> str:
    digest = hashlib.sha256()
    for key in sorted(arrays):
        value = np.ascontiguousarray(arrays[key])
        digest.update(key.encode())
        digest.update(str(value.dtype).encode() + str(value.shape).encode())
        buffer = io.BytesIO(value.tobytes()) if value.dtype != object else io.BytesIO()
        digest.update(buffer.getvalue())
    return digest.hexdigest()
