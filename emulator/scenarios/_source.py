"""Reading scenario sources: YAML text with the line of every key path, and the error that points at it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

__all__ = ["ScenarioError", "Source", "read_yaml"]


class ScenarioError(ValueError):
    """A scenario that can't be used, naming the file, the line and the key path of the mistake."""

    def __init__(
        self, problem: str, *, path: str = "", source: str = "<scenario>", line: int | None = None
    ) -> None:
        self.problem = problem
        self.path = path
        self.source = source
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source + (f":{self.line}" if self.line else "")
        return f"{where}: {self.path}: {self.problem}" if self.path else f"{where}: {self.problem}"


class Source:
    """Where a scenario came from: a name for messages and the line of each key path (YAML only)."""

    def __init__(self, name: str, lines: Mapping[str, int] | None = None) -> None:
        self.name = name
        self.lines = dict(lines or {})

    def error(self, path: str, problem: str) -> ScenarioError:
        return ScenarioError(problem, path=path, source=self.name, line=self._line(path))

    def _line(self, path: str) -> int | None:
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""


def read_yaml(text: str, name: str) -> tuple[Any, Source]:
    """Parse one YAML document, remembering the 1-based line of every key and list item."""
    loader = yaml.SafeLoader(text)
    lines: dict[str, int] = {}
    try:
        node = loader.get_single_node()
        data = None if node is None else _convert(node, "", loader, lines, name)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise ScenarioError(
            f"not valid YAML: {problem}", source=name, line=mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {exc}", source=name) from None
    finally:
        loader.dispose()
    return data, Source(name, lines)


def _convert(node: yaml.Node, path: str, loader: yaml.SafeLoader, lines: dict[str, int], name: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            child = f"{path}.{key}" if path else str(key)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise ScenarioError(f"keys must be strings, not {key!r}", path=path, source=name, line=line)
            if key in out:
                raise ScenarioError(f"duplicate key {key!r}", path=child, source=name, line=line)
            lines[child] = line
            out[key] = _convert(value_node, child, loader, lines, name)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, f"{path}[{i}]", loader, lines, name) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
