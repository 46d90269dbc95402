"""Fan-out of live events to WebSocket clients: state changes, alarms, run progress.

Events come from other threads — the MQTT bridge's, the run manager's — and are handed to the
event loop with ``call_soon_threadsafe``; each connected client has its own bounded queue. A
client that cannot keep up loses its oldest events (and is told how many), never slows the
others or the bridge.

A stream lives as long as its token: while streams are open, the hub looks at the token store's
revocation counter every ``REVOCATION_CHECK_S`` (another process — ``twin token revoke`` — may
have revoked one) and, when it moved, checks each stream's token again and ends the streams of
revoked ones, which are then closed with code 4401.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Hub", "Subscription", "TOPICS", "REVOCATION_CHECK_S"]

TOPICS = ("state", "alarm", "run", "command")
REVOCATION_CHECK_S = 0.5

log = logging.getLogger(__name__)


class TokenChecks(Protocol):
    """What the hub asks of the token store (:class:`api.auth.TokenStore`)."""

    def generation(self) -> int: ...

    def is_active(self, token_id: str) -> bool: ...


@dataclass(eq=False)
class Subscription:
    """One client's queue and the kinds of event it asked for."""

    topics: frozenset[str]
    equipment: frozenset[str] | None = None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    dropped: int = 0
    token_id: str | None = None
    """The token the client authenticated with; its revocation ends the subscription."""
    generation: int | None = None
    """The token store's revocation counter when the token was last known to be valid."""
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the subscription is ended by the server (``end_reason`` says why)."""
    end_reason: str = ""

    def end(self, reason: str) -> None:
        self.end_reason = reason
        self.ended.set()

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
        self._tokens: TokenChecks | None = None
        self._watch: asyncio.Task | None = None
        self.check_s = REVOCATION_CHECK_S

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def clients(self) -> int:
        return len(self._subs)

    def subscribe(self, topics: set[str] | frozenset[str] = frozenset(TOPICS),
                  equipment: set[str] | None = None, *, token_id: str | None = None,
                  tokens: TokenChecks | None = None, generation: int | None = None) -> Subscription:
        """A new subscription (call on the event loop). With ``token_id`` and ``tokens`` it is
        ended when that token is revoked; ``generation`` is the store's revocation counter read
        before the token was verified, so a revocation in between is not missed."""
        sub = Subscription(frozenset(topics), frozenset(equipment) if equipment else None, token_id=token_id,
                           generation=generation)
        self._subs.add(sub)
        if token_id is not None and tokens is not None:
            self._tokens = tokens
            if self._watch is None or self._watch.done():
                self._watch = asyncio.get_running_loop().create_task(self._watch_revocations(), name="hub-revocations")
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def check_tokens(self) -> int:
        """End the subscriptions whose token was revoked since it was last checked; how many.

        One read of the revocation counter; each subscription's token is read again only when
        the counter moved since that subscription's last check."""
        tokens = self._tokens
        if tokens is None:
            return 0
        now = tokens.generation()
        ended = 0
        for sub in list(self._subs):
            if sub.token_id is None or sub.generation == now or sub.ended.is_set():
                continue
            if tokens.is_active(sub.token_id):
                sub.generation = now
            else:
                sub.end("token revoked")
                ended += 1
        return ended

    async def _watch_revocations(self) -> None:
        """Check the streams' tokens every ``check_s`` while any stream has one."""
        while any(sub.token_id is not None for sub in self._subs):
            try:
                self.check_tokens()  # microseconds: one indexed read, more only after a revocation
            except Exception:  # a locked or closing database: try again at the next tick
                log.warning("could not check the streams' tokens", exc_info=True)
            await asyncio.sleep(self.check_s)

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
