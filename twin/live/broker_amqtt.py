"""The embedded Python broker's door: user names, passwords and topic ACLs as amqtt plugins.

When no Mosquitto is installed, :class:`twin.live.broker.Broker` runs amqtt in the twin's own
process. Locked down (``users`` given), it loads the two plugins here instead of amqtt's
anonymous one, so that it refuses what Mosquitto refuses with the same users:

* :class:`CredentialsPlugin` — a client must give one of the users' names and its password
  (compared in constant time); anonymous clients and wrong passwords are refused;
* :class:`TopicAclPlugin` — a user publishes only on topics its ``write`` filters match, and
  subscribes to and receives only what its ``read`` filters cover.

The passwords never leave the process: the configuration holds them as SHA-256 digests.
This module imports amqtt, so it is only imported when the Python broker starts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin

if TYPE_CHECKING:
    from twin.live.broker import BrokerUser

__all__ = ["CredentialsPlugin", "TopicAclPlugin", "plugins_config", "filter_covers"]


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def filter_covers(allowed: str, requested: str) -> bool:
    """Whether topic filter ``allowed`` matches every topic that ``requested`` (topic or filter) can."""
    want, have = requested.split("/"), allowed.split("/")
    for i, level in enumerate(have):
        if level == "#":
            return True
        if i >= len(want):
            return False
        if level == "+":
            if want[i] == "#":
                return False
            continue
        if want[i] != level:
            return False
    return len(want) == len(have)


class CredentialsPlugin(BaseAuthPlugin):
    """Lets in only the configured users with their passwords."""

    @dataclass
    class Config:
        users: dict[str, str] = field(default_factory=dict)
        """user name → SHA-256 hex digest of the password"""

    async def authenticate(self, *, session: Any) -> bool | None:
        expected = self.context.config.users.get(session.username or "")  # type: ignore[union-attr]
        given = session.password
        if expected is None or given is None:
            return False
        if isinstance(given, bytes):
            given = given.decode("utf-8", "replace")
        return hmac.compare_digest(expected, _digest(given))


class TopicAclPlugin(BaseTopicPlugin):
    """Publish only where ``write`` allows; subscribe to and receive only what ``read`` covers."""

    @dataclass
    class Config:
        read: dict[str, list[str]] = field(default_factory=dict)
        write: dict[str, list[str]] = field(default_factory=dict)

    async def topic_filtering(self, *, session: Any = None, topic: str | None = None,
                              action: Action | None = None) -> bool | None:
        username = getattr(session, "username", None)
        if not topic or not username:
            return False
        config = self.context.config
        rules = config.write if action == Action.PUBLISH else config.read  # type: ignore[union-attr]
        return any(filter_covers(allowed, topic) for allowed in rules.get(username, ()))


def plugins_config(users: Sequence["BrokerUser"]) -> dict[str, dict[str, Any]]:
    """amqtt's ``plugins`` configuration for ``users``."""
    return {
        f"{__name__}.CredentialsPlugin": {"users": {u.username: _digest(u.password) for u in users}},
        f"{__name__}.TopicAclPlugin": {"read": {u.username: list(u.read) for u in users},
                                       "write": {u.username: list(u.write) for u in users}},
    }
