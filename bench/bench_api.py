"""Benchmark: the API under load — current state while the twin ingests, and submitting runs.

Set-up, all real and on loopback: a Mosquitto broker; the API server (uvicorn running
``create_app``, its own process) mirroring the sample tower with the device simulator off; a
publisher process sending QoS 0 state messages for the tower's devices at a steady rate; and
this process as 50 concurrent HTTP clients, each on its own keep-alive connection. The clients
are plain HTTP/1.1 over asyncio streams (``--client httpx`` uses httpx ``AsyncClient``): httpx
spends some 2 ms of CPU on each request, a fifth of a core at 100 requests a second, which on a
two-core machine competes with the server it measures and shows in every figure. A latency is
from writing the request to having read the whole body (its ``Content-Length``), status checked.

Figures printed (no assertions; these machines are shared and noisy):

* ``GET /twin/state`` p50/p99 with 50 concurrent clients, idle and while the twin ingests
  2,000 msg/s: first as consoles polling every 0.5 s (open loop: the latency a user sees), then
  each sending its next request as soon as answered (closed loop: the server's saturation
  throughput, where latency is mostly queueing); the same run's ``GET /health`` is the baseline;
* the ingest rate the server actually applied meanwhile (from its ``/metrics``);
* ``POST /runs`` latency for a one-replication run and for a 10,000-replication sweep (each
  cancelled at once), against ``GET /runs/{id}`` as baseline. The planner's token is fresh: the
  first submission includes its first check (an HMAC; printed apart as well).

Each row also says how busy the machine was: the CPU of the server, of these clients, and of
everything else (the publisher, the broker, and whatever else the machine runs) — a shared
machine's other work shows up as latency here.

Run: ``.venv/bin/python bench/bench_api.py [--seconds 10] [--rate 2000] [--clients 50] [--client raw|httpx]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from suite import Figure, Target, record  # bench/suite.py

REPO = Path(__file__).resolve().parent.parent
CLIENT_LAG: list[float] = []  # p99 of the client's own event-loop lag, per phase
CLIENT_KIND = "raw"  # --client


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def publishing(url_host: str, port: int, building: str, devices: list[tuple[str, str]], rate: float,
               seconds: float, ready: "multiprocessing.synchronize.Event") -> None:
    """A device fleet: ``rate`` QoS 0 state messages per second, round-robin over the devices."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-api-pub-{os.getpid()}")
    client.max_queued_messages_set(0)
    client.connect(url_host, port)
    client.loop_start()
    ready.set()
    seq = {d: 0 for _, d in devices}
    tick_s = 0.01
    per_tick = max(1, int(rate * tick_s))
    start = time.perf_counter()
    sent = 0
    i = 0
    while time.perf_counter() - start < seconds:
        target = int((time.perf_counter() - start) * rate)
        while sent < target:
            for _ in range(per_tick):
                system, device = devices[i % len(devices)]
                i += 1
                seq[device] += 1
                payload = json.dumps({"ts": int(time.time() * 1000), "seq": seq[device],
                                      "values": {"bench_value": seq[device] % 100, "ok": True}})
                client.publish(f"twin/v1/{building}/{system}/{device}/state", payload, qos=0)
                sent += 1
                if sent >= target:
                    break
        time.sleep(tick_s)
    client.loop_stop()
    client.disconnect()


class _Connection:
    """One keep-alive HTTP/1.1 connection doing GETs: the least a client can do per request."""

    def __init__(self, base: str):
        url = httpx.URL(base)
        self.host, self.port = url.host, url.port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}", *(f"{k}: {v}" for k, v in headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        assert self.reader is not None
        status = int((await self.reader.readuntil(b"\r\n")).split(b" ", 2)[1])
        length = None
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise RuntimeError(f"GET {path}: no Content-Length in the answer")
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _hammer(get: Callable[[int, str, dict], Awaitable[tuple[int, bytes]]], path: str, headers: dict,
                  clients: int, seconds: float, interval_s: float | None) -> list[float]:
    """``clients`` clients on ``path``: each polls every ``interval_s`` (a console refreshing), or,
    with None, sends its next request as soon as the last one is answered (saturation).
    ``get(k, path, headers)`` sends client ``k``'s request and returns the status and body."""
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def one(k: int) -> None:
        if interval_s:
            await asyncio.sleep(interval_s * k / clients)  # spread the clients over the interval
        next_at = time.perf_counter()
        while time.perf_counter() < stop:
            t = time.perf_counter()
            status, body = await get(k, path, headers)
            latencies.append(time.perf_counter() - t)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
            if interval_s:
                next_at += interval_s
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    await asyncio.gather(*(one(k) for k in range(clients)))
    return latencies


async def _mixed(base: str, headers: dict, clients: int, seconds: float,
                 interval_s: float | None) -> tuple[list[float], list[float]]:
    """``clients`` clients on /twin/state, and one more on /health (same pacing) as the baseline."""
    limits = httpx.Limits(max_connections=clients + 5, max_keepalive_connections=clients + 5)
    lags: list[float] = []

    async def watching_own_loop() -> None:
        # How late this client's own event loop wakes: latency it adds to every figure.
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t - 0.01)

    if CLIENT_KIND == "httpx":
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
            async def get(k: int, path: str, hdrs: dict) -> tuple[int, bytes]:
                r = await client.get(path, headers=hdrs)
                return r.status_code, r.content

            state, health, _ = await asyncio.gather(
                _hammer(get, "/twin/state", headers, clients, seconds, interval_s),
                _hammer(get, "/health", {}, 1, seconds, interval_s), watching_own_loop())
    else:
        state_conns = [_Connection(base) for _ in range(clients)]
        health_conn = _Connection(base)
        try:
            state, health, _ = await asyncio.gather(
                _hammer(lambda k, p, h: state_conns[k].get(p, h), "/twin/state", headers, clients, seconds,
                        interval_s),
                _hammer(lambda k, p, h: health_conn.get(p, h), "/health", {}, 1, seconds, interval_s),
                watching_own_loop())
        finally:
            for conn in (*state_conns, health_conn):
                conn.close()
    CLIENT_LAG.append(_percentile(lags, 99))
    return state, health


def _metric(base: str, headers: dict, name: str) -> float:
    text = httpx.get(f"{base}/metrics", headers=headers, timeout=30).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


def _cpu_s(pid: int) -> float:
    """CPU seconds a process has used (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _machine_cpu_s() -> float:
    """CPU seconds the whole machine has been busy (Linux /proc/stat; NaN elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle, iowait
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class _Usage:
    """CPU used during a phase: by the server, by this process (the clients), by everything else."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.start = (time.perf_counter(), _cpu_s(server_pid), time.process_time(), _machine_cpu_s())

    def stop(self) -> tuple[float, float, float, float]:
        """Seconds of wall time, and cores used by the server, the clients and everything else."""
        wall0, server0, client0, machine0 = self.start
        wall = time.perf_counter() - wall0
        server = _cpu_s(self.server_pid) - server0
        client = time.process_time() - client0
        others = _machine_cpu_s() - machine0 - server - client
        return wall, server / wall, client / wall, max(0.0, others) / wall


def _row(label: str, values: list[float], baseline: list[float], seconds: float, usage: _Usage) -> str:
    wall, server_cores, client_cores, other_cores = usage.stop()
    p50, p99 = _percentile(values, 50) * 1000, _percentile(values, 99) * 1000
    b99 = _percentile(baseline, 99) * 1000
    requests = max(1, len(values) + len(baseline))
    ratio = p99 / b99 if b99 else float("nan")
    return (f"{label:<46} {len(values) / seconds:5.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max "
            f"{max(values) * 1000:6.1f} ms  (/health p99 {b99:5.1f} ms, ratio {ratio:4.1f}; "
            f"CPU per request: server {server_cores * wall / requests * 1000:4.1f} ms, clients "
            f"{client_cores * wall / requests * 1000:4.1f} ms; client loop lag p99 {CLIENT_LAG[-1] * 1000:5.1f} ms; "
            f"cores busy: server {server_cores:4.2f}, clients {client_cores:4.2f}, all else {other_cores:4.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between one client's polls")
    parser.add_argument("--building", default="tower")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="HTTP client of the 50: plain HTTP/1.1 on asyncio streams (light), or httpx")
    args = parser.parse_args()
    global CLIENT_KIND
    CLIENT_KIND = args.client

    from api.auth import TokenStore
    from twin.live.broker import Broker, free_port
    from twin.live.devices import device_catalogue
    from twin.loader import load_building

    building = load_building(args.building)
    devices = [(info.system, ident) for ident, info in device_catalogue(building).items()]
    tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
    store = TokenStore(tmp / "api.sqlite", cache_s=0)
    viewer = {"Authorization": f"Bearer {store.create('viewer', 'bench')[1]}"}
    planner = {"Authorization": f"Bearer {store.create('planner', 'bench')[1]}"}
    store.close()

    broker = Broker(kind="auto", data_dir=tmp / "broker", persistence=False).start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, TWIN_DATA_DIR=str(tmp), TWIN_BUILDING=args.building, TWIN_MQTT_URL=broker.url,
               TWIN_LIVE="true", TWIN_SIMULATE_DEVICES="false", TWIN_WORKERS="1", TWIN_MAX_RUN_SIZE="100000000",
               TWIN_MAX_CONCURRENT_RUNS="1000", TWIN_PRINT_ADMIN_TOKEN="false")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"],
                              cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).json().get("broker_connected"):
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the API server did not come up")
            time.sleep(0.3)
        print(f"API bench: {building.name} ({len(devices)} devices), {args.clients} clients ({args.client}), "
              f"{args.seconds:g} s per phase, broker {broker.kind}, {os.cpu_count()} cores")
        asyncio.run(_mixed(base, viewer, 5, 1.0, None))  # warm-up
        size = len(httpx.get(f"{base}/twin/state", headers=viewer).content)
        print(f"GET /twin/state body: {size / 1024:.0f} KiB; {args.clients} clients each polling every "
              f"{args.interval:g} s (open loop), then as fast as answered (closed loop, saturation)")
        modes = ((f"{args.clients} clients @ {1 / args.interval:g}/s", args.interval),
                 (f"{args.clients} clients, closed loop", None))
        figures: list[Figure] = []

        def p99_figure(label: str, values: list[float], base_values: list[float], target: float | None) -> Figure:
            return Figure(f"{label}, p99", _percentile(values, 99) * 1000, "ms", "/health p99 in the same phase",
                          _percentile(base_values, 99) * 1000,
                          target=None if target is None else Target("<=", target))

        for label, interval in modes:
            usage = _Usage(server.pid)
            idle, idle_base = asyncio.run(_mixed(base, viewer, args.clients, args.seconds, interval))
            print(_row(f"GET /twin/state, no ingest, {label}", idle, idle_base, args.seconds, usage))
            figures.append(p99_figure(f"GET /twin/state, no ingest, {label}", idle, idle_base,
                                      20.0 if interval else None))

        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        pub = ctx.Process(target=publishing, args=(broker.host, broker.port, building.id, devices, args.rate,
                                                   2 * args.seconds + 4.0, ready), daemon=True)
        pub.start()
        ready.wait(10)
        time.sleep(1.0)
        ingested_before = _metric(base, viewer, "twin_messages_ingested_total")
        t0 = time.perf_counter()
        for label, interval in modes:
            usage = _Usage(server.pid)
            busy, busy_base = asyncio.run(_mixed(base, viewer, args.clients, args.seconds, interval))
            print(_row(f"GET /twin/state, {args.rate:g} msg/s, {label}", busy, busy_base, args.seconds, usage))
            figures.append(p99_figure(f"GET /twin/state while ingesting {args.rate:g} msg/s, {label}", busy, busy_base,
                                      20.0 if interval else None))
        elapsed = time.perf_counter() - t0
        ingested = _metric(base, viewer, "twin_messages_ingested_total") - ingested_before
        pub.join(30)
        print(f"  messages applied by the twin meanwhile: {ingested / elapsed:,.0f} msg/s (offered {args.rate:,.0f})")

        # Submitting runs: a one-replication run and a 10,000-replication sweep (cancelled at once).
        doc = {"name": "bench-desk", "model": "repair_desk", "building": args.building, "seed": 1,
               "horizon_s": 3600, "params": {"technicians": 3}}
        small, large, baseline = [], [], []
        with httpx.Client(base_url=base, timeout=60) as client:
            # The planner token's first request is the first POST: its check is part of what a tool sees.
            for i in range(20):
                for body, bucket in (({"document": doc, "replications": 1}, small),
                                     ({"document": {**doc, "sweep": {"params.technicians": list(range(1, 11))}},
                                       "replications": 1000}, large)):
                    t = time.perf_counter()
                    r = client.post("/runs", json=body, headers=planner)
                    bucket.append(time.perf_counter() - t)
                    if r.status_code != 202:
                        raise SystemExit(f"POST /runs: {r.status_code} {r.text[:300]}")
                    run_id = r.json()["id"]
                    t = time.perf_counter()
                    client.get(f"/runs/{run_id}", headers=planner)
                    baseline.append(time.perf_counter() - t)
                    client.post(f"/runs/{run_id}/cancel", headers=planner)
        for label, values in (("POST /runs, 1 replication", small), ("POST /runs, 10 points x 1,000 replications", large)):
            print(f"{label:<44} n={len(values):>6}  p50 {statistics.median(values) * 1000:7.1f} ms  "
                  f"max {max(values) * 1000:7.1f} ms   (baseline GET /runs/{{id}} p50 "
                  f"{statistics.median(baseline) * 1000:.1f} ms)")
        print(f"the first POST /runs (the planner token's first use): {small[0] * 1000:.1f} ms")
        for label, values in (("POST /runs, 1 replication", small), ("POST /runs, 10 points × 1,000 replications",
                                                                       large)):
            figures.append(Figure(f"{label}, max of {len(values)}", max(values) * 1000, "ms",
                                  "GET /runs/{id} p50", statistics.median(baseline) * 1000, target=Target("<=", 50.0)))
        record("bench_api", f"The API under load ({args.clients} clients, {args.seconds:g} s a phase)", figures)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        broker.cleanup()


if __name__ == "__main__":
    main()
