"""Health and metrics."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def test_health_without_live(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["live"] is False and body["store_writable"] is True
    assert body["broker_connected"] is None


def test_metrics_are_prometheus_text(client, api_env):
    client.get("/buildings", headers=api_env.auth("viewer"))
    r = client.get("/metrics", headers=api_env.auth("viewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert {"twin_http_requests", "twin_runs_submitted", "twin_run_duration_seconds", "twin_runs_active"} <= set(families)
    routes = {s.labels.get("route") for s in families["twin_http_requests"].samples}
    assert "/buildings" in routes
