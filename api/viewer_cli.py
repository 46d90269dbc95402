"""The ``twin view``, ``twin snapshot`` and ``twin playback`` commands: the 3D building at a terminal.

``twin view`` opens a desktop window on the live twin — equipment coloured by status, lift cars
moving, fire zones in alarm lit — following the building's MQTT broker (or, with no broker
given, an embedded broker and the device simulator, so it shows a live building at once).
``twin snapshot --out file.png`` renders the building off screen, for reports and for machines
without a display, optionally with statuses given on the command line or read from the live twin.
``twin playback RESULTS`` replays an evacuation run in a window, or exports it as MP4/GIF and PNG
frames for the drill report.

Register them on the ``twin`` group with :func:`register`.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click

__all__ = ["view", "snapshot", "playback", "register", "ExportProgress"]

_STATUS_CHOICES = ("ok", "warning", "alarm", "offline", "stale")


def _size(value: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give WIDTHxHEIGHT, e.g. 1280x800") from None
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise click.BadParameter(f"{value!r}: each side between 64 and 8192 pixels")
    return w, h


def _view_mode(floor: str | None, exploded: bool) -> tuple[str, str | None]:
    if floor and exploded:
        raise click.UsageError("give either --floor or --exploded, not both")
    return ("floor", floor) if floor else ("exploded" if exploded else "all"), floor


def _live_service(building, mqtt: str | None, simulate: bool | None, faults: tuple[str, ...]):
    from twin.live.service import LiveService

    db = Path(tempfile.mkdtemp(prefix="twin-view-")) / "twin.db"
    return LiveService(building, mqtt=mqtt, db_path=db, simulate=simulate, faults=faults,
                       twin_id=f"twin-{building.id}-viewer-{os.getpid()}")


@click.command()
@click.argument("building", default="tower")
@click.option("--mqtt", "mqtt", metavar="URL", default=None,
              help="broker of the building (mqtt://user:pass@host:1883); none: embedded broker + device simulator")
@click.option("--simulate/--no-simulate", default=None, help="run the device simulator (default: with the embedded broker)")
@click.option("--fault", "faults", multiple=True, metavar="SPEC",
              help="a simulator fault, e.g. PMP-1:trip@30s or FAP-1:fire_alarm=FZ-F12@1m (repeatable)")
@click.option("--floor", default=None, help="show one floor (id)")
@click.option("--exploded", is_flag=True, help="pull the floors apart")
@click.option("--size", default="1280x800", show_default=True, help="window size WIDTHxHEIGHT")
def view(building: str, mqtt: str | None, simulate: bool | None, faults: tuple[str, ...], floor: str | None,
         exploded: bool, size: str) -> None:
    """Open a desktop window on the live twin of BUILDING (a sample name or YAML file)."""
    from twin.loader import load_building
    from viewer.live import LiveView
    from viewer.scene import BuildingScene

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and os.name != "nt":
        raise click.ClickException("no display: `twin view` needs a desktop; use `twin snapshot --out FILE.png`")
    b = load_building(building)
    mode, floor = _view_mode(floor, exploded)
    service = _live_service(b, mqtt, simulate, faults).start()
    click.echo(f"following {b.id} on {service.broker_url} — close the window to stop")
    try:
        scene = BuildingScene(b, off_screen=False, window_size=_size(size), title=f"{b.name} — live")
        scene.set_view(mode, floor)  # type: ignore[arg-type]
        with LiveView(scene, service.state) as live:
            live.apply(full=True)
            scene.plotter.iren.initialize()  # timers need an initialised interactor
            live.attach()
            scene.show()
        scene.close()
    finally:
        service.stop()


@click.command()
@click.argument("building", default="tower")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PNG file to write")
@click.option("--status", "statuses", multiple=True, metavar="ID=STATUS",
              help=f"colour equipment ID by STATUS ({', '.join(_STATUS_CHOICES)}); repeatable")
@click.option("--zone-alarm", "zones", multiple=True, metavar="ZONE", help="light up a fire zone (repeatable)")
@click.option("--live", is_flag=True, help="colour by the live twin's statuses (with --mqtt, or embedded + simulator)")
@click.option("--mqtt", "mqtt", metavar="URL", default=None, help="broker to read live statuses from (implies --live)")
@click.option("--wait", "wait_s", type=click.FloatRange(0, 120), default=3.0, show_default=True,
              help="seconds to listen to the live twin before rendering")
@click.option("--floor", default=None, help="show one floor (id)")
@click.option("--exploded", is_flag=True, help="pull the floors apart")
@click.option("--labels", type=click.Choice(["floors", "equipment", "all", "none"]), default="floors", show_default=True)
@click.option("--size", default="1280x800", show_default=True, help="image size WIDTHxHEIGHT")
def snapshot(building: str, out: Path, statuses: tuple[str, ...], zones: tuple[str, ...], live: bool,
             mqtt: str | None, wait_s: float, floor: str | None, exploded: bool, labels: str, size: str) -> None:
    """Render BUILDING off screen to a PNG (no display needed)."""
    from twin.loader import load_building
    from viewer.live import active_zones
    from viewer.snapshots import render_building

    b = load_building(building)
    mode, floor = _view_mode(floor, exploded)
    if floor is not None and floor not in b.floor_by_id:
        raise click.BadParameter(f"unknown floor {floor!r} in building {b.id!r}", param_hint="--floor")
    known = set(b.equipment_by_id) | set(b.car_by_id)
    given: dict[str, str] = {}
    for item in statuses:
        ident, sep, status = item.partition("=")
        if not sep or status not in _STATUS_CHOICES:
            raise click.BadParameter(f"{item!r}: give ID=STATUS with STATUS one of {', '.join(_STATUS_CHOICES)}",
                                     param_hint="--status")
        if ident not in known:
            raise click.BadParameter(f"unknown equipment {ident!r} in building {b.id!r}", param_hint="--status")
        given[ident] = status
    zone_ids = {z.id for e in b.equipment for z in e.zones}
    for z in zones:
        if z not in zone_ids:
            raise click.BadParameter(f"unknown fire zone {z!r} in building {b.id!r}", param_hint="--zone-alarm")
    lit = set(zones)
    if live or mqtt:
        service = _live_service(b, mqtt, None, ()).start()
        try:
            time.sleep(wait_s)
            service.flush(5.0)
            snap = service.snapshot()
            given = {k: e.status for k, e in snap.equipment.items()} | given
            lit |= active_zones(snap.alarms)
        finally:
            service.stop()
    render_building(b, out, statuses=given, zones_in_alarm=tuple(sorted(lit)), mode=mode, floor=floor,
                    size=_size(size), labels=labels)
    counts = {s: sum(1 for v in given.values() if v == s) for s in _STATUS_CHOICES if any(v == s for v in given.values())}
    click.echo(f"wrote {out}" + (f" ({', '.join(f'{n} {s}' for s, n in counts.items())})" if counts else ""))


@click.command()
@click.argument("results", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--point", type=click.IntRange(0), default=0, show_default=True, help="sweep point")
@click.option("--replication", "-r", type=click.IntRange(0), default=0, show_default=True)
@click.option("--export", "export", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write a video instead of opening a window (.mp4 or .gif)")
@click.option("--frames", "frames", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="write PNG frames into this folder")
@click.option("--every", "every_s", type=click.FloatRange(1), default=30.0, show_default=True,
              help="seconds of simulated time between PNG frames")
@click.option("--fps", type=click.FloatRange(1, 60), default=15.0, show_default=True)
@click.option("--speed", type=click.FloatRange(0.1, 1000), default=10.0, show_default=True,
              help="simulated seconds per second of video")
@click.option("--floor", default=None, help="show one floor (id)")
@click.option("--exploded", is_flag=True, help="pull the floors apart")
@click.option("--size", default="1280x720", show_default=True, help="video size WIDTHxHEIGHT")
def playback(results: Path, point: int, replication: int, export: Path | None, frames: Path | None, every_s: float,
             fps: float, speed: float, floor: str | None, exploded: bool, size: str) -> None:
    """Replay an evacuation run (RESULTS folder) in 3D, or export it as a video and PNG frames."""
    from viewer.playback import EvacuationPlayback, PlaybackError

    mode, floor = _view_mode(floor, exploded)
    off_screen = export is not None or frames is not None
    if not off_screen and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and os.name != "nt":
        raise click.ClickException("no display: give --export FILE.mp4 or --frames DIR")
    try:
        pb = EvacuationPlayback.from_results(results, point=point, replication=replication, off_screen=off_screen,
                                             window_size=_size(size))
    except PlaybackError as exc:
        raise click.ClickException(str(exc)) from None
    pb.scene.set_view(mode, floor)  # type: ignore[arg-type]
    if pb.tracks.approximate:
        click.echo("note: no movement trace in these results (run with params.trace: true); "
                   "occupants walk their routes at an even pace and queues do not show", err=True)
    try:
        if export is not None:
            n = len(pb.frame_times(fps=fps, speed=speed))
            click.echo(f"exporting {export}: {n} frames = {n / fps:.1f} s of video at {fps:g} frames/s, "
                       f"simulated time 0–{pb.duration_s:.0f} s at {speed:g}× real time", err=True)
            progress = ExportProgress("video")
            pb.export(export, fps=fps, speed=speed, progress=progress)
            click.echo(f"wrote {export}: {n} frames, {n / fps:.1f} s of video; export took "
                       f"{progress.elapsed_s:.1f} s ({progress.rate:.1f} frames/s)")
        if frames is not None:
            progress = ExportProgress("PNG frames")
            paths = pb.export_frames(frames, every_s=every_s, progress=progress)
            click.echo(f"wrote {len(paths)} PNG frames (one every {every_s:g} s of simulated time) into {frames}; "
                       f"took {progress.elapsed_s:.1f} s")
        if not off_screen:
            pb.show(speed=speed)
    finally:
        pb.scene.close()


class ExportProgress:
    """Progress of an export on stderr, every figure named: frames done of the total, frames per
    second so far and the time left. On a terminal one line is rewritten in place; otherwise
    (a log, a pipe) a line is printed every ``every_s`` seconds and at the end."""

    def __init__(self, what: str, every_s: float = 5.0):
        import sys

        self.what = what
        self.every_s = every_s
        self.started = time.perf_counter()
        self.elapsed_s = 0.0
        self.rate = 0.0
        self._last = self.started
        self._tty = sys.stderr.isatty()

    def line(self, done: int, total: int) -> str:
        left = (total - done) / self.rate if self.rate > 0 else float("nan")
        eta = f"{left:.0f} s left" if left == left else "time left unknown"
        return (f"{self.what}: frame {done} of {total} ({100.0 * done / max(total, 1):.0f} %), "
                f"{self.rate:.1f} frames/s, {eta}")

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        self.elapsed_s = now - self.started
        self.rate = done / self.elapsed_s if self.elapsed_s > 0 else 0.0
        if self._tty:
            click.echo("\r\033[K" + self.line(done, total), err=True, nl=done >= total)
        elif now - self._last >= self.every_s or done >= total:
            self._last = now
            click.echo(self.line(done, total), err=True)


def register(group: click.Group) -> None:
    """Add ``view``, ``snapshot`` and ``playback`` to the ``twin`` command group."""
    for command in (view, snapshot, playback):
        group.add_command(command)
