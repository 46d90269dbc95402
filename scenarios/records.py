"""A run's record tables: rows from the replications, columns on the way back, Parquet on disk,
DataFrames when asked.

Every model returns its records as rows (flat dicts: one per occupant, work order, rescue…). Where a
replication ran — a pool process, a Dask worker — :func:`scenarios.backends.run_replication` turns
its rows into columns (:class:`ColumnRecords`: a NumPy array, or the UTF-8 bytes of a text column,
per column, with masks of the gaps): a few arrays travel back instead of hundreds of thousands of
pickled dicts, and the parent, which gathers every replication, only concatenates them (a
replication run in the parent itself keeps its rows until they are written). The runner puts every
replication's part of a table together with ``point`` and ``replication`` columns
(:class:`TableParts`) and writes ``records/<table>.parquet``. Writing goes straight to Arrow
(:func:`arrow_table`), so a ``twin run`` from the command line never imports pandas — it costs
about a third of a second of start-up — and a :class:`RecordTables` builds a table's DataFrame only
when a caller (the report, a test, a notebook) reads it.

The Arrow columns are what pandas would have written for the same rows, whichever way the rows
came: whole numbers are ``int64``, numbers with a gap (``None`` or NaN) are ``float64``, text is
``string`` with nulls, ``True``/``False`` is ``bool``; a column of anything else (lists, a mix of
text and numbers) is left to pandas, so every table reads back the same whichever way it was
written. The types are decided over the whole table (a column whole in one replication and with a
gap in another is ``float64`` throughout), so a table written from columns is the same file, byte
for byte, as one written from its rows. A replication's columns give back its rows as they were
(None, NaN, a missing key, a NumPy scalar): a model's ``review`` still reads ``result.records[table]``.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator, Mapping, Sequence
from numbers import Integral, Real
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from models.harness import collector_paused

__all__ = ["RecordTables", "ColumnTable", "ColumnRecords", "TableParts", "arrow_table", "write_parquet",
           "table_part"]

_INT64 = (-(2 ** 63), 2 ** 63)


# --- one replication's table as columns ---------------------------------------------------------

class _Column:
    """One column of one replication's table.

    ``kind`` is what its present values (neither None nor NaN) are: ``str``, ``bool``, ``int`` (whole
    numbers within int64), ``big`` (whole numbers beyond it), ``float`` (numbers, at least one not
    whole; also a column with no present value but a NaN), ``null`` (nothing but None) or ``obj``
    (anything else: only pandas can store it). ``data`` holds the values: a float64 array for
    ``float`` (None as NaN; a NaN keeps its bits), int64 for ``int`` and bool for ``bool`` (0/False in
    a gap), ``(utf-8 bytes, lengths)`` for ``str``, the values themselves for ``big`` and ``obj``.
    ``none``/``nan``/``absent`` are masks (None when empty) of the rows whose value was None, a NaN
    (outside ``float``; ``nan_values`` its values), or whose row lacked the key. ``numpy``: the NumPy
    scalar type of the values that were one, with ``numpy_rows`` the mask of those rows (None: every
    value that is not None) — the values come back as they were, since pandas does not store a
    column mixing ``int`` and ``numpy.bool_`` as it stores one mixing ``int`` and ``bool``; ``raw``:
    the values themselves when they mixed several NumPy types."""

    __slots__ = ("kind", "n", "present", "data", "none", "nan", "nan_values", "absent", "numpy", "numpy_rows", "raw")

    def __init__(self, kind, n, present, data, none=None, nan=None, nan_values=None, absent=None):
        self.kind, self.n, self.present, self.data = kind, n, present, data
        self.none, self.nan, self.nan_values, self.absent = none, nan, nan_values, absent
        self.numpy = self.numpy_rows = self.raw = None

    def __getstate__(self):
        return tuple(getattr(self, s) for s in self.__slots__)

    def __setstate__(self, state):
        for slot, value in zip(self.__slots__, state):
            setattr(self, slot, value)

    @classmethod
    def constant(cls, n: int, value: int) -> "_Column":
        return cls("int", n, n, np.full(n, value, dtype=np.int64))

    @classmethod
    def of(cls, values: Sequence, absent: list[int] | None = None) -> "_Column":
        types = set(map(type, values))
        col = _of_one_type(values, types) if len(types - {type(None)}) == 1 else None
        if col is None:
            col = cls._of_any(values)
        if absent:
            col.absent = _mask(col.n, absent)
        numpy_types = [t for t in types if t.__module__ == "numpy"]
        if col.kind in ("big", "obj") or not numpy_types:
            return col
        if len(numpy_types) > 1:
            col.raw = list(values)
            return col
        col.numpy = t = numpy_types[0]
        if len(types - {type(None)}) > 1:  # NumPy scalars beside Python ones: which rows held which
            col.numpy_rows = np.fromiter((type(v) is t for v in values), dtype=bool, count=col.n)
        return col

    @classmethod
    def _of_any(cls, values: Sequence) -> "_Column":
        """Any values, one at a time (the general case; :func:`_of_one_type` is the common one)."""
        n = len(values)
        none: list[int] = []
        nan: list[int] = []
        present = []
        for i, v in enumerate(values):
            if v is None:
                none.append(i)
            elif isinstance(v, float) and v != v:
                nan.append(i)
            else:
                present.append(v)
        kind = _kind(present, bool(nan))
        gaps = set(none) | set(nan) if (none or nan) else ()
        nan_values = None
        if kind == "float":
            data = np.fromiter((math.nan if v is None else float(v) for v in values), dtype=np.float64, count=n)
            nan = []
        elif kind == "int":
            data = np.fromiter((0 if i in gaps else int(v) for i, v in enumerate(values)) if gaps else
                               (int(v) for v in values), dtype=np.int64, count=n)
        elif kind == "bool":
            data = np.fromiter((False if i in gaps else bool(v) for i, v in enumerate(values)) if gaps else
                               (bool(v) for v in values), dtype=bool, count=n)
        elif kind == "str":
            encoded = [b"" if i in gaps else v.encode("utf-8") for i, v in enumerate(values)] if gaps else \
                [v.encode("utf-8") for v in values]
            data = (b"".join(encoded), np.fromiter(map(len, encoded), dtype=np.int64, count=n))
        elif kind == "null":
            data = None
        else:  # big, obj: as they are
            data = list(values)
        if nan:
            nan_values = np.array([float(values[i]) for i in nan], dtype=np.float64)
        return cls(kind, n, len(present), data, _mask(n, none), _mask(n, nan), nan_values)

    def gaps(self) -> np.ndarray:
        """Rows with no present value (None, NaN or absent)."""
        gap = np.zeros(self.n, dtype=bool)
        for m in (self.none, self.nan, self.absent):
            if m is not None:
                gap |= m
        if self.kind == "float":
            gap |= np.isnan(self.data)
        return gap

    def values(self) -> list:
        """The values back as Python objects (None, NaN and absent rows as they were; absent as None)."""
        if self.raw is not None:
            return list(self.raw)
        if self.kind == "null":
            out = [None] * self.n
        elif self.kind == "str":
            blob, lengths = self.data
            ends = np.cumsum(lengths).tolist()
            starts = [0, *ends[:-1]]
            out = [blob[a:b].decode("utf-8") for a, b in zip(starts, ends)]
        elif self.kind in ("big", "obj"):
            return list(self.data)
        else:
            out = self.data.tolist()
        if self.nan is not None:
            for i, v in zip(np.flatnonzero(self.nan).tolist(), self.nan_values.tolist()):
                out[i] = v
        if self.none is not None:
            for i in np.flatnonzero(self.none).tolist():
                out[i] = None
        if self.numpy is not None:
            t = self.numpy
            if self.numpy_rows is None:
                out = [None if v is None else t(v) for v in out]
            else:
                for i in np.flatnonzero(self.numpy_rows).tolist():
                    out[i] = t(out[i])
        return out


def _of_one_type(values: Sequence, types: set[type]) -> _Column | None:
    """A column whose values are of one type (and None): floats, whole numbers, text or flags, made at
    NumPy's speed — what nearly every model column is. None when the values need :meth:`_Column._of_any`."""
    n = len(values)
    (t,) = types - {type(None)}
    none = [i for i, v in enumerate(values) if v is None] if type(None) in types else []
    if issubclass(t, float):  # float, numpy.float64: None becomes NaN, a NaN keeps its bits
        data = np.array(values, dtype=np.float64)
        gaps = int(np.isnan(data).sum())
        if gaps == len(none) == n:
            return _Column("null", n, 0, None, _mask(n, none))
        return _Column("float", n, n - gaps, data, _mask(n, none))
    if issubclass(t, (bool, np.bool_)):
        data = np.fromiter((False if v is None else v for v in values) if none else values, dtype=bool, count=n)
        return _Column("bool", n, n - len(none), data, _mask(n, none))
    if issubclass(t, (int, np.signedinteger)):
        try:
            data = np.fromiter((0 if v is None else v for v in values) if none else values, dtype=np.int64, count=n)
        except OverflowError:  # beyond int64
            return None
        return _Column("int", n, n - len(none), data, _mask(n, none))
    if issubclass(t, str):
        text = [v for v in values if v is not None] if none else values
        joined = "".join(text)
        if joined.isascii():
            blob = joined.encode("ascii")
            lengths = np.fromiter((0 if v is None else len(v) for v in values) if none else map(len, values),
                                  dtype=np.int64, count=n)
        else:
            encoded = [b"" if v is None else v.encode("utf-8") for v in values]
            blob, lengths = b"".join(encoded), np.fromiter(map(len, encoded), dtype=np.int64, count=n)
        return _Column("str", n, n - len(none), (blob, lengths), _mask(n, none))
    return None


def _mask(n: int, where) -> np.ndarray | None:
    if not where:
        return None
    mask = np.zeros(n, dtype=bool)
    mask[list(where)] = True
    return mask


def _kind(present: list, any_nan: bool) -> str:
    """What a column's present values are (see :class:`_Column`): the kind pandas would store them as."""
    if not present:
        return "float" if any_nan else "null"
    types = set(map(type, present))
    if all(issubclass(t, str) for t in types):
        return "str"
    flags = [issubclass(t, (bool, np.bool_)) for t in types]
    if all(flags):
        return "bool"
    if any(flags) or not all(issubclass(t, Real) for t in types):
        return "obj"
    if all(issubclass(t, Integral) for t in types):
        return "int" if _INT64[0] <= int(min(present)) and int(max(present)) < _INT64[1] else "big"
    return "float"


class ColumnTable:
    """One replication's table as columns (in the order the rows first name them)."""

    __slots__ = ("n", "columns")

    def __init__(self, n: int, columns: dict[str, _Column]):
        self.n, self.columns = n, columns

    def __getstate__(self):
        return self.n, self.columns

    def __setstate__(self, state):
        self.n, self.columns = state

    @classmethod
    def of(cls, rows: Sequence[Mapping[str, Any]]) -> "ColumnTable":
        if not rows or not any(rows):
            return cls(len(rows), {})
        first = list(rows[0])
        if set(map(len, rows)) == {len(first)}:  # as many keys in every row: the same ones, as a rule
            try:
                values = list(zip(*map(itemgetter(*first), rows))) if len(first) > 1 else \
                    [[row[first[0]] for row in rows]]
            except KeyError:  # other keys in some row
                pass
            else:
                return cls(len(rows), {name: _Column.of(v) for name, v in zip(first, values)})
        names: dict[str, None] = {}
        for row in rows:
            for key in row:
                names.setdefault(key, None)
        columns = {}
        for name in names:
            if all(name in row for row in rows):
                columns[name] = _Column.of([row[name] for row in rows])
            else:
                values = [row.get(name) for row in rows]
                columns[name] = _Column.of(values, [i for i, row in enumerate(rows) if name not in row])
        return cls(len(rows), columns)

    def rows(self) -> list[dict]:
        """The rows back (each with the keys it had, in the table's column order)."""
        if not self.columns:
            return [{} for _ in range(self.n)]
        names = list(self.columns)
        columns = [self.columns[n].values() for n in names]
        rows = [dict(zip(names, values)) for values in zip(*columns)]
        for name, col in self.columns.items():
            if col.absent is not None:
                for i in np.flatnonzero(col.absent).tolist():
                    del rows[i][name]
        return rows


class _RowList(Sequence):
    """A table's rows made from its columns when first read."""

    def __init__(self, table: ColumnTable):
        self._table = table
        self._rows: list[dict] | None = None

    def _all(self) -> list[dict]:
        if self._rows is None:
            self._rows = self._table.rows()
        return self._rows

    def __getitem__(self, i):
        return self._all()[i]

    def __len__(self) -> int:
        return self._table.n

    def __iter__(self):
        return iter(self._all())

    def __eq__(self, other):
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented


class ColumnRecords(Mapping):
    """A replication's record tables as columns (:class:`ColumnTable`), read as rows on demand — what
    :attr:`models.ReplicationResult.records` holds once :func:`scenarios.backends.run_replication`
    has turned it into columns. Pickles as its columns only."""

    def __init__(self, records: Mapping[str, Sequence[Mapping[str, Any]]]):
        # Python's cycle collector held off meanwhile, as during the replication itself: turning rows
        # into columns makes tens of thousands of short-lived tuples and lists, none of them in a cycle,
        # and each collection they set off would walk the whole heap of the replication just run
        # (measured on the operations model's 13 weeks: 13 ms of the conversion's 34 ms a replication).
        with collector_paused():
            self.tables = {name: ColumnTable.of(list(rows)) for name, rows in records.items()}
        self._rows: dict[str, _RowList] = {}

    def __getstate__(self):
        return self.tables

    def __setstate__(self, state):
        self.tables, self._rows = state, {}

    def __getitem__(self, name: str) -> Sequence[dict]:
        if name not in self._rows:
            self._rows[name] = _RowList(self.tables[name])
        return self._rows[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def table_part(records: Mapping[str, Sequence[Mapping[str, Any]]], name: str) -> ColumnTable | list:
    """Table ``name`` of a replication's records as a part of a :class:`TableParts`: its columns when
    it came back as columns, else its rows (turned into columns only when the table is written)."""
    if isinstance(records, ColumnRecords):
        return records.tables[name]
    return list(records[name])


# --- a table made of every replication's part -----------------------------------------------------

class TableParts:
    """A run's table as the replications' parts, in order: each ``(point, replication, part)``, the part
    a :class:`ColumnTable` or a list of rows. Its rows are each part's rows after ``point`` and
    ``replication`` (a row's own ``point`` or ``replication`` wins, as in ``{"point": p, **row}``)."""

    def __init__(self, parts: Sequence[tuple[int, int, Any]] = ()):
        self.parts = list(parts)

    def append(self, point: int, replication: int, part: Any) -> None:
        self.parts.append((point, replication, part))

    def rows(self) -> list[dict]:
        out: list[dict] = []
        for point, rep, part in self.parts:
            for row in (part.rows() if isinstance(part, ColumnTable) else part):
                out.append({"point": point, "replication": rep, **row})
        return out

    def arrow(self):
        """The table as a :class:`pyarrow.Table` with the column order and types :func:`arrow_table` gives
        its rows, or None when a column holds values only pandas knows how to store."""
        parts = [(part if isinstance(part, ColumnTable) else ColumnTable.of(list(part)),
                  {"point": p, "replication": r}) for p, r, part in self.parts]
        return _arrow(parts)


def _arrow(parts: list[tuple[ColumnTable, dict[str, int]]]):
    """The parts one after the other as one :class:`pyarrow.Table`, each part's rows led by the columns
    its dict gives (a part's own column of that name wins), or None when only pandas can store a column.
    Types are decided over the whole table; the arrays are built from their buffers (``pa.array`` would
    import pandas, a third of a second, to ask whether the values are a pandas object; they never are)."""
    import pyarrow as pa

    parts = [(t, lead) for t, lead in parts if t.n]
    if not parts:
        return pa.Table.from_arrays([], names=[])
    names: dict[str, None] = {}
    for t, lead in parts:
        for name in (*lead, *t.columns):
            names.setdefault(name, None)
    arrays = []
    for name in names:
        cols = []
        for t, lead in parts:
            col = t.columns.get(name)
            if col is None and name in lead:
                col = _Column.constant(t.n, lead[name])
            cols.append((col, t.n))
        kind = _whole_kind(cols)
        if kind is None:
            return None
        arrays.append(_whole_array(kind, cols))
    return pa.Table.from_arrays(arrays, names=list(names))


def _whole_kind(cols: list[tuple[_Column | None, int]]) -> str | None:
    """The Arrow kind of a column made of these parts (None: only pandas can store it), decided over the
    whole column's values as pandas would: no present value at all is null (or float64 with a NaN);
    text is string, flags bool; whole numbers within int64 and no gap int64; other numbers float64."""
    kinds: set[str] = set()
    gaps = False
    all_none = True
    for col, n in cols:
        if col is None:  # the part's rows lack the column: None
            gaps = gaps or n > 0
            continue
        gaps = gaps or col.present < col.n
        if col.kind != "null":  # a present value or a NaN
            all_none = False
        if col.present:
            kinds.add(col.kind)
    if not kinds:
        return "null" if all_none else "float"
    if kinds == {"str"} or kinds == {"bool"}:
        return kinds.pop()
    if kinds <= {"int", "big", "float"}:
        if not gaps and kinds <= {"int", "big"}:
            return "int" if kinds == {"int"} else None
        return "float"
    return None


def _whole_array(kind: str, cols: list[tuple[_Column | None, int]]):
    """The column of every part as one Arrow array, its buffers as the whole column's values give them:
    float64 with NaN for a gap (a NaN's bits kept), int64, and bool or text with a validity bitmap."""
    import pyarrow as pa

    n = sum(c for _, c in cols)
    if kind == "null":
        return pa.Array.from_buffers(pa.null(), n, [None], null_count=n)
    if kind == "float":
        pieces = []
        for col, m in cols:
            if col is None or col.kind == "null":
                pieces.append(np.full(m, math.nan))
            elif col.kind == "float":
                pieces.append(col.data)
            else:  # int or big: whole numbers, NaN (with its bits) or NaN for None in the gaps
                if col.kind == "int":
                    data = col.data.astype(np.float64)
                else:
                    data = np.array([math.nan if v is None or (isinstance(v, float) and v != v) else float(v)
                                     for v in col.data], dtype=np.float64)
                if col.none is not None:
                    data[col.none] = math.nan
                if col.absent is not None:
                    data[col.absent] = math.nan
                if col.nan is not None:
                    data[col.nan] = col.nan_values
                pieces.append(data)
        return pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(np.concatenate(pieces))])
    if kind == "int":
        data = np.concatenate([col.data for col, _ in cols])
        return pa.Array.from_buffers(pa.int64(), n, [None, pa.py_buffer(data)])
    present = np.concatenate([np.zeros(m, dtype=bool) if col is None else ~col.gaps() for col, m in cols])
    nulls = int(n - present.sum())
    validity = None if nulls == 0 else pa.py_buffer(np.packbits(present, bitorder="little"))
    if kind == "bool":
        bits = np.concatenate([col.data if col is not None and col.kind == "bool" else np.zeros(m, dtype=bool)
                               for col, m in cols])
        return pa.Array.from_buffers(pa.bool_(), n, [validity, pa.py_buffer(np.packbits(bits, bitorder="little"))],
                                     null_count=nulls)
    blobs, lengths = [], []
    for col, m in cols:
        if col is not None and col.kind == "str":
            blobs.append(col.data[0])
            lengths.append(col.data[1])
        else:
            lengths.append(np.zeros(m, dtype=np.int64))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.concatenate(lengths), out=offsets[1:])
    large = offsets[-1] >= 2 ** 31
    buffers = [validity, pa.py_buffer(offsets if large else offsets.astype(np.int32)), pa.py_buffer(b"".join(blobs))]
    return pa.Array.from_buffers(pa.large_string() if large else pa.string(), n, buffers, null_count=nulls)


# --- the tables of a run ------------------------------------------------------------------------------

class RecordTables(Mapping):
    """The record tables of a run, by name: ``tables["occupants"]`` is a DataFrame, built on first use
    and kept; :meth:`rows` gives the rows. A table is held as rows, as the replications' parts
    (:class:`TableParts`, what the runner gathers), or — :meth:`in_folder`, a streamed run's result,
    which keeps none of its rows in memory — as ``records/<table>.parquet`` already written."""

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, Any]] | TableParts] | None = None):
        self._tables: dict[str, Any] = {name: t if isinstance(t, TableParts) else list(t)
                                        for name, t in (tables or {}).items()}
        self._frames: dict[str, Any] = {}
        self.folder: Path | None = None

    @classmethod
    def in_folder(cls, folder: Path) -> "RecordTables":
        """The tables written in ``folder`` (``records/``), read when asked."""
        tables = cls()
        tables.folder = Path(folder)
        tables._tables = {p.stem: p for p in sorted(tables.folder.glob("*.parquet"), key=lambda p: p.stem)}
        return tables

    def __getitem__(self, name: str):
        if name not in self._tables:
            raise KeyError(name)
        if name not in self._frames:
            import pandas as pd

            source = self._tables[name]
            self._frames[name] = (pd.read_parquet(source) if isinstance(source, Path)
                                  else pd.DataFrame.from_records(self.rows(name)))
        return self._frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def rows(self, name: str) -> list[dict]:
        source = self._tables[name]
        if isinstance(source, Path):
            return self[name].to_dict("records")
        return source.rows() if isinstance(source, TableParts) else source

    def write(self, name: str, path: Path) -> None:
        """Write one table as Parquet: from the DataFrame if one was built, else from the rows or parts
        (copied when it is a file already; nothing to do when it is that file)."""
        source = self._tables[name]
        if isinstance(source, Path):
            if Path(path).resolve() != source.resolve():
                shutil.copyfile(source, path)
        elif name in self._frames:
            self._frames[name].to_parquet(path, index=False)
        else:
            write_parquet(source, path)


# --- to Arrow and Parquet -----------------------------------------------------------------------------

def arrow_table(rows: Sequence[Mapping[str, Any]] | TableParts):
    """The rows (or a :class:`TableParts`) as a :class:`pyarrow.Table` with the column order and types
    pandas would give them, or None when a column holds values only pandas knows how to store."""
    if isinstance(rows, TableParts):
        return rows.arrow()
    return _arrow([(ColumnTable.of(list(rows)), {})])


def write_parquet(rows: Sequence[Mapping[str, Any]] | TableParts, path: Path) -> None:
    """Write rows (or a :class:`TableParts`) as a Parquet file, through Arrow when every column allows
    it, else through pandas."""
    table = arrow_table(rows)
    if table is None:
        import pandas as pd

        pd.DataFrame.from_records(rows.rows() if isinstance(rows, TableParts) else list(rows)).to_parquet(
            path, index=False)
        return
    import pyarrow.parquet as pq

    pq.write_table(table, path)
