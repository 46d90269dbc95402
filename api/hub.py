"""Fan-out of live events to WebSocket clients: state changes, alarms, run progress.

Events come from other threads — the MQTT bridge's, the run manager's — and are handed to the
event loop with ``call_soon_threadsafe``; each connected client has its own bounded queue. A
client that cannot keep up loses its oldest events (and is told how many), never slows the
others or the bridge.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hub", "Subscription", "TOPICS"]

TOPICS = ("state", "alarm", "run", "command")


@dataclass(eq=False)
class Subscription:
    """One client's queue and the kinds of event it asked for."""

    topics: frozenset[str]
    equipment: frozenset[str] | None = None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    dropped: int = 0

    def wants(self, event: dict) -> bool:
        if event.get("type") not in self.topics:
            return False
        if self.equipment is not None and event.get("type") in ("state", "command"):
            return event.get("equipment") in self.equipment
        return True


class Hub:
    """Publishes events to every subscription that wants them."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._seq = itertools.count(1)
        self.published = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def clients(self) -> int:
        return len(self._subs)

    def subscribe(self, topics: set[str] | frozenset[str] = frozenset(TOPICS),
                  equipment: set[str] | None = None) -> Subscription:
        sub = Subscription(frozenset(topics), frozenset(equipment) if equipment else None)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def publish(self, event: dict[str, Any]) -> None:
        """Deliver an event (call on the event loop's thread)."""
        self.published += 1
        event.setdefault("seq", next(self._seq))
        for sub in list(self._subs):
            if not sub.wants(event):
                continue
            if sub.queue.full():
                try:
                    sub.queue.get_nowait()
                    sub.dropped += 1
                except asyncio.QueueEmpty:
                    pass
            sub.queue.put_nowait(event)

    def publish_many(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.publish(event)

    def publish_many_threadsafe(self, events: list[dict[str, Any]]) -> None:
        """Deliver a batch of events from any thread with one wake-up of the loop."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self._subs:
            return
        try:
            loop.call_soon_threadsafe(self.publish_many, events)
        except RuntimeError:
            pass

    def publish_threadsafe(self, event: dict[str, Any]) -> None:
        """Deliver an event from any thread; dropped silently when no loop is running."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self._subs:
            return
        try:
            loop.call_soon_threadsafe(self.publish, event)
        except RuntimeError:  # the loop closed in between
            pass
