"""Issue 11 section 1: every mistake in a building file that changes a result is an error or a
named warning, and every problem of a file is reported in one pass.

The gallery below starts from one small, correct three-storey office (:func:`office`: a corridor,
an office, a stair landing and a lift lobby on each floor, a plant room and one final exit on the
ground floor, a lift, a transformer feeding a switchboard feeding a pump and the lift, a fire
panel) that loads with no warning, makes one mistake in it (or, for the one-pass cases, several),
and names every line the loader must print for it — errors (``file: path: message``) and
warnings (``file: path: warning (name): message``), in order, nothing more.

Then the buildings the project ships or tests with (the samples, the generator's output across
its options, every test building) must load with no warning at all; the floor graph uses the
narrower of an exit's and its door's widths; and warnings reach ``twin validate`` (exit 0) and the
loaded building (``Building.load_warnings``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from twin.checks import BuildingWarning, overlap_area_m2, shared_wall
from twin.errors import SpecError
from twin.generate import mixed_podium, residential_tower
from twin.graph import build_graph
from twin.loader import check_building_document, load_building, parse_building, read_yaml, sample_names

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def office() -> dict[str, Any]:
    """A three-storey office that passes every check with no warning."""
    floors = [{"id": f"F0{n}", "elevation_m": 3.5 * (n - 1), "height_m": 3.5} for n in (1, 2, 3)]
    spaces: list[dict[str, Any]] = []
    doors: list[dict[str, Any]] = []
    for n in (1, 2, 3):
        f = f"F0{n}"
        spaces += [
            {"id": f"{f}-COR", "floor": f, "kind": "corridor", "rect": {"x_m": 0, "y_m": 0, "width_m": 20, "depth_m": 2}},
            {"id": f"{f}-OFF", "floor": f, "kind": "office", "rect": {"x_m": 0, "y_m": 2, "width_m": 10, "depth_m": 8},
             **({"occupants": 20} if n == 1 else {"m2_per_person": 10})},
            {"id": f"{f}-ST", "floor": f, "kind": "stair", "rect": {"x_m": 20, "y_m": 0, "width_m": 3, "depth_m": 5}},
            {"id": f"{f}-LL", "floor": f, "kind": "lift_lobby",
             "rect": {"x_m": -3, "y_m": 0, "width_m": 3, "depth_m": 4}},
        ]
        doors += [
            {"id": f"{f}-D1", "between": [f"{f}-OFF", f"{f}-COR"], "width_m": 0.9},
            {"id": f"{f}-D2", "between": [f"{f}-COR", f"{f}-ST"], "width_m": 1.0},
            {"id": f"{f}-D3", "between": [f"{f}-COR", f"{f}-LL"], "width_m": 1.0},
        ]
    spaces.append({"id": "F01-PLANT", "floor": "F01", "kind": "plant_room",
                   "rect": {"x_m": 10, "y_m": 2, "width_m": 10, "depth_m": 8}})
    doors += [{"id": "F01-D4", "between": ["F01-COR", "F01-PLANT"], "width_m": 1.2},
              {"id": "F01-DX", "between": ["F01-COR", "EX-S"], "width_m": 1.2}]
    return {
        "id": "office", "name": "Three-storey office", "use": "office",
        "floors": floors, "spaces": spaces, "doors": doors,
        "stairs": [{"id": "ST-1", "landings": ["F01-ST", "F02-ST", "F03-ST"], "width_m": 1.2}],
        "elevators": [{"id": "LG-1", "lobbies": ["F01-LL", "F02-LL", "F03-LL"], "cars": [
            {"id": "L-1", "shaft": {"x_m": -3, "y_m": 4, "width_m": 2, "depth_m": 2},
             "floors_served": ["F01", "F02", "F03"], "capacity_persons": 13, "capacity_kg": 1000,
             "rated_speed_mps": 1.6}]}],
        "equipment": [
            {"id": "TX-1", "system": "power", "kind": "transformer", "location": "F01-PLANT",
             "rated": {"power_kva": 800}, "feeds": ["SWG-1"]},
            {"id": "SWG-1", "system": "power", "kind": "switchgear", "location": "F01-PLANT",
             "feeds": ["PMP-1", "L-1"]},
            {"id": "PMP-1", "system": "pump", "kind": "booster_pump", "location": "F01-PLANT",
             "rated": {"power_kw": 7.5}},
            {"id": "FAP-1", "system": "fire", "kind": "fire_alarm_panel", "location": "F01-PLANT",
             "zones": [{"id": "FZ-F02", "floor": "F02", "spaces": ["F02-COR", "F02-OFF"]}]},
        ],
        "exits": [{"id": "EX-S", "floor": "F01", "x_m": 10, "y_m": 0, "width_m": 1.2}],
    }


# --- mistakes, one line of code each ------------------------------------------------------------

Mutation = Callable[[dict], None]


def item(d: dict, list_name: str, ident: str) -> dict:
    if list_name == "cars":
        return next(c for g in d["elevators"] for c in g["cars"] if c["id"] == ident)
    return next(x for x in d[list_name] if x["id"] == ident)


def set_(list_name: str, ident: str, **fields: Any) -> Mutation:
    """Set fields of one item (a value of None removes the field)."""
    def mutate(d: dict) -> None:
        target = item(d, list_name, ident)
        for key, value in fields.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return mutate


def rect(ident: str, **fields: float) -> Mutation:
    def mutate(d: dict) -> None:
        item(d, "spaces", ident)["rect"].update(fields)
    return mutate


def append(list_name: str, value: dict) -> Mutation:
    def mutate(d: dict) -> None:
        d[list_name].append(value)
    return mutate


def chain(*mutations: Mutation) -> Mutation:
    def mutate(d: dict) -> None:
        for m in mutations:
            m(d)
    return mutate


def zone_lists(space: str) -> Mutation:
    def mutate(d: dict) -> None:
        item(d, "equipment", "FAP-1")["zones"][0]["spaces"].append(space)
    return mutate


# (name, the mistake, every line the loader prints for it)
CASES: list[tuple[str, Mutation, list[str]]] = [
    ("door-spaces-apart", set_("doors", "F01-D1", between=["F01-OFF", "F01-ST"]),
      ["b.yaml: doors[0] 'F01-D1'.between: 'F01-OFF' and 'F01-ST' do not share a wall (10 m apart; a door needs a wall they share, no thicker than its length_m 0.3 m)"]),
    ("door-corner-only", rect("F01-ST", y_m=2),
      ["b.yaml: doors[1] 'F01-D2'.between: 'F01-COR' and 'F01-ST' do not share a wall (meeting only at a corner; a door needs a wall they share, no thicker than its length_m 0.3 m)"]),
    ("door-wider-than-wall", set_("doors", "F01-D2", width_m=2.5),
      ["b.yaml: doors[1] 'F01-D2'.width_m: width 2.5 m does not fit on the 2 m of wall 'F01-COR' and 'F01-ST' share"]),
    ("exit-off-wall", set_("exits", "EX-S", y_m=5),
      ["b.yaml: exits[0] 'EX-S': exit 'EX-S' at (10, 5) is 3 m from the walls of 'F01-COR', which door 'F01-DX' leads out of; an exit lies on its space's outline"]),
    ("exit-door-wider-than-wall", chain(set_("exits", "EX-S", x_m=23, y_m=3.5, width_m=None), set_("doors", "F01-DX", between=["F01-ST", "EX-S"], width_m=6)),
      ["b.yaml: doors[10] 'F01-DX'.width_m: width 6 m does not fit on the 5 m wall of 'F01-ST' where exit 'EX-S' is"]),
    ("exit-without-door", append("exits", {"id": "EX-N", "floor": "F01", "x_m": 5, "y_m": 10}),
      ["b.yaml: exits[1] 'EX-N': no door leads to exit 'EX-N'; add a door with between: [SPACE, EX-N]"]),
    ("exit-width-differs", set_("exits", "EX-S", width_m=1.5),
      ["b.yaml: exits[0] 'EX-S'.width_m: warning (exit-width-differs): width 1.5 m differs from the 1.2 m of door 'F01-DX'; the narrower, 1.2 m, governs the flow"]),
    ("stair-skips-floor", chain(set_("stairs", "ST-1", landings=["F01-ST", "F03-ST"]), append("stairs", {"id": "ST-2", "landings": ["F01-ST", "F02-ST"], "width_m": 1.2})),
      ["b.yaml: stairs[0] 'ST-1'.landings[1]: the stair climbs from 'F01' to 'F03' past 'F02' without a landing; list a landing on every floor it passes",
       "b.yaml: spaces[2] 'F01-ST': landing 'F01-ST' belongs to stairs 'ST-1', 'ST-2'; each landing belongs to exactly one stair"]),
    ("landing-in-two-stairs", append("stairs", {"id": "ST-2", "landings": ["F02-ST", "F03-ST"], "width_m": 1.2}),
      ["b.yaml: spaces[6] 'F02-ST': landing 'F02-ST' belongs to stairs 'ST-1', 'ST-2'; each landing belongs to exactly one stair",
       "b.yaml: spaces[10] 'F03-ST': landing 'F03-ST' belongs to stairs 'ST-1', 'ST-2'; each landing belongs to exactly one stair"]),
    ("landing-without-stair", append("spaces", {"id": "F03-ST2", "floor": "F03", "kind": "stair", "rect": {"x_m": 10, "y_m": -5, "width_m": 3, "depth_m": 5}}),
      ["b.yaml: spaces[13] 'F03-ST2': space 'F03-ST2' is a 'stair' landing that no stair lists; add it to a stair's landings or give it another kind",
       "b.yaml: spaces[13] 'F03-ST2': no final exit can be reached from this space through doors and stairs"]),
    ("stair-wider-than-landing", set_("stairs", "ST-1", width_m=3.5),
      ["b.yaml: stairs[0] 'ST-1'.width_m: width 3.5 m does not fit landing 'F01-ST', 3 m across (width_m is the clear width between the walls)"]),
    ("stair-landings-apart", rect("F03-ST", x_m=10, y_m=-5),
      ["b.yaml: stairs[0] 'ST-1'.landings[2]: warning (stair-landings-apart): landing 'F03-ST' is not above landing 'F02-ST' on the plan; a stair rises in one enclosure"]),
    ("door-1200-m", set_("doors", "F01-D1", width_m=1200),
      ["b.yaml: doors[0] 'F01-D1'.width_m: width 1,200 m is not a door's clear width (0.3 to 20 m); was it given in millimetres (1,200 mm = 1.2 m)?"]),
    ("door-1-cm", set_("doors", "F01-D1", width_m=0.01),
      ["b.yaml: doors[0] 'F01-D1'.width_m: width 0.01 m is not a door's clear width (0.3 to 20 m)"]),
    ("riser-0.5-m", set_("stairs", "ST-1", riser_m=0.5),
      ["b.yaml: stairs[0] 'ST-1'.riser_m: Input should be less than 0.25 m (got 0.5 m)"]),
    ("storey-1-km", set_("floors", "F03", height_m=1000),
      ["b.yaml: floors[2] 'F03'.height_m: height 1,000 m is not a storey's height (1.5 to 100 m)"]),
    ("storey-in-mm", set_("floors", "F01", height_m=3500),
      ["b.yaml: floors[0] 'F01'.height_m: height 3,500 m is not a storey's height (1.5 to 100 m); was it given in millimetres (3,500 mm = 3.5 m)?"]),
    ("lift-1000-mps", set_("cars", "L-1", rated_speed_mps=1000),
      ["b.yaml: elevators[0] 'LG-1'.cars[0] 'L-1'.rated_speed_mps: rated speed 1,000 m/s is not a lift's rated speed (0.1 to 25 m/s)"]),
    ("lift-million-persons", set_("cars", "L-1", capacity_persons=10**6),
      ["b.yaml: elevators[0] 'LG-1'.cars[0] 'L-1'.capacity_persons: capacity 1e+06 persons is not a lift car's capacity (at most 100 persons)"]),
    ("lift-overloaded", set_("cars", "L-1", capacity_kg=630),
      ["b.yaml: elevators[0] 'LG-1'.cars[0] 'L-1'.capacity_persons: warning (lift-overloaded): 13 persons in a car rated 630 kg is 48 kg a person; a car is rated at 75 kg a person (EN 81-20): at most 8 persons"]),
    ("floor-height-differs", set_("floors", "F01", height_m=3.0),
      ["b.yaml: floors[0] 'F01'.height_m: warning (floor-height-differs): floor 'F01' at 0 m with height 3 m ends at 3 m, but the next floor 'F02' is at 3.5 m; stairs climb by the elevations (3.5 m)"]),
    ("floors-overlap", set_("floors", "F01", height_m=4.0),
      ["b.yaml: floors[0] 'F01'.height_m: floor 'F01' at 0 m with height 4 m reaches 4 m, above floor 'F02' at 3.5 m: the floors overlap"]),
    ("feeds-itself", set_("equipment", "PMP-1", feeds=["PMP-1"]),
      ["b.yaml: equipment[2] 'PMP-1'.feeds[0]: 'PMP-1' feeds itself"]),
    ("feeds-in-a-cycle", set_("equipment", "PMP-1", feeds=["TX-1"]),
      ["b.yaml: equipment[0] 'TX-1'.feeds: feeds in a cycle: 'TX-1' → 'SWG-1' → 'PMP-1' → 'TX-1'"]),
    ("spaces-overlap", rect("F02-OFF", y_m=1),
      ["b.yaml: spaces[5] 'F02-OFF': overlaps space 'F02-COR' by 10 m² on floor 'F02'; spaces on one floor do not share floor area"]),
    ("density-above-jam", set_("spaces", "F01-OFF", occupants=1000),
      ["b.yaml: spaces[1] 'F01-OFF'.occupants: 1000 persons in 80 m² is 12.5 per m², above the safe maximum of 3.76 per m² (the SFPE jam density, at which nobody can walk): at most 300 here"]),
    ("density-above-design", set_("spaces", "F01-OFF", occupants=290),
      ["b.yaml: spaces[1] 'F01-OFF'.occupants: warning (dense-load): 290 persons in 80 m² is 3.62 per m², denser than any design load (0.28 m² per person, NFPA 101's waiting spaces)"]),
    ("m2-per-person-above-jam", set_("spaces", "F02-OFF", m2_per_person=0.1),
      ["b.yaml: spaces[5] 'F02-OFF'.m2_per_person: 0.1 m² per person is 10 persons per m², above the safe maximum of 3.76 per m² (the SFPE jam density, at which nobody can walk): give at least 0.266 m² per person"]),
    ("all-in-one-pass", chain(set_("doors", "F01-D1", width_m="wide"), set_("doors", "F02-D1", between=["F02-OFF", "F02-XX"]), set_("doors", "F03-D1", between=["F03-OFF", "F03-ST"])),
      ["b.yaml: doors[0] 'F01-D1'.width_m: Input should be a valid number, unable to parse string as a number (got 'wide')",
       "b.yaml: doors[3] 'F02-D1'.between: unknown space 'F02-XX'",
       "b.yaml: doors[6] 'F03-D1'.between: 'F03-OFF' and 'F03-ST' do not share a wall (10 m apart; a door needs a wall they share, no thicker than its length_m 0.3 m)"]),
    ("field-error-hides-nothing", chain(set_("spaces", "F02-OFF", kind="flat"), set_("equipment", "PMP-1", feeds=["PMP-1"])),
      ["b.yaml: spaces[5] 'F02-OFF'.kind: Input should be 'apartment', 'office', 'shop', 'restaurant', 'corridor', 'lobby', 'atrium', 'stair', 'lift_lobby', 'plant_room', 'car_park', 'management_office', 'toilet', 'storage' or 'room' (got 'flat')",
       "b.yaml: equipment[2] 'PMP-1'.feeds[0]: 'PMP-1' feeds itself"]),
    ("polygon-crosses-itself", chain(set_("spaces", "F01-PLANT", rect=None, polygon=[[10, 2], [20, 2], [10, 10], [14, 10]])),
      ["b.yaml: spaces[12] 'F01-PLANT'.polygon: the outline crosses itself (edges 2 and 4); list the points in order around the space"]),
    ("area-exceeds-footprint", set_("spaces", "F02-OFF", area_m2=200),
      ["b.yaml: spaces[5] 'F02-OFF'.area_m2: warning (area-exceeds-footprint): area 200 m² is larger than the footprint's 80 m²; occupants by design load use area_m2"]),
    ("zone-space-elsewhere", zone_lists("F03-OFF"),
      ["b.yaml: equipment[3] 'FAP-1'.zones[0] 'FZ-F02'.spaces[2]: warning (zone-space-elsewhere): space 'F03-OFF' is on floor 'F03', not on the zone's floor 'F02'"]),
    ("door-into-void", set_("spaces", "F03-OFF", void=True, m2_per_person=None),
      ["b.yaml: doors[6] 'F03-D1'.between: warning (door-into-void): leads into 'F03-OFF', a void: nobody walks through it"]),
    ("flight-shorter-than-rise", set_("stairs", "ST-1", flight_length_m=2.0),
      ["b.yaml: stairs[0] 'ST-1'.flight_length_m: flight length 2 m is shorter than the 3.5 m it climbs from 'F01' to 'F02'"]),
    ("stair-30-cm", set_("stairs", "ST-1", width_m=0.3),
      ["b.yaml: stairs[0] 'ST-1'.width_m: width 0.3 m is not a stair's clear width (0.5 to 10 m)"]),
    ("exit-1200-m", chain(set_("exits", "EX-S", width_m=1200)),
      ["b.yaml: exits[0] 'EX-S'.width_m: width 1,200 m is not an exit's clear width (0.3 to 50 m); was it given in millimetres (1,200 mm = 1.2 m)?"]),
    ("exit-far-away", set_("exits", "EX-S", x_m=50000),
      ["b.yaml: exits[0] 'EX-S'.x_m: x_m 50,000 m is not a plan coordinate (-10,000 to 10,000 m); was it given in millimetres (50,000 mm = 50 m)?",
       "b.yaml: exits[0] 'EX-S': exit 'EX-S' at (50,000, 0) is 49,980 m from the walls of 'F01-COR', which door 'F01-DX' leads out of; an exit lies on its space's outline"]),
    ("aset-a-week", set_("spaces", "F01-OFF", aset_s=604800),
      ["b.yaml: spaces[1] 'F01-OFF'.aset_s: aset_s 604,800 s is not an available safe egress time (10 to 86,400 s)"]),
    ("door-25-m-deep", set_("doors", "F01-D1", length_m=25),
      ["b.yaml: doors[0] 'F01-D1'.length_m: length 25 m is not a door's passage depth (at most 20 m)"]),
    ("narrow-door", set_("doors", "F01-D1", width_m=0.5),
      ["b.yaml: doors[0] 'F01-D1'.width_m: warning (unusual-value): width 0.5 m is unusual for a door's clear width: below 0.6 m (escape doors are at least 0.9 m clear, GB 50016 §5.5.18 and §5.5.30)"]),
    ("lift-acceleration", set_("cars", "L-1", acceleration_mps2=3),
      ["b.yaml: elevators[0] 'LG-1'.cars[0] 'L-1'.acceleration_mps2: warning (unusual-value): acceleration 3 m/s² is unusual for a lift's acceleration: above 2 m/s²"]),
    ("elevation-5-km", chain(set_("floors", "F03", elevation_m=5000)),
      ["b.yaml: floors[2] 'F03'.elevation_m: elevation 5,000 m is not a floor's elevation (-200 to 1,000 m); was it given in millimetres (5,000 mm = 5 m)?"]),
    ("room-in-mm", rect("F01-PLANT", width_m=10000),
      ["b.yaml: spaces[12] 'F01-PLANT'.rect.width_m: width_m 10,000 m is not a space's side (0.1 to 2,000 m); was it given in millimetres (10,000 mm = 10 m)?"]),
]


def lines_of(data: dict, file: str = "b.yaml") -> list[str]:
    report = check_building_document(data, file)
    return [str(x) for x in (*report.errors, *report.warnings)]


def test_the_gallery_office_loads_with_no_warning() -> None:
    """issue 11 item 1: the gallery's base building is right, so each case's lines are its mistake's."""
    building = parse_building(office(), "b.yaml")
    assert building.load_warnings == ()


def test_the_gallery_covers_every_named_check() -> None:
    """issue 11 item 1: at least 25 broken buildings, and every check of twin/checks.py among them."""
    assert len(CASES) >= 25
    assert len({name for name, _, _ in CASES}) == len(CASES)
    text = "\n".join(line for _, _, lines in CASES for line in lines)
    for name in ("door-into-void", "exit-width-differs", "stair-landings-apart", "floor-height-differs", "dense-load",
                 "lift-overloaded", "area-exceeds-footprint", "zone-space-elsewhere", "unusual-value"):
        assert f"warning ({name})" in text, name


@pytest.mark.parametrize("name, mutate, expected", CASES, ids=[c[0] for c in CASES])
def test_broken_building_prints_exactly_its_lines(name: str, mutate: Mutation, expected: list[str]) -> None:
    """issue 11 item 1 (each bullet): a mistake gives exactly these error and warning lines — field,
    reference and geometry problems together, numbers with their unit."""
    data = office()
    mutate(data)
    assert lines_of(data) == expected


@pytest.mark.parametrize("name, mutate, expected", [c for c in CASES if "warning (" not in " ".join(c[2])],
                         ids=[c[0] for c in CASES if "warning (" not in " ".join(c[2])])
def test_errors_refuse_the_building_and_keep_the_warnings(name: str, mutate: Mutation, expected: list[str]) -> None:
    """issue 11 item 1: an error refuses the file with every error line (SpecError), never half-loads it."""
    data = office()
    mutate(data)
    with pytest.raises(SpecError) as caught:
        parse_building(data, "b.yaml")
    assert str(caught.value).splitlines() == expected


def test_warnings_travel_with_the_loaded_building() -> None:
    """issue 11 item 1: a warning does not stop a building loading; the building carries it."""
    data = office()
    set_("exits", "EX-S", width_m=1.5)(data)
    set_("floors", "F01", height_m=3.0)(data)
    building = parse_building(data, "b.yaml")
    assert [w.name for w in building.load_warnings] == ["floor-height-differs", "exit-width-differs"]
    first = building.load_warnings[0]
    assert isinstance(first, BuildingWarning)
    assert first.as_dict() == {"file": "b.yaml", "path": "floors[0] 'F01'.height_m", "name": "floor-height-differs",
                               "message": first.message}


def test_the_narrower_of_an_exit_and_its_door_governs_the_flow() -> None:
    """issue 11 item 1 (exit width_m): the floor graph, which the evacuation reads, carries the
    narrower of the exit's and the door's clear widths on the exit edge."""
    data = office()
    set_("exits", "EX-S", width_m=0.9)(data)
    edge = build_graph(parse_building(data, "b.yaml")).edges["F01-COR", "EX-S", "F01-DX"]
    assert edge["width_m"] == 0.9
    assert edge["effective_width_m"] == pytest.approx(0.9 - 2 * 0.15)
    set_("exits", "EX-S", width_m=2.0)(data)
    edge = build_graph(parse_building(data, "b.yaml")).edges["F01-COR", "EX-S", "F01-DX"]
    assert edge["width_m"] == 1.2


def test_a_door_through_a_thick_wall_sits_on_that_wall() -> None:
    """issue 11 item 1: rooms either side of a wall as thick as the door's depth touch; the floor
    graph places the door on the wall they share, not between their centres."""
    data = office()
    rect("F02-OFF", y_m=2.25, depth_m=7.75)(data)        # a 0.25 m wall between office and corridor
    set_("doors", "F02-D1", length_m=0.25)(data)
    graph = build_graph(parse_building(data, "b.yaml"))
    x, y = graph.edges["F02-OFF", "F02-COR", "F02-D1"]["door_pos"]
    assert 0 <= x <= 10 and y == pytest.approx(2.25)


def test_plane_geometry_helpers() -> None:
    """issue 11 item 1: shared walls and overlaps of rectangles and polygons, by hand."""
    a = [(0, 0), (4, 0), (4, 3), (0, 3)]
    b = [(4, 1), (6, 1), (6, 5), (4, 5)]
    assert shared_wall(a, b) == (pytest.approx(2.0), (4.0, 2.0))
    assert shared_wall(a, [(4.2, 0), (6, 0), (6, 3), (4.2, 3)], depth_m=0.3)[0] == pytest.approx(3.0)
    assert shared_wall(a, [(4.5, 0), (6, 0), (6, 3), (4.5, 3)], depth_m=0.3)[0] == 0.0
    l_shape = [(0, 0), (4, 0), (4, 1), (1, 1), (1, 3), (0, 3)]
    assert overlap_area_m2(l_shape, [(0.5, 0.5), (3, 0.5), (3, 2), (0.5, 2)]) == pytest.approx(0.5 * 2.5 + 0.5 * 1.0)
    assert overlap_area_m2(a, [(1, 1), (2, 1), (2, 2), (1, 2)], True, True) == pytest.approx(1.0)


# --- what the project ships and tests with: no warnings --------------------------------------------

def _test_buildings() -> list[Path]:
    found = []
    for path in sorted(TESTS.glob("**/data/**/*.yaml")):
        if "broken" in path.parts:
            continue
        data = read_yaml(path)
        if isinstance(data, dict) and "floors" in data:
            found.append(path)
    return found


@pytest.mark.parametrize("name", sample_names())
def test_samples_load_with_no_warning(name: str) -> None:
    """issue 11 item 1 (tests): the shipped samples have no geometric or physical mistake."""
    assert [str(w) for w in load_building(name).load_warnings] == []


@pytest.mark.parametrize("path", _test_buildings(), ids=lambda p: str(p.relative_to(TESTS)))
def test_test_buildings_load_with_no_warning(path: Path) -> None:
    """issue 11 item 1 (tests): every building the tests use has no mistake either."""
    assert [str(w) for w in load_building(path).load_warnings] == []


TOWER_OPTIONS = [  # floors, cores, stairs per core, lifts per core, basement levels, units per floor
    (2, 1, 1, 1, 1, None), (3, 2, 2, 1, 2, 4), (12, 1, 2, 4, 4, 12), (30, 4, 2, 4, 2, None),
    (40, 2, 1, 8, 1, 24), (60, 1, 2, 2, 3, 2),
]
PODIUM_OPTIONS = [  # floors, retail floors, basement levels, passenger lifts, length, depth
    (2, 1, 1, 1, 60.0, 50.0), (5, 2, 2, 4, 84.0, 52.0), (10, 5, 3, 6, 150.0, 80.0), (10, 1, 1, 6, 84.0, 52.0),
]


@pytest.mark.parametrize("floors, cores, stairs, lifts, basements, units", TOWER_OPTIONS)
def test_generated_towers_have_no_warning(floors, cores, stairs, lifts, basements, units) -> None:
    """issue 11 item 1 (tests): the generator's towers, across its options, load with no warning
    (a wider sweep of 648 combinations was run by hand when the checks were written)."""
    data = residential_tower(building_id="t", floors=floors, cores=cores, stairs_per_core=stairs,
                             lifts_per_core=lifts, basement_levels=basements, units_per_floor=units, seed=3)
    assert lines_of(data, "t.yaml") == []


@pytest.mark.parametrize("floors, retail, basements, lifts, length_m, depth_m", PODIUM_OPTIONS)
def test_generated_podiums_have_no_warning(floors, retail, basements, lifts, length_m, depth_m) -> None:
    """issue 11 item 1 (tests): the generator's podiums, across its options, load with no warning."""
    data = mixed_podium(building_id="p", floors=floors, retail_floors=retail, basement_levels=basements,
                        passenger_lifts=lifts, length_m=length_m, depth_m=depth_m, seed=3)
    assert lines_of(data, "p.yaml") == []


# --- twin validate ---------------------------------------------------------------------------------

def _validate(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "api", "validate", *map(str, files)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_twin_validate_prints_warnings_and_exits_0(tmp_path: Path) -> None:
    """issue 11 item 1: ``twin validate`` prints a building's named warnings and exits 0."""
    data = office()
    set_("exits", "EX-S", width_m=1.5)(data)
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [
        "b.yaml: exits[0] 'EX-S'.width_m: warning (exit-width-differs): width 1.5 m differs from the 1.2 m of "
        "door 'F01-DX'; the narrower, 1.2 m, governs the flow"]


def test_twin_validate_prints_every_error_and_the_warnings_and_exits_2(tmp_path: Path) -> None:
    """issue 11 item 1 (all problems in one pass): a field error, a reference error, a geometry error
    and a warning of one file, in one run, exit 2."""
    data = office()
    chain(set_("doors", "F01-D1", width_m="wide"), set_("doors", "F02-D1", between=["F02-OFF", "F02-XX"]),
          set_("doors", "F03-D1", between=["F03-OFF", "F03-ST"]), set_("exits", "EX-S", width_m=1.5))(data)
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("b.yaml: doors[0] 'F01-D1'.width_m: Input should be a valid number")
    assert lines[1] == "b.yaml: doors[3] 'F02-D1'.between: unknown space 'F02-XX'"
    assert lines[2].startswith("b.yaml: doors[6] 'F03-D1'.between: 'F03-OFF' and 'F03-ST' do not share a wall")
    assert lines[3].startswith("b.yaml: exits[0] 'EX-S'.width_m: warning (exit-width-differs)")
    assert len(lines) == 4
