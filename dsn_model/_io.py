"""Files that are never half-written: atomic replacement and a folder lock.

:func:`atomic_writer` writes to a temporary file in the target's own folder,
flushes and fsyncs it, then renames it over the target with ``os.replace``
(atomic on POSIX and Windows): a reader, or a process killed mid-write, sees
the old file or the new one, never a fragment. The file gets the mode any new
file would get (``0o666`` less the umask), not the temporary file's ``0o600``.
:func:`folder_lock` serialises writers of one folder with an advisory lock
file, so that concurrent runs never interleave their read-modify-write of
shared files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_writer", "folder_lock", "save_figure", "writable_file", "writable_folder"]


@contextlib.contextmanager
def atomic_writer(path, mode: str = "w", **open_kwargs) -> Iterator:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    On an exception the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_writer(target) as fh:
    ...     _ = fh.write("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # name the user's file, not our temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a folder gone: the user's path, the old file kept
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process's umask (read by setting it and restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def folder_lock(folder) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``folder`` (a ``.dsn.lock`` file in it)."""
    import fcntl

    folder = Path(folder)
    with open(folder / ".dsn.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def writable_folder(folder, *, name: str = "--out") -> tuple[Path, bool]:
    """Make sure ``folder`` is a writable directory; create it (not its parents) if missing.

    Returns the path and whether it was created. Raises ``ValueError`` naming
    ``name`` when it is a file, sits under a file or a missing folder, or is
    not writable.
    """
    if not str(folder).strip():
        raise ValueError(f"`{name}` must name a folder. Got an empty path.")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"`{name}` {str(folder)!r} is a file, not a folder.")
    created = False
    if not folder.exists():
        parent = folder.parent
        if not parent.is_dir():
            raise ValueError(
                f"`{name}` {str(folder)!r}: its parent folder {str(parent)!r} does not exist "
                "(create it first)."
            )
        try:
            folder.mkdir()
        except OSError as exc:
            raise ValueError(
                f"`{name}` {str(folder)!r} cannot be created: {exc.strerror}."
            ) from exc
        created = True
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"`{name}` {str(folder)!r} is not writable.")
    return folder, created


def writable_file(path, *, name: str) -> Path:
    """``path`` if a file can be written there: its folder exists and is writable, and it is not
    a folder itself. Checked before any work, so that the work is not lost at the end."""
    if not str(path).strip():
        raise ValueError(f"`{name}` must name a file. Got an empty path.")
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"`{name}` {str(path)!r} is a folder, not a file.")
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"`{name}` {str(path)!r}: its folder {str(parent)!r} does not exist.")
    try:  # a real write: permissions alone do not say (root, read-only or virtual file systems)
        with tempfile.TemporaryFile(dir=parent, prefix=".dsn-probe."):
            pass
    except OSError as exc:
        raise ValueError(
            f"`{name}` {str(path)!r}: its folder {str(parent)!r} is not writable ({exc.strerror})."
        ) from exc
    return path


def save_figure(fig, path, **savefig_kwargs) -> None:
    """``fig.savefig`` into memory, then an atomic replace of ``path``."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lstrip(".") or "png", **savefig_kwargs)
    with atomic_writer(path, "wb") as fh:
        fh.write(buffer.getvalue())
