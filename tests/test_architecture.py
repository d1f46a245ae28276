"""The house plan, checked: no import cycles among our modules and the layering rules of docs/architecture.md.

Every `import` statement under app/ counts, those inside functions too (they hide a cycle, they do not
break it). The graph is read with `ast`, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"

# In-function imports of our own code that are allowed, each with why. Key: (module, imported module).
IN_FUNCTION_ALLOWED = {
    # app/__init__.py runs before any app.* module is imported: importing the rooms at its top would load the
    # whole application (models, panel, jobs) for every `import app.mail...`, and tie every room to the panel.
    ("app", "app.models"): "the factory registers the tables on db only once it builds an app",
    ("app", "app.extensions"): "the factory binds the unbound extensions to the app it builds",
    ("app", "app.models.sqlite"): "the factory sets SQLite pragmas on the engine it has just bound",
    ("app", "app.bounces.webhook"): "the factory registers blueprints only when it builds an app",
    ("app", "app.panel"): "the factory registers blueprints only when it builds an app",
    ("app", "app.public"): "the factory registers blueprints only when it builds an app",
    ("app", "app.api"): "the factory registers blueprints only when it builds an app",
    ("app", "app.archive.views"): "the factory registers blueprints only when it builds an app",
    ("app", "app.metrics.views"): "the factory registers blueprints only when it builds an app",
    ("app", "app.bodylimit"): "the factory wraps the WSGI app only when it builds one",
    ("app", "app.panel.ids"): "the factory registers the panel's URL converter with its blueprints",
    # The sender factory loads only the configured backend's library (measured with python -X importtime).
    ("app.egress", "app.egress.ses"): "boto3 costs ~0.3 s to import: only when SES is the egress",
    ("app.egress", "app.egress.dkim"): "dkimpy costs ~0.2 s to import: only when DKIM signing is on",
}


@dataclass(frozen=True)
class Import:
    """One import of one of our modules: who imports what, on which line, inside a function or not."""

    importer: str
    imported: str
    line: int
    in_function: bool


def module_name(path: Path) -> str:
    """The dotted module name of a file under the repository root."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    """Every module of the app package (migrations are scripts Alembic loads, not modules)."""
    return {
        module_name(path): path
        for path in sorted(APP.rglob("*.py"))
        if "migrations" not in path.relative_to(APP).parts
    }


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, known: set[str]):
    """The modules of ours an import statement names (a `from x import name` names x.name if a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = importer.split(".") if is_package else importer.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
    for name in names:
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in known:
            yield name


def collect_imports() -> list[Import]:
    """Every import of our own modules under app/, with where it stands."""
    modules = our_modules()
    known = set(modules)
    found: list[Import] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"

        def walk(node: ast.AST, in_function: bool) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Import | ast.ImportFrom):
                    for target in _targets(child, name, is_package, known):
                        if target != name:
                            found.append(Import(name, target, child.lineno, in_function))
                inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                walk(child, inside)

        walk(tree, False)
    return found


def graph(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in our_modules()}
    for imp in imports:
        edges[imp.importer].add(imp.imported)
    return edges


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each as one cycle through them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(_one_cycle(sorted(component), edges))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return components


def _one_cycle(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A concrete cycle inside a strongly connected component, for the failure message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(edges[node] & members):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    return component


def reachable(edges: dict[str, set[str]], start: str, stop_at: tuple[str, ...] = ()) -> set[str]:
    """Every module start imports, directly or through others (not looking past modules under stop_at)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                if not any(_in(nxt, package) for package in stop_at):
                    todo.append(nxt)
    return seen


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return collect_imports()


def test_the_checker_sees_imports_and_cycles() -> None:
    """The checker itself: it finds a two-module cycle and a longer one, and nothing in a tree."""
    assert find_cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_the_checker_counts_imports_inside_functions(imports: list[Import]) -> None:
    """The factory's own blueprint imports are inside a function: the checker must see them."""
    assert Import("app", "app.panel", _line_of("app/__init__.py", "from app.panel import"), True) in imports


def _line_of(relative: str, text: str) -> int:
    for number, line in enumerate((ROOT / relative).read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {relative}")


def test_no_import_cycles(imports: list[Import]) -> None:
    cycles = find_cycles(graph(imports))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_no_imports_of_our_code_inside_functions(imports: list[Import]) -> None:
    hidden = [
        f"{imp.importer}:{imp.line} imports {imp.imported}"
        for imp in imports
        if imp.in_function and (imp.importer, imp.imported) not in IN_FUNCTION_ALLOWED
    ]
    assert not hidden, "imports inside functions (move them to the top): " + "; ".join(hidden)


def test_every_allowed_in_function_import_is_still_used(imports: list[Import]) -> None:
    used = {(imp.importer, imp.imported) for imp in imports if imp.in_function}
    assert set(IN_FUNCTION_ALLOWED) <= used, set(IN_FUNCTION_ALLOWED) - used


def _violations(
    imports: list[Import], importer: str, forbidden: tuple[str, ...], stop_at: tuple[str, ...] = ()
) -> list[str]:
    edges = graph(imports)
    bad = []
    for module in edges:
        if not _in(module, importer):
            continue
        for target in reachable(edges, module, stop_at):
            if any(_in(target, package) for package in forbidden):
                bad.append(f"{module} reaches {target}")
    return bad


def test_ingress_never_imports_the_pipeline(imports: list[Import]) -> None:
    """Not directly nor through other modules; the receiver runs the reconciler (app.jobs), whose own
    imports are the jobs' business, so the search stops there."""
    assert not _violations(imports, "app.ingress", ("app.pipeline",), stop_at=("app.jobs",))


def test_the_ground_floor_needs_no_database(imports: list[Import]) -> None:
    """app.mail is used by everything: it imports only itself (no models, extensions or other rooms)."""
    edges = graph(imports)
    bad = [
        f"{m} reaches {t}"
        for m in edges
        if _in(m, "app.mail")
        for t in reachable(edges, m)
        if not _in(t, "app.mail")
    ]
    assert not bad
    third_party = {
        f"{module}: {name}"
        for module, path in our_modules().items()
        if _in(module, "app.mail")
        for name in _external_imports(path)
        if name.split(".")[0] in {"sqlalchemy", "flask_sqlalchemy", "flask_migrate"}
    }
    assert not third_party


def _external_imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


def test_senders_never_import_the_pipeline_or_the_models(imports: list[Import]) -> None:
    forbidden = ("app.pipeline", "app.models", "app.extensions", "app.jobs", "app.panel")
    assert not _violations(imports, "app.egress", forbidden)


def test_the_pipeline_never_imports_the_panel(imports: list[Import]) -> None:
    assert not _violations(imports, "app.pipeline", ("app.panel",))


def _blueprint_templates(path: Path) -> tuple[str | None, list[str]]:
    """The blueprint a module defines and the template names it renders."""
    name, templates = None, []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or not node.args:
            continue
        first = node.args[0]
        if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
            continue
        if node.func.id == "Blueprint":
            name = first.value
        elif node.func.id == "render_template":
            templates.append(first.value)
    return name, templates


def test_each_panel_blueprint_renders_templates_from_its_own_folder() -> None:
    strays = []
    for path in sorted((APP / "panel").glob("*.py")):
        name, templates = _blueprint_templates(path)
        if name is None:
            continue
        strays += [f"{path.name} ({name}) renders {t}" for t in templates if not t.startswith(f"{name}/")]
    assert not strays
    assert not (APP / "templates" / "panel").exists(), "templates/panel/ belongs to no blueprint"
