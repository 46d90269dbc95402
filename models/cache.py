"""Arrays kept on disk between runs of a service, keyed by everything they were made from.

Some inputs of a long-running service are slow to make and never change between its starts — the
live twin's simulated meters need a year of the energy model (one to two seconds, and importing the
model's solvers costs as much again). :func:`cached_arrays` keeps such named arrays in one ``.npz``
file whose name carries a digest of what they depend on: the caller's key parts (a building's JSON,
a seed) and the bytes of the source files that make them, so a changed building or a changed model
never reads a stale file. Reading the file imports nothing but numpy.

A missing, unreadable or damaged file is made anew (written whole to a temporary name, then renamed,
so a reader never sees half a file); a folder that cannot be written is skipped and the arrays are
simply returned.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

__all__ = ["cached_arrays", "digest"]

_SOURCE_SUFFIXES = frozenset({".py", ".yaml", ".csv", ".epw", ".json"})


def digest(parts: Iterable[str], sources: Iterable[Path] = ()) -> str:
    """A short hex digest of ``parts`` and of every source file under ``sources`` (folders are walked;
    files are taken in sorted order by their path, so the digest does not depend on the listing order)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    files: list[Path] = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files.extend(p for p in source.rglob("*") if p.is_file() and p.suffix in _SOURCE_SUFFIXES)
        elif source.is_file():
            files.append(source)
    for path in sorted(set(files)):
        h.update(path.as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:24]


def cached_arrays(folder: Path | None, stem: str, parts: Iterable[str], sources: Iterable[Path],
                  make: Callable[[], Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """``make()`` (named 1-D arrays of one length, or none), kept in ``folder/<stem>-<digest>.npz``.

    With ``folder`` None nothing is kept. The names come back in the order ``make`` gave them."""
    if folder is None:
        return dict(make())
    path = Path(folder) / f"{stem}-{digest([*parts, np.__version__], sources)}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            names, values = [str(n) for n in stored["names"]], stored["values"]
        if values.ndim == 2 and values.shape[0] == len(names):
            return {name: values[i].copy() for i, name in enumerate(names)}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        pass  # not there yet, or damaged: made anew below
    made = {name: np.asarray(v) for name, v in make().items()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        values = np.stack(list(made.values())) if made else np.zeros((0, 0))
        with open(tmp, "wb") as f:
            np.savez(f, names=np.array(list(made), dtype=str), values=values)
        os.replace(tmp, path)
    except (OSError, ValueError):
        pass  # a read-only data folder (or arrays of unequal length): made again next time
    return made
