"""Hostile ground for ``gen infer --write`` (issue 25): the spec changing while the
command runs, and a spec folder holding links and fifos.  Each test runs on a hashed
sandbox (the spec, the traffic and an outside folder): nothing changes but what the
test itself changes and, on success, the spec files the edit names.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from _sandbox import changed_outside, snapshot
from click.testing import CliRunner

from generator.cli import main
from generator.infer import inputs

FIXTURE = Path(__file__).parent / "infer_fixture"


@pytest.fixture()
def product(tmp_path: Path, monkeypatch) -> Path:
    shutil.copytree(FIXTURE / "spec", tmp_path / "spec")
    shutil.copytree(FIXTURE / "traffic", tmp_path / "traffic")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("untouched\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _infer(*args: str):
    return CliRunner().invoke(main, ["infer", "traffic", "--section", "config", *args])


def test_an_edit_is_applied_only_to_the_bytes_it_was_computed_from(product, monkeypatch):
    """The spec changes after it was read (a field inserted above the one the edit
    renames): the write is refused, naming the file, and the file keeps the
    maintainer's version."""
    target = product / "spec" / "10_config.yaml"
    real = inputs.scratch_copy

    def edit_meanwhile(files, spec, into):
        text = target.read_text()
        target.write_text(text.replace("\n", "\n# a maintainer's edit, made while gen infer ran\n", 3))
        return real(files, spec, into)

    monkeypatch.setattr(inputs, "scratch_copy", edit_meanwhile)
    hashed_before = None

    def remember(*a, **kw):
        nonlocal hashed_before
        hashed_before = snapshot(product)
        return real_unchanged(*a, **kw)

    real_unchanged = inputs.unchanged
    monkeypatch.setattr(inputs, "unchanged", remember)
    r = _infer("--write")
    assert r.exit_code == 2, r.output
    assert "10_config.yaml changed while gen infer ran" in r.output and "nothing was written" in r.output
    assert "Traceback" not in r.output
    assert changed_outside(hashed_before, snapshot(product)) == {}
    assert target.read_text().count("a maintainer's edit") == 3


def test_an_unchanged_spec_is_written(product):
    before = snapshot(product)
    r = _infer("--write")
    assert r.exit_code == 0, r.output
    assert set(changed_outside(before, snapshot(product))) == {"spec/10_config.yaml"}


def _temp_usage(folder: Path) -> int:
    """Files left in the test's own temporary folder (other runs on the machine use
    their own)."""
    return sum(len(files) for _, _, files in os.walk(folder))


@pytest.mark.parametrize("attack", ["two-self-links", "one-self-link", "fifo-yaml", "fifo-other", "link-outside"])
def test_links_and_fifos_in_the_spec_folder_are_findings_never_exit_3(product, attack, tmp_path_factory, monkeypatch):
    scratch = tmp_path_factory.mktemp("scratch")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    spec = product / "spec"
    if attack == "two-self-links":
        os.symlink(".", spec / "a")
        os.symlink(".", spec / "b")
    elif attack == "one-self-link":
        os.symlink(".", spec / "loop")
    elif attack == "fifo-yaml":
        os.mkfifo(spec / "pipe.yaml")
    elif attack == "fifo-other":
        os.mkfifo(spec / "pipe")
    else:
        os.symlink("../outside/keep.txt", spec / "keep.yaml")
    before = snapshot(product)
    started = time.monotonic()
    r = _infer("--write")
    took = time.monotonic() - started
    assert took < 60, took
    assert r.exit_code != 3 and "Traceback" not in r.output, r.output
    changed = changed_outside(before, snapshot(product))
    if attack == "fifo-other":  # not part of the spec: ignored, the edit goes through
        assert r.exit_code == 0, r.output
        assert set(changed) == {"spec/10_config.yaml"}
    else:
        assert r.exit_code == 1, r.output
        assert ("error[unsafe-path]" if "link" in attack else "error[unreadable]") in r.output, r.output
        assert "fix them first" in r.output
        assert changed == {}
    assert _temp_usage(scratch) == 0  # nothing left in (or copied to) the temporary folder
