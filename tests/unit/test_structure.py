"""The layers point one way (server -> provider -> core -> store; nothing in provider/
imports server/) and no two modules of dxlocal import each other, directly or in a circle.

Read from the source with ``ast``: every import counts, a function's lazy one included,
except those under ``if TYPE_CHECKING:`` (annotations only, never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "dxlocal"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str) -> set[str]:
    """The dxlocal modules ``name`` imports. The package's own lazy re-exports (PEP 562
    ``__getattr__`` in ``dxlocal/__init__.py``) are its public face, not a dependency."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if name == "dxlocal" and isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            return
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports(name) for name in MODULES}


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            strong(v)
    return out


def test_the_graph_is_read():
    assert "dxlocal.core.work" in GRAPH["dxlocal.server.service"]
    assert "dxlocal.bgp.speaker" in GRAPH["dxlocal.bgp.live"]  # a relative import


def test_nothing_below_the_server_imports_it():
    for lower in ("dxlocal.provider", "dxlocal.core", "dxlocal.store", "dxlocal.bgp"):
        wrong = {
            (name, target)
            for name, targets in GRAPH.items()
            if name.startswith(lower)
            for target in targets
            if target.startswith("dxlocal.server")
        }
        assert not wrong, f"{lower} imports the server: {sorted(wrong)}"


def test_core_and_store_import_no_provider():
    wrong = {
        (name, target)
        for name, targets in GRAPH.items()
        if name.startswith(("dxlocal.core", "dxlocal.store"))
        for target in targets
        if target.startswith(("dxlocal.provider", "dxlocal.bgp"))
    }
    assert not wrong


def test_the_speaker_bridge_knows_ports_not_the_provider():
    bgp = {t for n, ts in GRAPH.items() if n.startswith("dxlocal.bgp") for t in ts}
    assert not {t for t in bgp if t.startswith("dxlocal.provider")}


def test_no_import_cycles():
    assert cycles() == []
