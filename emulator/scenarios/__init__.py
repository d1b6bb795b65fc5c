"""Scenarios: failures, delays, faults, lifecycle scripts and rate limits, as validated data."""

from __future__ import annotations

from ._source import ScenarioError as ScenarioError
from .builder import ScenarioBuilder as ScenarioBuilder
from .builder import lognormal as lognormal
from .builder import scenario as scenario
from .builder import uniform as uniform
from .dsl import Scenario as Scenario
from .dsl import parse_scenario as parse_scenario
from .dsl import parse_yaml as parse_yaml
from .engine import ScenarioEngine as ScenarioEngine
from .library import LibraryEntry as LibraryEntry
from .library import check_files as check_files
from .library import find_scenario as find_scenario
from .library import list_library as list_library
from .library import load_scenario as load_scenario

__all__ = [
    "LibraryEntry",
    "Scenario",
    "ScenarioBuilder",
    "ScenarioEngine",
    "ScenarioError",
    "check_files",
    "find_scenario",
    "list_library",
    "load_scenario",
    "lognormal",
    "parse_scenario",
    "parse_yaml",
    "scenario",
    "uniform",
]
