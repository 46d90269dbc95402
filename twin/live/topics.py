"""MQTT topics of the live twin.

Every device of a building publishes under one tree (``../shared/DESIGN.md``)::

    twin/v1/{building}/{system}/{device}/{channel}

``system`` is the equipment's system (elevator, pump, power, fire, hvac, lighting, meter,
water, access, security); ``device`` is the equipment or elevator-car id of the building file —
one id everywhere; ``channel`` says what the message is:

=============  =========  ==========================================================
channel        retained   payload
=============  =========  ==========================================================
``state``      yes        ``{"ts": ms, "seq": n, "values": {...}, "quality": "good"}``
``attributes`` yes        static metadata (model, rated power, floor, …)
``status``     yes        ``online`` / ``offline`` (the device's last will)
``event``      no         ``{"type": "entrapment", "severity": "critical", "active": true, "ts": ms}``
``cmd``        no         desired state, e.g. ``{"id": "c1", "fault": "trip"}``
``cmd/ack``    no         ``{"id": "c1", "ok": true, "message": "..."}``
=============  =========  ==========================================================

The twin itself announces its own presence on ``twin/v1/{building}/twin/{twin-id}/status``
(birth ``online``, last will ``offline``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "TOPIC_ROOT",
    "CHANNELS",
    "TWIN_SYSTEM",
    "Topic",
    "TopicError",
    "parse_topic",
    "device_topic",
    "building_filter",
    "twin_status_topic",
    "ID_PATTERN",
]

TOPIC_ROOT = "twin/v1"
CHANNELS = ("state", "attributes", "status", "event", "cmd", "cmd/ack")
TWIN_SYSTEM = "twin"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ROOT_PARTS = TOPIC_ROOT.split("/")


class TopicError(ValueError):
    """A topic that is not ``twin/v1/{building}/{system}/{device}/{channel}``."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed twin topic."""

    building: str
    system: str
    device: str
    channel: str

    def __str__(self) -> str:
        return device_topic(self.building, self.system, self.device, self.channel)


def device_topic(building_id: str, system: str, device_id: str, channel: str) -> str:
    """The topic one device publishes a channel on."""
    return f"{TOPIC_ROOT}/{building_id}/{system}/{device_id}/{channel}"


def building_filter(building_id: str) -> str:
    """The subscription that receives everything of one building."""
    return f"{TOPIC_ROOT}/{building_id}/#"


def twin_status_topic(building_id: str, twin_id: str) -> str:
    """Where the twin announces itself (birth and last will)."""
    return device_topic(building_id, TWIN_SYSTEM, twin_id, "status")


def parse_topic(topic: str) -> Topic:
    """Split a twin topic into its parts, or raise :class:`TopicError` saying what is wrong."""
    parts = topic.split("/")
    if parts[:2] != _ROOT_PARTS:
        raise TopicError(f"topic {topic!r} is not under {TOPIC_ROOT}/")
    rest = parts[2:]
    if len(rest) < 4:
        raise TopicError(f"topic {topic!r} has {len(rest)} levels after {TOPIC_ROOT}/, "
                         "expected {building}/{system}/{device}/{channel}")
    building, system, device = rest[0], rest[1], rest[2]
    channel = "/".join(rest[3:])
    if channel not in CHANNELS:
        raise TopicError(f"unknown channel {channel!r} in topic {topic!r}; channels: {', '.join(CHANNELS)}")
    for label, ident in (("building", building), ("system", system), ("device", device)):
        if not ID_PATTERN.match(ident):
            raise TopicError(f"{label} {ident!r} in topic {topic!r} is not an id ([A-Za-z0-9_-]+)")
    return Topic(building, system, device, channel)
