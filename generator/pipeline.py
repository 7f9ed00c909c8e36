"""The spec stages in order, and what happens when some of them fail.

Owns the stage order (load -> spec_format -> resolve -> outputs -> lint) and the partial-failure
policy: files that fail to load or validate are left out of the model (a file that
loaded only in part, e.g. with a repeated key, is still checked against the format so
that one run reports all its errors), but the valid ones are still resolved so that their errors are reported in the same run; a reference
is only reported as unknown when no loaded file declares the id; findings that depend on
a broken file (unknown references when a file could not be read at all; derived-name
findings when the file declaring the product, and so the naming conventions, is broken)
are dropped rather than guessed.

The CLI, the build and the tests call ``check_spec`` (everything) or ``load_resolved``
(stages 1-3, for lint's tests); targets receive only the resolved ``Spec``.  Both run
the stages with the cyclic garbage collector paused (``_collector_paused``).

Must not: implement a stage itself (each lives in its own module), print, or touch
the output folder.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.diagnostics import ERROR, Finding, has_errors, sort_findings
from generator.governance import NOW_UNKNOWN, AsOf
from generator.lint import BUILDS_ANYWAY, lint
from generator.load import RawFile, load_dir
from generator.model import Spec
from generator.resolve import Resolved, resolve
from generator.spec_format import validate_file

# Findings that are only sure when every file was read: a reference may point into a
# file that could not be read, and derived names depend on the product's conventions.
_NEEDS_ALL_FILES = frozenset({"unknown-reference", "missing-product"})
_NEEDS_CONVENTIONS = frozenset({"duplicate-wire-name", "duplicate-wire-key", "duplicate-model-name", "invalid-name"})


def _declared_ids(files: list[RawFile]) -> dict[str, frozenset[str]]:
    """Ids the top-level mappings of ``files`` declare (even if the files are invalid)."""
    out: dict[str, set] = {}
    for raw in files:
        for key in ("editions", "settings", "features", "sections"):
            block = raw.data.get(key)
            if isinstance(block, dict):
                out.setdefault(key, set()).update(block)
    return {k: frozenset(v) for k, v in out.items()}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the stages build their data.

    Loading and resolving a large spec creates a million objects in one go (parsed
    data, positions, the model), none of them in a reference cycle, so the collector's
    passes over the growing heap find nothing and cost a measured ~10% of
    ``check_spec`` on a 20,000-field spec (``benchmarks/bench_load.py``).  Reference
    counting still frees everything as usual; the collector is switched back on (if it
    was on) even when a stage raises.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_resolved(spec_dir: Path) -> tuple[Resolved | None, list[Finding]]:
    """Stages 1-3: load every file, validate each, resolve.  All findings together
    (unsorted); the model is None when any of them is an error.  See the module
    docstring for what happens when some files are broken."""
    with _collector_paused():
        return _load_resolved(Path(spec_dir))


def _load_resolved(spec_dir: Path) -> tuple[Resolved | None, list[Finding]]:
    partial: list[RawFile] = []
    files, findings = load_dir(Path(spec_dir), partial)
    # Files that loaded only in part (a repeated key, a control character) are checked
    # against the format too, so their other errors show up now, but never resolved.
    read_in_part = {raw.path for raw in partial}
    unreadable = any(f.code != "empty-file" and f.location.file not in read_in_part for f in findings if f.severity == ERROR)
    good, broken = [], []
    for raw in files + partial:
        errs = validate_file(raw)
        findings.extend(errs)
        (broken if errs or raw.path in read_in_part else good).append(raw)
    if not has_errors(findings):
        resolved, more = resolve(good)
        if resolved is not None:  # the template targets' folders (generator.outputs)
            resolved, more = _with_outputs(Path(spec_dir), good, resolved, more)
        return resolved, findings + more
    if good:
        _, more = resolve(good, _declared_ids(broken))
        drop: set[str] = set()
        if unreadable:
            drop |= _NEEDS_ALL_FILES
        if any("product" in raw.data for raw in broken):
            drop |= _NEEDS_CONVENTIONS | {"missing-product"}
        findings.extend(f for f in more if f.code not in drop)
    return None, findings


def _with_outputs(
    spec_dir: Path, files: list[RawFile], resolved: Resolved, findings: list[Finding]
) -> tuple[Resolved | None, list[Finding]]:
    """The resolved spec with its ``outputs`` block (template folders read), or None
    when that block has errors."""
    from dataclasses import replace

    from generator.outputs import resolve_outputs

    outputs, more = resolve_outputs(spec_dir, files)
    if has_errors(more):
        return None, findings + more
    return Resolved(replace(resolved.spec, outputs=outputs), resolved.suppressions), findings + more


def check_spec(spec_dir: Path, as_of: AsOf = NOW_UNKNOWN) -> tuple[Spec | None, list[Finding]]:
    """The resolved spec and every finding, sorted by location and without duplicates.

    The spec is None when any finding is an error, lint errors included, so nothing
    downstream can build from a spec that ``gen check`` rejects; except errors of the
    lint rules in ``BUILDS_ANYWAY`` (an unreviewed field), which fail ``gen check`` but
    leave the spec to build, diff and review, so a maintainer can look at the result.  Lint runs only on a
    spec that resolved (its rules need the whole model).  Expiry is judged against
    ``as_of`` (``gen check --as-of/--product-version``), never the clock.
    """
    with _collector_paused():
        resolved, findings = _load_resolved(Path(spec_dir))
        if resolved is not None:
            findings = findings + lint(resolved, as_of)
    findings = sort_findings(findings)
    if resolved is None or has_errors([f for f in findings if f.code not in BUILDS_ANYWAY]):
        return None, findings
    return resolved.spec, findings
