"""What the building is (spec, floor graph) and, in ``twin.live``, what it is doing now."""

from twin.errors import SpecError, SpecIssue

__all__ = ["Building", "SpecError", "SpecIssue", "build_graph", "load_building", "parse_building", "sample_names"]

# The spec, the loader and the graph (pydantic, networkx) load on first use: a module that needs
# only ``twin.errors`` or ``twin.text`` (and ``twin --help``) does not pay for them.
_LAZY = {"Building": "twin.spec", "build_graph": "twin.graph", "load_building": "twin.loader",
         "parse_building": "twin.loader", "sample_names": "twin.loader"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'twin' has no attribute {name!r}")
