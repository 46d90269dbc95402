"""Settings of the API server: where it listens, where it keeps its data, what it may run.

One :class:`Settings` object, read from the environment with the prefix ``TWIN_`` (as the
FastAPI full-stack template's ``core/config.py`` does): ``TWIN_PORT=8080``,
``TWIN_DATA_DIR=/var/lib/twin``, ``TWIN_MQTT_URL=mqtt://broker:1883``,
``TWIN_CORS_ORIGINS='["https://console.example"]'``. The server binds to the loopback address
unless told otherwise, and CORS is off unless origins are listed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


def _default_workers() -> int:
    # Leave one core to the event loop and the MQTT bridge.
    return max(1, (os.cpu_count() or 2) - 1)


class Settings(BaseSettings):
    """Everything the API server is configured by; environment variables ``TWIN_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TWIN_", extra="ignore")

    host: str = Field("127.0.0.1", description="address to bind; loopback unless told otherwise")
    port: Annotated[int, Field(ge=0, le=65535)] = 8000
    data_dir: Path = Field(Path("twin-data"), description="API database, run results, loaded buildings and "
                                                          "scenarios, live history")
    building: str | None = Field("tower", description="building of the live twin: a sample name or a YAML path")
    live: bool = Field(True, description="run the live twin (MQTT bridge, state, history, alarms)")
    mqtt_url: str | None = Field(None, description="broker URL, e.g. mqtt://host:1883; none starts an embedded broker")
    simulate_devices: bool = Field(True, description="with the embedded broker, run the device simulator")
    mqtt_max_points_per_device: Annotated[int, Field(ge=1, le=100_000)] = Field(
        256, description="most point names one device's live state may hold; more is dead-lettered (limit)")
    mqtt_max_device_state_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = Field(
        65_536, description="most bytes of values one device's live state may hold; more is dead-lettered (limit)")
    max_concurrent_runs: Annotated[int, Field(ge=1, le=1000)] = 4
    max_run_size: Annotated[int, Field(ge=1)] = Field(
        20_000, description="largest replications × sweep points accepted for one run")
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    workers: Annotated[int, Field(ge=1, le=256)] = Field(default_factory=_default_workers,
                                                         description="processes running simulations")
    scheduler: str | None = Field(None, description="Dask scheduler (tcp://HOST:PORT) whose workers run each run's "
                                                    "replications; none runs them in the run's pool process")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS; empty = CORS off")
    token_cache_s: Annotated[float, Field(ge=0)] = Field(
        30.0, description="how long a verified token is trusted before its hash is checked again")
    print_admin_token: bool = Field(True, description="print the admin token generated at first start")
    triggers: Path | None = Field(None, description="alarm triggers file (format: scenarios/triggers.py); "
                                                    "none uses the shipped scenarios/triggers.yaml")
    triggers_enabled: bool = Field(True, description="start forecasts when alarms are raised on the live twin")
    run_time_limit_s: Annotated[float, Field(gt=0, le=7 * 86400, allow_inf_nan=False)] = Field(
        1800.0, description="wall-time budget of one run; a run still going after it is stopped and marked failed")
    run_memory_limit_gib: Annotated[float, Field(gt=0, le=1024, allow_inf_nan=False)] = Field(
        4.0, description="memory ceiling of one run (its pool process's address space beyond what it had at the "
                         "start); a run over it is stopped and marked failed")
    forecast_workers: Annotated[int, Field(ge=1, le=16)] = Field(
        1, description="processes reserved for forecasts started by live alarms, so that they never wait "
                       "behind planners' runs")
    check_budget_s: Annotated[float, Field(gt=0, le=600)] = Field(
        30.0, description="longest time parsing and checking one posted scenario may take (else 422)")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "api.sqlite"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def buildings_dir(self) -> Path:
        return self.data_dir / "buildings"

    @property
    def scenarios_dir(self) -> Path:
        return self.data_dir / "scenarios"

    @property
    def history_path(self) -> Path:
        return self.data_dir / "history.sqlite"


def data_dir_setting(given: Path | None) -> Path:
    """The data directory a command uses: ``given`` (its ``--data-dir``), else the setting
    (``TWIN_DATA_DIR``, default ``twin-data``). A bad setting is a :class:`ValueError` naming it."""
    if given is not None:
        return given
    from pydantic import ValidationError

    try:
        return Settings().data_dir
    except ValidationError as exc:
        raise ValueError(f"{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
