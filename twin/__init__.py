"""What the building is (spec, floor graph) and, in ``twin.live``, what it is doing now."""

from twin.errors import SpecError, SpecIssue
from twin.graph import build_graph
from twin.loader import load_building, parse_building, sample_names
from twin.spec import Building

__all__ = ["Building", "SpecError", "SpecIssue", "build_graph", "load_building", "parse_building", "sample_names"]
