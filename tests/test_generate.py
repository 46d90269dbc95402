"""The building generator and the two sample buildings made with it.

The samples must be usable buildings (they load, every space reaches an exit, every door sits on
the wall its two rooms share), of the size the project promises (a ~30-storey tower with about
3,000 residents; a mixed-use podium with an atrium), carrying the equipment a real building has,
wired from the supply to the loads. The generator must be deterministic for a seed, and the
shipped files must be exactly what ``python -m twin.samples.make_samples`` writes.
"""

from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import pytest
import yaml

from twin.generate import building_yaml, household_demand_factor, lift_speed_mps, mixed_podium, pump_motor_kw, \
    residential_tower
from twin.graph import build_graph, unreachable_spaces
from twin.loader import SAMPLES_DIR, load_building, parse_building
from twin.samples.make_samples import SAMPLES, write_samples

SAMPLE_NAMES = ("tower", "podium")


@pytest.fixture(scope="module")
def samples():
    return {name: load_building(name) for name in SAMPLE_NAMES}


@pytest.fixture(scope="module")
def graphs(samples):
    return {name: build_graph(b) for name, b in samples.items()}


def _above_ground(building) -> list[str]:
    return [f.id for f in building.floors if f.elevation_m >= 0]


# --- The tower ------------------------------------------------------------------------------------

def test_tower_is_a_30_storey_block_of_about_3000_residents(samples, graphs) -> None:
    tower = samples["tower"]
    assert tower.use == "residential"
    assert 28 <= len(_above_ground(tower)) <= 32
    assert 2850 <= tower.total_occupants <= 3150
    apartments = [s for s in tower.spaces if s.kind == "apartment"]
    per_floor = Counter(s.floor for s in apartments)
    assert set(per_floor.values()) == {32}  # 8 apartments × 4 cores on every residential floor
    mean = sum(s.occupant_count for s in apartments) / len(apartments)
    assert 3.0 <= mean <= 3.4
    assert all(1 <= s.occupant_count <= 8 for s in apartments)
    assert 1500 <= graphs["tower"].number_of_nodes() <= 2500


def test_tower_cores_have_two_stairs_and_lifts_from_the_lowest_basement_to_the_top(samples) -> None:
    tower = samples["tower"]
    bottom, top = tower.floors[0].id, tower.floors[-1].id
    assert bottom == "B2" and top == "F30"
    assert len(tower.stairs) == 8
    for stair in tower.stairs:
        floors = [tower.space_by_id[s].floor for s in stair.landings]
        assert floors == [f.id for f in tower.floors] and stair.pressurised
    assert len(tower.elevators) == 4
    for group in tower.elevators:
        assert len(group.cars) == 4
        assert sum(c.fire_service for c in group.cars) == 1
        for car in group.cars:
            assert car.capacity_persons == 13 and car.capacity_kg == 1000 and car.rated_speed_mps == 2.5
            assert car.floors_served[0] == bottom and car.floors_served[-1] == top


def test_tower_ground_floor_and_basements(samples) -> None:
    tower = samples["tower"]
    ground = {s.kind for s in tower.spaces if s.floor == "F01"}
    assert {"lobby", "management_office", "stair", "lift_lobby"} <= ground
    lobbies = [s.id for s in tower.spaces if s.floor == "F01" and s.kind == "lobby"]
    exit_doors = {d.between[0] for d in tower.doors if d.between[1] in tower.exit_by_id}
    assert set(lobbies) <= exit_doors  # every entrance lobby has a final exit
    names = {s.name for s in tower.spaces if s.floor.startswith("B")}
    for room in ("Pump room", "Substation", "Water tank room", "Generator room"):
        assert any(n.startswith(room) for n in names), room
    assert any(s.kind == "car_park" for s in tower.spaces if s.floor == "B1")


# --- The podium -----------------------------------------------------------------------------------

def test_podium_has_shops_offices_and_an_atrium_on_every_floor(samples) -> None:
    podium = samples["podium"]
    assert podium.use == "mixed"
    above = _above_ground(podium)
    assert 4 <= len(above) <= 6
    for f in above:
        atria = [s for s in podium.spaces if s.floor == f and s.kind == "atrium"]
        assert len(atria) == 1
        openings = [d for d in podium.doors if atria[0].id in d.between and d.kind == "opening"]
        sides = {podium.space_by_id[next(x for x in d.between if x != atria[0].id)].kind for d in openings}
        assert len(openings) >= 4 and sides == {"corridor"}
    kinds_by_floor = {f: {s.kind for s in podium.spaces if s.floor == f} for f in above}
    assert "shop" in kinds_by_floor["F01"] and "shop" in kinds_by_floor["F02"]
    assert all("office" in kinds_by_floor[f] for f in above[2:])
    loads = {s.kind: s.m2_per_person for s in podium.spaces if s.m2_per_person}
    assert 3 <= loads["shop"] <= 5 and loads["office"] == 10
    assert podium.total_occupants > 1000


def test_podium_stairs_lifts_basements_and_exits(samples) -> None:
    podium = samples["podium"]
    assert len(podium.stairs) >= 3
    (group,) = podium.elevators
    assert len(group.cars) == 5 and sum(c.fire_service for c in group.cars) == 1
    basements = [f for f in podium.floors if f.elevation_m < 0]
    assert 1 <= len(basements) <= 2
    assert any(s.kind == "car_park" for s in podium.spaces if s.floor == basements[0].id)
    assert len(podium.exits) >= 4


# --- Both samples ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_space_reaches_an_exit_on_foot(name, graphs) -> None:
    assert unreachable_spaces(graphs[name]) == []


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_door_sits_on_the_wall_its_rooms_share(name, samples, graphs) -> None:
    """The graph places a door on the shared wall only when the two rectangles touch exactly."""
    b, g = samples[name], graphs[name]
    for door in b.doors:
        a, c = door.between
        if a in b.exit_by_id or c in b.exit_by_id:
            continue
        x, y = g.edges[a, c, door.id]["door_pos"]
        for space in (a, c):
            r = b.space_by_id[space].rect
            assert r.x_m <= x <= r.x_m + r.width_m and r.y_m <= y <= r.y_m + r.depth_m, (door.id, space)
            assert x in (r.x_m, r.x_m + r.width_m) or y in (r.y_m, r.y_m + r.depth_m), (door.id, space)


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_equipment_of_every_system(name, samples) -> None:
    b = samples[name]
    kinds = {(e.system, e.kind) for e in b.equipment}
    pumps = {k for s, k in kinds if s == "pump"}
    assert any("domestic" in k for k in pumps)
    assert {"fire_hydrant_pump", "fire_sprinkler_pump", "fire_jockey_pump"} <= pumps
    power = {k for s, k in kinds if s == "power"}
    assert "transformer" in power and any("switchgear" in k for k in power)
    assert any(s == "hvac" and "air_handling" in k for s, k in kinds)
    assert any(s == "lighting" for s, _ in kinds)
    meters = {k for s, k in kinds if s == "meter"}
    assert any("electricity" in k for k in meters) and any("water" in k for k in meters)
    assert b.equipment_by_id["TX-1"].rated["rating_kva"] >= 500
    for group in b.elevators:
        assert any(car.fire_service for car in group.cars)
    assert not set(b.car_by_id) & set(b.equipment_by_id)
    for e in b.equipment:
        assert e.position is not None and e.location in b.space_by_id


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_fire_panel_has_one_zone_per_floor_listing_its_spaces(name, samples) -> None:
    b = samples[name]
    (panel,) = [e for e in b.equipment if e.kind == "fire_alarm_panel"]
    assert panel.system == "fire"
    assert [z.floor for z in panel.zones] == [f.id for f in b.floors]
    for zone in panel.zones:
        assert set(zone.spaces) == {s.id for s in b.spaces if s.floor == zone.floor}


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_feeds_carry_power_from_the_transformers_to_every_load(name, samples) -> None:
    """Transformer → switchgear → sub-meter → pumps, lift cars, AHUs, lighting; generator → ATS → life safety."""
    b = samples[name]
    feeds = nx.DiGraph()
    for e in b.equipment:
        feeds.add_edges_from((e.id, f) for f in e.feeds)
    powered = set().union(*(nx.descendants(feeds, tx) for tx in ("TX-1", "TX-2")))
    loads = [e.id for e in b.equipment if e.system in ("pump", "lighting") or e.kind == "air_handling_unit"]
    assert set(loads) | set(b.car_by_id) <= powered
    on_generator = nx.descendants(feeds, "GEN-1")
    fire_lifts = {c.id for g in b.elevators for c in g.cars if c.fire_service}
    assert fire_lifts | {"PMP-FH-1", "PMP-SPR-1", "FAP-1"} <= on_generator
    assert "MTR-W-MAIN" in nx.ancestors(feeds, "PMP-FH-1")  # water: main meter → fire tank → fire pumps


# --- The generator --------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, kwargs", [
    (residential_tower, dict(building_id="t", floors=12, cores=2, lifts_per_core=3, basement_levels=1)),
    (mixed_podium, dict(building_id="p", floors=4, basement_levels=1)),
])
def test_same_seed_same_building_other_seed_another(fn, kwargs) -> None:
    first = fn(**kwargs, seed=7)
    assert fn(**kwargs, seed=7) == first
    assert fn(**kwargs, seed=8) != first


@pytest.mark.parametrize("floors, cores, units, lifts, stairs, basements", [
    (2, 1, 2, 1, 1, 1),
    (12, 1, 7, 2, 2, 3),
    (34, 2, 22, 5, 2, 1),
    (45, 1, 6, 8, 2, 4),  # over 100 m: refuge floors
])
def test_generated_towers_load_and_evacuate(floors, cores, units, lifts, stairs, basements) -> None:
    data = residential_tower(building_id="t", floors=floors, cores=cores, units_per_floor=units,
                             lifts_per_core=lifts, stairs_per_core=stairs, basement_levels=basements, seed=1)
    b = parse_building(data)
    assert any(s.kind == "apartment" for s in b.spaces)
    if b.floors[-1].elevation_m + b.floors[-1].height_m > 100:
        assert any("refuge" in (s.name or "") for s in b.spaces)


@pytest.mark.parametrize("floors, retail, basements, lifts, length_m, depth_m", [
    (2, 1, 1, 1, 60.0, 50.0), (6, 2, 3, 6, 120.0, 60.0), (10, 3, 2, 4, 84.0, 52.0),
])
def test_generated_podiums_load_and_evacuate(floors, retail, basements, lifts, length_m, depth_m) -> None:
    parse_building(mixed_podium(building_id="p", floors=floors, retail_floors=retail, basement_levels=basements,
                                passenger_lifts=lifts, length_m=length_m, depth_m=depth_m, seed=2))


@pytest.mark.parametrize("fn, kwargs, words", [
    (residential_tower, dict(floors=1), "floors"),
    (residential_tower, dict(cores=2, units_per_floor=30), "units_per_floor"),
    (residential_tower, dict(stairs_per_core=3), "stairs_per_core"),
    (residential_tower, dict(basement_levels=0), "basement_levels"),
    (mixed_podium, dict(retail_floors=7), "retail_floors"),
    (mixed_podium, dict(depth_m=30.0), "depth_m"),
])
def test_impossible_parameters_are_refused_by_name(fn, kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        fn(building_id="x", **kwargs)


def test_design_rules() -> None:
    assert lift_speed_mps(96.3) == 2.5 and lift_speed_mps(30.0) == 1.5
    # 72 m³/h against 159 m at 70 %: 44.6 kW on the shaft, 49 kW with margin → a 55 kW motor.
    assert pump_motor_kw(72.0, 158.9, 0.7) == 55
    assert household_demand_factor(1) == 0.9 and household_demand_factor(1000) == 0.26
    factors = [household_demand_factor(n) for n in (1, 8, 50, 280)]
    assert factors == sorted(factors, reverse=True)


def test_yaml_round_trips_and_keeps_one_space_per_line() -> None:
    data = mixed_podium(building_id="p", floors=3, basement_levels=1, seed=3)
    text = building_yaml(data, "a header\nin two lines")
    assert text.startswith("# a header\n# in two lines\n")
    assert yaml.safe_load(text) == data
    spaces = text.split("\nspaces:\n", 1)[1].split("\ndoors:\n", 1)[0].splitlines()
    assert len(spaces) == len(data["spaces"]) and all(line.startswith("- {id: ") for line in spaces)
    assert "&id" not in text  # no YAML anchors


# --- The shipped files ----------------------------------------------------------------------------

def test_make_samples_reproduces_the_shipped_files_byte_for_byte(tmp_path) -> None:
    written = write_samples(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{n}.yaml" for n in SAMPLES)
    for path in written:
        shipped = SAMPLES_DIR / path.name
        assert path.read_bytes() == shipped.read_bytes(), f"{shipped} is stale; run python -m twin.samples.make_samples"


@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_shipped_file_says_how_it_was_made(name) -> None:
    head = (SAMPLES_DIR / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[:8]
    assert head[0].startswith("#") and any("python -m twin.samples.make_samples" in line for line in head)
    fn, kwargs, _ = SAMPLES[name]
    text = " ".join(line.lstrip("# ") for line in head)
    assert f"{fn.__name__}(" in text and f"seed={kwargs['seed']}" in text


def test_sample_parameters_cover_every_argument() -> None:
    """The header names the whole call: every generator parameter is given explicitly."""
    import inspect

    for fn, kwargs, _ in SAMPLES.values():
        assert set(inspect.signature(fn).parameters) == set(kwargs)


def test_sample_ids_are_unique_across_kinds(samples) -> None:
    for b in samples.values():
        ids = [x.id for x in itertools.chain(b.floors, b.spaces, b.doors, b.stairs, b.equipment, b.exits)]
        ids += [g.id for g in b.elevators] + list(b.car_by_id)
        assert len(ids) == len(set(ids))
