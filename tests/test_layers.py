"""The layer rules of the package, read off its import graph (see the README's "How the code is
laid out"): arrows point one way, pages -> annotator.ui -> annotator.workflow -> repository ->
models/db, and the pure modules import neither the database nor Streamlit.

The graph is built from the source with ``ast`` (nothing is imported): every ``import`` and
``from ... import`` anywhere in a module, function bodies included, except those under
``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Modules a notebook can use as they are: no database, no Streamlit, directly or through others.
PURE = (
    "annotator.agreement",
    "annotator.colours",
    "annotator.comparison",
    "annotator.dates",
    "annotator.errors",
    "annotator.events",
    "annotator.formats",
    "annotator.labels",
    "annotator.nlp",
    "annotator.numbers",
    "annotator.spans",
    "annotator.tokens",
)
DATABASE = ("sqlalchemy", "sqlmodel", "alembic", "annotator.db", "annotator.repository")
STREAMLIT = ("streamlit",)
# Besides annotator.ui: the benchmark's driver runs the annotate page under AppTest, as tests do.
STREAMLIT_ALSO = ("annotator.ui", "annotator.bench.app_driver")


def module_files() -> dict[str, Path]:
    """Every module of the app (annotator/ without its migrations, pages/, app.py) by name."""
    files = {"app": ROOT / "app.py"}
    for path in [*(ROOT / "annotator").rglob("*.py"), *(ROOT / "pages").glob("*.py")]:
        relative = path.relative_to(ROOT).with_suffix("")
        if "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        files[".".join(parts)] = path
    return files


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that runs, skipping the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imported_names(name: str, path: Path, modules: set[str]) -> set[str]:
    """The modules ``name`` imports at run time; ``from pkg import sub`` counts as ``pkg.sub``
    when ``sub`` is a module, as import-linter and pydeps count it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & modules
            found.update(submodules or {base})
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    """Module -> the modules it imports (third-party ones included, by their full name)."""
    files = module_files()
    return {
        name: frozenset(imported_names(name, path, set(files)) - {name})
        for name, path in files.items()
    }


def is_within(name: str, prefixes: tuple[str, ...]) -> bool:
    """True when ``name`` is one of ``prefixes`` or inside one of them."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def reachable(start: str) -> dict[str, str]:
    """Every module ``start`` reaches through the project's modules, with the one that
    imported it first (to name the path in a failure)."""
    edges = graph()
    seen: dict[str, str] = {}
    stack = [start]
    while stack:
        current = stack.pop()
        for target in edges.get(current, ()):
            if target not in seen:
                seen[target] = current
                stack.append(target)
    return seen


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    edges = {name: [t for t in targets if t in graph()] for name, targets in graph().items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycles():
    assert cycles() == []


def test_streamlit_is_imported_only_by_the_ui_the_pages_and_the_app():
    offenders = sorted(
        name
        for name, targets in graph().items()
        if name.startswith("annotator")
        and not is_within(name, STREAMLIT_ALSO)
        and any(is_within(target, STREAMLIT) for target in targets)
    )
    assert offenders == []


def test_screens_never_query_the_database():
    offenders = sorted(
        name
        for name, targets in graph().items()
        if is_within(name, ("pages", "app", "annotator.ui")) and "annotator.repository" in targets
    )
    assert offenders == []


@pytest.mark.parametrize("pure", PURE)
def test_pure_modules_reach_neither_the_database_nor_streamlit(pure):
    modules = [name for name in graph() if is_within(name, (pure,))]
    assert modules, f"no module {pure}"
    for name in modules:
        for target, importer in reachable(name).items():
            assert not is_within(target, DATABASE + STREAMLIT), (
                f"{name} reaches {target} (imported by {importer})"
            )


def test_the_repository_is_called_by_use_cases_only():
    allowed = ("annotator.workflow", "annotator.repository", "annotator.bench")
    offenders = sorted(
        name
        for name, targets in graph().items()
        if "annotator.repository" in targets and not is_within(name, allowed)
    )
    assert offenders == []


GOLD_WRITES = frozenset(
    {
        "insert_gold_if_absent",
        "update_gold_if_version",
        "delete_gold_if_version",
        "insert_gold_rows",
        "delete_gold_of_reports",
    }
)


def test_gold_has_one_writer():
    """Only annotator.workflow.gold calls the repository's gold writes, and nothing else builds
    a Gold row (to add it through the ORM)."""
    writers = set()
    for name, path in module_files().items():
        if name in ("annotator.workflow.gold", "annotator.repository"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, ast.Attribute) and called.attr in GOLD_WRITES:
                writers.add(name)
            if isinstance(called, ast.Name) and called.id in GOLD_WRITES | {"Gold"}:
                writers.add(name)
    assert sorted(writers) == []


def test_settings_are_read_from_the_environment_at_the_edges_only():
    """The core gets its settings passed in (the gold policy as a GoldPolicy value): only the
    configuration itself, the CLI, the app's resources and the benchmark's page driver read
    the environment."""
    edges = {"annotator.config", "annotator.cli", "annotator.ui.resources"}
    edges.add("annotator.bench.app_driver")
    readers = set()
    for name, path in module_files().items():
        source = path.read_text("utf-8")
        if name not in edges and ("from_env(" in source or "environ" in source):
            readers.add(name)
    assert sorted(readers) == []
