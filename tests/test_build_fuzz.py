"""The differential build fuzzer in CI (``tests/build_fuzz.py``): fixed seeds, random
edit sequences on the bundled spec, the example and a generated spec; after every step
the incremental ``gen build`` equals a cold build byte for byte.  ``FUZZ_STEPS`` makes
a run longer; ``benchmarks/fuzz_build.py`` runs many seeds before a release."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import build_fuzz
import pytest
from _build_helpers import ROOT, bundled_spec_dir

from generator import build

STEPS = int(os.environ.get("FUZZ_STEPS", "0"))


def _synthetic(tmp_path: Path) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_build import write_synthetic_spec
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    folder = tmp_path / "synthetic"
    write_synthetic_spec(folder, 600)
    return folder


@pytest.mark.parametrize(("which", "seed", "steps"), [("bundled", 1, 14), ("example", 2, 10), ("synthetic", 3, 10)])
def test_incremental_builds_equal_cold_builds_after_random_edits(which, seed, steps, tmp_path, monkeypatch):
    spec_dir = {"bundled": lambda: bundled_spec_dir(), "example": lambda: ROOT / "examples" / "cli-analytics" / "spec",
                "synthetic": lambda: _synthetic(tmp_path)}[which]()
    log = build_fuzz.fuzz(spec_dir, tmp_path / "work", seed, STEPS or steps,
                          lambda code: monkeypatch.setattr(build, "code_identity", lambda: code))
    built = [line for line in log if "not built" not in line]
    assert len(built) * 2 >= len(log), "\n".join(log)  # the edits mostly keep the spec valid
    print("\n".join(log))
