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
from collections.abc import Iterator, Mapping
from typing import Any, Callable, TypeVar, Union

__all__ = ["Scalar", "FrozenMap", "Clock", "wall_ms", "freeze"]

Scalar = Union[float, int, str, bool, None]
Clock = Callable[[], int]

K = TypeVar("K")
V = TypeVar("V")


def wall_ms() -> int:
    """The twin's clock: now, in epoch milliseconds."""
    return time.time_ns() // 1_000_000


class FrozenMap(Mapping[K, V]):
    """A read-only mapping: hashable when its values are, picklable, equal to any equal mapping."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | Any = (), **kwargs: V) -> None:
        d = dict(data, **kwargs) if kwargs else dict(data)
        object.__setattr__(self, "_data", d)
        object.__setattr__(self, "_hash", None)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(frozenset(self._data.items())))
        return self._hash  # type: ignore[return-value]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __reduce__(self) -> tuple:
        return (FrozenMap, (self._data,))

    def to_dict(self) -> dict[K, V]:
        """A plain (mutable) copy."""
        return dict(self._data)


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
