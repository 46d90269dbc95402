"""An MQTT broker of the twin's own, for a fresh clone and for the tests.

A site has its broker; a laptop does not. ``twin serve`` without ``--mqtt`` starts one here:
**Mosquitto** when the ``mosquitto`` binary is installed (the real thing: persistence, MQTT 5,
the same broker the tests use), otherwise an **in-process Python broker** (amqtt) so that
nothing but ``pip install`` is needed. Either listens on a free loopback port with a generated
configuration; the :class:`Broker` is a context manager with ``url``, ``host``, ``port`` and
``stop()``.

The Python fallback speaks MQTT 3.1.1 only and keeps nothing on disk, and it does not queue
messages for a disconnected persistent session; it is a convenience, not a site broker.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Literal

__all__ = ["Broker", "BrokerError", "find_mosquitto", "free_port", "wait_for_port"]

log = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    """The embedded broker could not be started."""


def find_mosquitto() -> str | None:
    """Path of the ``mosquitto`` binary, if installed (Debian puts it in /usr/sbin)."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)), None)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float = 10.0) -> bool:
    """Wait until something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Broker:
    """A broker on a loopback port: Mosquitto if installed, else the in-process Python broker.

    ``kind`` forces one ("mosquitto" or "python"). ``data_dir`` holds the generated
    configuration, the persistence file and the log (a temporary directory when not given);
    restarting a broker with the same ``data_dir`` and ``port`` brings its sessions back.
    ``autosave_interval_s`` is how often Mosquitto writes its persistence file.
    ``listener_options`` are Mosquitto lines for the listener (``certfile …`` for TLS) and
    ``extra_config`` further lines (``password_file …`` with ``allow_anonymous false``).
    """

    def __init__(self, *, kind: Literal["auto", "mosquitto", "python"] = "auto", host: str = "127.0.0.1",
                 port: int | None = None, data_dir: str | Path | None = None, persistence: bool = True,
                 autosave_interval_s: int = 1, binary: str | None = None, listener_options: Sequence[str] = (),
                 extra_config: Sequence[str] = ()):
        if kind not in ("auto", "mosquitto", "python"):
            raise ValueError(f"broker kind must be auto, mosquitto or python, got {kind!r}")
        self.binary = binary or find_mosquitto()
        if kind == "mosquitto" and self.binary is None:
            raise BrokerError("the mosquitto binary is not installed (apt-get install mosquitto)")
        self.kind = "mosquitto" if kind == "mosquitto" or (kind == "auto" and self.binary) else "python"
        self.host = host
        self.port = port or free_port(host)
        self._tmp: tempfile.TemporaryDirectory | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="twin-broker-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.persistence = persistence
        self.autosave_interval_s = autosave_interval_s
        self.listener_options = tuple(listener_options)
        self.extra_config = tuple(extra_config)
        self._proc: subprocess.Popen | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._amqtt: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def protocol(self) -> int:
        """The MQTT protocol level to speak to it: 5 (Mosquitto) or 4 (3.1.1, the Python broker)."""
        return 5 if self.kind == "mosquitto" else 4

    @property
    def running(self) -> bool:
        if self.kind == "mosquitto":
            return self._proc is not None and self._proc.poll() is None
        return self._amqtt is not None

    @property
    def config_path(self) -> Path:
        return self.data_dir / "mosquitto.conf"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "mosquitto.log"

    def write_config(self) -> Path:
        """Write the Mosquitto configuration for this broker and return its path."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        lines = [
            "# generated by twin.live.broker",
            f"listener {self.port} {self.host}",
            *self.listener_options,
            *(["allow_anonymous true"] if not any(x.startswith("allow_anonymous") for x in self.extra_config) else []),
            f"persistence {'true' if self.persistence else 'false'}",
            f"persistence_location {self.data_dir}/",
            "persistence_file twin-broker.db",
            f"autosave_interval {self.autosave_interval_s}",
            "max_queued_messages 1000000",
            "max_inflight_messages 1000",
            "set_tcp_nodelay true",
            f"log_dest file {self.log_path}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_timestamp_format %Y-%m-%dT%H:%M:%S",
            *self.extra_config,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            lines.append("user root")  # else Mosquitto drops to 'mosquitto', who cannot write data_dir
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.config_path

    def start(self, timeout_s: float = 10.0) -> "Broker":
        if self.running:
            return self
        if self.kind == "mosquitto":
            self._start_mosquitto(timeout_s)
        else:
            self._start_python(timeout_s)
        return self

    def _start_mosquitto(self, timeout_s: float) -> None:
        config = self.write_config()
        out = open(self.data_dir / "mosquitto.stdout", "ab")
        try:
            self._proc = subprocess.Popen([self.binary, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            out.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if wait_for_port(self.host, self.port, 0.2):
                return
        tail = self._log_tail()
        self.stop()
        raise BrokerError(f"mosquitto did not start on {self.host}:{self.port}: {tail}")

    def _log_tail(self) -> str:
        texts = []
        for p in (self.log_path, self.data_dir / "mosquitto.stdout"):
            if p.exists():
                texts.append(p.read_text(errors="replace").strip().splitlines()[-3:])
        return " | ".join(line for t in texts for line in t) or "no log"

    def _start_python(self, timeout_s: float) -> None:
        try:
            from amqtt.broker import Broker as AmqttBroker
        except ImportError as exc:
            raise BrokerError("no mosquitto binary and the Python broker (amqtt) is not installed: "
                              f"{exc}; install one, or give --mqtt URL") from None
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        ready = threading.Event()
        errors: list[BaseException] = []
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }

        def serving() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)

            async def starting() -> None:
                broker = AmqttBroker(config)
                await broker.start()
                self._amqtt = broker

            try:
                loop.run_until_complete(starting())
            except BaseException as exc:  # reported to start() below
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serving, name="twin-python-broker", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s) or errors or not wait_for_port(self.host, self.port, timeout_s):
            raise BrokerError(f"the Python broker did not start on {self.host}:{self.port}: "
                              f"{errors[0] if errors else 'timed out'}")

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the broker cleanly (Mosquitto saves its persistence file on the way out)."""
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout_s)
            self._proc = None
        if self._amqtt is not None and self._loop is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._amqtt.shutdown(), self._loop).result(timeout_s)
            except Exception:  # shutting down: nothing useful to do with it
                log.debug("python broker shutdown", exc_info=True)
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout_s)
            self._amqtt = None
            self._loop = None

    def kill(self) -> None:
        """Kill Mosquitto at once (SIGKILL), as a crash would; for failure tests."""
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait(10)
        self._proc = None

    def restart(self, timeout_s: float = 10.0) -> "Broker":
        self.stop()
        return self.start(timeout_s)

    def cleanup(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> "Broker":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"Broker({self.kind}, {self.url}, running={self.running})"
