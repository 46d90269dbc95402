"""Alarm-started forecasts on the server: the triggers of :mod:`scenarios.triggers`, wired to the twin.

At start the app reads the triggers file (``TWIN_TRIGGERS``; the shipped ``scenarios/triggers.yaml``
by default), checks that each names a scenario the server knows, and registers one alarm hook
per trigger on the live twin. When a matching alarm is raised the hook — on the twin's hook
thread, never on the ingest path — resolves the trigger's overrides from the alarm, points the
scenario at the live building, and submits the run with the alarm's snapshot (``from_live``),
exactly as ``POST /runs`` with ``from_live: true`` would. The run appears in ``GET /runs``
(``created_by: trigger:NAME``), its progress on the WebSocket, and the runs each trigger started
(with their alarms) in ``GET /triggers``, where the console finds the forecast beside its alarm.
The runs a trigger started are rows of the API database, so the cooldown and the alarm → run
links survive a restart. The forecasts run on the run manager's pool reserved for them
(``TWIN_FORECAST_WORKERS``), so a planner's long sweep never holds one up. A trigger that cannot
start (cooldown, too many runs, an alarm without the value it needs) records why and leaves the
twin running.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from api.runs import RunLimitError, prepare_job, scenario_sources
from scenarios.triggers import Trigger, TriggerSkipped, load_triggers, resolve_overrides
from twin.errors import SpecError

__all__ = ["TriggerRunner", "TriggerStatus"]

log = logging.getLogger(__name__)


@dataclass
class TriggerStatus:
    """What a trigger has done since the server started."""

    trigger: Trigger
    fired: int = 0
    skipped: int = 0
    last_alarm: str | None = None
    last_run: str | None = None
    last_at_ms: int | None = None
    last_outcome: str | None = None


class TriggerRunner:
    """Registers each trigger as an alarm hook and starts its forecasts."""

    def __init__(self, ctx: Any, triggers: list[Trigger]):
        self.ctx = ctx
        self.status = {t.name: TriggerStatus(t) for t in triggers}
        self._hooks: list[Any] = []
        self._lock = threading.Lock()
        # When each (trigger, overrides) last started a run, in epoch ms: from the database, so a
        # restarted server keeps the cooldowns of the forecasts it started before.
        self._started: dict[tuple[str, str], int] = {}
        for row in reversed(ctx.runs.store.trigger_runs(limit=1000)):
            self._started[(row["trigger"], row["key"])] = row["at_ms"]

    @classmethod
    def from_settings(cls, ctx: Any) -> "TriggerRunner":
        """The triggers of the settings' file, checked against the scenarios the server knows."""
        known = set(scenario_sources(ctx.settings.scenarios_dir))
        return cls(ctx, load_triggers(ctx.settings.triggers, known_scenarios=known))

    def start(self) -> None:
        alarms = self.ctx.live.alarms
        for st in self.status.values():
            t = st.trigger
            if not t.enabled:
                continue
            self._hooks.append(alarms.on_alarm(self._hook(st), name=f"trigger:{t.name}", rules=t.when.rules or None,
                                               severities=t.when.severities or None,
                                               systems=t.when.systems or None, transitions=t.when.transitions))
        if self._hooks:
            log.info("triggers armed: %s", ", ".join(s.trigger.name for s in self.status.values() if s.trigger.enabled))

    def stop(self) -> None:
        live = self.ctx.live
        for hook in self._hooks:
            if live is not None:
                live.alarms.remove_hook(hook)
        self._hooks.clear()

    def _hook(self, st: TriggerStatus):
        def fire(transition: Any, snapshot: Any) -> str | None:
            return self.fire(st, transition.alarm, snapshot)

        return fire

    def fire(self, st: TriggerStatus, alarm: Any, snapshot: Any) -> str | None:
        """Start the trigger's run for ``alarm`` from ``snapshot``; the run id, or None if skipped."""
        t = st.trigger
        now_ms = int(time.time() * 1000)
        key: tuple[str, str] | None = None
        try:
            overrides = resolve_overrides(t, alarm)
            key = (t.name, json.dumps(overrides, sort_keys=True, default=str))
            with self._lock:
                last = self._started.get(key)
                if last is not None and now_ms - last < t.cooldown_s * 1000:
                    raise TriggerSkipped(f"started {(now_ms - last) / 1000:.0f} s ago for the same alarm "
                                         f"(cooldown {t.cooldown_s:g} s)")
                self._started[key] = now_ms
            live_path = self.ctx.buildings.live_path
            job, _ = prepare_job(library=t.scenario, document=None, scenarios_dir=self.ctx.settings.scenarios_dir,
                                 buildings_dir=self.ctx.settings.buildings_dir,
                                 overrides={**overrides, "building": live_path.stem}, replications=t.replications,
                                 live_building=live_path)
            job.from_live = True
            job.snapshot = snapshot
            # On the pool reserved for forecasts: never behind a planner's sweep.
            rec = self.ctx.runs.submit(job, f"trigger:{t.name}", forecast=True)
            self.ctx.runs.store.add_trigger_run(rec.id, t.name, getattr(alarm, "id", None), key[1], now_ms)
        except (TriggerSkipped, RunLimitError, SpecError) as exc:
            with self._lock:
                if not isinstance(exc, TriggerSkipped) and key is not None:
                    self._started.pop(key, None)  # nothing started: the next alarm may try again
                st.skipped += 1
                st.last_alarm, st.last_at_ms, st.last_run = getattr(alarm, "id", None), now_ms, None
                st.last_outcome = f"not started: {exc}"
            log.warning("trigger %s on alarm %s not started: %s", t.name, getattr(alarm, "id", "?"), exc)
            return None
        with self._lock:
            st.fired += 1
            st.last_alarm, st.last_at_ms, st.last_run = getattr(alarm, "id", None), now_ms, rec.id
            st.last_outcome = f"started run {rec.id}"
        self.ctx.metrics.runs_submitted.inc()
        self.ctx.metrics.runs_triggered.inc()
        log.info("trigger %s: alarm %s started run %s", t.name, getattr(alarm, "id", "?"), rec.id)
        return rec.id
