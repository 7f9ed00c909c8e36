"""The one registry of build targets, and the contract a target module keeps.

A target module is pure: it reads the resolved model and returns file contents
(``{relative path: bytes}``); it never touches the disk, starts no process or thread,
pickles nothing and keeps no state between calls.  It has one of two shapes:

* **whole**: ``render(spec) -> files``;
* **units** (``hooks=("units",)``): ``unit(spec, payload) -> files``, the files of one
  payload, which may read only that payload and the spec's non-payload parts, and
  ``shared(spec) -> files``, the rest.  The build renders a payload's units only when
  that payload (or the rest of the spec, or the code) changed.

A whole target may also name a ``view`` (a function ``module:function`` of the spec in
``VIEWS``): the build derives that view once and passes it as ``render(spec, view)`` to
every target naming it (the three docs and the template targets share the docs view);
``render(spec)`` alone derives it itself.

The build (``generator.build``), ``gen check`` and ``gen targets`` all read ``TARGETS``;
adding a target is a module, its templates and one line here.  Registry order is output
order only.  This module imports no target module and nothing of the build.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.model import Payload, Spec

Files = dict[str, bytes]

#: Views several targets share: name -> "module:function" (a pure function of the spec).
VIEWS: dict[str, str] = {"docs": "generator.targets.docs_view:build_view"}


@dataclass(frozen=True)
class Target:
    """One registry entry: a name, a line of description, the module to render with,
    ``("units",)`` for a units target, and the shared view it renders from, if any."""

    name: str
    description: str
    module: str  # imported lazily: some targets pull in heavy libraries
    hooks: tuple[str, ...] = ()
    view: str | None = None

    @property
    def units(self) -> bool:
        """Whether the target renders per payload (``unit`` and ``shared``)."""
        return "units" in self.hooks

    def load(self) -> ModuleType:
        """The target's module."""
        return importlib.import_module(self.module)

    def render(self, spec: Spec, view: Any = None) -> Files:
        """The target's files, whole (a units target: ``shared`` and every unit)."""
        mod = self.load()
        if self.units:
            return render_units(mod, spec)[0]
        return mod.render(spec, view) if self.view is not None and view is not None else mod.render(spec)

    def shared(self, spec: Spec) -> Files:
        """A units target's files that are not any one payload's."""
        return self.load().shared(spec)

    def unit(self, spec: Spec, payload: Payload) -> Files:
        """A units target's files of one payload."""
        return self.load().unit(spec, payload)


def derive_view(name: str, spec: Spec) -> Any:
    """The view ``name`` of ``spec`` (see ``VIEWS``)."""
    module, _, function = VIEWS[name].partition(":")
    return getattr(importlib.import_module(module), function)(spec)


TARGETS: tuple[Target, ...] = (
    Target("spec-schema", "the spec format's JSON Schema, for editors", "generator.targets.spec_schema"),
    Target("docs-rst", "privacy docs as reStructuredText (docs/telemetry.rst)", "generator.targets.docs_rst",
           view="docs"),
    Target("docs-md", "privacy docs as GitHub-flavoured Markdown (docs/telemetry.md)", "generator.targets.docs_md",
           view="docs"),
    Target("docs-html", "searchable, self-contained HTML catalogue (docs/catalog.html)", "generator.targets.docs_html",
           view="docs"),
    Target("json-schema", "one JSON Schema (draft 2020-12) per payload", "generator.targets.json_schema", hooks=("units",)),
    Target("catalog", "the resolved spec as one JSON document", "generator.targets.catalog"),
    Target("warehouse-bigquery", "one BigQuery table schema per payload", "generator.targets.warehouse_bigquery",
           hooks=("units",)),
    Target("warehouse-spark", "one Spark StructType (JSON) per payload", "generator.targets.warehouse_spark",
           hooks=("units",)),
    Target("warehouse-avro", "one Avro schema per payload", "generator.targets.warehouse_avro", hooks=("units",)),
    Target("conformance", "a pytest conformance suite downstream projects run", "generator.targets.conformance",
           hooks=("units",)),
    Target("go", "typed, validating Go producer code (outputs.go in the spec; off by default)", "generator.targets.go",
           hooks=("units",)),
    Target("typescript", "typed, validating TypeScript producer code (outputs.typescript; off by default)",
           "generator.targets.typescript", hooks=("units",)),
    Target("package", "the output folder as a Python package: __init__.py, README.md, test guard", "generator.targets.package"),
    Target("templates", "the spec's own template targets (outputs.templates in the spec)", "generator.targets.user_templates",
           view="docs"),
    Target("models", "pydantic v2 models of every payload (datamodel-code-generator)", "generator.targets.models",
           hooks=("units",)),
)


def render_units(module: Any, spec: Spec) -> tuple[Files, dict[str, list[str]]]:
    """Every file of a units target module (``shared`` and each payload's ``unit``: what
    the module's own ``render`` returns), and the paths of each payload's unit."""
    files = dict(module.shared(spec))
    owners: dict[str, list[str]] = {}
    for payload in spec.payloads:
        unit = module.unit(spec, payload)
        files.update(unit)
        owners[payload.wire_name] = sorted(unit)
    return files, owners


class TargetCollision(Exception):
    """Two targets produce the same path, or a path the build itself owns."""


class TargetFailed(Exception):
    """A target raised; ``target`` is its registry name, ``__cause__`` the error."""

    def __init__(self, target: str, exc: BaseException):
        super().__init__(f"target {target} failed: {exc}")
        self.target = target
