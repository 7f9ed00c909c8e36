"""Same spec, same bytes: builds in different folders and under different hash seeds
produce identical trees, and nothing in them depends on when, where or with which tool
versions they were built."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from _build_helpers import ROOT, bundled_spec_dir


def _build(spec_src: Path, root: Path, seed: str) -> Path:
    """Copy the spec under ``root`` and build it there, in a fresh process."""
    spec_dir = root / "the spec"  # a space in the path, for good measure
    shutil.copytree(spec_src, spec_dir)
    out = root / "generated"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
    r = subprocess.run(
        [sys.executable, "-m", "generator.cli", "build", "--spec", str(spec_dir), "--out", str(out)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return out


def _tree(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".gen-cache" not in p.parts and "__pycache__" not in p.parts
    }


def test_two_folders_two_hash_seeds_identical_bytes(tmp_path):
    spec_src = bundled_spec_dir()
    a = _tree(_build(spec_src, tmp_path / "first" / "deep", "0"))
    b = _tree(_build(spec_src, tmp_path / "second", "4242"))
    assert sorted(a) == sorted(b)
    different = [p for p in a if a[p] != b[p]]
    assert different == []
    # Exactly the committed tree's files (test_committed_tree checks their bytes).
    committed = json.loads((ROOT / "generated" / "MANIFEST.json").read_text("utf-8"))["files"]
    assert sorted(a) == sorted([*committed, "MANIFEST.json"])

    # Nothing depends on where, when or with what the build ran.
    today = datetime.date.today()
    forbidden = {
        str(tmp_path),
        "/tmp/",
        str(Path.home()),
        str(ROOT),
        today.isoformat(),
        today.strftime("%d %b %Y"),
        today.strftime("%B %d, %Y"),
        f"Python {platform.python_version()}",
        platform.node(),
    }
    for dist in ("datamodel-code-generator", "pydantic", "jinja2", "jsonschema", "PyYAML", "click"):
        try:
            forbidden.add(f"{dist} {importlib.metadata.version(dist)}")
            forbidden.add(f"version: {importlib.metadata.version(dist)}")
            forbidden.add(f"{dist}=={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            pass
    forbidden.add("datamodel-codegen version")
    for path, data in a.items():
        text = data.decode("utf-8", errors="replace")
        for needle in forbidden:
            assert needle not in text, f"{path} contains {needle!r}"
        assert "\r\n" not in text, f"{path} has CRLF line endings"


# Each child renders every target except the models (datamodel-code-generator, covered by
# the full builds above) and prints one "sha256 path" line per file.
_RENDER = """
import hashlib, sys
from generator.pipeline import check_spec
from generator.targets import TARGETS
spec, findings = check_spec(sys.argv[1])
assert spec is not None, findings
for target in TARGETS:
    if target.module != "generator.targets.models":
        for path, data in sorted(target.render(spec, None).items()):
            print(hashlib.sha256(data).hexdigest(), path)
"""
# Two seeds can agree by chance on the order of a small set (they did, for the three
# kinds of a catalogue field group); twelve do not.
SEEDS = ["0", "1", "2", "3", "7", "42", "99", "123", "999", "4242", "31337", "65535"]


def test_targets_are_identical_under_many_hash_seeds():
    from concurrent.futures import ThreadPoolExecutor

    spec_dir = bundled_spec_dir()

    def render(seed: str) -> list[str]:
        r = subprocess.run(
            [sys.executable, "-c", _RENDER, str(spec_dir)],
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert r.returncode == 0, r.stderr
        return r.stdout.splitlines()

    with ThreadPoolExecutor(max_workers=4) as pool:  # a few children at a time
        outputs = dict(zip(SEEDS, pool.map(render, SEEDS)))
    # The same files as the committed tree, minus the models and the manifest.
    committed = json.loads((ROOT / "generated" / "MANIFEST.json").read_text("utf-8"))["files"]
    expected = sorted(f"{entry['sha256']} {path}" for path, entry in committed.items() if not path.startswith("models/"))
    for seed, lines in outputs.items():
        differ = sorted({line.split(" ", 1)[1] for line in set(lines) ^ set(expected)})
        assert differ == [], f"PYTHONHASHSEED={seed} changes these files: {differ}"
        assert len(lines) == len(expected)
