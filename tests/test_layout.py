"""The layout tells the story and imports flow one way: flows → tasks → pasopati, never back, and
no circles between the core's domain packages (Alert → Incident → Plan → Team → Facts → Drafts →
Decisions → Publications → Evaluation, all writing to Audit)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from pasopati.settings import PROJECT_ROOT

CORE = PROJECT_ROOT / "pasopati"
# Migrations describe the whole schema and may import every table; they are not part of the graph.
OUTSIDE_THE_GRAPH = {"db/migrations", "schema_tables.py"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def unit(module: str) -> str | None:
    """The core's unit a module belongs to: its subpackage or top-level module ('audit', 'runs')."""
    parts = module.split(".")
    return parts[1] if parts[0] == "pasopati" and len(parts) > 1 else None


def core_files() -> list[Path]:
    return [p for p in CORE.rglob("*.py") if not any(str(p.relative_to(CORE)).startswith(o) for o in OUTSIDE_THE_GRAPH)]


def test_the_core_never_imports_flows_or_tasks() -> None:
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): sorted(m for m in imports(path) if m.split(".")[0] in {"flows", "tasks"})
        for path in core_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_tasks_never_import_flows() -> None:
    offenders = [str(p) for p in (PROJECT_ROOT / "tasks").glob("*.py") if any(m.startswith("flows") for m in imports(p))]
    assert offenders == []


def test_no_circles_between_the_cores_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in core_files():
        relative = path.relative_to(CORE)
        source = relative.parts[0].removesuffix(".py")
        for module in imports(path):
            target = unit(module)
            if target and target != source:
                graph[source].add(target)
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in trail:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif len(trail) < 20:
                visit(nxt, [*trail, nxt])

    for start in sorted(graph):
        visit(start, [start])
    assert not cycles, f"import circles: {sorted({' → '.join(c) for c in cycles})[:5]}"


def test_domain_services_own_their_tables() -> None:
    """Only a domain's own package imports its tables (tests and migrations aside)."""
    owners = {p.parent.name for p in CORE.glob("*/tables.py")}
    offenders = []
    for path in core_files():
        source = path.relative_to(CORE).parts[0]
        for module in imports(path):
            parts = module.split(".")
            if len(parts) == 3 and parts[0] == "pasopati" and parts[2] == "tables" and parts[1] in owners and parts[1] != source:
                offenders.append(f"{path.relative_to(PROJECT_ROOT)} imports {module}")
    assert offenders == [], offenders
