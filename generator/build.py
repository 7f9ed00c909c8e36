"""Build orchestration: render every target in memory, then write or compare.

Kept apart from the CLI so tests and benchmarks call the same code path.
"""

from __future__ import annotations

from pathlib import Path

import click

from generator import writer
from generator.model import Spec
from generator.targets import render_all


def render(spec: Spec) -> dict[str, bytes]:
    """Every generated file, in memory (no manifest; the writer adds it)."""
    return render_all(spec)


def build_output(spec: Spec, spec_dir: Path, out_dir: Path) -> int:
    """Render and write; returns the exit code."""
    files = render(spec)
    try:
        rep = writer.write(out_dir, files)
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
    files = render(spec)
    rep = writer.compare(out_dir, files)
    if rep.clean:
        if not quiet:
            click.echo(f"gen: {out_dir} is up to date ({len(rep.unchanged)} files)", err=True)
        return True
    echo = lambda s: click.echo(s, err=True)  # noqa: E731
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
