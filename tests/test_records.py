"""Record tables written straight from rows to Parquet (scenarios/records.py, issue 11 start-up) read
back as the same DataFrame as when pandas writes them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from scenarios.records import RecordTables, arrow_table, write_parquet

ROWS = [
    {"point": 0, "replication": 0, "who": "a", "t_s": 1.5, "n": 3, "ok": True, "gap": None, "at": 2.0},
    {"point": 0, "replication": 1, "who": None, "t_s": math.nan, "n": np.int64(4), "ok": np.bool_(False),
     "gap": None, "at": None, "late": "yes"},
    {"point": 1, "replication": 0, "who": "c", "t_s": np.float64(2.25), "n": 5, "ok": None, "gap": None, "at": 7},
]


@pytest.mark.parametrize("rows", [ROWS, [], [{"nested": [1, 2]}, {"nested": [3]}]])
def test_rows_read_back_as_pandas_wrote_them(tmp_path, rows):
    """Whole numbers int64, numbers with a gap float64, text with nulls, flags; a column only pandas can
    store (lists) goes through pandas: either way the same frame reads back."""
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    write_parquet(rows, ours)
    pd.DataFrame.from_records(rows).to_parquet(theirs, index=False)
    pd.testing.assert_frame_equal(pd.read_parquet(ours), pd.read_parquet(theirs))
    if rows is ROWS:
        assert arrow_table(rows) is not None  # written without pandas


def test_record_tables_build_a_frame_only_when_read(tmp_path):
    tables = RecordTables({"orders": ROWS})
    assert list(tables) == ["orders"] and tables.rows("orders") is not None and not tables._frames
    frame = tables["orders"]
    assert tables["orders"] is frame and len(frame) == len(ROWS)
    tables.write("orders", tmp_path / "o.parquet")  # from the frame, once one is built
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "o.parquet"), frame)
