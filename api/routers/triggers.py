"""Alarm triggers: which alarms start forecasts on the live twin, and what each has started."""

from __future__ import annotations

from dataclasses import fields

from fastapi import APIRouter

from api.deps import Ctx, Viewer, error_responses
from api.schemas import TriggerList, TriggerOut

__all__ = ["router"]

router = APIRouter(prefix="/triggers", tags=["scenarios"])


@router.get("", response_model=TriggerList, responses=error_responses(), summary="List alarm triggers")
def list_triggers(ctx: Ctx, _: Viewer) -> TriggerList:
    """The triggers armed on the live twin: the alarms each answers, the scenario it runs, the last
    20 runs it started (with their alarms; kept across restarts) and its last firing since the
    start (the run, or why it did not start). Empty without a live twin."""
    runner = ctx.triggers
    out = []
    for st in (runner.status.values() if runner is not None else ()):
        t = st.trigger
        out.append(TriggerOut(name=t.name, description=t.description, scenario=t.scenario,
                              rules=list(t.when.rules) if t.when.rules else None,
                              severities=list(t.when.severities) if t.when.severities else None,
                              systems=list(t.when.systems) if t.when.systems else None,
                              set=dict(t.set), replications=t.replications, cooldown_s=t.cooldown_s,
                              enabled=t.enabled, recent=ctx.runs.store.trigger_runs(t.name, limit=20),
                              **{f.name: getattr(st, f.name) for f in fields(st) if f.name != "trigger"}))
    return TriggerList(live=ctx.live is not None, triggers=out)
