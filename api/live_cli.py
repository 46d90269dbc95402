"""``twin serve`` and ``twin devices simulate``: the live twin from a terminal.

``twin serve`` mirrors a building's live equipment: it connects to the broker given by
``--mqtt URL`` (or the ``TWIN_MQTT_URL`` setting) — or, with neither, starts an embedded broker
and the device simulator so a fresh clone shows a live building at once — keeps state, history
and alarms in the data directory (``DATA_DIR/history.sqlite``; ``--data-dir`` or
``TWIN_DATA_DIR``, ``twin-data`` by default; ``--db`` names another file), and prints one status
line every few seconds until stopped (Ctrl-C, SIGTERM, or ``--duration``). A history left by an
older twin in ``results/twin.db`` under the working directory is moved into the data directory
once, with a message naming both paths.

The embedded broker lets in only the twin and the simulated devices, with passwords made at
start and kept in ``DATA_DIR/mqtt/twin-broker-…/credentials.json`` (mode 0600).

``twin devices simulate`` only plays the devices: it publishes realistic telemetry of every
equipment of a building to a broker, with faults on a schedule (``--fault LIFT-2:entrapment@60s``).

A user's mistake — a bad URL, fault or building — is reported in one message and exits 2.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from twin.errors import SpecError
from twin.live.bridge import MqttSettings, MqttUrlError, parse_mqtt_url
from twin.live.broker import DEVICES_USER, Broker, BrokerError, embedded_users
from twin.live.history import HistoryError, migrate_history
from twin.live.simulator import FAULT_KINDS, DeviceSimulator, Fault, SimulatorRunner, parse_fault
from twin.loader import load_building
from twin.spec import Building

__all__ = ["serve", "devices", "LEGACY_HISTORY"]

LEGACY_HISTORY = Path("results/twin.db")
"""Where ``twin serve`` kept the history before it moved into the data directory (under the working directory)."""


class LiveUsageError(click.ClickException):
    """A user's mistake: one clear message, exit status 2."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def simulated_meter_profiles(building: Building, data_dir: Path | None = None) -> dict[str, Any] | None:
    """The simulated meters' year from the energy model (:func:`models.energy.live_meters.live_meter_profiles`:
    hidden parameters, so calibrating against the live twin is a real test); None when the building has no
    meter the model drives, or the model cannot make the year (the meters then follow the day's demand).
    With ``data_dir`` the year is kept in ``DATA_DIR/cache/`` so a restart does not make it again."""
    try:
        import models
        from models.cache import cached_arrays

        def make() -> dict[str, Any]:
            from models.energy.live_meters import live_meter_profiles

            return live_meter_profiles(building)

        # Keyed by the building and the energy model's sources (its hidden parameters and seed included):
        # a restart reads the year without importing the model's solvers.
        profiles = cached_arrays(data_dir / "cache" if data_dir is not None else None, "live-meters",
                                 [building.model_dump_json()], [Path(models.__file__).parent / "energy"], make)
        return profiles or None
    except Exception as exc:  # noqa: BLE001 - the simulator runs on without the energy model's profiles
        import logging

        logging.getLogger(__name__).warning("simulated meters without the energy model's year: %s", exc)
        return None


def _building(ref: str) -> Building:
    try:
        return load_building(ref)
    except SpecError as exc:
        raise LiveUsageError(str(exc)) from None


def _settings(url: str | None) -> MqttSettings | None:
    if url is None:
        return None
    try:
        return parse_mqtt_url(url)
    except MqttUrlError as exc:
        raise click.BadParameter(str(exc), param_hint="--mqtt") from None


def _faults(specs: tuple[str, ...], building: Building) -> tuple[Fault, ...]:
    faults = []
    for spec in specs:
        try:
            faults.append(parse_fault(spec, building))
        except SpecError as exc:
            raise click.BadParameter(str(exc.issues[0].message) + f" (in {spec!r})", param_hint="--fault") from None
    return tuple(faults)


@contextmanager
def _until_stopped(duration_s: float | None) -> Iterator[threading.Event]:
    """An event set by SIGTERM/SIGINT or when ``duration_s`` has passed."""
    stop = threading.Event()
    previous = {}

    def stopping(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[sig] = signal.signal(sig, stopping)
        except ValueError:  # not the main thread (e.g. inside a test runner)
            pass
    timer = threading.Timer(duration_s, stop.set) if duration_s is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield stop
    finally:
        if timer is not None:
            timer.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_FAULT_HELP = ("DEVICE:KIND[=ARG][@AT][+FOR], e.g. LIFT-2:entrapment@60s, PMP-1:trip@2m+5m, "
               "FAP-1:fire_alarm=Z12@30s; kinds: " + ", ".join(FAULT_KINDS) + " (repeatable)")
_MQTT_HELP = ("broker URL mqtt://[user:pass@]host[:port], or with TLS mqtts://[user:pass@]host[:port]?ca=CA.pem "
              "(default: an embedded broker)")


@click.command()
@click.argument("building", default="tower", required=False)
@click.option("--mqtt", "mqtt_url", envvar="TWIN_MQTT_URL", default=None, metavar="URL", help=_MQTT_HELP)
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite history file [DATA_DIR/history.sqlite]")
@click.option("--no-simulator", is_flag=True, help="do not simulate devices (default: simulate with an embedded broker)")
@click.option("--simulator", "force_simulator", is_flag=True, help="simulate devices even with --mqtt")
@click.option("--rate", type=click.FloatRange(0.01, 100), default=None,
              help="simulated messages per second per device (default: each device's interval)")
@click.option("--fault", "fault_specs", multiple=True, metavar="SPEC", help=_FAULT_HELP)
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="stop cleanly after S seconds (default: run until Ctrl-C)")
@click.option("--rules", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="alarm rules YAML (default: the twin's own)")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="mapping file for a site that publishes on its own topics")
@click.option("--status-every", type=click.FloatRange(0.2, 3600), default=5.0, show_default=True, metavar="S",
              help="seconds between status lines")
@click.option("--twin-id", default=None, help="MQTT client id (default twin-BUILDING; keeps the broker session)")
@click.option("--api/--no-api", "api", default=True, show_default=True,
              help="serve the HTTP API and the web console (/console/) with the live twin")
@click.option("--host", default=None, help="address the API binds to [127.0.0.1]")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="API port [8000]")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="API tokens, runs and results, the live history, the embedded broker's credentials "
                   "[TWIN_DATA_DIR or twin-data]")
@click.option("--triggers", "triggers_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, envvar="TWIN_TRIGGERS",
              help="alarm → forecast triggers (YAML) [the shipped scenarios/triggers.yaml]")
@click.option("--no-triggers", is_flag=True, help="start no forecasts when alarms are raised")
def serve(building: str, mqtt_url: str | None, db_path: Path | None, no_simulator: bool, force_simulator: bool,
          rate: float | None, fault_specs: tuple[str, ...], duration: float | None, rules: Path | None,
          mapping: Path | None, status_every: float, twin_id: str | None, api: bool, host: str | None,
          port: int | None, data_dir: Path | None, triggers_file: Path | None, no_triggers: bool) -> None:
    """Mirror BUILDING's live equipment (sample name or file; default: tower), with the API and
    web console unless --no-api."""
    from twin.live.service import LiveService

    b = _building(building)
    settings = _settings(mqtt_url)
    faults = _faults(fault_specs, b)
    simulate = force_simulator or (settings is None and not no_simulator)
    if faults and not simulate:
        raise click.UsageError("--fault needs the device simulator (it is off with --mqtt or --no-simulator; "
                               "add --simulator)")
    data = _data_dir(data_dir)
    # The embedded broker's folder goes to the data directory, or beside a history named by --db alone.
    broker_dir = data / "mqtt" if db_path is None or data_dir is not None or api else None
    if db_path is None:
        db_path = data / "history.sqlite"
        try:
            if migrate_history(LEGACY_HISTORY, db_path, building_id=b.id):
                click.echo(f"twin serve: moved the live history from {LEGACY_HISTORY.resolve()} to {db_path.resolve()} "
                           f"(the old file is kept as {LEGACY_HISTORY.name}.migrated)")
        except OSError as exc:
            raise LiveUsageError(f"twin serve: could not move the live history from {LEGACY_HISTORY.resolve()} "
                                 f"to {db_path.resolve()}: {exc}") from None
    try:
        service = LiveService(b, mqtt=settings, db_path=db_path, rules=rules, mapping=mapping, simulate=simulate,
                              sim_rate_hz=rate, faults=faults, twin_id=twin_id, broker_dir=broker_dir,
                              meter_profiles=simulated_meter_profiles(b, data) if simulate else None)
    except SpecError as exc:
        raise LiveUsageError(str(exc)) from None
    if api:
        _serve_api(service, building, mqtt_url, host, port, data, duration, b,
                   triggers=triggers_file, triggers_enabled=not no_triggers)
        return
    with _until_stopped(duration) as stop:
        try:
            service.start()
        except (HistoryError, BrokerError, MqttUrlError) as exc:
            raise LiveUsageError(str(exc)) from None
        try:
            embedded = f" (embedded {service.broker.kind})" if service.broker else ""
            click.echo(f"twin serve: {b.name} ({b.id}), {len(service.state.device_ids)} devices")
            click.echo(f"broker: {service.broker_url}{embedded}")
            click.echo(f"history: {db_path}")
            if service.broker is not None and service.broker.secured:
                click.echo(f"broker credentials: {service.broker.credentials_path}")
            if service.simulator is not None:
                click.echo("device simulator: on" + (f", faults: {', '.join(map(str, faults))}" if faults else ""))
            while not stop.wait(status_every):
                click.echo(service.status_line())
            click.echo(service.status_line())
        finally:
            service.stop()
    click.echo("stopped")


def _data_dir(given: Path | None) -> Path:
    """The data directory: ``--data-dir``, else the API's setting (``TWIN_DATA_DIR``, ``twin-data``)."""
    from api.settings import data_dir_setting

    try:
        return data_dir_setting(given)
    except ValueError as exc:
        raise LiveUsageError(f"twin serve: {exc}") from None


def _serve_api(service: Any, building: str, mqtt_url: str | None, host: str | None, port: int | None,
               data_dir: Path | None, duration: float | None, b: Any, *, triggers: Path | None = None,
               triggers_enabled: bool = True) -> None:
    """Serve the FastAPI app whose lifespan starts and stops ``service`` (until Ctrl-C or --duration)."""
    import threading

    import uvicorn
    from pydantic import ValidationError

    from api.app import create_app
    from api.settings import Settings

    extra = {k: v for k, v in {"host": host, "port": port, "data_dir": data_dir, "triggers": triggers}.items()
             if v is not None}
    try:
        settings = Settings(building=building, mqtt_url=mqtt_url, triggers_enabled=triggers_enabled, **extra)
    except ValidationError as exc:
        raise LiveUsageError(f"twin serve: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    if settings.triggers_enabled:
        from api.runs import scenario_sources
        from scenarios.triggers import load_triggers

        try:  # a mistake in the triggers file stops us here, naming file, field and value
            load_triggers(settings.triggers, known_scenarios=set(scenario_sources(settings.scenarios_dir)))
        except SpecError as exc:
            raise LiveUsageError(str(exc)) from None
    try:
        service.start()  # here, so that a user's mistake stops us with exit 2; the app's start is then a no-op
    except (HistoryError, BrokerError, MqttUrlError) as exc:
        raise LiveUsageError(str(exc)) from None
    app = create_app(settings, live_factory=lambda _settings: service)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning",
                                           access_log=False))
    click.echo(f"twin serve: {b.name} ({b.id}), {len(service.state.device_ids)} devices")
    click.echo(f"API:     http://{settings.host}:{settings.port}/docs")
    click.echo(f"console: http://{settings.host}:{settings.port}/console/")
    click.echo(f"history: {service.db_path}")
    if service.broker is not None and service.broker.secured:
        click.echo(f"broker credentials: {service.broker.credentials_path}")
    if duration is not None:
        timer = threading.Timer(duration, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn stops cleanly on Ctrl-C, then raises it again: the stop we asked for
        pass
    click.echo("stopped")


@click.group()
def devices() -> None:
    """Simulated devices."""


@devices.command("simulate")
@click.argument("building", default="tower", required=False)
@click.option("--mqtt", "mqtt_url", envvar="TWIN_MQTT_URL", default=None, metavar="URL", help=_MQTT_HELP)
@click.option("--rate", type=click.FloatRange(0.01, 100), default=None,
              help="messages per second per device (default: each device's interval)")
@click.option("--fault", "fault_specs", multiple=True, metavar="SPEC", help=_FAULT_HELP)
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="stop after S seconds (default: run until Ctrl-C)")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="seed of the simulated devices")
@click.option("--status-every", type=click.FloatRange(0.2, 3600), default=5.0, show_default=True, metavar="S")
def simulate(building: str, mqtt_url: str | None, rate: float | None, fault_specs: tuple[str, ...],
             duration: float | None, seed: int, status_every: float) -> None:
    """Publish realistic telemetry for every device of BUILDING (sample name or file)."""
    b = _building(building)
    settings = _settings(mqtt_url)
    faults = _faults(fault_specs, b)
    broker = None
    if settings is None:
        try:
            broker = Broker(users=embedded_users()).start()
        except BrokerError as exc:
            raise LiveUsageError(str(exc)) from None
        user, password = broker.credentials(DEVICES_USER)
        settings = MqttSettings(host=broker.host, port=broker.port, protocol=broker.protocol,  # type: ignore[arg-type]
                                username=user, password=password)
    try:
        sim = DeviceSimulator(b, rate_hz=rate, faults=faults, seed=seed, meter_profiles=simulated_meter_profiles(b))
        try:
            runner = SimulatorRunner(sim, settings)
        except MqttUrlError as exc:
            raise LiveUsageError(str(exc)) from None
        with _until_stopped(duration) as stop:
            runner.start()
            click.echo(f"simulating {len(sim.devices)} devices of {b.id} → {settings.url}"
                       + (f" (embedded broker; credentials in {broker.credentials_path})" if broker else ""))
            started = time.monotonic()
            try:
                while not stop.wait(status_every):
                    click.echo(f"{time.monotonic() - started:7.0f} s  published {runner.published}  "
                               f"active faults {len(sim.active)}")
            finally:
                runner.stop()
        click.echo(f"published {runner.published} messages")
    finally:
        if broker is not None:
            broker.cleanup()
