"""The devices of a building as the live twin sees them.

Every piece of equipment in the building file, and every elevator car (cars *are* the elevator
equipment), is one device with one id: the MQTT device id, the key of its live state and of its
history. :func:`device_catalogue` lists them with what the live side needs to know: system and
kind (which telemetry to expect and which rules apply), the expected reporting interval (for
staleness), the floor it is on, and — for a fire alarm panel — its detection zones.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.spec import Building

__all__ = ["DeviceInfo", "device_catalogue", "CAR_INTERVAL_S", "CAR_KIND"]

CAR_INTERVAL_S = 2.0
"""How often a lift controller is expected to report while in service."""
CAR_KIND = "elevator_car"


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """One device: equipment or elevator car."""

    id: str
    system: str
    kind: str
    interval_s: float
    location: str | None
    floor: str | None
    zones: tuple[str, ...] = ()
    zone_floors: tuple[tuple[str, str], ...] = ()
    group: str | None = None

    def zone_floor(self, zone: str) -> str | None:
        return dict(self.zone_floors).get(zone)


def device_catalogue(building: Building) -> dict[str, DeviceInfo]:
    """Every device of a building by id: elevator cars first, then equipment in file order."""
    devices: dict[str, DeviceInfo] = {}
    for group in building.elevators:
        for car in group.cars:
            devices[car.id] = DeviceInfo(id=car.id, system="elevator", kind=CAR_KIND, interval_s=CAR_INTERVAL_S,
                                         location=None, floor=car.home_floor, group=group.id)
    for eq in building.equipment:
        space = building.space_by_id.get(eq.location)
        devices[eq.id] = DeviceInfo(
            id=eq.id, system=eq.system, kind=eq.kind, interval_s=eq.interval_s, location=eq.location,
            floor=space.floor if space else None,
            zones=tuple(z.id for z in eq.zones), zone_floors=tuple((z.id, z.floor) for z in eq.zones),
        )
    return devices
