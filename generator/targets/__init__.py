"""The one registry of build targets.

A target is a pure function ``render(spec) -> {relative path: bytes}``: it reads the
resolved model and returns file contents; it never touches the disk (only
``generator.writer`` does).  The build, ``gen check`` and ``gen targets`` all read
``TARGETS``; adding a target is a module, its templates and one line here.
"""

from __future__ import annotations

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
    still match the last manifest's hash, else None."""

    def __init__(self, getter: Callable[[str], bytes | None]):
        self.get = getter


TARGETS: tuple[Target, ...] = (
    Target("spec-schema", "the spec format's JSON Schema, for editors", "generator.targets.spec_schema"),
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
