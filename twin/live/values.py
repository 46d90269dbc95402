"""Small immutable values shared by the live twin: point values, a frozen mapping, the clock.

A live reading is a *point value*: a number, a short text (``"open"``, ``"tripped"``), a boolean or
nothing. Whatever leaves the twin as a snapshot must not change under the feet of a simulation
that reads it, and must cross a process boundary (scenario replications run in worker
processes), so snapshots are built from :class:`FrozenMap` — a read-only, hashable, picklable
mapping — and frozen dataclasses.

Times on the wire and in the history are epoch milliseconds (``ts_ms``), as devices send them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Callable, Union

__all__ = ["Scalar", "FrozenMap", "Clock", "wall_ms", "freeze", "thaw"]

Scalar = Union[float, int, str, bool, None]
Clock = Callable[[], int]

def wall_ms() -> int:
    """The twin's clock: now, in epoch milliseconds."""
    return time.time_ns() // 1_000_000


class FrozenMap(dict):  # type: ignore[type-arg]
    """A read-only dict: hashable when its values are, picklable, fast to read.

    It is a ``dict`` underneath (so reading it, iterating it and writing it as JSON cost what a
    dict costs) with every mutating method refused.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("FrozenMap is read-only")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({dict.__repr__(self)})"

    def __reduce__(self) -> tuple:
        return (FrozenMap, (dict(self),))

    def __copy__(self) -> "FrozenMap":
        return self

    def __deepcopy__(self, memo: dict) -> "FrozenMap":
        return self

    def to_dict(self) -> dict:
        """A plain (mutable) copy."""
        return dict(self)


def freeze(value: Any) -> Any:
    """Deep-freeze JSON-like data: dicts become :class:`FrozenMap`, lists become tuples."""
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`, for JSON output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value
