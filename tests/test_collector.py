"""Every model's replication runs with Python's cycle collector paused (models.harness.collector_paused),
whoever calls it, and the collector is back on afterwards — after a failure too. The results do not
depend on it: tests/test_evacuation_identical.py and the models' verification suites run paused and
stay byte for byte; bench/bench_gc.py times the two ways and compares their KPIs."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import simpy

from models import ModelContext, ReplicationResult, available_models, get_model
from models.harness import ModelSpec, collector_paused
from twin.text import text


def _spec(run) -> ModelSpec:
    from pydantic import BaseModel

    class P(BaseModel):
        pass

    return ModelSpec(name="collector-test", title=text("t", "t"), description=text("t", "t"), params=P, kpis=(),
                     run=run)


def _ctx() -> ModelContext:
    return ModelContext(env=simpy.Environment(), rng=np.random.default_rng(1), building=None, graph=None,
                        params=None, horizon_s=1.0)


def test_a_model_runs_with_the_collector_paused_and_it_is_back_on_after() -> None:
    seen = []

    def run(ctx):
        seen.append(gc.isenabled())
        return ReplicationResult(kpis={})

    spec = _spec(run)
    assert gc.isenabled()
    spec.run(_ctx())
    assert seen == [False]
    assert gc.isenabled()
    assert spec.run.__wrapped__ is run  # the model's own function, for a benchmark's A/B


def test_the_collector_is_back_on_after_a_replication_fails() -> None:
    def run(ctx):
        raise RuntimeError("the model failed")

    with pytest.raises(RuntimeError, match="the model failed"):
        _spec(run).run(_ctx())
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_the_outer_one_paused() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_spec_wraps_its_run_once() -> None:
    def run(ctx):
        return ReplicationResult(kpis={})

    spec = _spec(run)
    again = _spec(spec.run)
    assert again.run is spec.run


@pytest.mark.parametrize("name", sorted(available_models()))
def test_every_registered_model_runs_paused(name: str) -> None:
    assert getattr(get_model(name).run, "collector_paused", False), name
