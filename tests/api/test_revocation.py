"""Revoking a token stops it at once, on a real server, whoever revokes it (issue 10 item 3).

The server is a real uvicorn process serving the API (no live twin) from a data folder; the
token is revoked by ``twin token revoke`` in another process on the same database, or through
the API. The token must be refused by the very next request (the server used to trust a verified
token for 30 s), and a WebSocket stream opened with it before the revocation must be closed with
code 4401 (it used to stream on). Refusals of a stream's handshake are close codes a browser can
read, not an HTTP 403.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from api.auth import REVOCATION_READ_S, TokenStore
from tests.api.conftest import ApiEnv, make_data_dir
from tests.servers import free_port, stop, wait_healthy

REPO = Path(__file__).resolve().parents[2]
TWIN = Path(sys.executable).with_name("twin")
CLOSE_DEADLINE_S = 5.0  # the server checks every 0.5 s; generous for a shared, busy machine
HTTP_TIMEOUT_S = 60.0  # not a deadline: a loaded two-core machine may be slow to answer



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A real `uvicorn api.app:create_app` process on a data folder with a token per role."""
    env = make_data_dir(tmp_path_factory.mktemp("revocation"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, TWIN_DATA_DIR=str(env.data_dir), TWIN_LIVE="false", TWIN_WORKERS="1",
                 TWIN_PRINT_ADMIN_TOKEN="false", TWIN_TRIGGERS_ENABLED="false", TWIN_TOKEN_CACHE_S="30",
                 PYTHONWARNINGS="ignore"))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base, env
    finally:
        stop(proc)


def _new_token(env: ApiEnv, role: str = "viewer") -> tuple[str, str]:
    store = TokenStore(env.data_dir / "api.sqlite", cache_s=0)
    try:
        info, text = store.create(role, "to be revoked")
    finally:
        store.close()
    return info.id, text


def _open_stream(base: str, token: str):
    ws = connect(base.replace("http://", "ws://") + f"/twin/stream?topics=run&token={token}",
                 open_timeout=HTTP_TIMEOUT_S)
    hello = ws.recv(timeout=HTTP_TIMEOUT_S)
    assert '"hello"' in hello, hello
    return ws


def _close_code(ws, timeout_s: float) -> int | None:
    """Wait for the server to close the stream; its close code, or None if it kept it open."""
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            try:
                ws.recv(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return None
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1
    return None


def _trusted(base: str, token: str) -> None:
    """Use the token twice, so the server has verified it and remembers it."""
    for _ in range(2):
        r = httpx.get(f"{base}/buildings", headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT_S)
        assert r.status_code == 200, r.text


def test_cli_revocation_stops_the_token_and_closes_its_stream(server) -> None:
    """issue 10 item 3: `twin token revoke` in another process; the server refuses the token on its
    next request and closes the token's open stream with 4401, while other streams go on."""
    base, env = server
    token_id, token = _new_token(env)
    _trusted(base, token)
    ws = _open_stream(base, token)
    other = _open_stream(base, env.tokens["viewer"])
    try:
        done = subprocess.run([str(TWIN), "token", "revoke", token_id, "--data-dir", str(env.data_dir)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        time.sleep(REVOCATION_READ_S)  # the server reads the counter another process moved at most this often
        r = httpx.get(f"{base}/buildings", headers={"Authorization": f"Bearer {token}"}, timeout=HTTP_TIMEOUT_S)
        assert r.status_code == 401, r.text
        assert _close_code(ws, CLOSE_DEADLINE_S) == 4401
        other.send("ping")
        assert '"pong"' in other.recv(timeout=HTTP_TIMEOUT_S)  # only the revoked token's stream was closed
    finally:
        ws.close()
        other.close()


def test_api_revocation_stops_the_token_and_closes_its_stream(server) -> None:
    """issue 10 item 3: POST /tokens/{id}/revoke; the token's stream is closed with 4401."""
    base, env = server
    token_id, token = _new_token(env, "engineer")
    _trusted(base, token)
    ws = _open_stream(base, token)
    try:
        r = httpx.post(f"{base}/tokens/{token_id}/revoke", headers=env.auth("admin"), timeout=HTTP_TIMEOUT_S)
        assert r.status_code == 200 and r.json()["revoked_at"], r.text
        assert httpx.get(f"{base}/buildings", headers={"Authorization": f"Bearer {token}"},
                         timeout=HTTP_TIMEOUT_S).status_code == 401
        assert _close_code(ws, CLOSE_DEADLINE_S) == 4401
    finally:
        ws.close()


@pytest.mark.parametrize("query, code", [("", 4401), ("?token=twin_000000000000_nope", 4401),
                                         ("?topics=nonsense&token={viewer}", 4422)])
def test_stream_refusals_are_close_codes_not_http_403(server, query: str, code: int) -> None:
    """issue 10 item 3: a refused handshake is a documented close code, not an HTTP 403."""
    base, env = server
    url = base.replace("http://", "ws://") + "/twin/stream" + query.format(viewer=env.tokens["viewer"])
    try:
        with connect(url, open_timeout=HTTP_TIMEOUT_S) as ws:
            assert _close_code(ws, 10) == code
    except InvalidStatus as refused:
        pytest.fail(f"the handshake was answered with HTTP {refused.response.status_code}, not close code {code}")
