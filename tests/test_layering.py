"""The import layering the modules' docstrings promise ("Owns / Must not"), checked
from the source with ``ast`` (nothing is imported): no import cycle at all, targets that
are pure functions, a build engine that only the CLI and the API sit on, and no cache
keyed by object identity."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "generator"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        if "templates" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """Every module ``name`` imports (module level and inside functions), resolved to a
    module of the package where it names one, else kept as written (top-level name)."""
    path, is_pkg = MODULES[name]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            if not target.startswith("generator"):
                out.add(target.split(".")[0])
                continue
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                out.add(target)
    return out


GRAPH = {name: _imports(name) for name in MODULES}


def test_there_is_no_import_cycle():
    """Tarjan's strongly connected components over the package's import graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in (m for m in GRAPH[v] if m in MODULES):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


TARGET_MODULES = [m for m in MODULES if m.startswith("generator.targets.")]
# What a target may not import: the build engine and the CLI above it, process and
# disk machinery.
ENGINE = {"generator.build", "generator.reuse", "generator.background", "generator.writer", "generator.outdir",
          "generator.manifest", "generator.cli", "generator.cli_output", "generator.api", "generator.pipeline"}
IMPURE = {"os", "subprocess", "multiprocessing", "concurrent", "pickle", "threading", "shutil", "tempfile",
          "signal", "socket"}


@pytest.mark.parametrize("module", TARGET_MODULES)
def test_a_target_module_imports_no_engine_and_no_process_or_disk_machinery(module):
    assert not GRAPH[module] & (ENGINE | IMPURE), GRAPH[module] & (ENGINE | IMPURE)


@pytest.mark.parametrize("module", TARGET_MODULES)
def test_a_target_module_writes_nothing(module):
    """No ``open(...)`` and no ``write_text``/``write_bytes``/``mkdir``/``unlink`` call."""
    tree = ast.parse(MODULES[module][0].read_text("utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert not [c for c in calls if isinstance(c.func, ast.Name) and c.func.id == "open"]
    writes = {"write_text", "write_bytes", "mkdir", "unlink", "rename", "replace", "rmdir", "touch"}
    assert not [c.func.attr for c in calls if isinstance(c.func, ast.Attribute) and c.func.attr in writes
                and not (isinstance(c.func.value, ast.Constant) or c.func.attr == "replace")]


def test_the_registry_imports_no_target_and_nothing_of_the_build():
    assert not GRAPH["generator.targets"] & (ENGINE | set(TARGET_MODULES))


@pytest.mark.parametrize("module", ["generator.reuse", "generator.writer", "generator.outdir", "generator.manifest",
                                    "generator.background"])
def test_the_engine_below_the_build_never_imports_up(module):
    """The store, the writer, the folder, the manifest and the pool know no target, no
    build orchestration and no command line."""
    up = {"generator.build", "generator.cli", "generator.api", "generator.targets", *TARGET_MODULES}
    assert not GRAPH[module] & up, GRAPH[module] & up


def test_only_the_cli_the_api_and_the_benchmarks_sit_on_the_build():
    users = {m for m, deps in GRAPH.items() if "generator.build" in deps}
    assert users <= {"generator.cli", "generator.api"}, users


def test_the_model_imports_only_what_it_is_made_of():
    assert GRAPH["generator.model"] <= {"generator.kinds", "generator.naming", "generator.phrases", "__future__",
                                        "collections", "dataclasses", "types", "typing"}


def test_only_the_pool_manages_processes():
    users = {m for m, deps in GRAPH.items() if deps & {"multiprocessing", "concurrent"} and m.startswith("generator.")}
    allowed = {"generator.background", "generator.validate.parallel", "generator.validate.check"}
    assert users <= allowed, users - allowed


def test_no_cache_is_keyed_by_object_identity():
    """No ``id(...)`` call in the build, the reuse store or a target, and no ``memo``."""
    for module in ["generator.build", "generator.reuse", "generator.model", "generator.targets", *TARGET_MODULES]:
        source = MODULES[module][0].read_text("utf-8")
        tree = ast.parse(source)
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                    and n.func.id == "id"], module
        assert ".memo(" not in source and "def memo" not in source, module


def test_no_generator_module_is_over_600_lines():
    """#8: modules stay small enough to read; split one that grows past this."""
    long = {p.relative_to(ROOT).as_posix(): n for p in PKG.rglob("*.py")
            if (n := len(p.read_text("utf-8").splitlines())) > 600}
    assert long == {}
