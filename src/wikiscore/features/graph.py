"""A small dependency graph of named values: features declare their inputs, extraction solves it.

Owns ``Node`` and ``Graph``. A node has a name, the names of the nodes it needs, and a function
of their values. ``Graph.solve(targets, given)`` computes each needed node once, in dependency
order, starting from the values ``given`` (the record, or anything injected). A node that is
given is never computed, and nor are inputs that only it needed: inject
``revision.user.is_anon=True`` and the user's id is not even read. Plans (which nodes, in which
order) are cached per set of targets and given names, so solving many records costs only the
function calls. No IO here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wikiscore.errors import InvalidInput


@dataclass(frozen=True)
class Node:
    """A named value computed from other named values."""

    name: str
    compute: Callable[..., Any]
    depends_on: tuple[str, ...] = ()
    doc: str = ""


class UnknownNode(InvalidInput):
    """A feature or datasource name that the graph does not have."""

    error_type = "unknown_feature"


class Graph:
    """A set of nodes; see the module docstring."""

    def __init__(
        self,
        nodes: Iterable[Node],
        *,
        roots: Iterable[str] = (),
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            if node.name in self.nodes:
                raise ValueError(f"duplicate node {node.name!r}")
            self.nodes[node.name] = node
        self.roots = frozenset(roots)  # names that must be given (e.g. "record")
        self.aliases = dict(aliases or {})
        self._plans: dict[tuple[tuple[str, ...], frozenset[str]], tuple[Node, ...]] = {}

    def canonical(self, name: str) -> str:
        name = self.aliases.get(name, name)
        if name not in self.nodes and name not in self.roots:
            raise UnknownNode(f"unknown feature or datasource {name!r}")
        return name

    def with_nodes(self, *nodes: Node) -> Graph:
        """A copy of the graph with these nodes added or replaced."""
        merged = dict(self.nodes)
        merged.update((node.name, node) for node in nodes)
        return Graph(merged.values(), roots=self.roots, aliases=self.aliases)

    def plan(self, targets: Sequence[str], given: Iterable[str]) -> tuple[Node, ...]:
        """The nodes to compute, in order, to get ``targets`` from the ``given`` names."""
        given_set = frozenset(given)
        key = (tuple(targets), given_set)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        order: list[Node] = []
        state: dict[str, int] = {}  # 1: visiting, 2: done

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if name in given_set or state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise ValueError("dependency cycle: " + " -> ".join((*chain, name)))
            node = self.nodes.get(name)
            if node is None:
                if name in self.roots:
                    raise InvalidInput(f"{name!r} must be given to compute {chain[0]!r}")
                raise UnknownNode(f"unknown feature or datasource {name!r}")
            state[name] = 1
            for dependency in node.depends_on:
                visit(dependency, (*chain, name))
            state[name] = 2
            order.append(node)

        for target in targets:
            visit(target, (target,))
        plan = tuple(order)
        if len(self._plans) < 1024:
            self._plans[key] = plan
        return plan

    def solve(self, targets: Sequence[str], given: Mapping[str, Any]) -> list[Any]:
        """Values of ``targets`` given some values (each needed node computed once)."""
        values = dict(given)
        for node in self.plan(targets, values.keys()):
            values[node.name] = node.compute(*[values[d] for d in node.depends_on])
        return [values[target] for target in targets]

    def solve_values(self, targets: Sequence[str], given: Mapping[str, Any]) -> dict[str, Any]:
        """Like ``solve`` but returns every value computed or given, by name."""
        values = dict(given)
        for node in self.plan(targets, values.keys()):
            values[node.name] = node.compute(*[values[d] for d in node.depends_on])
        return values
