"""``gen infer``: reconcile the spec with captured traffic, as a reviewable spec edit.

Runs the stages in order: load and check the spec; read the traffic through the payload
engine's inputs into statistics (``inputs``, ``stats``); compare and propose
(``propose``); turn the edit proposals into new file texts (``edit``); check that the
edited spec still loads without errors (in a scratch copy) before anything is written;
then print the report (``report``) and, with ``--diff``, a unified diff, or, with
``--write``, replace the changed files atomically.  A spec that would not load after the
edit is an internal error and nothing is written.

The spec's YAML files are read once (``inputs.snapshot``: the loader's list and
budgets, no link followed) into a scratch copy, and everything -- the model, the
positions the proposals carry, the texts the edit is made on, the check of the edited
spec -- comes from those bytes.  Before replacing a file, ``--write`` checks that it
still holds exactly those bytes (sha256); if one changed meanwhile, nothing is written
and the command says which file (exit 2).
"""

from __future__ import annotations

import difflib
import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from generator.infer.value_lists import DEFAULT_POLICY, ValuePolicy

# Only click at import time: `gen` imports this module for every command, and the
# payload engine's optional libraries are not needed until `gen infer` runs.


def collect(paths, names: frozenset[str], payload: str | None = None):
    """Read every input (raises ``inputs.UsageError`` for a missing path) into
    statistics: ``(Collector, Tally)``, lines that are no payload document in the tally."""
    from generator.infer import inputs
    from generator.infer.stats import Collector

    collector = Collector()
    problems = inputs.Tally()
    # Parsed JSON and the statistics hold no reference cycles: the cyclic collector's
    # passes over every young dict and tuple would only cost time.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for batch in inputs.batches(paths, names, payload):
            label, docs = inputs.documents(batch, problems)
            if docs:
                collector.add(label, docs)
    finally:
        if gc_was_enabled:
            gc.enable()
    return collector, problems


def _context(spec, raw_files, section: str | None, category: str | None, policy):
    """The comparison's context, with the spec's naming conventions (so a new field's
    derived key is judged as the spec derives it)."""
    from generator.infer.propose import Context
    from generator.resolve.context import conventions_of

    product = next((raw.data["product"] for raw in raw_files if isinstance(raw.data.get("product"), dict)), {})
    conv = conventions_of(product)
    return Context(spec, conv.is_default_prefix, conv.acronyms, conv.numbers, section, category, policy=policy)


def _section_file(spec, section_id: str) -> str:
    """The file new payloads of a section go to (at the end of its `payloads:`): the file
    holding the section's last payload, else the file declaring the section."""
    payloads = spec.payloads_of(section_id)
    if payloads:
        return payloads[-1].location.file
    return spec.section(section_id).location.file


def _checked(scratch: Path, changed: dict[str, bytes]):
    """Findings of the scratch spec with the changed files in place."""
    from generator.pipeline import check_spec

    for rel, data in changed.items():
        (scratch / rel).write_bytes(data)
    _, findings = check_spec(scratch)
    return findings


@click.command("infer")
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option("--spec", "spec_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("spec"),
              show_default=True, help="Folder of spec YAML files.")
@click.option("--payload", default=None, metavar="NAME", help="Payload of bare property objects (e.g. on standard input).")
@click.option("--section", default=None, metavar="ID", help="Add payloads the spec does not know to this section (else only list them).")
@click.option("--category", default=None, metavar="ID", help="The event category of --section that new payloads go to (when it has categories).")
@click.option("--write", is_flag=True, help="Apply the edit to the spec files in place.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the edit as a unified diff on standard output (nothing is written; the report goes to standard error).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A human report, or one JSON report for tools.")
@click.option("--min-value-documents", type=click.IntRange(1), default=DEFAULT_POLICY.min_documents, show_default=True,
              help="List a key's values in the spec only if each was seen in this many documents.")
@click.option("--min-value-sources", type=click.IntRange(1), default=DEFAULT_POLICY.min_sources, show_default=True,
              help="... coming from this many inputs (files, standard input); see README, \"Reconciling the spec with traffic\".")
def infer(paths: tuple[str, ...], spec_dir: Path, payload: str | None, section: str | None, category: str | None,
          write: bool, show_diff: bool, fmt: str, min_value_documents: int, min_value_sources: int) -> None:
    """Reconcile the spec with captured traffic, as a reviewable spec edit.

    Reads PATH... as `gen validate` does (.json, .ndjson/.jsonl, folders, - for
    standard input; envelopes, Segment track messages or bare objects), collects per
    payload and key what was seen, and proposes: wire-key renames (before additions),
    kind corrections, `required: false` for keys not always sent, new fields, and new
    payloads in --section (and --category).  Keys declared but never seen are reported, never removed.
    Everything inferred gets an `inferred:` marker that `gen check` warns about until a
    maintainer describes it.  Exit 0 when nothing is left to do, 1 when edits are only
    proposed or something needs a maintainer.
    """
    from generator.cli_output import emit as _emit
    from generator.cli_output import spec_or_exit as _spec_or_exit
    from generator.diagnostics import ERROR
    from generator.infer import inputs
    from generator.infer.report import as_dict, format_text
    from generator.load import load_dir
    from generator.spec_write import write_spec_files

    if not paths:
        raise click.UsageError("name at least one file, folder, or - for standard input")
    if write and show_diff:
        raise click.UsageError("--write and --diff exclude each other: --diff only shows the edit")
    if not spec_dir.is_dir():
        raise click.UsageError(f"spec folder '{spec_dir}' does not exist (use --spec DIR)")
    if any(isinstance(raw.data, dict) and raw.data.get("spec_format") == 1 for raw in load_dir(spec_dir)[0]):
        raise click.UsageError(f"the spec in '{spec_dir}' is in format 1; run `gen migrate --spec {spec_dir} --write` first, "
                               "so the edit is made in the format the spec will keep")
    spec, findings = _spec_or_exit(spec_dir, "text")
    if spec is None:  # an unreviewed field (BUILDS_ANYWAY) leaves a spec to reconcile
        _emit([f for f in findings if f.severity == ERROR], "text", spec_dir)
        click.echo("gen infer: the spec has errors; fix them first (see `gen check`)", err=True)
        sys.exit(1)
    names = frozenset(p.wire_name for p in spec.payloads)
    if payload is not None and payload not in names and section is None:
        raise click.UsageError(f"--payload {payload!r} is not a payload of the spec (name a --section to add it)")
    if section is not None:
        known = {s.id: s for s in spec.sections}
        if section not in known:
            raise click.UsageError(f"--section {section!r} is not a section of the spec (known: {', '.join(sorted(known))})")
        cats = [c.id for c in known[section].categories]
        if cats and category not in cats:
            raise click.UsageError(f"--section {section!r} has event categories; name one with --category ({', '.join(cats)})")
        if category is not None and not cats:
            raise click.UsageError(f"--section {section!r} has no event categories; drop --category")
    elif category is not None:
        raise click.UsageError("--category needs --section")
    try:
        collector, problems = collect(paths, names, payload)
    except inputs.UsageError as exc:
        raise click.UsageError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="gen-infer-") as tmp:
        try:
            policy = ValuePolicy(min_value_documents, min_value_sources)
            result, changed, analysed = _analyse(spec, spec_dir, Path(tmp), collector, problems, section, category, policy)
            if result.edits and changed and write:
                inputs.unchanged(spec_dir, analysed, changed)
        except inputs.SpecChanged as exc:
            click.echo(f"gen infer: {exc}; nothing was written (run gen infer again on the spec as it is now)", err=True)
            sys.exit(2)
    if result.edits:
        if show_diff:
            for rel in sorted(changed):
                old = analysed[rel].decode("utf-8-sig").splitlines(keepends=True)
                new = changed[rel].decode("utf-8-sig").splitlines(keepends=True)
                click.echo("".join(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}")), nl=False)
        elif write and changed:
            write_spec_files(spec_dir, changed)
            result.written = True
        elif write:
            result.written = True
    report = json.dumps(as_dict(result), indent=2) + "\n" if fmt == "json" else format_text(result)
    click.echo(report, nl=False, err=show_diff)
    sys.exit(1 if result.needs_maintainer else 0)


def _analyse(spec: Any, spec_dir: Path, tmp: Path, collector: Any, problems: Any, section: str | None,
             category: str | None, policy: ValuePolicy = DEFAULT_POLICY) -> tuple[Any, dict[str, bytes], dict[str, bytes]]:
    """The result, the changed files' new bytes, and the bytes that were analysed: the
    spec is read once into a scratch copy, and the model, the proposals' positions and
    the edited texts all come from it (``inputs.SpecChanged`` if it no longer loads as
    ``spec`` did)."""
    from generator.diagnostics import ERROR
    from generator.infer import inputs
    from generator.infer.edit import SpecText, plan
    from generator.infer.propose import compare
    from generator.infer.report import Result
    from generator.lint import BUILDS_ANYWAY
    from generator.load import load_dir
    from generator.pipeline import check_spec

    analysed = inputs.snapshot(spec_dir)
    scratch = inputs.scratch_copy(analysed, spec, tmp)
    spec, _ = check_spec(scratch)
    if spec is None:
        raise inputs.SpecChanged("the spec changed while gen infer ran and no longer loads")
    raw_files, _ = load_dir(scratch)
    ctx = _context(spec, raw_files, section, category, policy)
    proposals = compare(ctx, collector.payloads)
    result = Result(collector, problems, proposals)
    changed: dict[str, bytes] = {}
    if result.edits:
        files = {raw.path: SpecText(raw, analysed[raw.path]) for raw in raw_files}
        locations = {p.wire_name: p.location for p in spec.payloads}
        target = _section_file(spec, section) if section else None
        changed, result.failed = plan(proposals, files, locations, target)
        bad = [f for f in _checked(scratch, changed) if f.severity == ERROR and f.code not in BUILDS_ANYWAY]
        if bad:
            from generator.cli_output import emit

            emit(bad, "text", spec_dir)
            click.echo("gen infer: internal error: the edited spec would not load; nothing was written "
                       "(this is a bug in gen infer; please report it)", err=True)
            sys.exit(3)
        result.changed_files = sorted(changed)
    return result, changed, analysed
