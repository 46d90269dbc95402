"""Files a scenario names: looked up in the data directory and the shipped ``scenarios/data`` only.

A scenario may name a weather file, a tariff, a meter export, the live history or another run's
results folder; nothing outside the data directory (``TWIN_DATA_DIR``, default ``twin-data``) and
the package's own ``scenarios/data`` is ever read: an absolute path or one with ``..`` is refused,
and a path that leads out through a link is not found (:func:`twin.loader.confined_file`).
"""

from __future__ import annotations

import os
from pathlib import Path

from twin.loader import confined_file

__all__ = ["SHIPPED_DATA_DIR", "data_roots", "data_file"]

SHIPPED_DATA_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "data"


def data_roots() -> list[Path]:
    """Where a scenario's files may be: the data directory (``TWIN_DATA_DIR``, default ``twin-data``)
    and the shipped ``scenarios/data``."""
    return [Path(os.environ.get("TWIN_DATA_DIR") or "twin-data"), SHIPPED_DATA_DIR]


def data_file(name: str, what: str) -> Path:
    """The file ``name`` (a path relative to the data directory or ``scenarios/data``) — the first
    root that has it; a ValueError naming ``what`` and the roots when none does or it lies outside."""
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"{what} {name!r}: give a path relative to the data directory, without '..'")
    for root in data_roots():
        found = confined_file(root / rel, [root])
        if found is not None:
            return found
    raise ValueError(f"{what} {name!r} not found in the data directory or scenarios/data "
                     f"({', '.join(str(r) for r in data_roots())})")
