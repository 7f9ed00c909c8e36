"""The one registry of build targets, and the contract a target module keeps.

A target module has a pure function ``render(spec) -> {relative path: bytes}``: it reads
the resolved model and returns file contents; it never touches the disk (only
``generator.writer`` does), starts no process and keeps no state between calls.  It may
also declare optional hooks, which only the build orchestration (``generator.build``)
calls:

* ``fingerprint(spec) -> bytes``: exactly what its output depends on (for the models:
  their generator input and the tools).  While the fingerprint is the one recorded by
  the last build and that build's files are intact, the build reuses them instead of
  rendering (``generator.reuse``).
* ``prefetch(spec) -> background.Child | None``: a head start on slow work, begun before
  any target renders; ``render(spec, prefetched)`` then receives what it returned.
* ``warm(out_dir)``: setup (slow imports; work on the output folder's last files,
  read through ``generator.writer``) for its prefetch, run in a ``background.Worker``
  the build forks before the spec is even loaded (``generator.build.warm_up``); what it
  returns is handed to the job.  The module's ``prefetch`` then also gets ``worker=``
  (that Worker, or None) and may hand its slow job to it instead of forking afresh.
* ``units``: the module has ``unit(spec, payload) -> files`` (the files of one payload,
  which may read only that payload and the spec's non-payload parts) and ``shared(spec)
  -> files`` (the rest), and its ``render`` is ``render_units(module, spec)``; a rebuild
  then renders only the units whose payload (or the rest of the spec) changed and takes
  the others from the last build (``generator.reuse.Reuse.previous_units``).
* ``apart`` (a declaration in the registry only, nothing in the module): the target is
  slow and its render pure, so the build renders it in a forked child beside the
  others, together with the other ``apart`` targets in registry order (so they share
  what ``Spec.memo`` keeps: the three docs build one docs view); without a child it
  renders in the build as usual.
* ``parts(spec, known) -> {wire name: hex digest}``: a digest per payload's part of its
  output (the models: one class per payload), recorded beside its files, and taken from
  ``known`` (the last build's digests of payloads whose unit fingerprint is unchanged,
  ``reuse.Reuse.known_parts``) without computing them; its ``fingerprint(spec, parts)``
  is built from them.  A target declaring it gets ``prefetch(spec, previous)``, where
  ``previous`` is the last build's output and the changed parts (``reuse.Previous``) or
  None, and regenerates only those; its output must stay byte-identical to a cold build.

A registry entry names the hooks its module declares (``hooks``), so that the build
knows them without importing every module.  The build, ``gen check`` and ``gen targets``
all read ``TARGETS``; adding a target is a module, its templates and one line here.  Registry order is output order only: every
prefetch starts before any target renders.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.model import Spec

Files = dict[str, bytes]


@dataclass(frozen=True)
class Target:
    """One registry entry: a name, a line of description, and the module to render with."""

    name: str
    description: str
    module: str  # imported lazily: some targets pull in heavy libraries
    hooks: tuple[str, ...] = ()  # the optional hooks the module declares (see above)

    def load(self) -> ModuleType:
        """The target's module."""
        return importlib.import_module(self.module)

    def fingerprint(self, spec: Spec, parts: dict[str, str] | None = None) -> bytes | None:
        """The module's ``fingerprint(spec)``, or None when it declares none (never reused);
        a module with ``parts`` gets them too, to build it from."""
        if "fingerprint" not in self.hooks:
            return None
        if "parts" in self.hooks:
            return self.load().fingerprint(spec, parts)
        return self.load().fingerprint(spec)

    def warm(self, out_dir: Any = None) -> Any:
        """A ``background.Worker`` that has begun the module's ``warm(out_dir)``, or None
        (no such hook, or no fork here)."""
        if "warm" not in self.hooks:
            return None
        from generator.background import Worker

        module = self.load()
        return Worker.start(lambda: module.warm(out_dir))

    def prefetch(self, spec: Spec, previous: Any = None, worker: Any = None) -> Any:
        """The module's ``prefetch(spec)`` (a head start), or None when it declares none;
        a module with ``parts`` also gets ``previous`` (``reuse.Previous`` or None), one
        with ``warm`` gets ``worker`` (what ``warm`` returned, or None)."""
        if "prefetch" not in self.hooks:
            if worker is not None:
                worker.cancel()
            return None
        kwargs: dict[str, Any] = {}
        if "parts" in self.hooks:
            kwargs["previous"] = previous
        if "warm" in self.hooks:
            kwargs["worker"] = worker
        return self.load().prefetch(spec, **kwargs)

    def parts(self, spec: Spec, known: dict[str, str] | None = None) -> dict[str, str] | None:
        """The module's ``parts(spec, known)`` (a digest per part, taken from ``known``
        where it has one), or None without the hook."""
        return self.load().parts(spec, known) if "parts" in self.hooks else None

    def render_units(self, spec: Spec, previous: dict[str, Files]) -> tuple[Files, dict[str, list[str]]]:
        """A ``units`` target's files, taking each payload's unit from ``previous`` when
        it is there, and the paths of each unit."""
        return render_units(self.load(), spec, previous)

    def render(self, spec: Spec, prefetched: Any = None) -> Files:
        """The target's files (``prefetched``: what its ``prefetch`` returned, if any)."""
        mod = self.load()
        if prefetched is not None:
            return mod.render(spec, prefetched)
        return mod.render(spec)


TARGETS: tuple[Target, ...] = (
    Target("spec-schema", "the spec format's JSON Schema, for editors", "generator.targets.spec_schema"),
    Target("docs-rst", "privacy docs as reStructuredText (docs/telemetry.rst)",
           "generator.targets.docs_rst", hooks=("apart",)),
    Target("docs-md", "privacy docs as GitHub-flavoured Markdown (docs/telemetry.md)",
           "generator.targets.docs_md", hooks=("apart",)),
    Target("docs-html", "searchable, self-contained HTML catalogue (docs/catalog.html)",
           "generator.targets.docs_html", hooks=("apart",)),
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
    Target("templates", "the spec's own template targets (outputs.templates in the spec)", "generator.targets.user_templates"),
    Target("models", "pydantic v2 models of every payload (datamodel-code-generator)", "generator.targets.models",
           hooks=("fingerprint", "warm", "prefetch", "parts")),
)


def render_units(module: Any, spec: Spec, previous: dict[str, Files] | None = None
                 ) -> tuple[Files, dict[str, list[str]]]:
    """The files of a target with the ``units`` hook: ``module.shared(spec)`` and each
    payload's ``module.unit(spec, payload)`` (or its files in ``previous``, by wire
    name); also the paths of each unit."""
    files = dict(module.shared(spec))
    owners: dict[str, list[str]] = {}
    for payload in spec.payloads:
        unit = (previous or {}).get(payload.wire_name)
        if unit is None:
            unit = module.unit(spec, payload)
        files.update(unit)
        owners[payload.wire_name] = sorted(unit)
    return files, owners


class TargetCollision(Exception):
    """Two targets produce the same path."""


class TargetFailed(Exception):
    """A target raised; ``target`` is its registry name, ``__cause__`` the error."""

    def __init__(self, target: str, exc: BaseException):
        super().__init__(f"target {target} failed: {exc}")
        self.target = target


def render_all(spec: Spec) -> Files:
    """Every target's files in one tree, rendered afresh (``generator.build.render``)."""
    from generator.build import render

    return render(spec).files
