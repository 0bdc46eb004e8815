"""Rendering a container's providers as Mermaid, Graphviz DOT or a text tree."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional

from dioxide.exceptions import DioxideTypeError

if TYPE_CHECKING:
    from dioxide._config import ConfigStore

from dioxide._markers import CONFIG_KEY

__all__ = ["FORMATS", "render_graph"]

#: A key as the Rust core's ``_providers`` names it: ``(key, flavor, name,
#: qualifier or None)``, flavor "type", "function", "named", "value" or "list".
Node = tuple[int, str, str, Optional[str]]
#: One provider: ``(node, lifetime, kind, implementation name or None,
#: [(parameter, node, resolvable)], [(node, is a collection)])``.
ProviderRow = tuple[
    Node, str, str, Optional[str], list[tuple[str, Node, bool]], list[tuple[Node, bool]]
]

#: Words Mermaid reads as syntax when used as a node id.
_MERMAID_WORDS = frozenset(
    {"end", "graph", "flowchart", "subgraph", "style", "classdef", "class", "click", "linkstyle"}
)

#: The formats :func:`render_graph` writes.
FORMATS = ("mermaid", "dot", "tree")

#: How sure a label is: a provider's own label beats an interface's, which
#: beats the plain name a dependency gives a node.
_DEPENDENCY, _INTERFACE, _PROVIDER = 0, 1, 2


def _name(node: Node) -> str:
    _key, flavor, name, qualifier = node
    if flavor == "named":
        return f"{name}[{qualifier}]"
    if flavor == "list":
        return f"list[{name}]"
    if flavor == "function":
        return f"{name}()"
    return name




def _provider_label(
    node: Node,
    lifetime: str,
    kind: str,
    implementation: Optional[str],
    config: Optional[ConfigStore] = None,
) -> str:
    name = _name(node)
    if node[1] == "value":
        if config is not None and name in config.published:
            value = config.published[name]
            from pathlib import PurePath  # only with configuration loaded

            if isinstance(value, (str, int, float, bool, PurePath)):
                return f"{name} = {config.shown(name, value)} (value)"
        return f"{name} (value)"
    if kind == "instance":
        return f"{name} (instance)"
    if kind == "context":
        return f"{name} (context: {lifetime})"
    if lifetime not in ("singleton", "transient"):
        # A scope level: the one the container names it.
        lifetime = f"scoped: {lifetime}"
    if implementation is not None and implementation != name:
        return f"{name}: {implementation} ({lifetime})"
    return f"{name} ({lifetime})"


def _dependency_label(node: Node, resolvable: bool) -> str:
    if resolvable:
        return _name(node)
    return f"{_name(node)} ({'value, not set' if node[1] == 'value' else 'not registered'})"


class _Graph:
    """Nodes (by key, in the order first seen) and edges to render."""

    def __init__(self) -> None:
        self.labels: dict[int, tuple[int, str]] = {}
        self.names: dict[int, str] = {}
        #: ``(from, to, parameter)``; no parameter for interface -> member.
        self.edges: list[tuple[int, int, Optional[str]]] = []

    def place(self, node: Node, label: str, rank: int) -> int:
        key = node[0]
        self.names.setdefault(key, _name(node))
        if key not in self.labels or self.labels[key][0] < rank:
            self.labels[key] = (rank, label)
        return key

    def ids(self) -> dict[int, str]:
        """Readable node ids, unique even when two classes share a name."""
        ids: dict[int, str] = {}
        taken: set[str] = set()
        for key in self.labels:
            base = re.sub(r"\W+", "_", self.names[key]).strip("_") or "node"
            if base[0].isdigit() or base.lower() in _MERMAID_WORDS:
                base = "n_" + base
            candidate, counter = base, 1
            while candidate in taken:
                counter += 1
                candidate = f"{base}_{counter}"
            taken.add(candidate)
            ids[key] = candidate
        return ids


def render_graph(
    rows: list[ProviderRow], format: str, config: Optional[ConfigStore] = None
) -> str:
    """Every provider as a node labelled with its lifetime, an edge per
    dependency labelled with the parameter, and a dashed edge from each
    interface (and each injected ``list[...]``) to its implementations.
    ``"tree"`` prints the same graph as an indented text tree. Configuration
    values show what they are set to (secrets masked)."""
    if format not in FORMATS:
        raise DioxideTypeError(
            f"graph() supports 'mermaid', 'dot' and 'tree', got {format!r}",
            hint='call container.graph("mermaid"), graph("dot") or graph("tree")',
        )
    graph = _Graph()
    members: dict[int, list[int]] = {}
    injected_lists: set[int] = set()
    # An interface registered with a provider of its own is built by that
    # provider, not by the classes that declare provides= for it.
    shadowed = {row[0][0] for row in rows}
    for node, lifetime, kind, implementation, deps, exposes in rows:
        if node[1] == "value" and node[2] == CONFIG_KEY:
            continue
        label = _provider_label(node, lifetime, kind, implementation, config)
        key = graph.place(node, label, _PROVIDER)
        for interface, collection in exposes:
            if collection:
                members.setdefault(interface[0], []).append(key)
                continue
            if interface[0] in shadowed:
                continue
            graph.place(interface, f"{_name(interface)} (interface)", _INTERFACE)
            graph.edges.append((interface[0], key, None))
        for param, dependency, resolvable in deps:
            graph.place(dependency, _dependency_label(dependency, resolvable), _DEPENDENCY)
            graph.edges.append((key, dependency[0], param))
            if dependency[1] == "list":
                injected_lists.add(dependency[0])
    for list_key in injected_lists:
        graph.edges.extend((list_key, member, None) for member in members.get(list_key, []))
    ids = graph.ids()
    labels = {key: label for key, (_rank, label) in graph.labels.items()}
    if format == "tree":
        return _tree(labels, graph.edges)
    if format == "mermaid":
        lines = ["graph TD"]
        lines += [f'    {ids[k]}["{_mermaid_text(label)}"]' for k, label in labels.items()]
        lines += [
            f"    {ids[a]} -->|{p}| {ids[b]}" if p else f"    {ids[a]} -.-> {ids[b]}"
            for a, b, p in graph.edges
        ]
        return "\n".join(lines) + "\n"
    lines = ["digraph dioxide {", "    rankdir=TB;", "    node [shape=box];"]
    lines += [f'    "{ids[k]}" [label="{_dot_text(label)}"];' for k, label in labels.items()]
    lines += [
        f'    "{ids[a]}" -> "{ids[b]}" [label="{p}"];'
        if p
        else f'    "{ids[a]}" -> "{ids[b]}" [style=dashed];'
        for a, b, p in graph.edges
    ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _tree(labels: dict[int, str], edges: list[tuple[int, int, Optional[str]]]) -> str:
    """Each provider nothing depends on as a root, its dependencies below it
    (``parameter: label``; ``implemented by`` for an interface's or a
    list's members). A node shown with its dependencies once is named again
    later with ``[see above]``, so shared singletons do not repeat a subtree."""
    children: dict[int, list[tuple[int, Optional[str]]]] = {key: [] for key in labels}
    depended_on: set[int] = set()
    for source, target, parameter in edges:
        children[source].append((target, parameter))
        depended_on.add(target)
    lines: list[str] = []
    expanded: set[int] = set()

    def visit(key: int, text: str, lead: str, branch: str, path: frozenset[int]) -> None:
        repeated = key in expanded and bool(children[key])
        lines.append(f"{lead}{branch}{text}{' [see above]' if repeated else ''}")
        if repeated or key in path:
            return
        expanded.add(key)
        below = lead + ("" if not branch else "    " if branch == "└── " else "│   ")
        for index, (child, parameter) in enumerate(children[key]):
            last = index == len(children[key]) - 1
            name = f"{parameter}: {labels[child]}" if parameter else f"implemented by {labels[child]}"
            visit(child, name, below, "└── " if last else "├── ", path | {key})

    roots = [key for key in labels if key not in depended_on]
    # Registration refuses cycles, so every node hangs below some root; any
    # node left over is printed as a root of its own rather than dropped.
    for key in roots + [key for key in labels if key not in roots]:
        if key not in expanded:
            visit(key, labels[key], "", "", frozenset())
    return "\n".join(lines) + "\n"
