"""Child processes that end with their parent.

A live twin starts helpers — an embedded broker, the simulation pool — that must not outlive it:
after a ``kill -9`` of the server nobody is left to stop them, and an orphaned broker keeps its
port while an orphaned pool process keeps writing into a run folder. On Linux the kernel can send
a child a signal when its parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere callers fall back
to a watchdog on the parent's pid, which :func:`pid_alive` answers.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["PR_SET_PDEATHSIG", "parent_death_signal", "die_with_parent", "pid_alive"]

PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def parent_death_signal(sig: int = signal.SIGTERM, parent_pid: int | None = None) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that makes the child receive ``sig`` when
    ``parent_pid`` (default: the caller) dies; None where the kernel offers no such thing.

    The C library is looked up here, before the fork: the function runs in the child between fork
    and exec, where nothing but a system call is safe. Linux ties the signal to the *thread* that
    forked, so a long-lived child must be started from a thread that lives as long as it should.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid() if parent_pid is None else parent_pid

    def dying_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os.kill(os.getpid(), int(sig))

    return dying_with_parent


def die_with_parent(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies; False where it cannot."""
    prctl = _prctl()
    return prctl is not None and prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (a killed parent not yet reaped is gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True
