"""The spec stages' layout (issue: a house a new maintainer can read).

The resolver is plain functions over a frozen, fully built ``Context`` (no class whose
helpers only work after a ``run()`` has reached a given line); ``generator.pipeline``
owns the stage order; the rst and Markdown targets share one definition of their
common filters, differing only in the escaper and link syntax.
"""

from __future__ import annotations

import ast
import dataclasses
import gc
from pathlib import Path

import pytest

from generator import pipeline
from generator.resolve import context as resolve_context
from generator.targets import docs_md, docs_rst

GEN = Path(__file__).resolve().parents[1] / "generator"
SHARED = ("text", "marks", "strong", "em", "link", "sentence", "field_tail")


def test_resolver_classes_are_data_only() -> None:
    """Every class in generator/resolve/ is a dataclass; none has an ``__init__`` or a
    ``run`` that sets attributes later (the old ``_Resolver`` shape)."""
    for path in sorted((GEN / "resolve").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                decos = [ast.unparse(d) for d in node.decorator_list]
                assert any(d.startswith("dataclass") for d in decos), f"{path.name}: class {node.name} is not a dataclass"
                methods = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
                assert not methods & {"__init__", "run"}, f"{path.name}: {node.name} has {methods}"


def test_context_is_frozen() -> None:
    assert resolve_context.Context.__dataclass_params__.frozen
    fields = {f.name for f in dataclasses.fields(resolve_context.Context)}
    assert {"editions", "settings", "features", "sections", "conventions"} <= fields


def test_no_function_takes_many_positional_parameters() -> None:
    for path in sorted((GEN / "resolve").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                assert len(node.args.args) <= 6, f"{path.name}: {node.name} takes {len(node.args.args)} parameters"


def test_pipeline_owns_loading() -> None:
    """The old entry points live in the pipeline, not in the resolver."""
    from generator import resolve

    assert callable(pipeline.load_resolved) and callable(pipeline.check_spec)
    assert not hasattr(resolve, "load_resolved") and not hasattr(resolve, "load_spec")


MINIMAL = Path(__file__).resolve().parent / "cases" / "ok_minimal" / "spec"


@pytest.mark.parametrize("entry", ["check_spec", "load_resolved"])
def test_the_collector_is_paused_for_the_stages_and_restored(entry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stages run with the cyclic collector off (bench_load.py shows what it saves);
    afterwards it is back on, also when a stage raises, and left off if it was off."""
    seen: list[bool] = []
    real_resolve = pipeline.resolve

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_resolve(*args, **kwargs)

    monkeypatch.setattr(pipeline, "resolve", spy)
    assert gc.isenabled()
    spec = getattr(pipeline, entry)(MINIMAL)[0]
    assert spec is not None and seen == [False] and gc.isenabled()

    def boom(*args, **kwargs):
        raise RuntimeError("stage failed")

    monkeypatch.setattr(pipeline, "resolve", boom)
    with pytest.raises(RuntimeError):
        getattr(pipeline, entry)(MINIMAL)
    assert gc.isenabled()

    monkeypatch.setattr(pipeline, "resolve", spy)
    gc.disable()
    try:
        getattr(pipeline, entry)(MINIMAL)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("name", SHARED)
def test_rst_and_md_filters_have_one_definition(name: str) -> None:
    from generator.phrases import DEFAULTS

    assert docs_rst.filters(DEFAULTS)[name].__code__ is docs_md.filters(DEFAULTS)[name].__code__
