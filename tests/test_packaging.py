"""Layout and packaging: one distribution, five packages, one command."""

from __future__ import annotations

import importlib
import importlib.util
import importlib.metadata
import tomllib

import pytest

from tests.conftest import REPO

PACKAGES = ["twin", "models", "scenarios", "viewer", "api"]


@pytest.mark.parametrize("name", PACKAGES)
def test_import_name_resolves_to_this_repository(name: str) -> None:
    """`models`, `api` and `scenarios` are also shipped by other distributions: ours must win."""
    module = importlib.import_module(name)
    assert module.__file__ is not None
    path = importlib.util.find_spec(name).submodule_search_locations[0]
    assert path == str(REPO / name), path


def test_pyproject_lists_the_five_packages_and_the_command() -> None:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "building-twin"
    top = {p.split(".")[0] for p in meta["tool"]["setuptools"]["packages"]}
    assert top == set(PACKAGES)
    assert meta["project"]["scripts"] == {"twin": "api:main"}
    for dep in meta["project"]["dependencies"] + meta["project"]["optional-dependencies"]["test"]:
        assert ">=" in dep and "<" in dep, f"dependency without version bounds: {dep}"


def test_console_script_installed() -> None:
    eps = importlib.metadata.entry_points(group="console_scripts")
    assert any(ep.name == "twin" and ep.value == "api:main" for ep in eps)


@pytest.mark.parametrize("name", PACKAGES)
def test_public_surface_declared(name: str) -> None:
    assert isinstance(importlib.import_module(name).__all__, list)
