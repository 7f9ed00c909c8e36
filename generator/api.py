"""The documented Python API: what a script or another tool may call instead of ``gen``.

Everything here goes through the same code as the command line (``gen check``, ``gen
build``, ``gen validate``), so the results are the same bytes and the same findings.
Nothing here prints, exits or reads the command line; errors come back as values
(``Finding`` lists, ``Problem`` lists) or as ``SpecError`` carrying the findings.  This
module owns only the public surface; it must not grow logic of its own.

    from generator import load_spec, build_files, build_into, validate_payloads
    spec = load_spec("spec")                      # raises SpecError on errors
    files = build_files(spec)                     # {relative path: bytes}, in memory
    report = build_into(spec, "generated")        # writes like `gen build`
    problems = validate_payloads(spec, [{"payload": "install", "properties": {...}}])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.diagnostics import Finding
from generator.model import Spec

__all__ = [
    "DocumentResult",
    "SpecError",
    "build_files",
    "build_into",
    "check_output",
    "check_spec",
    "load_spec",
    "validate_payloads",
]


class SpecError(Exception):
    """The spec has errors; ``findings`` lists every one (with file:line:column and a
    fix), warnings included, as ``gen check`` would print them."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        first = f": {errors[0].location}: {errors[0].message}" if errors else ""
        super().__init__(f"the spec has {len(errors)} error(s){first}")


def check_spec(spec_dir: str | Path) -> tuple[Spec | None, list[Finding]]:
    """Load, validate, resolve and lint the spec folder, as ``gen check`` does.

    Returns the resolved ``Spec`` (None when any finding is an error) and every finding,
    sorted by location.  Never raises for a bad spec."""
    from generator.pipeline import check_spec as _check

    return _check(Path(spec_dir))


def load_spec(spec_dir: str | Path) -> Spec:
    """The resolved spec of a folder; raises ``SpecError`` (with every finding) if it has
    errors.  Warnings do not stop it; use ``check_spec`` to see them."""
    spec, findings = check_spec(spec_dir)
    if spec is None:
        raise SpecError(findings)
    return spec


def build_files(spec: Spec) -> dict[str, bytes]:
    """Every file ``gen build`` writes for ``spec``, in memory, keyed by path relative
    to the output folder, ``MANIFEST.json`` included: exactly the bytes ``gen build``
    would write.  Touches no disk."""
    from generator.build import files_of

    return files_of(spec)


def build_into(spec: Spec, out_dir: str | Path):
    """Write ``spec``'s output into ``out_dir`` exactly as ``gen build`` does (the same
    function: ``generator.build.build_output``; atomically, manifest-checked, reusing
    the folder's verified pieces; a file no build wrote is never overwritten) and return
    the writer's ``Report`` (``written``, ``unchanged``, ``removed``, ``stray`` paths).
    Raises ``writer.OutputError`` (its ``findings`` say why: a target failed, a file the
    generator did not write is in the way, a path is unsafe, the disk is full)."""
    from generator import writer
    from generator.build import build_output

    outcome = build_output(spec, Path(out_dir))
    if not outcome.ok or outcome.report is None:
        raise writer.OutputError([f for f in outcome.findings if f.severity == "error"])
    return outcome.report


def check_output(spec: Spec, out_dir: str | Path):
    """Compare ``out_dir`` with what ``spec`` produces, as ``gen check`` does, without
    writing.  Returns the writer's ``Report``: ``clean`` is True when nothing differs;
    else ``changed``, ``missing``, ``obsolete`` and ``stray`` name the paths and
    ``diffs`` holds a unified diff per changed file."""
    from generator import writer
    from generator.build import render

    return writer.compare(Path(out_dir), render(spec).files)


@dataclass(frozen=True)
class DocumentResult:
    """One checked document: its payload's wire name (None when it names none) and
    every problem found (empty when it conforms).  Each problem has ``kind``, ``key``,
    ``detail`` and ``text()``, as in ``gen validate``'s report."""

    payload: str | None
    problems: tuple[Any, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_payloads(spec: Spec, documents: Iterable[Any], payload: str | None = None) -> list[DocumentResult]:
    """Check parsed payload documents against ``spec``'s schemas with ``gen validate``'s
    engine.  A document is an envelope ``{"payload": NAME, "properties": {...}}``, a
    Segment ``track`` message, or bare properties of the payload named by ``payload``.
    Returns one ``DocumentResult`` per document, in order."""
    from generator.targets.json_schema import schemas_of
    from generator.validate import Checker

    checker = Checker(schemas_of(spec))
    out = []
    for doc in documents:
        name, problems = checker.check_document(doc, payload)
        out.append(DocumentResult(name, tuple(problems)))
    return out
