"""Routing in constant time for the hot paths: Starlette's router, trying only the routes a path could match.

Starlette tries every route in order until one matches: a job read went through some twenty regular
expressions first. `IndexedRouter` keeps that order and every outcome (the first full match wins, else the
first method-only match answers 405, else 404) but tries only the candidates for the request's shape:
the routes whose template has as many segments as the path and the same literal words in its first
segments; a mount or a `{name:path}` route is a candidate for the paths that start with its literal
prefix, and a route of any other kind for every path.
"""

from __future__ import annotations

import re

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send

__all__ = ["IndexedRouter"]

_KEYED = 3  # path segments (after the leading slash) that key the index
_REMEMBERED = 4096  # shapes remembered (a client sending random paths can't grow it forever)

_CONVERTOR = re.compile(r"\{[^}:]*(?::([^}]*))?\}")  # the convertor of each {param} ("" when none)
_ONE_SEGMENT = frozenset({"", "str", "int", "float", "uuid"})  # convertors that never match a "/"

Shape = tuple[int, tuple[str | None, ...]]  # (segments, the keyed words; None: no route names it)


class IndexedRouter(Router):
    """A `Router` whose `app` tries only the candidate routes for the request path's shape."""

    _index: dict[Shape, tuple[BaseRoute, ...]]
    _indexed: tuple[BaseRoute, ...] = ()
    _words: _Words

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.redirect_slashes:
            await super().app(scope, receive, send)  # (redirects look at every route: Starlette's own way)
            return
        if "router" not in scope:
            scope["router"] = self
        partial = partial_scope = None
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None and partial_scope is not None:
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await self.default(scope, receive, send)

    def candidates(self, path: str) -> tuple[BaseRoute, ...]:
        """The routes, in order, that could match `path` (a superset of those that do)."""
        if len(self._indexed) != len(self.routes):
            self._indexed, self._index = tuple(self.routes), {}  # routes were added: start over
            self._words = _Words(self._indexed)
        shape = self._words.shape(path)
        found = self._index.get(shape)
        if found is None:
            if len(self._index) >= _REMEMBERED:
                self._index = {}
            found = self._index[shape] = tuple(r for r in self._indexed if _could_match(r, shape))
        return found


class _Words:
    """The words routes name in each keyed segment. A path's shape keeps those and stands None for any
    other (an id: only a {param} can match it), so reads of a thousand files share one shape."""

    def __init__(self, routes: tuple[BaseRoute, ...]) -> None:
        named: list[set[str]] = [set() for _ in range(_KEYED)]
        partial: list[set[str]] = [set() for _ in range(_KEYED)]  # a prefix's unfinished last segment
        for route in routes:
            template = _template(route)
            prefix = _prefix(route) if template is None else None
            if template is not None:
                for i, part in enumerate(template.split("/")[1 : 1 + _KEYED]):
                    if "{" not in part:
                        named[i].add(part)
            elif prefix is not None:
                *whole, last = prefix.split("/")[1:]
                for i, part in enumerate(whole[:_KEYED]):
                    named[i].add(part)
                if last and len(whole) < _KEYED:
                    partial[len(whole)].add(last)
        self._named = [frozenset(words) for words in named]
        self._partial = [tuple(words) for words in partial]

    def shape(self, path: str) -> Shape:
        parts = path.split("/")
        words = tuple(
            word if word in self._named[i] or any(word.startswith(p) for p in self._partial[i]) else None
            for i, word in enumerate(parts[1 : 1 + _KEYED])
        )
        return len(parts), words


def _could_match(route: BaseRoute, shape: Shape) -> bool:
    count, words = shape
    template = _template(route)
    if template is not None:  # exactly this many segments, these words where the template has no {param}
        parts = template.split("/")
        return len(parts) == count and all(
            "{" in part or part == word for part, word in zip(parts[1 : 1 + _KEYED], words, strict=False)
        )
    prefix = _prefix(route)
    if prefix is None:
        return True
    *whole, partial = prefix.split("/")[1:]  # the path starts with these segments, then with `partial`
    if count < len(whole) + 2 or any(w != word for w, word in zip(whole, words, strict=False)):
        return False
    if len(whole) >= len(words):
        return True
    word = words[len(whole)]  # None: a word that starts with no route's partial segment
    return word.startswith(partial) if word is not None else not partial


def _template(route: BaseRoute) -> str | None:
    """The route's path template when its segments are fixed in number (a plain `Route` whose parameters
    each match within one segment); None when it could match paths of other shapes."""
    if type(route) is not Route or not route.path.startswith("/"):
        return None
    if any(convertor not in _ONE_SEGMENT for convertor in _CONVERTOR.findall(route.path)):
        return None
    return route.path


def _prefix(route: BaseRoute) -> str | None:
    """What every path the route matches starts with (a `{name:path}` route's text before its first
    parameter, a mount's path); None when nothing is known."""
    if type(route) is Route and route.path.startswith("/"):
        return route.path[: route.path.index("{")] if "{" in route.path else route.path
    if type(route) is Mount and route.path.startswith("/"):
        return route.path
    return None
