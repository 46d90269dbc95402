"""The building as a Brick model: what other building software understands.

Brick (brickschema.org) is the shared vocabulary of building metadata: a pump is a
``brick:Water_Pump``, it is located in a plant room, it feeds a floor, and its live values live
in a time series somewhere. Exporting the twin's building in Brick lets an analytics platform,
a BMS integrator or a fault-detection tool read what the building *is* and where its live data
comes from, without learning our YAML.

The export follows Brick 1.4+, which describes locations with RealEstateCore: the building is a
``rec:Building``, each floor a ``rec:Level`` (with its ``rec:levelNumber``), each space a
``rec:Room`` subclass (``rec:Hallway``, ``rec:Stairwell``, ``rec:Office``…) that ``rec:isPartOf``
its level. Each piece of equipment gets the most specific Brick class its system and kind allow
(elevators, pumps, AHUs, meters, fire panel, switchgear, transformers…), ``rec:locatedIn``
its space, ``brick:feeds`` what it supplies, and one ``brick:Status`` point whose
``ref:TimeseriesReference`` names the MQTT topic ``twin/v1/{building}/{system}/{device}/state``
the twin reads it from.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from twin.spec import Building, ElevatorCar, Equipment

__all__ = ["BRICK", "REC", "REF", "brick_graph", "brick_turtle", "brick_class", "state_topic"]

BRICK = Namespace("https://brickschema.org/schema/Brick#")
REC = Namespace("https://w3id.org/rec#")
REF = Namespace("https://brickschema.org/schema/Brick/ref#")

# Space kinds of the building file → RealEstateCore room classes.
_SPACE_CLASSES = {
    "apartment": "Room",
    "office": "Office",
    "shop": "RetailRoom",
    "restaurant": "DiningRoom",
    "corridor": "Hallway",
    "lobby": "Lobby",
    "atrium": "Atrium",
    "stair": "Stairwell",
    "lift_lobby": "Lobby",
    "plant_room": "UtilitiesRoom",
    "car_park": "Garage",
    "management_office": "Office",
    "toilet": "Toilet",
    "storage": "Storage",
    "room": "Room",
}

# (system, words in the kind) → Brick class; the first match wins, the system default last.
_EQUIPMENT_CLASSES: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "elevator": [((), "Elevator")],
    "pump": [(("booster",), "Booster_Pump"), (("hot_water", "dhw"), "Hot_Water_Pump"),
             (("water", "domestic", "fire", "sump", "sprinkler"), "Water_Pump"), ((), "Pump")],
    "hvac": [(("ahu", "air_handling"), "AHU"), (("fan",), "Fan"), (("chiller",), "Chiller"),
             (("boiler",), "Boiler"), (("cooling_tower",), "Cooling_Tower"), ((), "HVAC_Equipment")],
    # Water meters stay plain brick:Meter: Brick's own tag inference also makes a Water_Meter a
    # water sensor point, which its Equipment/Point disjointness then rejects.
    "meter": [(("water",), "Meter"), (("gas",), "Gas_Meter"), (("heat", "thermal"), "Thermal_Power_Meter"),
              (("building", "main"), "Building_Electrical_Meter"), ((), "Electrical_Meter")],
    "fire": [(("panel", "facp"), "Fire_Alarm_Control_Panel"), ((), "Fire_Safety_Equipment")],
    "power": [(("switchgear", "switchboard", "lv_board", "mv_board"), "Switchgear"),
              (("transformer",), "Transformer"), (("battery", "ups"), "Battery"),
              (("mcc", "motor_control"), "Motor_Control_Center"), ((), "Electrical_Equipment")],
    "lighting": [((), "Lighting_Equipment")],
    "water": [(("heater",), "Water_Heater"), (("tank",), "Water_Tank"), ((), "Equipment")],
    "access": [((), "Access_Control_Equipment")],
    "security": [((), "Security_Equipment")],
}


def brick_class(system: str, kind: str) -> URIRef:
    """The most specific Brick class for an equipment's system and kind (``pump``, ``booster_pump``)."""
    kind = kind.lower()
    for words, name in _EQUIPMENT_CLASSES.get(system, [((), "Equipment")]):
        if not words or any(w in kind for w in words):
            return BRICK[name]
    return BRICK.Equipment


def state_topic(building_id: str, system: str, device: str) -> str:
    """The MQTT topic a device's live state is published on."""
    return f"twin/v1/{building_id}/{system}/{device}/state"


def _add_state_point(g: Graph, ns: Namespace, building_id: str, system: str, device: str,
                     broker: str) -> None:
    point = ns[f"{device}.state"]
    g.add((point, RDF.type, BRICK.Status))
    g.add((point, RDFS.label, Literal(f"{device} live state")))
    g.add((point, BRICK.isPointOf, ns[device]))
    ref = BNode()
    g.add((point, REF.hasExternalReference, ref))
    g.add((ref, RDF.type, REF.TimeseriesReference))
    g.add((ref, REF.hasTimeseriesId, Literal(state_topic(building_id, system, device), datatype=XSD.string)))
    g.add((ref, REF.storedAt, Literal(broker, datatype=XSD.string)))


def brick_graph(building: Building, *, broker: str = "mqtt://localhost:1883",
                base: str | None = None) -> Graph:
    """The building as an RDF graph in Brick/RealEstateCore terms."""
    ns = Namespace(base or f"urn:building-twin:{building.id}#")
    g = Graph()
    g.bind("brick", BRICK)
    g.bind("rec", REC)
    g.bind("ref", REF)
    g.bind("bldg", ns)

    site = ns[building.id]
    g.add((site, RDF.type, REC.Building))
    g.add((site, RDFS.label, Literal(building.name)))

    for index, floor in enumerate(sorted(building.floors, key=lambda f: f.elevation_m)):
        node = ns[floor.id]
        g.add((node, RDF.type, REC.Level))
        g.add((node, RDFS.label, Literal(floor.name or floor.id)))
        g.add((node, REC.levelNumber, Literal(index, datatype=XSD.integer)))
        g.add((node, REC.isPartOf, site))

    for space in building.spaces:
        node = ns[space.id]
        g.add((node, RDF.type, REC[_SPACE_CLASSES.get(space.kind, "Room")]))
        g.add((node, RDFS.label, Literal(space.name or space.id)))
        g.add((node, REC.isPartOf, ns[space.floor]))

    for group in building.elevators:
        for car in group.cars:
            _add_car(g, ns, building, group.id, car, broker)

    for eq in building.equipment:
        _add_equipment(g, ns, building, eq, broker)
    return g


def _add_car(g: Graph, ns: Namespace, building: Building, group_id: str, car: ElevatorCar, broker: str) -> None:
    shaft = ns[f"{car.id}.shaft"]
    g.add((shaft, RDF.type, REC.ElevatorShaft))
    g.add((shaft, RDFS.label, Literal(f"shaft of {car.id} ({group_id})")))
    g.add((shaft, REC.isPartOf, ns[building.id]))
    node = ns[car.id]
    g.add((node, RDF.type, BRICK.Elevator))
    g.add((node, RDFS.label, Literal(f"{car.id} ({group_id})")))
    g.add((node, REC.locatedIn, shaft))
    _add_state_point(g, ns, building.id, "elevator", car.id, broker)


def _add_equipment(g: Graph, ns: Namespace, building: Building, eq: Equipment, broker: str) -> None:
    node = ns[eq.id]
    g.add((node, RDF.type, brick_class(eq.system, eq.kind)))
    g.add((node, RDFS.label, Literal(eq.name or eq.id)))
    g.add((node, REC.locatedIn, ns[eq.location]))
    for target in (*eq.feeds, *eq.serves):
        g.add((node, BRICK.feeds, ns[target]))
    for zone in eq.zones:
        znode = ns[zone.id]
        g.add((znode, RDF.type, REC.Zone))
        g.add((znode, RDFS.label, Literal(f"fire zone {zone.id}")))
        g.add((znode, REC.isPartOf, ns[zone.floor]))
        g.add((znode, RDFS.comment, Literal(f"detection zone of {eq.id}")))
        for space in zone.spaces:
            g.add((znode, REC.hasPart, ns[space]))
    _add_state_point(g, ns, building.id, eq.system, eq.id, broker)


def brick_turtle(building: Building, *, broker: str = "mqtt://localhost:1883") -> str:
    """The Brick model as Turtle text."""
    return brick_graph(building, broker=broker).serialize(format="turtle")
