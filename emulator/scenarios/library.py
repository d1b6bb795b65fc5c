"""Scenario files: load one, check many, and the ready-made library that ships with the emulator."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._source import ScenarioError
from .dsl import Scenario, check_yaml, parse_yaml

__all__ = ["LibraryEntry", "check_files", "find_scenario", "library_dirs", "list_library", "load_scenario"]

_SUFFIXES = (".yaml", ".yml", ".json")
_PACKAGED = Path(__file__).parent / "library"  # where wheels put scenarios/ (pyproject force-include)
_CHECKOUT = Path(__file__).resolve().parents[2] / "scenarios"  # a source checkout


@dataclass(frozen=True)
class LibraryEntry:
    name: str
    description: str
    path: str


def library_dirs(extra: str | Path | None = None) -> list[Path]:
    """Where named scenarios are looked up: `extra` first, then the built-in library."""
    dirs = [Path(extra)] if extra else []
    return dirs + [d for d in (_PACKAGED, _CHECKOUT) if d.is_dir()]


_cache: dict[tuple[str, float], Scenario] = {}
_cache_lock = threading.Lock()


def load_scenario(path: str | Path) -> Scenario:
    """A scenario from a YAML (or JSON) file; a bare name such as `flaky_network` means the library's."""
    file = Path(path)
    if not file.is_file():
        if file.suffix == "" and len(file.parts) == 1:
            return find_scenario(str(path))
        raise ScenarioError("no such file", source=str(path))
    key = (str(file.resolve()), file.stat().st_mtime)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"can't read the file: {exc}", source=str(path)) from None
    scenario = parse_yaml(text, str(path))
    with _cache_lock:
        _cache[key] = scenario
    return scenario


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in _SUFFIXES and p.is_file())


def find_scenario(name: str, directory: str | Path | None = None) -> Scenario:
    """A library scenario by file stem or by its `name`. Raises ScenarioError when there is none."""
    wanted = name.replace("-", "_")
    for folder in library_dirs(directory):
        for file in _files(folder):
            if file.stem.replace("-", "_") == wanted:
                return load_scenario(file)
    for entry in list_library(directory):
        if entry.name.replace("-", "_") == wanted:
            return load_scenario(entry.path)
    known = ", ".join(e.name for e in list_library(directory)) or "none"
    raise ScenarioError(f"no scenario named {name!r} (library: {known})", source=name)


def list_library(directory: str | Path | None = None) -> list[LibraryEntry]:
    """Every scenario in the library (and in `directory`), by name, with its description."""
    entries: dict[str, LibraryEntry] = {}
    for folder in library_dirs(directory):
        for file in _files(folder):
            try:
                scenario = load_scenario(file)
            except ScenarioError as exc:
                entries.setdefault(file.stem, LibraryEntry(file.stem, f"(invalid: {exc})", str(file)))
                continue
            entries.setdefault(scenario.name, LibraryEntry(scenario.name, scenario.description, str(file)))
    return list(entries.values())


def check_files(paths: Iterable[str | Path]) -> list[str]:
    """Validate scenario files without starting anything: one line per problem, empty when all are fine."""
    problems = []
    for path in paths:
        file = Path(path)
        if not file.is_file():  # a library name, or a missing file: load_scenario says which
            try:
                load_scenario(path)
            except ScenarioError as exc:
                problems.append(str(exc))
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(str(ScenarioError(f"can't read the file: {exc}", source=str(path))))
            continue
        problems += [str(error) for error in check_yaml(text, str(path))]  # every mistake, not the first
    return problems
