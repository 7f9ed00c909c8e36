"""The one registry of build targets.

A target is a pure function ``render(spec) -> {relative path: bytes}``: it reads the
resolved model and returns file contents; it never touches the disk (only
``generator.writer`` does).  The build, ``gen check`` and ``gen targets`` all read
``TARGETS``; adding a target is a module, its templates and one line here.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from typing import Callable

from generator.model import Spec

Files = dict[str, bytes]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    module: str  # imported lazily: some targets pull in heavy libraries

    def render(self, spec: Spec, previous: "Previous | None" = None) -> Files:
        mod = importlib.import_module(self.module)
        if getattr(mod, "ACCEPTS_PREVIOUS", False):
            return mod.render(spec, previous)
        return mod.render(spec)


class Previous:
    """Read access to the files the last build wrote (for targets that can skip work
    whose inputs are unchanged).  ``get(path)`` returns the bytes on disk only if they
    still match the last manifest's hash, else None.

    ``reuse(name, key)`` / ``remember(name, key, files)`` let a slow target skip work: it
    remembers the key of its inputs and the hashes of the files it produced; a later
    build with the same key gets those files back from disk, but only if every one is
    still exactly what was produced (a hand edit, a lost file or an edited manifest means
    regenerate, so ``gen check`` stays honest).  ``records`` are what the last build
    remembered; ``updates`` what this one remembers (the writer stores them).
    """

    def __init__(self, getter: Callable[[str], bytes | None], records: dict | None = None):
        self.get = getter
        self.records: dict[str, dict] = dict(records or {})
        self.updates: dict[str, dict] = {}

    def reuse(self, name: str, key: str) -> Files | None:
        """The files remembered under ``name`` for ``key``, if all are intact on disk."""
        rec = self.records.get(name)
        if not isinstance(rec, dict) or rec.get("key") != key or not isinstance(rec.get("files"), dict):
            return None
        files: Files = {}
        for path, digest in rec["files"].items():
            data = self.get(path)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                return None
            files[path] = data
        self.updates[name] = rec
        return files

    def remember(self, name: str, key: str, files: Files) -> None:
        """Record that ``files`` are what ``name`` produces for inputs ``key``."""
        self.updates[name] = {
            "key": key,
            "files": {p: hashlib.sha256(b).hexdigest() for p, b in sorted(files.items())},
        }


TARGETS: tuple[Target, ...] = (
    Target("spec-schema", "the spec format's JSON Schema, for editors", "generator.targets.spec_schema"),
    Target("docs-rst", "privacy docs as reStructuredText (docs/telemetry.rst)", "generator.targets.docs_rst"),
    Target("docs-md", "privacy docs as GitHub-flavoured Markdown (docs/telemetry.md)", "generator.targets.docs_md"),
    Target("docs-html", "searchable, self-contained HTML catalogue (docs/catalog.html)", "generator.targets.docs_html"),
    Target("json-schema", "one JSON Schema (draft 2020-12) per payload", "generator.targets.json_schema"),
    Target("models", "pydantic v2 models of every payload (datamodel-code-generator)", "generator.targets.models"),
    Target("catalog", "the resolved spec as one JSON document", "generator.targets.catalog"),
    Target("conformance", "a pytest conformance suite downstream projects run", "generator.targets.conformance"),
)


class TargetCollision(Exception):
    pass


def render_all(spec: Spec, previous: Previous | None = None) -> Files:
    """Render every target into one in-memory tree; two targets may not share a path."""
    out: Files = {}
    owner: dict[str, str] = {}
    for target in TARGETS:
        for path, data in target.render(spec, previous).items():
            if path in out:
                raise TargetCollision(f"{target.name} and {owner[path]} both write {path}")
            out[path] = data
            owner[path] = target.name
    return dict(sorted(out.items()))
