"""The loader refuses what would make a few hundred bytes of YAML cost minutes and gigabytes, and
error messages stay short whatever value they name; a building says how many people fit in it.

Issue 10 item 2: a "billion laughs" document — nine anchors, each a list of nine aliases of the one
before — is 400 bytes of text and 9^9 values once built; printing one of those values in an error
message held the server for minutes. Hardened YAML loaders count the values aliases repeat while
composing and stop at a bound; so does ours (:data:`twin.loader.MAX_ALIAS_NODES`), before anything
is built. Issue 10 item 8: a space's occupants are bounded by the SFPE jam density at load time.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from scenarios.spec import scenario_and_model
from twin.errors import SpecError, format_value
from twin.loader import (MAX_ALIAS_NODES, MAX_DEPTH, MAX_OCCUPANT_DENSITY_PPM2, check_nesting, load_building,
                         parse_building, parse_yaml_text, read_yaml)

DATA = Path(__file__).parent / "data"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb as a scenario document: ``width ** levels`` values from ~400 bytes."""
    lines = ["name: bomb", "model: repair_desk", "building: tower",
             "a: &a [" + ", ".join(['"lol"'] * width) + "]"]
    prev = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_the_alias_bound():
    """Issue 10 item 2: the 9^9 alias bomb is a YAML error naming the alias bound, file and line
    (before the fix it parsed, and any message quoting it never finished)."""
    text = alias_bomb()
    assert len(text.encode()) < 500
    with pytest.raises(SpecError) as info:
        parse_yaml_text(text, "bomb.yaml")
    [issue] = info.value.issues
    assert issue.file == "bomb.yaml" and issue.path.startswith("line ")
    assert "alias" in issue.message and str(MAX_ALIAS_NODES) in issue.message


def test_a_value_containing_itself_is_refused():
    """Issue 10 item 2: a recursive alias is no building or scenario; it is refused at its line."""
    with pytest.raises(SpecError, match="contains it") as info:
        parse_yaml_text("name: x\nparams: &p {again: *p}\n", "loop.yaml")
    assert info.value.issues[0].path == "line 2, column 9"


@pytest.mark.parametrize("text", ["- " * (MAX_DEPTH + 5) + "1\n", "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)])
def test_nesting_is_bounded(text):
    """Issue 10 item 2: the depth of a document is bounded (libyaml alone allows 1000 levels, and the
    copies and validation after it recurse)."""
    with pytest.raises(SpecError, match=f"more than {MAX_DEPTH} levels"):
        parse_yaml_text(text, "deep.yaml")


def test_nesting_of_a_json_document_is_bounded():
    """Issue 10 item 2: a posted JSON document has no aliases, but its depth is bounded the same way."""
    doc: dict = {"name": "x"}
    node = doc
    for _ in range(MAX_DEPTH + 5):
        node["deeper"] = {}
        node = node["deeper"]
    with pytest.raises(SpecError, match="levels deep") as info:
        check_nesting(doc, "posted.yaml")
    assert info.value.issues[0].path.startswith("deeper.deeper")
    check_nesting({"params": {"events": [{"at_s": 1, "space": "A"}]}}, "ok.yaml")


def test_ordinary_aliases_and_merges_still_load():
    """Aliases as people use them (a shared list, ``<<: *defaults``) are well within the bound."""
    spaces = "\n".join(f"  - {{<<: *office, id: S{i}}}" for i in range(2000))
    data = parse_yaml_text(f"office: &office {{kind: office, floor: F1, m2_per_person: 10}}\nspaces:\n{spaces}\n")
    assert len(data["spaces"]) == 2000 and data["spaces"][1999] == {"kind": "office", "floor": "F1",
                                                                    "m2_per_person": 10, "id": "S1999"}
    building = load_building(DATA / "evac" / "small_tower.yaml")  # shares floors_served through an alias
    assert building.spaces


class _CountingLeaf:
    """A leaf that counts how often an error message renders it."""

    calls = 0

    def __repr__(self) -> str:
        _CountingLeaf.calls += 1
        return "leaf"


def _shared_tree(levels: int, width: int = 9) -> list:
    """What a YAML alias chain builds: each level one list holding the level below ``width`` times."""
    node: list = [_CountingLeaf()] * width
    for _ in range(levels - 1):
        node = [node] * width
    return node


def test_format_value_renders_a_bounded_part_of_a_huge_value():
    """Issue 10 item 2: an error message looks at a few items of a few levels, however many values
    a shared structure holds (before the fix, ``repr()`` visited all 9^4 leaves here, and 9^9 in
    the bomb)."""
    _CountingLeaf.calls = 0
    text = format_value(_shared_tree(4))
    assert len(text) <= 60 and text.endswith("...")
    assert _CountingLeaf.calls <= 6 ** 3
    assert len(format_value("x" * 10_000_000)) == 60
    assert format_value("\x1b[31mred\n") == repr("\x1b[31mred\n")  # escaped, not passed through
    assert "digits" in format_value(10 ** 4000)  # repr() itself refuses integers this long


def test_validation_messages_are_bounded_for_huge_inputs():
    """Issue 10 item 2: pydantic's ``input_value`` quoted in a field error is rendered bounded too."""
    _CountingLeaf.calls = 0
    doc = {"name": "x", "model": "repair_desk", "building": "tower", "unknown": _shared_tree(5),
           "replications": _shared_tree(5)}
    with pytest.raises(SpecError) as info:
        scenario_and_model(doc, "huge.yaml")
    assert {i.path for i in info.value.issues} >= {"unknown", "replications"}
    assert all(len(i.message) < 400 for i in info.value.issues)
    assert _CountingLeaf.calls <= 2 * 6 ** 3


# --- issue 10 item 8: how many people a space holds --------------------------------------------

def _two_storey() -> dict:
    return copy.deepcopy(read_yaml(DATA / "two_storey.yaml"))


def test_a_billion_occupants_in_a_space_is_an_error_naming_the_field():
    """Issue 10 item 8: 10^9 occupants in one space is refused when the building is loaded, naming
    the space's field, its density and the bound (the SFPE jam density, 1/0.266 persons/m²)."""
    data = _two_storey()
    space = data["spaces"][0]
    space.pop("m2_per_person", None)
    space["occupants"] = 10 ** 9
    with pytest.raises(SpecError) as info:
        parse_building(data, "two_storey.yaml")
    [issue] = info.value.issues
    assert issue.path == f"spaces[0] '{space['id']}'.occupants"
    assert "1000000000 persons" in issue.message and "per m²" in issue.message
    assert f"{MAX_OCCUPANT_DENSITY_PPM2:.2f}" in issue.message


def test_a_design_load_denser_than_people_can_stand_is_an_error():
    """Issue 10 item 8: ``m2_per_person`` below 1/jam density (0.266 m² per person) is refused."""
    data = _two_storey()
    i, space = next((i, s) for i, s in enumerate(data["spaces"]) if s.get("m2_per_person"))
    space["m2_per_person"] = 0.01
    with pytest.raises(SpecError) as info:
        parse_building(data, "two_storey.yaml")
    assert [issue.path for issue in info.value.issues] == [f"spaces[{i}] '{space['id']}'.m2_per_person"]


def test_a_space_at_the_density_bound_loads():
    """The bound is the jam density itself: as many people as fit (rounded down) are accepted."""
    data = _two_storey()
    building = parse_building(data, "two_storey.yaml")
    area = building.spaces[0].floor_area_m2
    data["spaces"][0].pop("m2_per_person", None)
    data["spaces"][0]["occupants"] = int(area * MAX_OCCUPANT_DENSITY_PPM2)
    assert parse_building(data, "two_storey.yaml").spaces[0].occupants == int(area * MAX_OCCUPANT_DENSITY_PPM2)


def test_shipped_and_test_buildings_are_within_the_density_bound():
    """Every building file shipped or used by the tests still loads."""
    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "twin" / "samples").glob("*.yaml")) + [
        DATA / "two_storey.yaml", DATA / "evac" / "small_tower.yaml",
        root / "tests" / "api" / "data" / "small_tower.yaml"]
    for path in files:
        building = load_building(path)
        assert all(s.occupant_count <= s.floor_area_m2 * MAX_OCCUPANT_DENSITY_PPM2 for s in building.spaces)


def test_an_empty_tagged_number_is_a_clear_error() -> None:
    """Found by the damaged-bytes property test: PyYAML reads `!!int ''` by its first character and
    raised IndexError (a traceback); it is a YAML error naming the line and the value."""
    with pytest.raises(SpecError) as err:
        parse_yaml_text("width_m: !!int ''\n", "odd.yaml")
    assert str(err.value).startswith("odd.yaml: line 1, column 10: YAML error: cannot read '' as int")
