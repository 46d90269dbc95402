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


def test_every_folder_of_the_packages_is_declared_with_its_data() -> None:
    """issue 11 item 6.5: no packaging warnings from `pip install` — every folder installed with the
    packages is in `packages` (setuptools warns of a folder it would otherwise drop, such as
    viewer/templates) and each data file is matched by `package-data`; the license is an SPDX string."""
    import fnmatch
    import subprocess

    meta = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert isinstance(meta["project"]["license"], str)  # a TOML table is deprecated (setuptools >= 77)
    packages = set(meta["tool"]["setuptools"]["packages"])
    data = meta["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(["git", "ls-files", *PACKAGES], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    for path in tracked:
        folder, _, name = path.rpartition("/")
        package = folder.replace("/", ".")
        assert package in packages, f"{folder}/ holds {name} but {package!r} is not in [tool.setuptools] packages"
        if not name.endswith(".py"):
            patterns = data.get(package, [])
            assert any(fnmatch.fnmatch(name, p) for p in patterns), f"{path} is not in package-data of {package!r}"
