"""A WebSocket handshake with a very long URL is answered, never left hanging (issue 10 item 11).

A hostile client can open ``/twin/stream`` with a 100 kB query string. The server must answer
the handshake at once with 400 or 414 and close the connection — not keep the socket open with
no answer, holding a connection slot. This is a property of the HTTP and WebSocket layers of the
real server (uvicorn, its HTTP parser and WebSocket implementation), which the in-process test
client does not have; so the test starts ``twin serve`` as a user does and speaks raw HTTP to it
over a socket. Every read has a timeout, so a server that hangs fails the test instead of
hanging it.
"""

from __future__ import annotations

import socket
import time

import pytest
from tests.servers import free_port, start_twin_serve, stop, wait_healthy

ANSWER_TIMEOUT_S = 15.0  # a behaviour deadline with a wide margin: the answer takes milliseconds



def _handshake(path_and_query: str) -> bytes:
    return (f"GET {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode("ascii")


def _exchange(port: int, request: bytes, *, until_closed: bool = True) -> tuple[bytes, bool]:
    """Send ``request`` on a fresh connection; the bytes answered and whether the server closed it
    (with ``until_closed=False``, stop once the answer's head has arrived).

    Raises ``TimeoutError`` when the server neither answers nor closes within the deadline."""
    answer = b""
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_S) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse before reading it all; its answer is still to be read
        while True:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return answer, True
            except TimeoutError:
                if answer:
                    return answer, False
                raise TimeoutError(f"no answer within {ANSWER_TIMEOUT_S} s to a {len(request)}-byte handshake")
            if not chunk:
                return answer, True
            answer += chunk
            if not until_closed and b"\r\n\r\n" in answer:
                return answer, False


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory):
    """``twin serve`` on a free port (embedded broker, simulated devices), as a user starts it."""
    port = free_port()
    proc = start_twin_serve(tmp_path_factory.mktemp("long-url"), port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        yield port
    finally:
        stop(proc)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("query_bytes", [9_000, 100_000, 1_000_000])
def test_websocket_handshake_with_a_very_long_url_is_refused_at_once(serve, query_bytes: int) -> None:
    answer, closed = _exchange(serve, _handshake("/twin/stream?token=x&pad=" + "a" * query_bytes))
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1:2] in ([b"400"], [b"414"]), answer[:300]
    assert closed, "the server answered but kept the connection open"


@pytest.mark.timeout(120)
def test_the_server_still_streams_after_long_handshakes(serve) -> None:
    """The refusals cost the server nothing lasting: a normal handshake is still answered at once
    (101, or a close frame for the bad token — either way not a hang)."""
    for _ in range(3):
        _exchange(serve, _handshake("/twin/stream?pad=" + "a" * 100_000))
    answer, _ = _exchange(serve, _handshake("/twin/stream?token=not-a-token"), until_closed=False)
    assert answer.startswith(b"HTTP/1.1 101") or answer.startswith(b"HTTP/1.1 403"), answer[:300]
