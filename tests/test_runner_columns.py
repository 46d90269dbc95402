"""Issue 16 performance: records travel from the replications as columns, and the files do not change.

A replication's record rows become columns where it ran (scenarios.records.ColumnRecords); the parent
concatenates the replications' columns (TableParts) instead of gathering a pickled dict per row. The
Parquet file written from the columns must be the one written from the rows, byte for byte — the
column types decided over the whole table, as pandas would (a column whole in one replication and with
a gap in another is float64 everywhere), a table only pandas can store still going through pandas —
and a model's ``review`` must still read the replication's rows as they were.
"""

from __future__ import annotations

import math
import pickle
import struct

import numpy as np
import pandas as pd
import pytest

from scenarios.records import ColumnRecords, RecordTables, TableParts, write_parquet
from scenarios.runner import _record_tables, run_scenario, write_results
from scenarios.spec import parse_scenario

# A NaN with other bits than numpy's: the file keeps a float's bits, so the columns must too.
ODD_NAN = struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000001))[0]

# Each replication's rows of one table: (point, replication, rows).
REPLICATIONS = [
    (0, 0, [{"who": "a", "n": 3, "t_s": 1.5, "ok": True, "gap": None, "late": 1},
            {"who": "b", "n": np.int64(4), "t_s": np.float64(2.0), "ok": np.bool_(False), "gap": None}]),
    (0, 1, [{"who": None, "n": 5, "t_s": math.nan, "ok": None, "gap": None, "late": None, "note": "x"},
            {"who": math.nan, "n": 6, "t_s": ODD_NAN, "ok": True, "gap": None, "late": 2}]),
    (0, 2, []),
    (1, 0, [{"who": "长", "n": 7, "t_s": 3, "ok": False, "gap": None, "late": 3, "replication": 9}]),
]


def _rows(replications=REPLICATIONS) -> list[dict]:
    return [{"point": p, "replication": r, **row} for p, r, rows in replications for row in rows]


def _parts(replications=REPLICATIONS) -> TableParts:
    # Through pickle, as a pool process or a Dask worker sends them.
    return TableParts([(p, r, pickle.loads(pickle.dumps(ColumnRecords({"t": rows}))).tables["t"])
                       for p, r, rows in replications])


@pytest.mark.parametrize("replications", [
    REPLICATIONS,
    [(0, 0, [{"n": 1}, {"n": 2}]), (0, 1, [{"n": None}])],              # int64 in one, a gap in another: float64
    [(0, 0, [{"n": 2 ** 63}]), (0, 1, [{"n": 1}])],                     # beyond int64: pandas's
    [(0, 0, [{"xs": [1, 2]}]), (0, 1, [{"xs": [3]}])],                   # lists: only pandas stores them
    [(0, 0, [{"v": None}]), (0, 1, [{"v": None}, {}])],                  # nothing but None: a null column
    [(0, 0, [{"v": math.nan}]), (0, 1, [{"w": "a"}])],                   # a NaN alone: float64; w absent in one
], ids=["mixed", "int-gap", "big", "lists", "nulls", "absent"])
def test_columns_write_the_rows_file_byte_for_byte(tmp_path, replications):
    """Issue 16 performance: a table written from the replications' columns is the file its rows give."""
    from_rows, from_columns = tmp_path / "rows.parquet", tmp_path / "columns.parquet"
    write_parquet(_rows(replications), from_rows)
    write_parquet(_parts(replications), from_columns)
    assert from_columns.read_bytes() == from_rows.read_bytes()


def test_columns_give_back_the_rows_a_review_reads():
    """Issue 16 performance: result.records[table] still reads as the replication's rows (None, NaN with
    its bits, a missing key, NumPy scalars as they were), and the frame a report reads is unchanged."""
    for _, _, rows in REPLICATIONS:
        back = pickle.loads(pickle.dumps(ColumnRecords({"t": rows})))["t"]
        assert len(back) == len(rows) and bool(back) == bool(rows)
        for got, want in zip(back, rows):
            assert set(got) == set(want)
            for key, value in want.items():
                assert type(got[key]) is type(value)
                if isinstance(value, float) and math.isnan(value):
                    assert struct.pack("<d", got[key]) == struct.pack("<d", value)
                else:
                    assert got[key] == value
    pd.testing.assert_frame_equal(RecordTables({"t": _parts()})["t"], pd.DataFrame.from_records(_rows()))


def test_a_run_writes_the_same_files_as_from_rows(tmp_path):
    """Issue 16 performance: a run's records/ from the columns equal the files its rows would give."""
    loaded = parse_scenario({"name": "desk", "model": "repair_desk", "building": "tower", "seed": 3,
                             "replications": 3, "horizon_s": 86_400,
                             "params": {"emergency_per_h": 1.0, "ordinary_per_h": 5.0, "warmup_s": 3600}},
                            "desk.yaml")
    result = run_scenario(loaded)
    write_results(result, tmp_path / "run")
    tables = result.records
    assert isinstance(tables, RecordTables) and len(tables) > 1
    for name in tables:
        write_parquet(tables.rows(name), tmp_path / f"{name}.parquet")
        assert (tmp_path / "run" / "records" / f"{name}.parquet").read_bytes() == \
            (tmp_path / f"{name}.parquet").read_bytes(), name
    streamed = run_scenario(loaded, out=tmp_path / "streamed")
    assert isinstance(streamed.records, RecordTables) and streamed.records.folder is not None
    for name in tables:
        assert (tmp_path / "streamed" / "records" / f"{name}.parquet").read_bytes() == \
            (tmp_path / "run" / "records" / f"{name}.parquet").read_bytes(), name
    assert _record_tables({}) is not None
