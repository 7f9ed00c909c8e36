"""Stage 3: merge validated files into the immutable, fully resolved ``Spec``.

Owns the checks that the spec format's JSON Schema cannot make: ids unique across
files, references to settings, features, sections, categories and editions that exist,
wire names and keys unique and safe (derived ones too), model class names unique,
enumerated values of the right type, version ranges in order, event payloads only in
``on event`` sections.  Inheritance is resolved onto every payload and field here, once,
so no later stage re-derives it: edition (field, else payload, else event category, else
section), version limits (the intersection of field, payload and event category limits),
schedule and opt-out setting (from the section and its feature).

How it is built: plain functions, in three modules: ``declarations`` (product,
editions, settings, features, sections), ``payloads`` (payloads and fields) and
``context`` (what both share).  The declarations (product, editions, settings,
features, sections) are resolved first into a frozen ``Context``; payloads and their
fields are then resolved against that fully built context, so no helper depends on how
far an earlier step has got.  The only mutable state is the ``Report`` that collects
findings and ``lint_ignore`` suppressions, passed explicitly.

Must not: read files, validate against the spec format's schema, run lint, decide
which findings to keep when some files are broken (``generator.pipeline`` owns the
stage order and that policy), or know any particular product.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.diagnostics import Finding, has_errors
from generator.load import RawFile
from generator.model import Location, Spec
from generator.resolve.context import Report, Resolved, Suppression
from generator.resolve.declarations import build_context, parse_schedule
from generator.resolve.payloads import resolve_payloads

__all__ = ["Resolved", "Suppression", "parse_schedule", "resolve"]


def resolve(
    files: list[RawFile],
    elsewhere: Mapping[str, frozenset[str]] | None = None,
    skipped: frozenset[tuple[str, tuple]] = frozenset(),
    partial: bool = False,
) -> tuple[Resolved | None, list[Finding]]:
    """Stage 3 on validated files: the resolved model (None when there are errors,
    unless ``partial``: then the model of what resolved, for lint to judge in the same
    run, never to build from) and every finding.  ``elsewhere`` holds ids (by top-level
    key) declared in files or elements that failed validation, so references to them are
    not reported; ``skipped`` names those elements, (file, path), which are left out."""
    report = Report(skipped=frozenset(skipped))
    if not files:
        report.error("missing-product", "no file declares `product`", Location("spec", 1, 1), "add a `product:` block (id, name, ...) to one spec file")
        return None, report.findings
    product, ctx = build_context(report, files, elsewhere or {})
    payloads = resolve_payloads(ctx, files)
    if has_errors(report.findings) and not partial:
        return None, report.findings
    spec = Spec(
        format_version=2,
        product=product,
        editions=tuple(ctx.editions.values()),
        settings=tuple(ctx.settings.values()),
        features=tuple(ctx.features.values()),
        sections=tuple(ctx.sections.values()),
        payloads=tuple(payloads),
        phrases=tuple(sorted(ctx.phrases.items())),
    )
    return Resolved(spec, tuple(report.suppressions)), report.findings

