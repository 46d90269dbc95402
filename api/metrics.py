"""What the server has done, in Prometheus text: requests, runs, live messages, stream clients.

Each app has its own registry (two apps in one test process do not collide). Live-twin figures —
messages ingested, dead letters, lag — are read from the live service when scraped, so the
bridge's hot path does not touch Prometheus objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["Metrics", "MetricsMiddleware"]

_DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_RUN_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)


class _LiveCollector(Collector):
    """Reads counters of the live twin at scrape time."""

    def __init__(self, read: Callable[[], dict[str, Any] | None]):
        self.read = read

    def collect(self):
        stats = self.read() or {}
        counters = {
            "messages_ingested": ("twin_messages_ingested", "MQTT messages applied to the live state"),
            "ingest_batches": ("twin_ingest_batches", "batches the ingest thread applied and wrote (one "
                                                      "transaction each)"),
            "dead_letters": ("twin_dead_letters", "MQTT messages rejected and kept as dead letters"),
            "events": ("twin_events", "device events received"),
            "sequence_gaps": ("twin_sequence_gaps", "messages lost on the way, from sequence gaps"),
            "commands_sent": ("twin_commands_sent", "commands published to devices"),
        }
        for key, (name, doc) in counters.items():
            if stats.get(key) is not None:
                c = CounterMetricFamily(name, doc)
                c.add_metric([], float(stats[key]))
                yield c
        gauges = {
            "lag_s": ("twin_live_lag_seconds", "age of the newest live message applied"),
            "broker_connected": ("twin_broker_connected", "1 when the MQTT bridge is connected"),
            "devices": ("twin_devices", "devices the live twin mirrors"),
            "alarms_active": ("twin_alarms_active", "alarms active now"),
        }
        for key, (name, doc) in gauges.items():
            if stats.get(key) is not None:
                g = GaugeMetricFamily(name, doc)
                g.add_metric([], float(stats[key]))
                yield g


class Metrics:
    """The app's registry and the instruments the routes and the run manager use."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("twin_http_requests", "HTTP requests answered", ["method", "route", "status"],
                                registry=self.registry)
        self.request_seconds = Histogram("twin_http_request_duration_seconds", "time to answer an HTTP request",
                                         ["method", "route"], buckets=_DURATION_BUCKETS, registry=self.registry)
        self.runs_submitted = Counter("twin_runs_submitted", "scenario runs accepted", registry=self.registry)
        self.runs_triggered = Counter("twin_runs_triggered", "scenario runs started by alarm triggers",
                                      registry=self.registry)
        self.runs_finished = Counter("twin_runs_finished", "scenario runs finished", ["status"],
                                     registry=self.registry)
        self.run_seconds = Histogram("twin_run_duration_seconds", "wall time of a finished run",
                                     buckets=_RUN_BUCKETS, registry=self.registry)
        self.runs_active = Gauge("twin_runs_active", "scenario runs queued or running", registry=self.registry)
        self.ws_clients = Gauge("twin_ws_clients", "WebSocket clients connected", registry=self.registry)
        self.ws_events = Counter("twin_ws_events", "events published to WebSocket clients", registry=self.registry)
        self._live_read: Callable[[], dict[str, Any] | None] = lambda: None
        self.registry.register(_LiveCollector(lambda: self._live_read()))

    def bind_live(self, read: Callable[[], dict[str, Any] | None]) -> None:
        self._live_read = read

    def run_finished(self, status: str, duration_s: float | None) -> None:
        self.runs_finished.labels(status).inc()
        if duration_s is not None and status == "done":
            self.run_seconds.observe(duration_s)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (pure ASGI, cheap); the registry is
    the app's, made in its lifespan."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        ctx = getattr(getattr(scope.get("app"), "state", None), "ctx", None)
        if scope["type"] != "http" or ctx is None:
            await self.app(scope, receive, send)
            return
        metrics: Metrics = ctx.metrics
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            metrics.requests.labels(method, template, str(status[0])).inc()
            metrics.request_seconds.labels(method, template).observe(time.perf_counter() - start)
