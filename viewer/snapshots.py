"""3D snapshots for reports: still pictures of the building that a printed report can carry.

A drill report is read on paper as often as on screen. Two pictures say most of what the 3D view
says: the **floor with the worst congestion** at its worst moment (rooms shaded by people per m²,
queue columns at the doors and stairs, occupants as dots), and the **building with its equipment
coloured by status**, alarms in red and fire zones in alarm lit up. This module renders them off
screen as PNG and hands them to the report as :class:`Snapshot` values (title, caption, PNG bytes,
a ``data:`` URI to inline). Nothing here fails a report: a picture that cannot be drawn (no
renderer on the machine, no records to draw from) becomes a note instead.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twin.spec import Building
from viewer.i18n import translate

__all__ = ["Snapshot", "report_snapshots", "congestion_snapshot", "status_snapshot", "render_building",
           "SNAPSHOT_SIZE"]

log = logging.getLogger(__name__)

SNAPSHOT_SIZE = (1000, 620)
"""Pixels of a report snapshot: prints at about 17 cm wide at 150 dpi."""


@dataclass(frozen=True)
class Snapshot:
    """A rendered picture for a report."""

    title: str
    caption: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")

    def as_dict(self) -> dict[str, str]:
        """What a template needs: ``title``, ``caption``, ``data_uri``."""
        return {"title": self.title, "caption": self.caption, "data_uri": self.data_uri}


def _png(img: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def render_building(building: Building, out: str | Path | None = None, *, statuses: Mapping[str, str] | None = None,
                    zones_in_alarm: tuple[str, ...] | list[str] = (), mode: str = "all", floor: str | None = None,
                    size: tuple[int, int] = SNAPSHOT_SIZE, labels: str = "floors") -> np.ndarray:
    """Render a building off screen (optionally with equipment statuses); write PNG to ``out``."""
    from viewer.scene import BuildingScene

    with BuildingScene(building, off_screen=True, window_size=size, labels=labels,  # type: ignore[arg-type]
                       anti_aliasing=True) as scene:
        if statuses:
            scene.update_statuses(statuses)
        for zone in zones_in_alarm:
            if zone in scene.zone_ids:
                scene.set_zone_alarm(zone, True)
        scene.set_view(mode, floor)  # type: ignore[arg-type]
        return scene.screenshot(out)


def status_snapshot(building: Building, statuses: Mapping[str, str], *, zones_in_alarm: tuple[str, ...] = (),
                    size: tuple[int, int] = SNAPSHOT_SIZE, lang: str | None = None) -> Snapshot:
    """The building with its equipment coloured by status (alarms red), for a report."""
    img = render_building(building, statuses=statuses, zones_in_alarm=zones_in_alarm, size=size,
                          labels="floors")
    alarms = sorted(k for k, v in statuses.items() if v == "alarm")
    caption = (translate("snapshot.equipment_in_alarm", lang,
                         ids=", ".join(alarms[:12]) + (" …" if len(alarms) > 12 else "")) if alarms
               else translate("snapshot.no_alarm", lang))
    if zones_in_alarm:
        caption += " " + translate("snapshot.zones_in_alarm", lang, ids=", ".join(zones_in_alarm))
    caption += " " + translate("snapshot.status_colours", lang)
    return Snapshot(translate("snapshot.status_title", lang), caption, _png(img))


def congestion_snapshot(building: Building, run: Mapping[str, Any], *, size: tuple[int, int] = SNAPSHOT_SIZE,
                        samples: int = 80, lang: str | None = None) -> Snapshot | None:
    """The floor and moment with the most people queueing (or, without queues, the densest),
    drawn from an evacuation run's tables (see :func:`viewer.playback.load_run`)."""
    from viewer.playback import QUEUED, EvacuationPlayback, EvacuationTracks
    from viewer.scene import BuildingScene

    trace, occupants = run.get("trace"), run.get("occupants")
    if (trace is None or trace.empty) and (occupants is None or occupants.empty):
        return None
    tracks = EvacuationTracks(building, trace=trace, occupants=occupants)
    floor_ids = sorted(building.floors, key=lambda f: f.elevation_m)
    elevations = np.array([f.elevation_m for f in floor_ids])
    best = (-1.0, 0.0, floor_ids[0].id)
    for t in np.linspace(0.0, tracks.duration_s, samples):
        frame = tracks.frame(float(t))
        if not frame.count:
            continue
        fi = np.clip(np.searchsorted(elevations, frame.xyz[:, 2] + 1e-6, side="right") - 1, 0, len(elevations) - 1)
        queued = np.bincount(fi[frame.state == QUEUED], minlength=len(elevations)).astype(float)
        moving = np.bincount(fi[frame.state != 0], minlength=len(elevations)).astype(float)
        score = queued + 1e-3 * moving  # queues first; crowds on the move break ties
        k = int(np.argmax(score))
        if score[k] > best[0]:
            best = (float(score[k]), float(t), floor_ids[k].id)
    _, when, floor = best
    with BuildingScene(building, off_screen=True, window_size=size, labels="floors", anti_aliasing=True) as scene:
        playback = EvacuationPlayback(scene, tracks, events=run.get("events") or ())
        scene.set_view("floor", floor)
        frame = playback.show_time(when)
        img = scene.screenshot()
    name = building.floor_by_id[floor].name or floor
    queues = sorted(frame.queues.items(), key=lambda kv: -kv[1])[:3]
    queue_text = ", ".join(f"{g} ({n})" for g, n in queues) if queues else translate("app.none", lang)
    minutes, seconds = divmod(int(round(when)), 60)
    caption = translate("snapshot.congestion_caption", lang, floor=name, time=f"{minutes}:{seconds:02d}",
                        queues=queue_text)
    if tracks.approximate:
        caption += " " + translate("snapshot.no_trace", lang)
    return Snapshot(translate("snapshot.congestion_title", lang), caption, _png(img))


def _statuses_from_summary(summary: Mapping[str, Any]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Equipment statuses and fire zones of a run started from the live twin (if it kept them)."""
    snap = summary.get("snapshot") or summary.get("initial_state") or {}
    equipment = snap.get("equipment") or {}
    statuses = {k: str(v.get("status")) for k, v in equipment.items() if isinstance(v, Mapping) and v.get("status")}
    zones = tuple(sorted({str(a["zone"]) for a in snap.get("alarms") or () if isinstance(a, Mapping)
                          and a.get("zone") and a.get("active", True)}))
    return statuses, zones


def report_snapshots(results_dir: str | Path, *, building: Building | None = None,
                     statuses: Mapping[str, str] | None = None,
                     size: tuple[int, int] = SNAPSHOT_SIZE, lang: str | None = None) -> tuple[list[Snapshot], list[str]]:
    """The 3D snapshots of a results folder for its report, and notes on what could not be drawn.

    An evacuation run gets its congestion picture; a run started from the live twin (or given
    ``statuses``) gets the equipment-status picture. Never raises.
    """
    folder = Path(results_dir)
    notes: list[str] = []
    shots: list[Snapshot] = []
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [], [f"3D snapshots left out: {exc}"]
    given = dict(statuses or {})
    live_statuses, zones = _statuses_from_summary(summary)
    given = given or live_statuses
    if summary.get("model") != "evacuation" and not given and not zones:
        return [], []  # nothing 3D to show for this run
    try:
        building = building or _building_of(summary)
    except Exception as exc:  # noqa: BLE001 - a report must not fail on a picture
        return [], [f"3D snapshots left out: the building could not be loaded ({exc})."]
    try:
        if summary.get("model") == "evacuation":
            from viewer.playback import load_run

            shot = congestion_snapshot(building, load_run(folder), size=size, lang=lang)
            if shot is not None:
                shots.append(shot)
            else:
                notes.append("Congestion snapshot left out: the run kept no occupant records.")
        if given or zones:
            shots.append(status_snapshot(building, given, zones_in_alarm=zones, size=size, lang=lang))
    except Exception as exc:  # noqa: BLE001
        log.warning("3D snapshot failed: %s", exc, exc_info=exc)
        notes.append(f"3D snapshots left out: {type(exc).__name__}: {exc}")
    return shots, notes


def _building_of(summary: Mapping[str, Any]) -> Building:
    from twin.loader import load_building

    scenario = summary.get("scenario") or {}
    ref = scenario.get("building") or (summary.get("building") or {}).get("id")
    file = scenario.get("file")
    if file and ref:
        candidate = Path(file).parent / str(ref)
        if candidate.is_file():
            return load_building(candidate)
    return load_building(str(ref))
