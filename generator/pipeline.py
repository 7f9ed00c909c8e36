"""Runs the spec stages in order: load, validate, resolve, lint.

The CLI and the tests call ``check_spec``; targets receive only the resolved ``Spec``.
"""

from __future__ import annotations

from pathlib import Path

from generator.diagnostics import Finding, has_errors, sort_findings
from generator.lint import lint
from generator.model import Spec
from generator.resolve import load_resolved


def check_spec(spec_dir: Path) -> tuple[Spec | None, list[Finding]]:
    """The resolved spec and every finding, sorted by location and without duplicates.

    The spec is None when any finding is an error, lint errors included, so nothing
    downstream can build from a spec that ``gen check`` rejects.  Lint runs only on a
    spec that resolved (its rules need the whole model).
    """
    resolved, findings = load_resolved(Path(spec_dir))
    if resolved is not None:
        findings = findings + lint(resolved)
    findings = sort_findings(findings)
    if resolved is None or has_errors(findings):
        return None, findings
    return resolved.spec, findings
