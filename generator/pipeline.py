"""The spec stages in order, and what happens when some of them fail.

Owns the stage order (load -> migrate -> spec_format -> resolve -> outputs -> lint) and
the partial-failure policy, whose aim is every error in one run: each stage runs on what
the earlier stages could read.  A file that fails to load, or loaded only in part (a
repeated key), is checked against the format but left out of the model; an element
(a field, a payload, an event category, a feature, a setting, a section, an edition, a
phrase) that fails the format is left out and the rest of its file is resolved; lint
then judges the model of what resolved, even when there are errors (the spec is still
refused).  A reference is only reported as unknown when nothing declares the id, not
even a broken file or element; findings that depend on what was left out (unknown
references when a file could not be read at all; derived-name findings when the file
declaring the product, and so the naming conventions, is broken; lint rules about
emptiness and unused suppressions) are dropped rather than guessed.

A file in spec format 1 is migrated in memory right after loading
(``generator.migrate``, positions kept), so old revisions still load; the spec then
gets one ``old-spec-format`` warning naming ``gen migrate``.

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
from typing import Any

from generator.diagnostics import ERROR, WARNING, Finding, has_errors, sort_findings
from generator.governance import NOW_UNKNOWN, AsOf
from generator.lint import BUILDS_ANYWAY, lint
from generator.load import RawFile, load_dir
from generator.migrate import migrate_raw
from generator.model import Spec
from generator.resolve import Resolved, resolve
from generator.spec_format import invalid_elements, validate_file

# Findings that are only sure when every file was read: a reference may point into a
# file that could not be read, and derived names depend on the product's conventions.
_NEEDS_ALL_FILES = frozenset({"unknown-reference", "missing-product"})
_NEEDS_CONVENTIONS = frozenset({"duplicate-wire-name", "duplicate-wire-key", "duplicate-model-name", "invalid-name"})
# Lint rules that judge completeness: unsure while anything was left out.
_NEEDS_EVERYTHING = frozenset({"empty-section", "empty-category", "unused-suppression"})


def _declared_ids(files: list[RawFile], skipped: frozenset[tuple[str, tuple]] = frozenset()) -> dict[str, frozenset[str]]:
    """Ids the top-level mappings of ``files`` declare (even if the files are invalid),
    and those of the ``skipped`` elements (file, path) of the other files."""
    out: dict[str, set] = {}
    for raw in files:
        for key in ("editions", "settings", "features", "sections"):
            block = raw.data.get(key)
            if isinstance(block, dict):
                out.setdefault(key, set()).update(block)
    for _file, path in skipped:
        if len(path) == 2 and path[0] in ("editions", "settings", "features", "sections"):
            out.setdefault(path[0], set()).add(path[1])
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
        resolved, findings, _partial = _load_resolved(Path(spec_dir))
        return resolved, findings


def _load_resolved(spec_dir: Path, parsed: Any = None) -> tuple[Resolved | None, list[Finding], Resolved | None]:
    """Stages 1-3: the model (None on errors), the findings, and, when there were
    errors, the model of what did resolve (for lint only; None when nothing did)."""
    partial: list[RawFile] = []
    files, findings = load_dir(Path(spec_dir), partial, parsed)
    files, partial = _migrated(files, partial, findings, Path(spec_dir))
    # Files that loaded only in part (a repeated key, a control character) are checked
    # against the format too, so their other errors show up now, but never resolved.
    read_in_part = {raw.path for raw in partial}
    unreadable = any(f.code != "empty-file" and f.location.file not in read_in_part for f in findings if f.severity == ERROR)
    good, broken = [], []
    skipped: set[tuple[str, tuple]] = set()
    for raw in files + partial:
        errs = validate_file(raw)
        findings.extend(errs)
        elements = invalid_elements(raw) if errs and raw.path not in read_in_part else frozenset()
        if elements is None or raw.path in read_in_part:
            broken.append(raw)
            continue
        skipped |= {(raw.path, path) for path in elements}
        good.append(raw)
    if not has_errors(findings):
        resolved, more = resolve(good)
        if resolved is not None:  # the template targets' folders (generator.outputs)
            resolved, more = _with_outputs(Path(spec_dir), good, resolved, more)
        if resolved is None and has_errors(more):
            return None, findings + more, _partial_model(good, {}, frozenset())[0]
        return resolved, findings + more, None
    if not good:
        return None, findings, None
    partial_model, more = _partial_model(good, _declared_ids(broken, frozenset(skipped)), frozenset(skipped))
    drop: set[str] = set()
    if unreadable:
        drop |= _NEEDS_ALL_FILES
    if any("product" in raw.data for raw in broken):
        drop |= _NEEDS_CONVENTIONS | {"missing-product"}
    findings.extend(f for f in more if f.code not in drop)
    return None, findings, partial_model


def _partial_model(good: list[RawFile], elsewhere: dict, skipped: frozenset) -> tuple[Resolved | None, list[Finding]]:
    """Resolve a spec with errors: the model of what resolved (for lint only; None when
    the product itself did not resolve, as lint would judge a stand-in nobody wrote)
    and the resolver's findings."""
    model, findings = resolve(good, elsewhere, skipped, partial=True)
    if not any(isinstance(raw.data, dict) and "product" in raw.data for raw in good):
        model = None
    return model, findings


def _migrated(files: list[RawFile], partial: list[RawFile], findings: list[Finding], spec_dir: Path) -> tuple[list[RawFile], list[RawFile]]:
    """The files with every format-1 one migrated to format 2 in memory; one warning
    (at the first such file) when there were any."""
    old = [raw for raw in files + partial if isinstance(raw.data, dict) and raw.data.get("spec_format") == 1]
    if not old:
        return files, partial
    first = min(old, key=lambda raw: raw.path)
    findings.append(
        Finding(
            "old-spec-format",
            WARNING,
            f"the spec is in format 1 ({len(old)} file{'s' if len(old) > 1 else ''}); it was migrated to format 2 in memory",
            first.where(("spec_format",)),
            f"run `gen migrate{'' if spec_dir == Path('spec') else f' --spec {spec_dir}'} --write` to rewrite it as format 2 "
            "(comments and layout are kept); docs/spec-reference.md lists the changes",
        )
    )
    done = {id(raw): migrate_raw(raw) for raw in old}
    return [done.get(id(r), r) for r in files], [done.get(id(r), r) for r in partial]


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


def _lint_partial(partial: Resolved, as_of: AsOf) -> list[Finding]:
    """Lint on the model of what resolved in a spec with errors, so that one run
    reports those too.  Payloads whose section did not resolve (and sections whose
    feature did not) are left out, and rules about completeness are not asked."""
    from dataclasses import replace

    spec = partial.spec
    features = {f.id for f in spec.features}
    sections = tuple(s for s in spec.sections if s.feature_id in features)
    known = {s.id for s in sections}
    spec = replace(spec, sections=sections, payloads=tuple(p for p in spec.payloads if p.section_id in known))
    return [f for f in lint(Resolved(spec, partial.suppressions), as_of) if f.code not in _NEEDS_EVERYTHING]


def check_spec(spec_dir: Path, as_of: AsOf = NOW_UNKNOWN, parsed: Any = None) -> tuple[Spec | None, list[Finding]]:
    """The resolved spec and every finding, sorted by location and without duplicates.

    The spec is None when any finding is an error, lint errors included, so nothing
    downstream can build from a spec that ``gen check`` rejects; except errors of the
    lint rules in ``BUILDS_ANYWAY`` (an unreviewed field), which fail ``gen check`` but
    leave the spec to build, diff and review, so a maintainer can look at the result.  Lint runs only on a
    spec that resolved (its rules need the whole model).  Expiry is judged against
    ``as_of`` (``gen check --as-of/--product-version``), never the clock.  ``parsed``
    (``gen build`` only) reuses the output folder's parsed files (``generator.parsed_cache``).
    """
    with _collector_paused():
        resolved, findings, partial = _load_resolved(Path(spec_dir), parsed)
        if resolved is not None:
            findings = findings + lint(resolved, as_of)
        elif partial is not None:
            findings = findings + _lint_partial(partial, as_of)
    findings = sort_findings(findings)
    if resolved is None or has_errors([f for f in findings if f.code not in BUILDS_ANYWAY]):
        return None, findings
    return resolved.spec, findings
