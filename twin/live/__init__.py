"""What the building is doing now: the live twin.

The twin subscribes to the building's MQTT broker (:mod:`~twin.live.bridge`), decodes what its
devices publish (:mod:`~twin.live.topics`, :mod:`~twin.live.payloads`, :mod:`~twin.live.mapping`),
keeps the current state of every device (:mod:`~twin.live.state`) and its history in SQLite
(:mod:`~twin.live.history`), raises alarms (:mod:`~twin.live.alarms`), and can bring its own
broker (:mod:`~twin.live.broker`) and simulated devices (:mod:`~twin.live.simulator`).
:class:`~twin.live.service.LiveService` wires it all; ``twin serve`` runs it.
"""

from twin.live.alarms import (
    Alarm,
    AlarmEngine,
    AlarmHook,
    AlarmNotFound,
    AlarmTransition,
    Rule,
    RuleSet,
    load_rules,
    parse_rules,
)
from twin.live.bridge import Bridge, MqttSettings, MqttUrlError, parse_mqtt_url
from twin.live.broker import Broker, BrokerError, BrokerUser, embedded_users, find_mosquitto
from twin.live.devices import DeviceInfo, device_catalogue
from twin.live.history import Batch, History, HistoryError, SeriesPoint, migrate_history
from twin.live.mapping import Mapping, convert, load_mapping, parse_mapping
from twin.live.payloads import (
    DeadLetter,
    DecodeError,
    Decoder,
    DeviceAttributes,
    DeviceEvent,
    DeviceStatus,
    StateUpdate,
)
from twin.live.service import LiveService, ServiceStats
from twin.live.simulator import DeviceSimulator, Fault, SimulatorRunner, parse_fault
from twin.live.state import EquipmentSnapshot, StateChange, StateLimitError, TwinSnapshot, TwinState
from twin.live.topics import Topic, TopicError, building_filter, device_topic, parse_topic, twin_status_topic
from twin.live.values import FrozenMap

__all__ = [
    "Alarm",
    "AlarmEngine",
    "AlarmHook",
    "AlarmNotFound",
    "AlarmTransition",
    "Batch",
    "Bridge",
    "Broker",
    "BrokerUser",
    "BrokerError",
    "DeadLetter",
    "DecodeError",
    "Decoder",
    "DeviceAttributes",
    "DeviceEvent",
    "DeviceInfo",
    "DeviceSimulator",
    "DeviceStatus",
    "EquipmentSnapshot",
    "Fault",
    "FrozenMap",
    "History",
    "HistoryError",
    "LiveService",
    "Mapping",
    "MqttSettings",
    "MqttUrlError",
    "Rule",
    "RuleSet",
    "SeriesPoint",
    "ServiceStats",
    "SimulatorRunner",
    "StateChange",
    "StateLimitError",
    "StateUpdate",
    "Topic",
    "TopicError",
    "TwinSnapshot",
    "TwinState",
    "building_filter",
    "convert",
    "device_catalogue",
    "device_topic",
    "embedded_users",
    "find_mosquitto",
    "load_mapping",
    "load_rules",
    "migrate_history",
    "parse_fault",
    "parse_mapping",
    "parse_mqtt_url",
    "parse_rules",
    "parse_topic",
    "twin_status_topic",
]
