"""An MQTT broker of the twin's own, for a fresh clone and for the tests.

A site has its broker; a laptop does not. ``twin serve`` without ``--mqtt`` starts one here:
**Mosquitto** when the ``mosquitto`` binary is installed (the real thing: persistence, MQTT 5,
the same broker the tests use), otherwise an **in-process Python broker** (amqtt) so that
nothing but ``pip install`` is needed. Either listens on a free loopback port with a generated
configuration; the :class:`Broker` is a context manager with ``url``, ``host``, ``port`` and
``stop()``.

The Python fallback speaks MQTT 3.1.1 only and keeps nothing on disk, and it does not queue
messages for a disconnected persistent session; it is a convenience, not a site broker.

**Who may talk to it.** Given ``users`` (:func:`embedded_users`: the twin and the device
simulator, each with a random password made at start), the broker refuses anonymous clients and
lets each user publish and subscribe only on its own topics — the twin reads ``twin/v1/#`` and
writes only commands (and its own status); the devices write state, attributes, status, events
and command acknowledgements and read commands. Mosquitto gets a password file (hashed with
``mosquitto_passwd``, or in its PBKDF2-SHA512 ``$7$`` format when the tool is missing) and an ACL
file; the Python broker the same rules through two amqtt plugins
(:mod:`twin.live.broker_amqtt`). The passwords are kept in ``credentials.json`` (mode 0600) in
the broker's folder, for an operator who wants to listen in.

**No orphans.** Mosquitto is told by the kernel to stop when the process that started it dies
(``PR_SET_PDEATHSIG`` on Linux; elsewhere a small watchdog process does it), and each broker
folder made by :class:`Broker` holds the owner's pid: a broker folder whose owner is gone is
removed — and a Mosquitto still running in it stopped — when the next broker starts there
(:func:`remove_stale_brokers`).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from twin.private import write_private
from twin.processes import parent_death_signal, pid_alive

__all__ = ["Broker", "BrokerError", "BrokerUser", "embedded_users", "find_mosquitto", "free_port",
           "remove_stale_brokers", "wait_for_port", "TWIN_USER", "DEVICES_USER", "BROKER_FOLDER_PREFIX"]

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


TWIN_USER = "twin"
DEVICES_USER = "devices"
BROKER_FOLDER_PREFIX = "twin-broker-"
OWNER_FILE = "owner.pid"
BROKER_PID_FILE = "mosquitto.pid"
CREDENTIALS_FILE = "credentials.json"
PBKDF2_ITERATIONS = 101  # what mosquitto_passwd of Mosquitto 2 writes in its $7$ hashes


@dataclass(frozen=True)
class BrokerUser:
    """A user of the embedded broker and the topic filters it may read (subscribe) and write (publish)."""

    username: str
    password: str = field(repr=False)
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


def embedded_users(*, twin_reads: Sequence[str] = ()) -> tuple[BrokerUser, BrokerUser]:
    """The twin and the device simulator, with fresh random passwords and the ACLs of DESIGN.md's topics.

    The twin reads the whole tree (``twin_reads`` adds a mapping's topics) and writes only
    commands and its own presence; the devices write what devices publish and read commands.
    """
    twin = BrokerUser(TWIN_USER, secrets.token_urlsafe(24),
                      read=("twin/v1/#", *twin_reads),
                      write=("twin/v1/+/+/+/cmd", "twin/v1/+/twin/+/status"))
    devices = BrokerUser(DEVICES_USER, secrets.token_urlsafe(24),
                         read=("twin/v1/+/+/+/cmd",),
                         write=tuple(f"twin/v1/+/+/+/{channel}"
                                     for channel in ("state", "attributes", "status", "event", "cmd/ack")))
    return twin, devices


def mosquitto_hash(password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A password as Mosquitto 2 reads it from a password file: ``$7$`` = PBKDF2-HMAC-SHA512."""
    salt = os.urandom(12) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def write_password_file(path: Path, users: Sequence[BrokerUser], *, tool: str | None = "auto") -> Path:
    """Mosquitto's password file for ``users`` (mode 0600).

    ``mosquitto_passwd -U`` hashes it when the tool is installed (``tool="auto"``; it comes with
    Debian's mosquitto package); else, or with ``tool=None``, the hashes are written here.
    """
    if tool == "auto":
        tool = shutil.which("mosquitto_passwd") or next(
            (p for p in ("/usr/bin/mosquitto_passwd", "/usr/local/bin/mosquitto_passwd") if os.access(p, os.X_OK)),
            None)
    if tool:
        write_private(path, "".join(f"{u.username}:{u.password}\n" for u in users))
        done = subprocess.run([tool, "-U", str(path)], capture_output=True, text=True)
        if done.returncode == 0 and "$" in path.read_text(encoding="utf-8"):
            os.chmod(path, 0o600)
            return path
        log.warning("%s -U failed (%s); writing the password hashes myself", tool, done.stderr.strip())
    write_private(path, "".join(f"{u.username}:{mosquitto_hash(u.password)}\n" for u in users))
    return path


def acl_text(users: Sequence[BrokerUser]) -> str:
    """Mosquitto's ACL file: each user's read and write topic filters, nothing for anyone else."""
    lines = ["# generated by twin.live.broker: who may read and write which topics"]
    for u in users:
        lines += ["", f"user {u.username}"]
        lines += [f"topic read {t}" for t in u.read]
        lines += [f"topic write {t}" for t in u.write]
    return "\n".join(lines) + "\n"


# --- processes: no orphan brokers -----------------------------------------------------------

def _process_start(pid: int) -> str | None:
    """The start time of a live process (from /proc), or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def _alive(pid: int, start: str | None = None) -> bool:
    """Whether process ``pid`` still runs (and is the one that started at ``start``, when /proc says)."""
    if pid <= 0:
        return False
    if Path("/proc/self/stat").exists():
        now = _process_start(pid)
        return now is not None and (start is None or now == start)
    return pid_alive(pid)


def _owner_line(pid: int) -> str:
    return f"{pid} {_process_start(pid) or '-'}\n"


def _read_owner(folder: Path) -> tuple[int, str | None] | None:
    try:
        pid_text, start = (folder / OWNER_FILE).read_text().split()[:2]
        return int(pid_text), (None if start == "-" else start)
    except (OSError, ValueError):
        return None


def remove_stale_brokers(root: str | Path) -> list[Path]:
    """Remove the broker folders under ``root`` whose owner process is gone; return them.

    A Mosquitto still running from such a folder (its owner was killed where no parent-death
    signal reached it) is killed first — only if its command line names that folder's
    configuration, so that a recycled pid is never hit.
    """
    root = Path(root)
    removed: list[Path] = []
    try:
        folders = sorted(root.glob(BROKER_FOLDER_PREFIX + "*"))
    except OSError:
        return removed
    for folder in folders:
        owner = _read_owner(folder)
        if owner is None or _alive(*owner):
            continue  # a folder without an owner file is not ours to judge
        try:
            broker_pid = int((folder / BROKER_PID_FILE).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            broker_pid = 0
        if broker_pid and _alive(broker_pid):
            try:
                cmdline = Path(f"/proc/{broker_pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                cmdline = ""
            if str(folder / "mosquitto.conf") in cmdline:
                try:
                    os.kill(broker_pid, signal.SIGKILL)
                except OSError:
                    pass
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            log.info("removed the folder of a broker whose owner (pid %d) is gone: %s", owner[0], folder)
            removed.append(folder)
    return removed


_WATCHDOG = """\
import os, signal, sys, time
parent, child = int(sys.argv[1]), int(sys.argv[2])
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
while alive(child):
    if not alive(parent) or os.getppid() != parent:
        try:
            os.kill(child, signal.SIGTERM)
        except OSError:
            pass
        break
    time.sleep(0.5)
"""


class Broker:
    """A broker on a loopback port: Mosquitto if installed, else the in-process Python broker.

    ``kind`` forces one ("mosquitto" or "python"). ``data_dir`` holds the generated
    configuration, the persistence file and the log; when not given, the broker makes a folder
    of its own under ``root_dir`` (the system's temporary folder by default), marked with the
    owner's pid, removes it on cleanup, and first removes the folders of dead owners there.
    Restarting a broker with the same ``data_dir`` and ``port`` brings its sessions back.
    ``users`` (see :func:`embedded_users`) lock the broker down: no anonymous client, and each
    user only on its own topics; :meth:`credentials` gives a user's name and password.
    ``autosave_interval_s`` is how often Mosquitto writes its persistence file.
    ``listener_options`` are Mosquitto lines for the listener (``certfile …`` for TLS) and
    ``extra_config`` further lines (``password_file …`` with ``allow_anonymous false``).
    """

    def __init__(self, *, kind: Literal["auto", "mosquitto", "python"] = "auto", host: str = "127.0.0.1",
                 port: int | None = None, data_dir: str | Path | None = None, persistence: bool = True,
                 autosave_interval_s: int = 1, binary: str | None = None, listener_options: Sequence[str] = (),
                 extra_config: Sequence[str] = (), users: Sequence[BrokerUser] = (),
                 root_dir: str | Path | None = None):
        if kind not in ("auto", "mosquitto", "python"):
            raise ValueError(f"broker kind must be auto, mosquitto or python, got {kind!r}")
        self.binary = binary or find_mosquitto()
        if kind == "mosquitto" and self.binary is None:
            raise BrokerError("the mosquitto binary is not installed (apt-get install mosquitto)")
        self.kind = "mosquitto" if kind == "mosquitto" or (kind == "auto" and self.binary) else "python"
        self.host = host
        self.port = port or free_port(host)
        self.users = tuple(users)
        self._own_folder: weakref.finalize | None = None
        if data_dir is None:
            root = Path(root_dir) if root_dir is not None else Path(tempfile.gettempdir())
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            remove_stale_brokers(root)
            data_dir = tempfile.mkdtemp(prefix=BROKER_FOLDER_PREFIX, dir=root)  # mode 0700
            (Path(data_dir) / OWNER_FILE).write_text(_owner_line(os.getpid()))
            self._own_folder = weakref.finalize(self, shutil.rmtree, data_dir, ignore_errors=True)
        self.data_dir = Path(data_dir)
        self.persistence = persistence
        self.autosave_interval_s = autosave_interval_s
        self.listener_options = tuple(listener_options)
        self.extra_config = tuple(extra_config)
        self._proc: subprocess.Popen | None = None
        self._watchdog: subprocess.Popen | None = None
        self._release_parent: threading.Event | None = None
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
    def secured(self) -> bool:
        """True when the broker refuses anonymous clients and applies ACLs (``users`` were given)."""
        return bool(self.users)

    def credentials(self, username: str) -> tuple[str, str]:
        """(username, password) of one of the broker's users; KeyError if it has no such user."""
        for u in self.users:
            if u.username == username:
                return u.username, u.password
        raise KeyError(f"the broker has no user {username!r} (users: {', '.join(u.username for u in self.users)})")

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / CREDENTIALS_FILE

    def write_credentials(self) -> Path | None:
        """Keep the users' passwords in the broker's folder, readable by the owner only (0600)."""
        if not self.users:
            return None
        doc = {u.username: {"password": u.password, "read": list(u.read), "write": list(u.write)}
               for u in self.users}
        doc["url"] = self.url  # type: ignore[assignment]
        write_private(self.credentials_path, json.dumps(doc, indent=2) + "\n")
        return self.credentials_path

    @property
    def config_path(self) -> Path:
        return self.data_dir / "mosquitto.conf"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "mosquitto.log"

    def write_config(self) -> Path:
        """Write the Mosquitto configuration for this broker and return its path."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        auth: list[str] = []
        if self.users:
            password_file = write_password_file(self.data_dir / "passwd", self.users)
            acl_file = self.data_dir / "acl"
            write_private(acl_file, acl_text(self.users))
            auth = ["allow_anonymous false", f"password_file {password_file}", f"acl_file {acl_file}"]
        elif not any(x.startswith("allow_anonymous") for x in self.extra_config):
            auth = ["allow_anonymous true"]
        lines = [
            "# generated by twin.live.broker",
            f"listener {self.port} {self.host}",
            *self.listener_options,
            *auth,
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
        self.write_credentials()
        self._proc = self._spawn([self.binary, "-c", str(config)])  # type: ignore[list-item]
        (self.data_dir / BROKER_PID_FILE).write_text(f"{self._proc.pid}\n")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if wait_for_port(self.host, self.port, 0.2):
                return
        tail = self._log_tail()
        self.stop()
        raise BrokerError(f"mosquitto did not start on {self.host}:{self.port}: {tail}")

    def _spawn(self, argv: list[str]) -> subprocess.Popen:
        """Start Mosquitto so that it ends when this process dies, however it dies.

        On Linux the kernel sends it SIGTERM when its parent dies (``PR_SET_PDEATHSIG``). The
        "parent" there is the *thread* that forked it, so the fork happens on a thread of its
        own that lives as long as the broker (a worker thread that started the service may end
        long before). Elsewhere a small watchdog process stops it when this process is gone. It
        runs in a session of its own, so a Ctrl-C in the terminal reaches the twin, which stops
        the broker in order.
        """
        preexec = parent_death_signal(signal.SIGTERM)
        release = threading.Event()
        started = threading.Event()
        outcome: dict[str, Any] = {}

        def parenting() -> None:
            try:
                with open(self.data_dir / "mosquitto.stdout", "ab") as out:
                    outcome["proc"] = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                                       stdin=subprocess.DEVNULL, start_new_session=True,
                                                       preexec_fn=preexec)
            except BaseException as exc:  # reported by the caller
                outcome["error"] = exc
            started.set()
            if "proc" in outcome:
                release.wait()  # while this thread lives, the broker's parent-death signal does not fire

        threading.Thread(target=parenting, name="twin-broker-parent", daemon=True).start()
        started.wait()
        if "error" in outcome:
            raise BrokerError(f"could not run {argv[0]}: {outcome['error']}")
        self._release_parent = release
        proc: subprocess.Popen = outcome["proc"]
        if preexec is None:
            self._watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(proc.pid)],
                                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL, start_new_session=True)
        return proc

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
        if self.users:
            from twin.live.broker_amqtt import plugins_config

            plugins = plugins_config(self.users)
            self.write_credentials()
        else:
            plugins = {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": plugins,
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
        self._end_guards()
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
        self._end_guards()

    def _end_guards(self) -> None:
        """Let the parent thread and the watchdog of a stopped Mosquitto go."""
        if self._release_parent is not None:
            self._release_parent.set()
            self._release_parent = None
        if self._watchdog is not None:
            if self._watchdog.poll() is None:
                self._watchdog.kill()
            self._watchdog.wait(10)
            self._watchdog = None

    def restart(self, timeout_s: float = 10.0) -> "Broker":
        self.stop()
        return self.start(timeout_s)

    def cleanup(self) -> None:
        self.stop()
        if self._own_folder is not None:
            self._own_folder()  # remove the folder this broker made for itself
            self._own_folder = None

    def __enter__(self) -> "Broker":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"Broker({self.kind}, {self.url}, running={self.running})"
