"""Loading building files: YAML in, a checked :class:`~twin.spec.Building` out, or a clear error.

One loader for one kind of input (as JuPedSim normalises its geometry in one place): read the
YAML, check each field's type and range with pydantic, then check what needs the whole document —
ids are unique, every id referred to exists, doors join spaces on one floor, stairs climb through
stair landings, no space holds more people than can stand in it, and every space reaches a final
exit on foot — and the geometry and physics of :mod:`twin.checks` (doors on walls their spaces
share, stairs floor by floor, plausible numbers, no overlaps, no feed cycles). All problems found
are reported together, each naming the file, the field path and the offending value or id: an
item whose fields are invalid is left out and everything else is still checked. Errors refuse the
file; warnings (a mistake that may be intended) travel with the building, ``Building.load_warnings``.

A building file may come from anyone who can send one, so the YAML itself is bounded before it is
built: its size, its nesting, and how much its aliases may repeat (a few hundred bytes of nested
aliases would otherwise become a billion values).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from twin.checks import BuildingWarning, find_problems, with_unit
from twin.graph import build_graph, unreachable_spaces
from twin.errors import SpecError, SpecIssue, format_path, format_text, format_value, issues_from_validation_error
from twin.spec import Building

__all__ = ["read_yaml", "parse_yaml_text", "parse_building", "check_building", "check_building_document",
           "BuildingReport", "load_building", "sample_names",
           "sample_path", "confined_path", "confined_file", "check_nesting", "SAMPLES_DIR", "MAX_ALIAS_NODES",
           "MAX_DEPTH", "MAX_OCCUPANT_DENSITY_PPM2"]

SAMPLES_DIR = Path(__file__).parent / "samples"
MAX_FILE_BYTES = 50 * 1024 * 1024
# A YAML alias repeats a value without repeating its text: nine lines of nine aliases each make a
# list of 9^9 items ("billion laughs"). A document may reach at most this many values again
# through aliases (a building that merges ``<<: *office`` into every space uses a few thousand).
MAX_ALIAS_NODES = 100_000
# Nesting deeper than this is no building or scenario (they nest about eight levels).
MAX_DEPTH = 100
_SAMPLE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The SFPE jam density, 1/a with a = 0.266 m² per person (SFPE Handbook, egress chapter; the same
# figure bounds the evacuation model's spaces): at it walking speed is zero. No design load comes
# near it (the densest, standing spectators, is 0.3 m² per person); a space loaded beyond it is a
# typing mistake, and 10^9 occupants would cost a simulation hours and gigabytes.
MAX_OCCUPANT_DENSITY_PPM2 = 1 / 0.266


def sample_names() -> list[str]:
    """Names of the sample buildings shipped with the package."""
    return sorted(p.stem for p in SAMPLES_DIR.glob("*.yaml"))


def sample_path(name: str) -> Path | None:
    """The file of the shipped sample ``name`` (a plain name, never a path), or None."""
    if not isinstance(name, str) or not _SAMPLE_NAME.fullmatch(name):
        return None
    path = SAMPLES_DIR / f"{name}.yaml"
    return path if path.is_file() else None


def confined_path(path: Path, roots: Sequence[Path]) -> Path | None:
    """``path`` with its symbolic links resolved if it lies inside one of ``roots``, else None.

    Decided from the resolved names alone: nothing is opened, and the answer is the same whether
    or not a file outside the roots exists.
    """
    try:
        real = path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return None
    for root in roots:
        try:
            if real.is_relative_to(root.resolve()):
                return real
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def confined_file(path: Path, roots: Sequence[Path]) -> Path | None:
    """:func:`confined_path` if that is a regular file (a name too long for the file system, or
    one with a NUL byte, is no file), else None. Only a path inside ``roots`` is looked at."""
    inside = confined_path(path, roots)
    try:
        return inside if inside is not None and inside.is_file() else None
    except (OSError, ValueError):
        return None


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file, raising :class:`SpecError` (file, line, column) for unreadable input."""
    path = Path(path)
    name = path.name
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SpecError.single(name, "(file)", f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SpecError.single(str(path), "(file)", "no such file") from None
    except IsADirectoryError:
        raise SpecError.single(str(path), "(file)", "is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise SpecError.single(name, "(file)", f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise SpecError.single(str(path), "(file)", f"cannot be read: {exc.strerror}") from None
    return parse_yaml_text(text, name)


def parse_yaml_text(text: str, name: str = "<text>") -> Any:
    """Parse YAML text with the strict safe loader; errors name ``name``, line and column.

    The document is bounded before anything is built from it: its size (:data:`MAX_FILE_BYTES`),
    its nesting (:data:`MAX_DEPTH`) and how many values its aliases repeat (:data:`MAX_ALIAS_NODES`).
    """
    if len(text) > MAX_FILE_BYTES:
        raise SpecError.single(name, "(file)", f"the document is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        return yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except _DocumentLimitError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise SpecError.single(name, where, str(exc.problem)) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise SpecError.single(name, f"line {line}, column {column}",
                               f"YAML cannot hold character {char}: {exc.reason}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = ", ".join(_one_line(p) for p in (exc.context, exc.problem) if p) or "unreadable YAML"
        kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise SpecError.single(name, where, f"{kind}: {problem}") from None
    except yaml.YAMLError as exc:
        raise SpecError.single(name, "(file)", f"YAML error: {_one_line(exc)}") from None
    except RecursionError:
        raise SpecError.single(name, "(file)", "YAML nesting too deep") from None


def check_nesting(data: Any, file: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a parsed document (YAML or JSON) nested deeper than ``max_depth`` levels, before
    anything recursive (a copy, validation) walks it. Raises :class:`SpecError` naming where."""
    stack: list[tuple[Any, tuple, int]] = [(data, (), 1)]
    seen: set[int] = set()
    while stack:
        node, loc, depth = stack.pop()
        if not isinstance(node, (dict, list)) or id(node) in seen:
            continue
        seen.add(id(node))
        if depth > max_depth:
            raise SpecError.single(file, format_path(loc[:4], data) + (" ..." if len(loc) > 4 else ""),
                                   f"values nested more than {max_depth} levels deep")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((value, loc + (key,), depth + 1) for key, value in items)


def _one_line(text: object) -> str:
    return format_text(text)


class _DocumentLimitError(yaml.MarkedYAMLError):
    """A document beyond the loader's bounds (aliases, nesting), found before it is built."""


def _check_expansion(root: yaml.Node) -> None:
    """Walk the composed document as construction would (each alias in full) and stop at the bounds.

    Composing shares one node for every use of an anchor, so composing a bomb is cheap; building
    and then printing the value is what costs. The walk counts the nodes reached a second time and
    stops after :data:`MAX_ALIAS_NODES` of them, so it is short whatever the document expands to.
    """
    seen: set[int] = set()
    on_path: set[int] = set()
    repeats = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if id(node) in on_path:
            raise _DocumentLimitError(None, None, "an alias refers to a value that contains it (a value cannot "
                                      "contain itself)", node.start_mark)
        if id(node) in seen:
            repeats += 1
            if repeats > MAX_ALIAS_NODES:
                raise _DocumentLimitError(
                    None, None, f"YAML aliases repeat more than {MAX_ALIAS_NODES} values (the alias bound): "
                    "the document would grow far beyond its text; write the values out or use fewer nested "
                    "aliases", node.start_mark)
        else:
            seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _DocumentLimitError(None, None, f"values nested more than {MAX_DEPTH} levels deep",
                                      node.start_mark)
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            continue
        on_path.add(id(node))
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(children))


# libyaml's parser when PyYAML was built with it (five times faster on a tower), else pure Python.
_BaseSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_BaseSafeLoader):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader, stricter where a person's mistake would otherwise pass or crash: a key
    given twice in one mapping (YAML forbids it; PyYAML silently keeps the last) and a scalar it
    cannot convert (``2020-13-45``, ``!!int x``, an integer of 5000 digits) are YAML errors at
    their line. A document whose aliases would repeat too many values, or that nests too deep, is
    refused before any of it is built (:func:`_check_expansion`)."""

    def get_single_node(self) -> yaml.Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
            # (IndexError: PyYAML reads `!!int ''` by its first character)
            value = format_value(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {value} as {node.tag.rsplit(':', 1)[-1]} ({exc})", node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # keys written after a merge ``<<: *base`` override it, as YAML allows
                try:
                    key = self.construct_object(key_node, deep=True)
                    hash(key)
                except TypeError:
                    continue  # the base class reports an unhashable key
                if key in first:
                    line = first[key].start_mark.line + 1
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {format_value(key)} is given twice in one mapping (first at line {line})",
                        key_node.start_mark)
                first[key] = key_node
        return super().construct_mapping(node, deep=deep)


def parse_building(data: Any, file: str = "<building>") -> Building:
    """Validate a parsed document as a building: field checks, then whole-document checks.

    Raises :class:`SpecError` with every error of the file (its ``warnings`` attribute holds the
    warnings found too); a building that loads carries its warnings in ``load_warnings``.
    """
    report = check_building_document(data, file)
    if report.errors:
        error = SpecError(report.errors)
        error.warnings = report.warnings  # type: ignore[attr-defined]
        raise error
    assert report.building is not None
    return report.building


@dataclass(frozen=True)
class BuildingReport:
    """Everything found in one building file: its errors, its warnings, and the building when it
    loads (no errors)."""

    file: str
    building: Building | None
    errors: tuple[SpecIssue, ...]
    warnings: tuple[BuildingWarning, ...]

    @property
    def valid(self) -> bool:
        return not self.errors


_ITEM_LISTS = ("floors", "spaces", "doors", "stairs", "elevators", "equipment", "exits")
_TOP_REQUIRED = {"id": "building", "name": "building"}


def _ids_in(item: Any) -> set[str]:
    """The ids an item of the document declares (a lift group's cars and a panel's zones too)."""
    found: set[str] = set()
    if isinstance(item, dict):
        if isinstance(item.get("id"), str):
            found.add(item["id"])
        for key in ("cars", "zones"):
            if isinstance(item.get(key), list):
                for sub in item[key]:
                    found |= _ids_in(sub)
    return found


def _partial_building(data: dict, exc: ValidationError) -> tuple[Building | None, frozenset[str], dict[str, list[int]]]:
    """The building without the items whose fields are invalid, the ids those items declare, and for
    each list the document's index of every item kept, so that references, geometry and numbers of
    the rest are checked in the same pass. None when what is left is no building (a list that is
    not a list, no floors left)."""
    bad: set[tuple[str, int]] = set()
    top: set[str] = set()
    for err in exc.errors(include_url=False):
        loc = err.get("loc", ())
        if len(loc) >= 2 and loc[0] in _ITEM_LISTS and isinstance(loc[1], int):
            bad.add((loc[0], loc[1]))
        elif loc:
            top.add(str(loc[0]))
    cleaned = dict(data)
    dropped: set[str] = set()
    kept: dict[str, list[int]] = {}
    for name in top:
        if name in _ITEM_LISTS:
            return None, frozenset(), {}
        if name in _TOP_REQUIRED:
            cleaned[name] = _TOP_REQUIRED[name]
        else:
            cleaned.pop(name, None)
    for name in _ITEM_LISTS:
        items = data.get(name)
        if isinstance(items, list):
            kept[name] = [i for i in range(len(items)) if (name, i) not in bad]
            cleaned[name] = [items[i] for i in kept[name]]
            for i, item in enumerate(items):
                if (name, i) in bad:
                    dropped |= _ids_in(item)
    try:
        return Building.model_validate(cleaned), frozenset(dropped), kept
    except ValidationError:
        return None, frozenset(), {}


def _field_issues(exc: ValidationError, file: str, data: Any) -> list[SpecIssue]:
    """pydantic's errors as issues, the unit a field's name declares after each number of a range."""
    out = []
    for issue in issues_from_validation_error(exc, file, data):
        field = issue.path.rsplit(".", 1)[-1] if "." in issue.path else issue.path
        out.append(SpecIssue(issue.file, issue.path, with_unit(field, issue.message)))
    return out


def check_building_document(data: Any, file: str = "<building>") -> BuildingReport:
    """Every problem of a parsed building document in one pass: field errors, and — for every item
    whose fields are valid — reference, geometry and plausibility errors and warnings."""
    if data is None:
        return BuildingReport(file, None, (SpecIssue(file, "(top level)", "the file is empty; a building file is a "
                                                     "mapping of fields"),), ())
    if not isinstance(data, dict):
        return BuildingReport(file, None, (SpecIssue(file, "(top level)", "a building file is a mapping of fields, "
                                                     f"got {type(data).__name__}"),), ())
    issues: list[SpecIssue] = []
    dropped: frozenset[str] = frozenset()
    kept: dict[str, list[int]] = {}
    try:
        building: Building | None = Building.model_validate(data)
        partial = False
    except ValidationError as exc:
        issues.extend(_field_issues(exc, file, data))
        building, dropped, kept = _partial_building(data, exc)
        partial = True
    warnings: list[BuildingWarning] = []
    if building is not None:
        checker = _Checker(building, data, file, skip_ids=dropped, partial=partial, kept=kept)
        issues.extend(checker.run())
        warnings = checker.warnings
    if issues:
        return BuildingReport(file, None, tuple(issues), tuple(warnings))
    assert building is not None
    building._load_warnings = tuple(warnings)
    return BuildingReport(file, building, (), tuple(warnings))


def load_building(ref: str | Path) -> Building:
    """Load a building from a file path or from the name of a shipped sample (``tower``)."""
    path = Path(ref)
    if not path.exists() and isinstance(ref, str) and sample_path(ref) is not None:
        path = sample_path(ref)  # type: ignore[assignment]
    elif not path.exists():
        known = ", ".join(sample_names())
        raise SpecError.single(str(ref), "(file)", f"no such file, and no sample of that name (samples: {known})")
    return parse_building(read_yaml(path), path.name)


class _Checker:
    """Whole-document checks, collecting issues with their field paths."""

    def __init__(self, building: Building, data: dict, file: str, *, skip_ids: frozenset[str] = frozenset(),
                 partial: bool = False, kept: dict[str, list[int]] | None = None):
        self.b = building
        self.data = data
        self.file = file
        self.skip = skip_ids  # ids of items left out for invalid fields: references to them are not unknown
        self.partial = partial
        self.kept = kept or {}
        self.issues: list[SpecIssue] = []
        self.warnings: list[BuildingWarning] = []

    def path(self, loc: tuple) -> str:
        """The document path of a location in the (possibly partial) building."""
        if len(loc) >= 2 and loc[0] in self.kept and isinstance(loc[1], int) and loc[1] < len(self.kept[loc[0]]):
            loc = (loc[0], self.kept[loc[0]][loc[1]], *loc[2:])
        return format_path(loc, self.data)

    def add(self, loc: tuple, message: str) -> None:
        self.issues.append(SpecIssue(self.file, self.path(loc), message))

    def unknown(self, loc: tuple, what: str, ident: str) -> None:
        """A reference to no item, unless it names an item left out for its invalid fields."""
        if ident not in self.skip:
            self.add(loc, f"unknown {what} {ident!r}")

    def ids(self) -> Iterator[tuple[tuple, str]]:
        b = self.b
        for name in ("floors", "spaces", "doors", "stairs", "equipment", "exits"):
            for i, item in enumerate(getattr(b, name)):
                yield (name, i, "id"), item.id
        for i, group in enumerate(b.elevators):
            yield ("elevators", i, "id"), group.id
            for j, car in enumerate(group.cars):
                yield ("elevators", i, "cars", j, "id"), car.id
        for i, eq in enumerate(b.equipment):
            for j, zone in enumerate(eq.zones):
                yield ("equipment", i, "zones", j, "id"), zone.id

    def unique_ids(self) -> None:
        first: dict[str, tuple] = {}
        for loc, ident in self.ids():
            if ident in first:
                self.add(loc, f"duplicate id {ident!r}: already used at {format_path(first[ident], self.data)}")
            else:
                first[ident] = loc

    def floors(self) -> None:
        b = self.b
        for i, space in enumerate(b.spaces):
            if space.floor not in b.floor_by_id:
                self.unknown(("spaces", i, "floor"), "floor", space.floor)
        for i, ex in enumerate(b.exits):
            if ex.floor not in b.floor_by_id:
                self.unknown(("exits", i, "floor"), "floor", ex.floor)
        elevations: dict[float, str] = {}
        for i, fl in enumerate(b.floors):
            if fl.elevation_m in elevations:
                self.add(("floors", i, "elevation_m"),
                         f"elevation {fl.elevation_m} m is also floor {elevations[fl.elevation_m]!r}'s")
            elevations[fl.elevation_m] = fl.id

    def _floor_of(self, ident: str) -> str | None:
        b = self.b
        if ident in b.space_by_id:
            return b.space_by_id[ident].floor
        if ident in b.exit_by_id:
            return b.exit_by_id[ident].floor
        return None

    def doors(self) -> None:
        b = self.b
        for i, door in enumerate(b.doors):
            sides = []
            for j, ident in enumerate(door.between):
                if ident not in b.space_by_id and ident not in b.exit_by_id:
                    self.unknown(("doors", i, "between"), "space", ident)
                else:
                    sides.append(ident)
            if len(sides) == 2:
                fa, fb = self._floor_of(sides[0]), self._floor_of(sides[1])
                if all(s in b.exit_by_id for s in sides):
                    self.add(("doors", i, "between"), f"joins two exits {sides[0]!r} and {sides[1]!r}")
                elif fa != fb and fa in b.floor_by_id and fb in b.floor_by_id:
                    self.add(("doors", i, "between"),
                             f"joins spaces on different floors: {sides[0]!r} on {fa!r}, {sides[1]!r} on {fb!r}")

    def stairs(self) -> None:
        b = self.b
        for i, stair in enumerate(b.stairs):
            last_elevation = None
            floors_seen: set[str] = set()
            for j, ident in enumerate(stair.landings):
                space = b.space_by_id.get(ident)
                if space is None:
                    self.unknown(("stairs", i, "landings", j), "space", ident)
                    continue
                if space.kind != "stair":
                    self.add(("stairs", i, "landings", j), f"space {ident!r} is a {space.kind!r}, not a 'stair' landing")
                floor = b.floor_by_id.get(space.floor)
                if floor is None:
                    continue
                if space.floor in floors_seen:
                    self.add(("stairs", i, "landings", j), f"two landings on floor {space.floor!r}")
                elif last_elevation is not None and floor.elevation_m <= last_elevation:
                    self.add(("stairs", i, "landings", j),
                             f"landing {ident!r} on {space.floor!r} is not above the previous one; list landings bottom to top")
                floors_seen.add(space.floor)
                last_elevation = floor.elevation_m

    def elevators(self) -> None:
        b = self.b
        for i, group in enumerate(b.elevators):
            lobby_floors: set[str] = set()
            for j, ident in enumerate(group.lobbies):
                space = b.space_by_id.get(ident)
                if space is None:
                    self.unknown(("elevators", i, "lobbies", j), "space", ident)
                elif space.floor in lobby_floors:
                    self.add(("elevators", i, "lobbies", j), f"two lobbies on floor {space.floor!r}")
                else:
                    lobby_floors.add(space.floor)
            for j, car in enumerate(group.cars):
                for k, fl in enumerate(car.floors_served):
                    if fl not in b.floor_by_id:
                        self.unknown(("elevators", i, "cars", j, "floors_served", k), "floor", fl)
                    elif fl not in lobby_floors and not any(ident in self.skip for ident in group.lobbies):
                        self.add(("elevators", i, "cars", j, "floors_served", k),
                                 f"floor {fl!r} has no lobby in group {group.id!r}")
                if car.home_floor is not None and car.home_floor not in car.floors_served:
                    self.add(("elevators", i, "cars", j, "home_floor"), f"floor {car.home_floor!r} is not served by this car")

    def equipment(self) -> None:
        b = self.b
        equipment_ids = set(b.equipment_by_id) | set(b.car_by_id)
        for i, eq in enumerate(b.equipment):
            if eq.location not in b.space_by_id:
                self.unknown(("equipment", i, "location"), "space", eq.location)
            for j, ident in enumerate(eq.feeds):
                if ident not in equipment_ids:
                    self.unknown(("equipment", i, "feeds", j), "equipment", ident)
            for j, ident in enumerate(eq.serves):
                if ident not in b.space_by_id and ident not in b.floor_by_id:
                    self.unknown(("equipment", i, "serves", j), "space or floor", ident)
            for j, zone in enumerate(eq.zones):
                if zone.floor not in b.floor_by_id:
                    self.unknown(("equipment", i, "zones", j, "floor"), "floor", zone.floor)
                for k, ident in enumerate(zone.spaces):
                    if ident not in b.space_by_id:
                        self.unknown(("equipment", i, "zones", j, "spaces", k), "space", ident)

    def occupancy(self) -> None:
        """Occupants a space can physically hold: at most :data:`MAX_OCCUPANT_DENSITY_PPM2` per m²."""
        limit = MAX_OCCUPANT_DENSITY_PPM2
        for i, space in enumerate(self.b.spaces):
            area = space.floor_area_m2
            if space.occupants is not None and area > 0 and space.occupants / area > limit:
                self.add(("spaces", i, "occupants"),
                         f"{space.occupants} persons in {area:.4g} m² is {space.occupants / area:.4g} per m², above "
                         f"the safe maximum of {limit:.2f} per m² (the SFPE jam density, at which nobody can "
                         f"walk): at most {math.floor(area * limit)} here")
            if space.m2_per_person is not None and 1 / space.m2_per_person > limit:
                self.add(("spaces", i, "m2_per_person"),
                         f"{space.m2_per_person:g} m² per person is {1 / space.m2_per_person:.4g} persons per m², "
                         f"above the safe maximum of {limit:.2f} per m² (the SFPE jam density, at which nobody "
                         f"can walk): give at least {1 / limit:.3f} m² per person")

    def reachability(self) -> None:
        # Only meaningful once every reference resolves.
        graph = build_graph(self.b)
        index = {s.id: i for i, s in enumerate(self.b.spaces)}
        for ident in unreachable_spaces(graph):
            self.add(("spaces", index[ident]), "no final exit can be reached from this space through doors and stairs")

    def run(self) -> list[SpecIssue]:
        for check in (self.unique_ids, self.floors, self.doors, self.stairs, self.elevators, self.equipment,
                      self.occupancy):
            check()
        references_resolve = not self.issues
        for finding in find_problems(self.b, partial=self.partial):
            if finding.severity == "error":
                self.add(finding.loc, finding.message)
            else:
                self.warnings.append(BuildingWarning(self.file, self.path(finding.loc), finding.name, finding.message))
        if references_resolve and not self.partial:  # the floor graph needs every reference resolved
            self.reachability()
        return self.issues


def check_building(building: Building, data: dict | None = None, file: str = "<building>") -> list[SpecIssue]:
    """Whole-document errors of a field-valid building (references, geometry, plausibility); an empty
    list means it is usable. Warnings are :func:`check_building_document`'s."""
    return _Checker(building, data or building.model_dump(), file).run()
