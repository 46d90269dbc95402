"""A run's record tables: rows from the replications, Parquet on disk, DataFrames when asked.

Every model returns its records as rows (flat dicts: one per occupant, work order, rescue…); the
runner puts every replication's rows of a table together with ``point`` and ``replication``
columns and writes ``records/<table>.parquet``. Writing goes straight from the rows to Arrow
(:func:`arrow_table`), so a ``twin run`` from the command line never imports pandas — it costs
about a third of a second of start-up — and a :class:`RecordTables` builds a table's DataFrame only
when a caller (the report, a test, a notebook) reads it.

The Arrow columns are what pandas would have written for the same rows: whole numbers are
``int64``, numbers with a gap (``None`` or NaN) are ``float64``, text is ``string`` with nulls,
``True``/``False`` is ``bool``; a column of anything else (lists, a mix of text and numbers) is
left to pandas, so every table reads back the same whichever way it was written.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any

__all__ = ["RecordTables", "arrow_table", "write_parquet"]


class RecordTables(Mapping):
    """The record tables of a run, by name: ``tables["occupants"]`` is a DataFrame, built on first
    use from the rows and kept; :meth:`rows` gives the rows themselves."""

    def __init__(self, rows: Mapping[str, Sequence[Mapping[str, Any]]]):
        self._rows = {name: list(r) for name, r in rows.items()}
        self._frames: dict[str, Any] = {}

    def __getitem__(self, name: str):
        if name not in self._rows:
            raise KeyError(name)
        if name not in self._frames:
            import pandas as pd

            self._frames[name] = pd.DataFrame.from_records(self._rows[name])
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self, name: str) -> list[dict]:
        return self._rows[name]

    def write(self, name: str, path: Path) -> None:
        """Write one table as Parquet (from the DataFrame if one was built, else from the rows)."""
        if name in self._frames:
            self._frames[name].to_parquet(path, index=False)
        else:
            write_parquet(self._rows[name], path)


def _column_type(values: list):
    """The Arrow type pandas would give this column, or None when only pandas can say."""
    import numpy as np
    import pyarrow as pa

    present = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    gaps = len(present) < len(values)
    if not present:
        return pa.null() if all(v is None for v in values) else pa.float64()
    if all(isinstance(v, str) for v in present):
        return pa.string()
    flags = [isinstance(v, (bool, np.bool_)) for v in present]
    if all(flags):
        return pa.bool_()
    numbers = [v for v, flag in zip(present, flags) if isinstance(v, Real) and not flag]
    if len(numbers) != len(present):
        return None
    if not gaps and all(isinstance(v, Integral) for v in numbers):
        if all(-(2 ** 63) <= int(v) < 2 ** 63 for v in numbers):
            return pa.int64()
        return None
    return pa.float64()


def _validity(values: list):
    """The Arrow validity bitmap of a column (None when nothing is missing)."""
    import numpy as np
    import pyarrow as pa

    present = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
    if present.all():
        return None, 0
    return pa.py_buffer(np.packbits(present, bitorder="little")), int((~present).sum())


def _array(kind, values: list):
    """One column as an Arrow array, built from its buffers: ``pa.array`` would import pandas (a third of a
    second) to ask whether the values are a pandas object; these never are."""
    import numpy as np
    import pyarrow as pa

    n = len(values)
    if pa.types.is_null(kind):
        return pa.Array.from_buffers(pa.null(), n, [None], null_count=n)
    if pa.types.is_floating(kind):
        data = np.fromiter((math.nan if v is None else float(v) for v in values), dtype=np.float64, count=n)
        return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(data)])
    if pa.types.is_integer(kind):
        data = np.fromiter((int(v) for v in values), dtype=np.int64, count=n)
        return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(data)])
    values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
    validity, nulls = _validity(values)
    if pa.types.is_boolean(kind):
        bits = np.packbits(np.fromiter((bool(v) for v in values), dtype=bool, count=n), bitorder="little")
        return pa.Array.from_buffers(kind, n, [validity, pa.py_buffer(bits)], null_count=nulls)
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    large = offsets[-1] >= 2 ** 31
    buffers = [validity, pa.py_buffer(offsets if large else offsets.astype(np.int32)), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.large_string() if large else pa.string(), n, buffers, null_count=nulls)


def arrow_table(rows: Sequence[Mapping[str, Any]]):
    """The rows as a :class:`pyarrow.Table` with the column order and types pandas would give them,
    or None when a column holds values only pandas knows how to store."""
    import pyarrow as pa

    if not rows:
        return pa.Table.from_arrays([], names=[])
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            names.setdefault(key, None)
    arrays = []
    for name in names:
        values = [row.get(name) for row in rows]
        kind = _column_type(values)
        if kind is None:
            return None
        arrays.append(_array(kind, values))
    return pa.Table.from_arrays(arrays, names=list(names))


def write_parquet(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Write rows as a Parquet file, through Arrow when every column allows it, else through pandas."""
    table = arrow_table(rows)
    if table is None:
        import pandas as pd

        pd.DataFrame.from_records(list(rows)).to_parquet(path, index=False)
        return
    import pyarrow.parquet as pq

    pq.write_table(table, path)
