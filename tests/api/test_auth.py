"""Every route declares its role, and a missing or wrong token gets 401/403 — never data.

The routes are read from the app itself, so a route added later is checked too. For each: no
token → 401; an unknown token → 401; the role just below the one it needs → 403; the role it
needs → neither. The bodies of 401/403 answers hold only the error, naming the Authorization
header.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.auth import role_rank

# Sample values for path parameters: valid in form, mostly unknown to the server.
PATH_VALUES = {
    "key": "two_storey", "run_id": "no-such-run", "table": "work_orders", "name": "repair_small",
    "token_id": "abcdef", "equipment": "PMP-1", "alarm_id": "no-such-alarm", "command_id": "c-00000000",
    "job_id": "no-such-job",
}
BELOW = {"engineer": "viewer", "planner": "engineer", "admin": "planner"}
# Open without a token: health, and the web console's interface labels (no building data).
PUBLIC = {("GET", "/health"), ("GET", "/console/api/languages"), ("GET", "/console/api/i18n/{lang}")}


def _role_of(route: APIRoute) -> str | None:
    for dep in route.dependant.dependencies:
        name = getattr(dep.call, "__name__", "")
        if name.startswith("require_"):
            return name.removeprefix("require_")
    return None


def _api_routes(routes, prefix: str = ""):
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix, route
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers as branches
            yield from _api_routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif hasattr(route, "routes"):
            yield from _api_routes(route.routes, prefix + getattr(route, "path", ""))


def _routes(app) -> list[tuple[str, str, str | None]]:
    found = []
    for prefix, route in _api_routes(app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, prefix + route.path, _role_of(route)))
    return found


def _url(path: str) -> str:
    """The route's path with sample values, ``{name}`` and ``{name:convertor}`` alike."""
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: PATH_VALUES[m.group(1)], path)


def _call(client: TestClient, method: str, path: str, headers: dict):
    url = _url(path)
    if method == "POST":
        return client.post(url, json={}, headers=headers)
    return client.request(method, url, headers=headers)


def test_every_route_declares_a_role(client):
    routes = _routes(client.app)
    assert len(routes) >= 25
    undeclared = [(m, p) for m, p, role in routes if role is None and (m, p) not in PUBLIC]
    assert not undeclared, f"routes without a role: {undeclared}"


def test_roles_are_ordered():
    assert role_rank("viewer") < role_rank("engineer") < role_rank("planner") < role_rank("admin")
    assert role_rank("supervisor") == role_rank("safety") == role_rank("planner")


@pytest.mark.parametrize("who", ["none", "unknown", "malformed"])
def test_no_valid_token_is_401_without_data(client, who):
    headers = {"none": {}, "unknown": {"Authorization": "Bearer twin_000000000000_notarealsecret"},
               "malformed": {"Authorization": "Basic dXNlcjpwYXNz"}}[who]
    for method, path, role in _routes(client.app):
        if (method, path) in PUBLIC:
            continue
        r = _call(client, method, path, headers)
        assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
        body = r.json()
        assert list(body) == ["detail"], (method, path, body)
        assert body["detail"][0]["loc"] == ["header", "Authorization"]
        assert r.headers.get("www-authenticate", "").startswith("Bearer")


def test_role_below_is_403_and_role_needed_passes(client, api_env):
    checked = 0
    for method, path, role in _routes(client.app):
        if role is None:
            continue
        if role in BELOW:
            r = _call(client, method, path, api_env.auth(BELOW[role]))
            assert r.status_code == 403, (method, path, role, r.status_code, r.text[:200])
            body = r.json()
            assert list(body) == ["detail"] and body["detail"][0]["type"] == "forbidden", (method, path, body)
            assert role in body["detail"][0]["msg"] or "supervisor" in body["detail"][0]["msg"]
        r = _call(client, method, path, api_env.auth(role))
        assert r.status_code not in (401, 403), (method, path, role, r.status_code, r.text[:200])
        checked += 1
    assert checked >= 25


def test_public_health_needs_no_token(client):
    assert client.get("/health").status_code == 200


@pytest.mark.parametrize("role", ["supervisor", "safety", "planner", "admin"])
def test_every_running_role_may_start_runs(client, api_env, role):
    # An unknown scenario: the role check passes, the scenario is not found.
    r = client.post("/runs", json={"scenario": "no-such-scenario"}, headers=api_env.auth(role))
    assert r.status_code == 404
    assert r.json()["detail"][0]["loc"] == ["body", "scenario"]


def test_websocket_needs_a_token(client, api_env):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/twin/stream") as ws:
            ws.receive_json()
    assert info.value.code == 4401
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/twin/stream?token=twin_000000000000_nope") as ws:
            ws.receive_json()
    assert info.value.code == 4401
    with client.websocket_connect(f"/twin/stream?token={api_env.tokens['viewer']}") as ws:
        hello = ws.receive_json()
    assert hello["type"] == "hello" and hello["role"] == "viewer" and hello["live"] is False


def test_cors_is_off_unless_configured(client):
    r = client.options("/health", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(tmp_path):
    from api.app import create_app
    from tests.api.conftest import make_data_dir, settings_for

    env = make_data_dir(tmp_path)
    app = create_app(settings_for(env, cors_origins=["https://console.example"]))
    with TestClient(app) as c:
        ok = c.get("/health", headers={"Origin": "https://console.example"})
        bad = c.get("/health", headers={"Origin": "https://evil.example"})
    assert ok.headers.get("access-control-allow-origin") == "https://console.example"
    assert "access-control-allow-origin" not in bad.headers


@pytest.mark.parametrize("body", [b'{"scenario": "repair_small"', b'\xff\xfe{"role": 1}'],
                         ids=["truncated-json", "not-utf8"])
def test_authentication_comes_before_the_body(client, api_env, body):
    """issue 10 item 6: FastAPI decodes a body before the route's role check runs, so a body that is
    not JSON was answered 422 (or 400) without a token. Now: no token → 401, a token whose role is
    too low → 403, the role needed → the body's error."""
    checked = 0
    for method, path, role in _routes(client.app):
        if method != "POST" or role is None:
            continue
        url = _url(path)
        headers = {"Content-Type": "application/json"}
        r = client.post(url, content=body, headers=headers)
        assert r.status_code == 401, (path, r.status_code, r.text[:200])
        assert r.json()["detail"][0]["loc"] == ["header", "Authorization"]
        if role in BELOW:
            r = client.post(url, content=body, headers={**headers, **api_env.auth(BELOW[role])})
            assert r.status_code == 403, (path, role, r.status_code, r.text[:200])
            assert r.json()["detail"][0]["type"] == "forbidden"
        r = client.post(url, content=body, headers={**headers, **api_env.auth(role)})
        assert r.status_code not in (401, 403), (path, role, r.status_code, r.text[:200])
        checked += 1
    assert checked >= 5


def test_last_admin_token_cannot_be_revoked_through_the_api(tmp_path):
    """issue 10 item 5: revoking the last admin token would leave nobody to manage tokens: 409."""
    from api.app import create_app
    from tests.api.conftest import make_data_dir, settings_for

    env = make_data_dir(tmp_path)
    app = create_app(settings_for(env))
    with TestClient(app) as c:
        first = c.get("/tokens", headers=env.auth("admin")).json()["tokens"]
        (admin_id,) = [t["id"] for t in first if t["role"] == "admin"]
        r = c.post(f"/tokens/{admin_id}/revoke", headers=env.auth("admin"))
        assert r.status_code == 409, r.text
        item = r.json()["detail"][0]
        assert item["loc"] == ["path", "token_id"] and item["type"] == "last_admin" and "last admin" in item["msg"]
        assert c.get("/tokens", headers=env.auth("admin")).status_code == 200  # still an admin
        second = c.post("/tokens", json={"role": "admin", "name": "deputy"}, headers=env.auth("admin")).json()
        assert c.post(f"/tokens/{admin_id}/revoke", headers=env.auth("admin")).status_code == 200
        deputy = {"Authorization": f"Bearer {second['token']}"}
        assert c.post(f"/tokens/{second['id']}/revoke", headers=deputy).status_code == 409
        assert c.post(f"/tokens/{admin_id}/revoke", headers=deputy).status_code == 200  # revoked already: harmless


def test_last_admin_token_cannot_be_revoked_from_the_command_line(tmp_path):
    """issue 10 item 5: `twin token revoke` of the last admin token exits 2 and says why."""
    from click.testing import CliRunner

    from api.auth import TokenStore
    from api.token_cli import token

    store = TokenStore(tmp_path / "api.sqlite", cache_s=0)
    admin, text = store.create("admin", "only admin")
    store.create("planner", "tool")
    done = CliRunner().invoke(token, ["revoke", admin.id, "--data-dir", str(tmp_path)])
    assert done.exit_code == 2, done.output
    assert "last admin token" in done.output and "--role admin" in done.output
    assert store.verify(text) is not None
    store.close()
