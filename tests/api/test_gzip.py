"""Large answers go gzip-compressed to a client that accepts it; streams still stream.

A real server (the API app under uvicorn on a loopback port, no live twin) runs an evacuation drill
of the viewer tests' block (64 people) with its movement trace; then:

1. the playback's keyframe chunk — the biggest thing the console fetches, once a minute of
   playback — comes back ``Content-Encoding: gzip`` when asked, and decodes to the same JSON as
   the uncompressed answer; so do the playback's info and the run's summary. Without
   ``Accept-Encoding: gzip`` nothing is compressed, and small answers never are.
2. Already-compressed downloads (the record tables' Parquet) go as they are.
3. A stream still streams with gzip accepted: its first event reaches the client while the
   server still holds the stream open (it waits for the client to have read it) — an event
   stream uncompressed, any other streamed body compressed but flushed chunk by chunk. The app
   serves no stream of its own over HTTP today (its live stream is a WebSocket, which the gzip
   middleware leaves alone); the test adds one route of each kind to the real app, so that the
   app's middleware, not a bare Starlette's, is what is checked.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import threading
import time

import httpx
import pytest

from tests.api.conftest import make_data_dir, settings_for
from tests.viewer.conftest import BLOCK_FILE

GATE_S = 30.0
"""How long a test stream waits for the client to read its first event before giving up."""

DRILL = """\
name: gzip-drill
description: Drill of the viewer test block with its movement trace
model: evacuation
building: viewer_block.yaml
seed: 3
replications: 1
horizon_s: 1800
params:
  alarm_delay_s: 0
  pre_movement: {default: {kind: uniform, low: 5, high: 30}}
  trace: true
"""


class Served:
    def __init__(self, base: str, auth: dict, app, gates: dict[str, threading.Event]):
        self.base, self.auth, self.app, self.gates = base, auth, app, gates

    def raw(self, path: str, encoding: str, **params) -> tuple[httpx.Response, bytes]:
        """The answer and its bytes as they came over the wire (not decoded)."""
        with httpx.stream("GET", self.base + path, params=params, timeout=120,
                          headers={**self.auth, "Accept-Encoding": encoding}) as r:
            return r, b"".join(r.iter_raw())


def _add_test_streams(app, gates: dict[str, threading.Event]) -> None:
    """Two streamed routes: an event stream and a newline-delimited JSON progress stream. Each
    sends its first event, then waits (up to GATE_S) for the test to say it has read it."""
    from fastapi.responses import StreamingResponse

    def route(kind: str, media_type: str):
        async def stream():
            gate = gates[kind] = threading.Event()
            first, rest = ((b"data: first\n\n", b"data: %s\n\n") if kind == "events"
                           else (b'{"event": "first"}\n', b'{"event": "%s"}\n'))
            yield first
            seen = await asyncio.to_thread(gate.wait, GATE_S)
            yield rest % (b"second" if seen else b"timed-out")

        async def endpoint() -> StreamingResponse:
            return StreamingResponse(stream(), media_type=media_type)

        app.add_api_route(f"/gzip-test/{kind}", endpoint, methods=["GET"], include_in_schema=False)

    route("events", "text/event-stream")
    route("progress", "application/x-ndjson")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from api.app import create_app
    from tests.servers import free_port, serve_in_thread

    env = make_data_dir(tmp_path_factory.mktemp("gzip-data"))
    shutil.copy(BLOCK_FILE, env.data_dir / "buildings" / BLOCK_FILE.name)
    app = create_app(settings_for(env))
    gates: dict[str, threading.Event] = {}
    _add_test_streams(app, gates)
    with serve_in_thread(app, free_port(), "gzip-test-server") as base:
        yield Served(base, env.auth("planner"), app, gates)


@pytest.fixture(scope="module")
def drill(served) -> str:
    """The id of a finished one-replication drill of the small tower, with its trace."""
    r = httpx.post(served.base + "/runs", json={"yaml": DRILL}, headers=served.auth, timeout=60)
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    deadline = time.monotonic() + 300
    while (run := httpx.get(f"{served.base}/runs/{run_id}", headers=served.auth, timeout=30).json())["status"] in (
            "queued", "running"):
        assert time.monotonic() < deadline, run
        time.sleep(0.3)
    assert run["status"] == "done", run
    return run_id


@pytest.mark.parametrize("what", ["tracks", "info", "summary"])
def test_large_json_is_gzipped_when_asked_and_decodes_to_the_same_json(served, drill, what):
    """A keyframe chunk (and the playback's info, the run's summary) asked for with
    ``Accept-Encoding: gzip`` comes back gzip-encoded, smaller, ``Vary: Accept-Encoding``, and
    decodes to exactly the JSON of the uncompressed answer."""
    path, params = {"tracks": (f"/console/api/runs/{drill}/playback/tracks", {"from_s": 0, "to_s": 60}),
                    "info": (f"/console/api/runs/{drill}/playback", {}),
                    "summary": (f"/runs/{drill}/summary", {})}[what]
    plain, plain_bytes = served.raw(path, "identity", **params)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    packed, packed_bytes = served.raw(path, "gzip", **params)
    assert packed.status_code == 200, packed_bytes[:200]
    assert packed.headers.get("content-encoding") == "gzip", (len(plain_bytes), dict(packed.headers))
    assert "accept-encoding" in packed.headers.get("vary", "").lower()
    assert int(packed.headers["content-length"]) == len(packed_bytes) < len(plain_bytes)
    assert json.loads(gzip.decompress(packed_bytes)) == json.loads(plain_bytes)
    if what == "tracks":
        chunk = json.loads(plain_bytes)
        assert len(chunk["t"]) > 100 and chunk["from_s"] == 0 and chunk["to_s"] == 60  # a real chunk of people
        assert len(packed_bytes) < len(plain_bytes) / 3, (len(packed_bytes), len(plain_bytes))


def test_small_answers_and_parquet_go_as_they_are(served, drill):
    """Under the minimum size an answer is not compressed (nothing to gain), and the record
    tables' Parquet, compressed already, is sent as it is."""
    from api.app import GZIP_MIN_BYTES

    small, small_bytes = served.raw(f"/runs/{drill}", "gzip")
    assert small.status_code == 200 and len(small_bytes) < GZIP_MIN_BYTES
    assert "content-encoding" not in small.headers
    tables = httpx.get(f"{served.base}/runs/{drill}/records", headers=served.auth, timeout=30).json()["tables"]
    biggest = max(tables, key=lambda t: t["rows"])["name"]
    parquet, parquet_bytes = served.raw(f"/runs/{drill}/records/{biggest}", "gzip", format="parquet")
    assert parquet.status_code == 200 and parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert len(parquet_bytes) >= GZIP_MIN_BYTES and "content-encoding" not in parquet.headers
    assert parquet_bytes[:4] == b"PAR1"


@pytest.mark.parametrize("kind, encoding", [("events", None), ("progress", "gzip")])
def test_a_stream_still_streams_with_gzip_accepted(served, kind, encoding):
    """The first event of a stream reaches a client that accepts gzip while the server still
    holds the stream open: an event stream goes uncompressed, another streamed body compressed
    and flushed chunk by chunk. (A compressor that held the bytes back would deliver the first
    event only when the stream ended — after GATE_S, with "timed-out".)"""
    served.gates.pop(kind, None)
    try:
        with httpx.stream("GET", f"{served.base}/gzip-test/{kind}", timeout=GATE_S + 30,
                          headers={"Accept-Encoding": "gzip"}) as r:
            assert r.status_code == 200
            assert r.headers.get("content-encoding") == encoding
            received = b""
            chunks = r.iter_bytes()  # decoded as it comes
            while b"first" not in received:
                received += next(chunks)
            gate = served.gates[kind]
            assert not gate.is_set()  # the server is still waiting: the stream is open
            gate.set()
            received += b"".join(chunks)
    finally:
        if kind in served.gates:  # a failed check does not leave the server waiting
            served.gates[kind].set()
    assert b"second" in received and b"timed-out" not in received, received
