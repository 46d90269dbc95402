"""A sweep written to disk point by point, so that it can be resumed and its memory stays flat.

A planner's sweep of 500 points × 20 replications runs for hours; a crash, a Ctrl-C or a cancel
two hours in must not cost two hours. When a run has a results folder, the runner
(:func:`scenarios.runner.run_scenario`) hands every sweep point to a :class:`SweepStore` as soon as
its last replication finishes: the point's record tables go to ``partial/point-NNNNNN/<table>.parquet``
and what the summary needs of it (:func:`scenarios.runner.point_digest`) to ``digest.json`` beside
them, and the replications themselves are dropped. ``partial/manifest.json`` says what run the
folder holds (model, seed, replications, horizon, every point's parameters, the building), so that
``twin run … --resume DIR`` continues only that run — a changed scenario is refused with what
changed — and runs only the points not yet on disk.

When every point is there, :meth:`SweepStore.finish` writes each table's points one after the other
into ``records/<table>.parquet`` (one point in memory at a time; column types widened where points
differ, as a whole table would have them: a column with a gap in any point is float, text beside
nulls is text) and removes ``partial/``. The same points give the same files byte for byte, so a
resumed run equals an uninterrupted one.

Folder layout while a run is under way::

    DIR/partial/manifest.json
    DIR/partial/point-000000/digest.json        # written last: the point is complete
    DIR/partial/point-000000/kpis.parquet       # one row per replication
    DIR/partial/point-000000/<table>.parquet    # the model's record tables
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scenarios.records import RecordTables, TableParts, write_parquet

__all__ = ["SweepStore", "ResumeError", "manifest_of"]


class ResumeError(RuntimeError):
    """A run cannot be resumed from this folder (the message says why and what to do)."""


def manifest_of(loaded: Any, seed: int, replications: int, params: Mapping[int, Any] | None = None) -> dict:
    """What identifies a run: a resume must find the same."""
    return {
        "format": 1,
        "scenario": loaded.scenario.name,
        "model": loaded.model.name,
        "seed": seed,
        "replications": replications,
        "horizon_s": loaded.scenario.horizon_s,
        "building": loaded.building.model_dump(mode="json"),
        "points": [{"set": p.assignments,
                    "parameters": (params[p.index] if params else p.params).model_dump(mode="json")}
                   for p in loaded.points],
    }


def _differences(old: dict, new: dict) -> list[str]:
    """What differs between two manifests, in a few words each."""
    out = []
    for key in ("scenario", "model", "seed", "replications", "horizon_s"):
        if old.get(key) != new.get(key):
            out.append(f"{key} {old.get(key)!r} → {new.get(key)!r}")
    if old.get("building") != new.get("building"):
        out.append("the building file")
    a, b = old.get("points", []), new.get("points", [])
    if len(a) != len(b):
        out.append(f"sweep points {len(a)} → {len(b)}")
    else:
        changed = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        if changed:
            shown = ", ".join(map(str, changed[:5])) + (" …" if len(changed) > 5 else "")
            out.append(f"the parameters of sweep point{'s' if len(changed) > 1 else ''} {shown}")
    return out


class SweepStore:
    """The points of a run on disk (see the module docstring)."""

    def __init__(self, out: Path, manifest: dict, *, resume: bool = False):
        self.out = Path(out)
        self.partial = self.out / "partial"
        path = self.partial / "manifest.json"
        if resume:
            if not path.is_file():
                raise ResumeError(f"{self.out}: nothing to resume — the folder holds no interrupted run "
                                  f"({path} is missing); run without --resume")
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ResumeError(f"{path}: unreadable ({exc}); run again without --resume") from None
            changed = _differences(old, manifest)
            if changed:
                raise ResumeError(f"{self.out}: cannot resume: the scenario changed since this run started "
                                  f"({'; '.join(changed)}); run it again without --resume, or into another folder")
        else:
            if self.partial.exists():
                shutil.rmtree(self.partial)
            self.partial.mkdir(parents=True)
            _write_atomic(path, json.dumps(manifest, sort_keys=True))

    def _dir(self, point: int) -> Path:
        return self.partial / f"point-{point:06d}"

    def done(self) -> set[int]:
        """The points already on disk (their digest written: complete)."""
        return {int(d.name.split("-")[1]) for d in self.partial.glob("point-*") if (d / "digest.json").is_file()}

    def write_point(self, point: int, digest: dict,
                    tables: Mapping[str, Sequence[Mapping[str, Any]] | TableParts]) -> None:
        """Write one finished point: its tables (rows, or the replications' columns), then its digest
        (which marks it complete)."""
        final = self._dir(point)
        work = final.with_name(final.name + ".tmp")
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        for name, rows in tables.items():
            write_parquet(rows, work / f"{name}.parquet")
        (work / "digest.json").write_text(json.dumps({**digest, "tables": list(tables)}, allow_nan=False),
                                          encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(work, final)

    def digest(self, point: int) -> dict:
        return json.loads((self._dir(point) / "digest.json").read_text(encoding="utf-8"))

    def finish(self, points: Sequence[int]) -> RecordTables:
        """Join the points' tables into ``records/`` (in point order) and remove ``partial/``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        names: dict[str, None] = {}
        for point in points:
            for name in self.digest(point)["tables"]:
                names.setdefault(name, None)
        records = self.out / "records"
        records.mkdir(parents=True, exist_ok=True)
        for old in records.glob("*.parquet"):
            old.unlink()
        if len(points) == 1:  # one point (no sweep): its files are the tables as they are
            for name in names:
                source = self._dir(points[0]) / f"{name}.parquet"
                if source.is_file():
                    os.replace(source, records / f"{name}.parquet")
            shutil.rmtree(self.partial)
            return RecordTables.in_folder(records)
        for name in names:
            files = [f for f in (self._dir(p) / f"{name}.parquet" for p in points) if f.is_file()]
            schemas = [pq.read_schema(f) for f in files]
            schema = _widened(schemas)
            with pq.ParquetWriter(records / f"{name}.parquet", schema) as writer:
                for f in files:
                    writer.write_table(_conform(pq.read_table(f), schema, pa))
        shutil.rmtree(self.partial)
        return RecordTables.in_folder(records)


def _widened(schemas: list) -> Any:
    """One schema for every point's table: the union of the columns (first appearance order), each
    with the widest type the points gave it (null < bool/int < float; anything beside text is text)."""
    import pyarrow as pa

    fields: dict[str, Any] = {}
    for schema in schemas:
        for f in schema:
            have = fields.get(f.name)
            fields[f.name] = f.type if have is None else _wider(have, f.type, pa)
    metadata = schemas[0].metadata if schemas else None
    return pa.schema([pa.field(n, t) for n, t in fields.items()], metadata=metadata)


def _wider(a, b, pa):
    if a == b:
        return a
    if pa.types.is_null(a):
        return b
    if pa.types.is_null(b):
        return a
    if pa.types.is_string(a) or pa.types.is_large_string(a) or pa.types.is_string(b) or pa.types.is_large_string(b):
        return pa.large_string() if pa.types.is_large_string(a) or pa.types.is_large_string(b) else pa.string()
    numeric = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean)
    if any(t(a) for t in numeric) and any(t(b) for t in numeric):
        return pa.float64()
    return pa.string()


def _conform(table, schema, pa):
    """The table with every column of ``schema`` (nulls for one it lacks), in its order and types."""
    columns = []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            columns.append(col if col.type == field.type else col.cast(field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
