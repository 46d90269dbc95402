"""The buildings the server knows: shipped samples, files loaded into its data folder, the live one.

A building is loaded (and checked) once and kept with its floor graph until its file changes.
Buildings are addressed by their key — a sample's name or a loaded file's name without
``.yaml`` — or by the building's own id; a key is looked up among these files, never opened as a
path, and a loaded file that links to somewhere outside the data folder is not listed.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from twin.errors import SpecError
from twin.graph import build_graph
from twin.loader import SAMPLES_DIR, confined_path, load_building
from twin.spec import Building

__all__ = ["BuildingCatalogue", "BuildingEntry", "LoadedBuilding"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildingEntry:
    key: str
    path: Path
    source: str  # "sample" | "loaded" | "live"
    live: bool


@dataclass(frozen=True)
class LoadedBuilding:
    entry: BuildingEntry
    building: Building
    graph: nx.MultiGraph


class BuildingCatalogue:
    """Finds, loads and caches buildings."""

    def __init__(self, buildings_dir: Path, live_ref: str | None = None):
        self.buildings_dir = buildings_dir
        self.live_path = self._resolve_live(live_ref)
        self._cache: dict[Path, tuple[float, LoadedBuilding]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _resolve_live(ref: str | None) -> Path | None:
        if not ref:
            return None
        path = Path(ref)
        if path.is_file():
            return path.resolve()
        sample = SAMPLES_DIR / f"{ref}.yaml"
        return sample.resolve() if sample.is_file() else None

    def entries(self) -> dict[str, BuildingEntry]:
        found: dict[str, BuildingEntry] = {}
        for path in sorted(SAMPLES_DIR.glob("*.yaml")):
            found[path.stem] = BuildingEntry(path.stem, path, "sample", path.resolve() == self.live_path)
        if self.buildings_dir.is_dir():
            for path in sorted(self.buildings_dir.glob("*.yaml")):
                if confined_path(path, (self.buildings_dir,)) is None:
                    continue  # a symbolic link to a file outside the data folder is not a loaded building
                found.setdefault(path.stem, BuildingEntry(path.stem, path, "loaded",
                                                          path.resolve() == self.live_path))
        if self.live_path is not None and not any(e.live for e in found.values()):
            key = self.live_path.stem
            found.setdefault(key, BuildingEntry(key, self.live_path, "live", True))
        return found

    def load_entry(self, entry: BuildingEntry) -> LoadedBuilding:
        """Load a building (cached until its file changes); raises :class:`SpecError` when invalid."""
        mtime = entry.path.stat().st_mtime
        with self._lock:
            hit = self._cache.get(entry.path)
            if hit is not None and hit[0] == mtime and hit[1].entry == entry:
                return hit[1]
        building = load_building(entry.path)
        loaded = LoadedBuilding(entry, building, build_graph(building))
        with self._lock:
            self._cache[entry.path] = (mtime, loaded)
        return loaded

    def get(self, key: str) -> LoadedBuilding | None:
        """A building by key or by id; None when there is none."""
        entries = self.entries()
        entry = entries.get(key)
        if entry is not None:
            return self.load_entry(entry)
        for entry in entries.values():
            try:
                loaded = self.load_entry(entry)
            except (SpecError, OSError):
                continue
            if loaded.building.id == key:
                return loaded
        return None

    def all(self) -> list[LoadedBuilding]:
        """Every building that loads; files with errors are left out (and logged)."""
        result = []
        for entry in self.entries().values():
            try:
                result.append(self.load_entry(entry))
            except (SpecError, OSError) as exc:
                log.warning("building %s not listed: %s", entry.path, exc)
        return result

    def live(self) -> LoadedBuilding | None:
        for entry in self.entries().values():
            if entry.live:
                return self.load_entry(entry)
        return None
