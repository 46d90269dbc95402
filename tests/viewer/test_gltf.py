"""viewer/gltf.py: the building scene as one binary glTF for the browser (issue 15, section 1).

What is verified, on the viewer test block and the sample tower:

1. every equipment item, lift car, space and door of the building is exactly one node, found by
   its id, whose ``extras`` carry ``id``, ``kind``, ``floor`` and ``name`` — the floor being the
   storey of its space (equipment: of its location; a lift car: of its home floor);
2. every node sits under its storey's node (lift cars under the building), so hiding a storey node
   hides what is on it;
3. the file is well-formed glTF 2.0 binary: chunks, every accessor inside the buffer, indices
   inside their vertex count, POSITION min/max equal to the data; equipment glyphs stand at
   :func:`viewer.scene.equipment_anchor` (in glTF axes) and share one mesh per system;
4. it is made once per building spec (the cache returns the same bytes; a changed spec, new ones).
"""

from __future__ import annotations

import numpy as np
import pytest

from viewer.gltf import OBJECT_KINDS, building_glb, read_glb, scene_glb, to_gltf_axes
from viewer.scene import equipment_anchor

_COMPONENTS = {5126: np.float32, 5123: np.uint16, 5125: np.uint32}
_WIDTH = {"SCALAR": 1, "VEC3": 3}


@pytest.fixture(scope="module")
def tower():
    from twin.loader import load_building

    return load_building("tower")


def _objects(doc: dict) -> dict[str, dict]:
    out = {}
    for i, node in enumerate(doc["nodes"]):
        extras = node.get("extras") or {}
        if extras.get("kind") in OBJECT_KINDS:
            assert extras["id"] not in out, f"two nodes for {extras['id']}"
            out[extras["id"]] = {**node, "index": i}
    return out


def _expected(building) -> dict[str, tuple[str, str]]:
    """id -> (kind, floor) for every object the building file declares."""
    space_floor = {s.id: s.floor for s in building.spaces}
    want = {s.id: ("space", s.floor) for s in building.spaces}
    want |= {e.id: ("equipment", space_floor[e.location]) for e in building.equipment}
    for group in building.elevators:
        for car in group.cars:
            want[car.id] = ("lift_car", car.home_floor or car.floors_served[0])
    for door in building.doors:
        side = next(s for s in door.between if s in space_floor)
        want[door.id] = ("door", space_floor[side])
    return want


@pytest.mark.parametrize("which", ["block", "tower"])
def test_every_object_is_one_named_node_with_its_extras(which, block, tower):
    """Items 1 and 2: node count and ids match the building; extras carry id, kind, floor, name."""
    building = block if which == "block" else tower
    doc, _ = read_glb(building_glb(building)[0])
    objects = _objects(doc)
    want = _expected(building)
    assert set(objects) == set(want), (sorted(set(want) - set(objects))[:10], sorted(set(objects) - set(want))[:10])
    for ident, (kind, floor) in want.items():
        extras = objects[ident]["extras"]
        assert (extras["id"], extras["kind"], extras["floor"]) == (ident, kind, floor), extras
        assert extras["name"], extras
        assert objects[ident]["name"] == ident
    # Each storey node holds its own objects; lift cars hang from the building node.
    parent = {c: i for i, n in enumerate(doc["nodes"]) for c in n.get("children", [])}
    for ident, node in objects.items():
        owner = doc["nodes"][parent[node["index"]]]["extras"]
        if node["extras"]["kind"] == "lift_car":
            assert owner["kind"] == "building"
        else:
            assert (owner["kind"], owner["id"]) == ("floor", node["extras"]["floor"]), (ident, owner)
    storeys = [f["id"] for f in doc["scenes"][0]["extras"]["floors"]]
    assert storeys == [f.id for f in sorted(building.floors, key=lambda f: f.elevation_m)]
    assert all(set(f["label"]) == {"en", "zh-CN"} for f in doc["scenes"][0]["extras"]["floors"])


def test_file_is_well_formed_gltf_and_glyphs_stand_at_their_anchor(block):
    """Item 3: accessors inside the buffer, indices in range, POSITION bounds exact; glyph
    placement equals equipment_anchor in glTF axes (x, z, -y); one mesh per glyph shape."""
    data = scene_glb(block)
    doc, binary = read_glb(data)
    assert doc["asset"]["version"] == "2.0" and doc["buffers"][0]["byteLength"] == len(binary)
    arrays = []
    for acc in doc["accessors"]:
        view = doc["bufferViews"][acc["bufferView"]]
        dtype = _COMPONENTS[acc["componentType"]]
        n = acc["count"] * _WIDTH[acc["type"]]
        assert view["byteOffset"] % 4 == 0 and view["byteOffset"] + view["byteLength"] <= len(binary)
        assert n * np.dtype(dtype).itemsize == view["byteLength"]
        arrays.append(np.frombuffer(binary, dtype, n, view["byteOffset"]).reshape(acc["count"], -1))
    for mesh in doc["meshes"]:
        for prim in mesh["primitives"]:
            pos = arrays[prim["attributes"]["POSITION"]]
            acc = doc["accessors"][prim["attributes"]["POSITION"]]
            np.testing.assert_array_equal(pos.min(axis=0), np.float32(acc["min"]))
            np.testing.assert_array_equal(pos.max(axis=0), np.float32(acc["max"]))
            idx = arrays[prim["indices"]].ravel()
            assert idx.max() < len(pos) and len(idx) % (3 if prim["mode"] == 4 else 2) == 0
    objects = _objects(doc)
    for eq in block.equipment:
        np.testing.assert_allclose(objects[eq.id]["translation"], to_gltf_axes(equipment_anchor(block, eq))[0],
                                   atol=1e-5)
    pumps = [objects[e.id]["mesh"] for e in block.equipment if e.system == "pump"]
    assert len(pumps) == 2 and len(set(pumps)) == 1


def test_made_once_per_building_spec(block):
    """Item 4: the same spec gives the cached bytes; a changed spec gives a new file."""
    first, fp1 = building_glb(block)
    again, fp2 = building_glb(block)
    assert again is first and fp1 == fp2
    renamed = block.model_copy(update={"name": block.name + " (renamed)"})
    other, fp3 = building_glb(renamed)
    assert fp3 != fp1 and other is not first
