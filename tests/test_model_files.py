"""Saved models: atomic, validated on load, and never half-written (kill -9 included)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from dsn_model.lsh.persistence import _checksum
from dsn_model.lsh.regressor import LSHRegressor


def saved(tmp_path, **params):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (3000, 4))
    model = LSHRegressor(random_state=0, **params).fit(X, np.sin(X.sum(axis=1)))
    path = tmp_path / "model.npz"
    model.save(path)
    return model, path, X


def tamper(path, change):
    """Rewrite a saved model with ``change(arrays, meta)`` applied and a matching checksum."""
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays.pop("checksum")
    meta = json.loads(str(arrays["meta"]))
    change(arrays, meta)
    arrays["meta"] = np.array(json.dumps(meta))
    arrays["checksum"] = np.array(_checksum(arrays))
    np.savez(path, **arrays)


def _set(key, value):
    def change(arrays, meta):
        arrays[key] = value(arrays[key])

    return change


def _meta(key, value):
    def change(arrays, meta):
        if value is KeyError:
            del meta[key]
        else:
            meta[key] = value

    return change


def _shuffle_tables(arrays, meta):  # move every bucket to the next table
    arrays["index.codes"] = np.roll(arrays["index.codes"], 7)


CASES = {
    "negative counts": (_set("state.bucket_counts_", lambda a: -a), "bucket_counts_"),
    "NaN sums": (_set("state.bucket_sums_", lambda a: a * np.nan), "bucket_sums_"),
    "short array": (_set("state.bucket_sums_", lambda a: a[:-3]), "bucket_sums_"),
    "fractional counts": (_set("state.bucket_counts_", lambda a: a + 0.5), "bucket_counts_"),
    "counts that miss samples": (
        _set("state.bucket_counts_", lambda a: a * 2),
        "n_samples_seen",
    ),
    "wrong d": (_meta("n_features_in", 9), "input_dim"),
    "d as a list": (_meta("n_features_in", [4]), "n_features_in"),
    "n_tables mismatch": (
        lambda a, m: m["params"].update(n_tables=7),
        "n_tables",
    ),
    "missing field": (_meta("n_samples_seen", KeyError), "n_samples_seen"),
    "zero samples": (_meta("n_samples_seen", 0), "n_samples_seen"),
    "unknown family": (_meta("family", "MagicLSH"), "MagicLSH"),
    "unknown dtype": (_set("family.hash_dtype", lambda a: np.array("float16")), "hash_dtype"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampered_files_are_refused_naming_the_field(tmp_path, case):
    change, field = CASES[case]
    _, path, _ = saved(tmp_path, n_tables=3, n_hashes=6)
    tamper(path, change)
    with pytest.raises(ValueError, match=field):
        LSHRegressor.load(path)


def test_codes_moved_between_tables_are_refused(tmp_path):
    _, path, _ = saved(tmp_path, family="euclidean", n_tables=3, n_hashes=6, width=0.7)
    with np.load(path) as data:
        assert "index.codes" in data.files
    tamper(path, _shuffle_tables)
    with pytest.raises(ValueError, match=r"bucket_counts_|table"):
        LSHRegressor.load(path)


def test_a_member_declaring_a_huge_array_is_refused_before_reading(tmp_path):
    _, path, _ = saved(tmp_path)
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    name = "state.bucket_sums_.npy"
    header = members[name].split(b"\n", 1)[0]
    shape = header.split(b"'shape': (")[1].split(b")")[0]
    members[name] = members[name].replace(shape, b"10000000000000,", 1)
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    with pytest.raises(ValueError, match=r"declares .* bytes"):
        LSHRegressor.load(path)


def test_other_files_are_refused_clearly(tmp_path):
    npy, text = tmp_path / "a.npy", tmp_path / "b.txt"
    np.save(npy, np.arange(3))
    text.write_text("not a model\n")
    for path in (npy, text):
        with pytest.raises(ValueError, match=r"not an \.npz archive"):
            LSHRegressor.load(path)
    with pytest.raises(ValueError, match="cannot be read"):
        LSHRegressor.load(tmp_path / "missing.npz")


def test_numpy_integer_parameters_save_and_load(tmp_path):
    X = np.random.default_rng(1).uniform(-1, 1, (500, 3))
    model = LSHRegressor(n_tables=np.int64(4), n_hashes=np.int32(6), random_state=np.int64(3))
    model.fit(X, X[:, 0])
    model.save(tmp_path / "m.npz")
    again = LSHRegressor.load(tmp_path / "m.npz")
    assert np.array_equal(again.predict(X), model.predict(X))


def test_a_model_killed_while_overwriting_leaves_the_old_file_loadable(tmp_path):
    model, path, X = saved(tmp_path, n_tables=64, n_hashes=12)
    expected = model.predict(X[:50])
    script = textwrap.dedent(
        f"""
        import numpy as np
        from dsn_model.lsh.regressor import LSHRegressor
        model = LSHRegressor.load({str(path)!r})
        print("ready", flush=True)
        while True:
            model.save({str(path)!r})
        """
    )
    for delay in (0.05, 0.2, 0.4):
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        again = LSHRegressor.load(path)  # the old or the new file, never a fragment
        assert np.array_equal(again.predict(X[:50]), expected)
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) <= 3  # a killed writer may leave its temporary file, never the target


def test_a_file_written_before_hash_dtype_was_named_so_still_loads(tmp_path):
    """Files of the previous release hold the family's precision as ``family.dtype``."""

    def rename(arrays, meta):
        arrays["family.dtype"] = arrays.pop("family.hash_dtype")

    model, path, X = saved(tmp_path, hash_dtype="float32")
    tamper(path, rename)
    loaded = LSHRegressor.load(path)
    assert loaded.family_.hash_dtype == "float32"
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
