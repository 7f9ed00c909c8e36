"""Build orchestration: render every target in memory, then write or compare.

Kept apart from the CLI so tests and benchmarks call the same code path.  Both
``build_output`` and ``compare_output`` hand the targets a ``Previous`` view of the
output folder, so a slow target whose inputs did not change (the models) reuses what
the last build produced; the reuse is checked against file hashes, so ``gen check``
still sees every hand edit.  ``build_output`` stages each target's files on disk while
later targets (the models, generated in a child process) are still running, and commits
them only when every target has succeeded (``writer.Staging``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from generator import writer
from generator.model import Spec
from generator.targets import Previous, TargetCollision, TargetFailed, render_all


def warm_up(spec_dir: Path, out_dir: Path) -> None:
    """Give the slowest target a head start when it will probably have to run (see
    ``models.warm_up``; ``gen`` calls that before even importing click)."""
    from generator.targets import models

    models.warm_up(spec_dir, out_dir)


def previous(out_dir: Path) -> Previous:
    """What the last build in ``out_dir`` left that targets may reuse."""
    return Previous(writer.previous_getter(out_dir), writer.read_records(out_dir))


def render(
    spec: Spec, previous: Previous | None = None, ready: Callable[[dict[str, bytes]], None] | None = None
) -> dict[str, bytes]:
    """Every generated file, in memory (no manifest; the writer adds it).

    When the models must be regenerated, datamodel-code-generator starts first, in a
    child process, and runs while the other targets render (see ``models.prefetch``);
    ``ready`` gets each target's files as they come (``render_all``), so that a build can
    stage them on disk while the child is still generating.
    """
    from generator.targets import TARGETS

    started = None
    for target in TARGETS:
        if target.module == "generator.targets.models":
            from generator.targets import models as started

            key = previous.build_key(spec, target.module) if previous is not None else None
            started.prefetch(spec, previous, key)
    try:
        return render_all(spec, previous, ready)
    finally:
        if started is not None:
            started.cancel()  # a target failed before the models collected their child


def _render_or_report(spec: Spec, prev: Previous | None, what: str, ready=None) -> dict[str, bytes] | None:
    """Render; on a target failure print what failed (never a traceback) and return None."""
    try:
        return render(spec, prev, ready)
    except TargetCollision as exc:
        click.echo(f"{what}: {exc}; nothing was written", err=True)
        return None
    except TargetFailed as exc:
        import os

        if os.environ.get("GEN_DEBUG"):
            raise
        click.echo(
            f"{what}: {exc}\n"
            "  nothing was written; if the message does not point at the spec, this is a "
            "bug in the generator (re-run with GEN_DEBUG=1 for a traceback)",
            err=True,
        )
        return None


def build_output(spec: Spec, spec_dir: Path, out_dir: Path) -> int:
    """Render and write; returns the exit code.

    Each target's files are staged on disk as soon as it has rendered (the writing
    overlaps the models' generator, the slowest part), and committed once every target
    has succeeded; on any failure the staged files are discarded and nothing changes.
    """
    prev = previous(out_dir)
    staging = writer.Staging(out_dir)
    try:
        return _build(spec, out_dir, prev, staging)
    finally:
        staging.discard()


def _build(spec: Spec, out_dir: Path, prev: Previous, staging: writer.Staging) -> int:
    files = _render_or_report(spec, prev, "gen build", staging.add)
    if files is None:
        return 1
    try:
        # Records a target-level reuse skipped (the models' own) stay valid: carry them.
        rep = staging.commit(files, records={**prev.records, **prev.updates})
    except writer.ForeignFileError as exc:
        click.echo(
            "gen build: refusing to overwrite files that no earlier build wrote:\n"
            + "".join(f"  {out_dir / p}\n" for p in exc.paths)
            + "  help: move them out of the output folder, or delete them; nothing was written",
            err=True,
        )
        return 1
    except OSError as exc:
        click.echo(f"gen build: cannot write {exc.filename or out_dir}: {exc.strerror}", err=True)
        return 2
    click.echo(
        f"gen build: {len(rep.written)} written, {len(rep.unchanged)} unchanged, "
        f"{len(rep.removed)} removed in {out_dir}",
        err=True,
    )
    for p in rep.stray:
        click.echo(f"  note: {out_dir / p} was not written by the generator (left alone)", err=True)
    return 0


def compare_output(spec: Spec, spec_dir: Path, out_dir: Path, quiet: bool = False) -> bool:
    """True when OUT is exactly what the spec produces; otherwise print why."""
    files = _render_or_report(spec, previous(out_dir), "gen check")
    if files is None:
        return False
    rep = writer.compare(out_dir, files)
    if rep.clean:
        if not quiet:
            click.echo(f"gen: {out_dir} is up to date ({len(rep.unchanged)} files)", err=True)
        return True
    echo = lambda s: click.echo(s, err=True)
    echo(f"gen: {out_dir} is not what the spec produces; run `gen build` and commit the result")
    for p in rep.changed:
        echo(f"  changed:  {p}")
    for p in rep.missing:
        echo(f"  missing:  {p}")
    for p in rep.obsolete:
        echo(f"  obsolete: {p} (no longer generated)")
    for p in rep.stray:
        echo(f"  stray:    {p} (not written by the generator; remove it)")
    for p in rep.changed:
        echo(rep.diffs[p].rstrip("\n"))
    return False
