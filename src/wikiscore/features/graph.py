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
from operator import itemgetter
from typing import Any

from wikiscore.errors import InvalidInput


@dataclass(frozen=True)
class Node:
    """A named value computed from other named values."""

    name: str
    compute: Callable[..., Any]
    depends_on: tuple[str, ...] = ()
    doc: str = ""


# A node ready to run: its name, its function, a getter of its inputs from the values (one
# value for one input, a tuple for more; None for none) and how many inputs it has.
_Step = tuple[str, Callable[..., Any], "itemgetter[Any] | None", int]


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
        self._step_cache: dict[tuple[tuple[str, ...], frozenset[str]], tuple[_Step, ...]] = {}

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

    def _steps(self, targets: Sequence[str], given: Iterable[str]) -> tuple[_Step, ...]:
        """The plan as steps ready to run: (name, function, getter of its inputs, how many)."""
        key = (tuple(targets), frozenset(given))
        steps = self._step_cache.get(key)
        if steps is None:
            steps = tuple(
                (node.name, node.compute, itemgetter(*node.depends_on), len(node.depends_on))
                if node.depends_on
                else (node.name, node.compute, None, 0)
                for node in self.plan(*key)
            )
            if len(self._step_cache) < 1024:
                self._step_cache[key] = steps
        return steps

    def _run(self, targets: Sequence[str], given: Mapping[str, Any]) -> dict[str, Any]:
        values = dict(given)
        for name, compute, inputs, count in self._steps(targets, values):
            if count == 1:
                values[name] = compute(inputs(values))  # type: ignore[misc]
            elif count:
                values[name] = compute(*inputs(values))  # type: ignore[misc]
            else:
                values[name] = compute()
        return values

    def solve(self, targets: Sequence[str], given: Mapping[str, Any]) -> list[Any]:
        """Values of ``targets`` given some values (each needed node computed once)."""
        values = self._run(targets, given)
        return [values[target] for target in targets]

    def solve_values(self, targets: Sequence[str], given: Mapping[str, Any]) -> dict[str, Any]:
        """Like ``solve`` but returns every value computed or given, by name."""
        return self._run(targets, given)
