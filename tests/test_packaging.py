"""The lower bounds of the core dependencies are the versions CI tests."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

tomllib = pytest.importorskip("tomllib")


def _lower_bounds():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"([\w-]+)>=([\d.]+)", requirement)
        assert match, f"{requirement!r} is not of the form 'name>=version'"
        bounds[match[1]] = match[2]
    return bounds


def _pinned():
    pins = {}
    for line in (ROOT / ".ci" / "minimum-versions.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name] = version
    return pins


def test_every_core_lower_bound_is_the_version_ci_tests():
    bounds, pins = _lower_bounds(), _pinned()
    assert bounds, "no dependency read from pyproject.toml"
    assert {name: pins.get(name) for name in bounds} == bounds
