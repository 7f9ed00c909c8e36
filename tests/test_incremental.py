"""An edit followed by ``gen build`` gives exactly the bytes of a cold build (#15).

The models target regenerates only the payloads whose schema changed and reuses the
other classes from the last build (``generator.targets.models_partial``); every target
reuses its whole output while its fingerprint holds.  Each case edits the bundled spec,
rebuilds the edited copy in the folder of the unedited build, builds the edited spec
cold in an empty folder, and compares every file byte for byte.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _build_helpers import bundled_spec_dir

from generator import build
from generator.pipeline import check_spec
from generator.targets import models


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".gen-cache" not in p.parts}


def _build(spec_dir: Path, out: Path) -> None:
    spec, findings = check_spec(spec_dir)
    assert spec is not None, findings
    outcome = build.build_output(spec, out)
    assert outcome.ok, outcome.findings


def _count_generated(monkeypatch) -> list[int]:
    """A list that gets the number of payloads of each datamodel-code-generator run."""
    generated: list[int] = []
    real = models._generate

    def spy(source: bytes) -> str:
        generated.append(len(json.loads(source)["$defs"]))
        return real(source)

    monkeypatch.setattr(models, "_generate", spy)
    return generated


def _count_units(monkeypatch) -> dict[str, list[str]]:
    """Target name -> the payloads whose unit it rendered (targets with ``units``)."""
    from generator.targets import TARGETS

    rendered: dict[str, list[str]] = {}
    for target in TARGETS:
        if "units" not in target.hooks:
            continue
        module = target.load()

        def spy(spec, payload, _real=module.unit, _name=target.name):
            rendered.setdefault(_name, []).append(payload.wire_name)
            return _real(spec, payload)

        monkeypatch.setattr(module, "unit", spy)
    return rendered


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{path.name} no longer has {old!r}"
    path.write_text(text.replace(old, new, 1), "utf-8")


# (file, old text, new text, how many payloads the models generator may regenerate)
EDITS = {
    "one payload's field description": (
        "10_security_update_check.yaml", "description: server operating system",
        "description: server operating system (edited)", 1),
    "a shared section property (schedule)": (
        "40_license_plugins_usage.yaml", "schedule: every 24h", "schedule: every 12h", None),
    "a shared property (edition title)": (
        "00_product.yaml", "title: Enterprise Edition", "title: Enterprise Edition Plus", None),
    "a product-wide property (product name)": (
        "00_product.yaml", "  name: Mattermost\n", "  name: Mattermost Server\n", None),
}


@pytest.mark.parametrize("case", sorted(EDITS))
def test_an_edit_then_build_equals_a_cold_build_byte_for_byte(case, tmp_path, monkeypatch):
    monkeypatch.setenv("GEN_NO_FORK", "1")  # the generator runs here, where the spy sees it
    spec_dir = tmp_path / "spec"
    shutil.copytree(bundled_spec_dir(), spec_dir)
    incremental, cold = tmp_path / "incremental", tmp_path / "cold"
    _build(spec_dir, incremental)

    generated = _count_generated(monkeypatch)
    units = _count_units(monkeypatch)
    name, old, new, most = EDITS[case]
    _replace_once(spec_dir / name, old, new)
    _build(spec_dir, incremental)
    if most is not None:  # the edit was served by a partial run, not a whole one
        assert generated and max(generated) <= most, generated
        # and every per-payload target rendered only the edited payload's files
        assert units and all(len(wire_names) == most for wire_names in units.values()), units
    _build(spec_dir, cold)
    a, b = _tree(incremental), _tree(cold)
    assert sorted(a) == sorted(b)
    assert [p for p in a if a[p] != b[p]] == []


def test_a_partial_rebuild_that_adds_and_removes_payloads_equals_a_cold_build(tmp_path, monkeypatch):
    """Removing one payload and renaming another (a new class) still joins exactly."""
    monkeypatch.setenv("GEN_NO_FORK", "1")
    spec_dir = tmp_path / "spec"
    shutil.copytree(bundled_spec_dir(), spec_dir)
    incremental, cold = tmp_path / "incremental", tmp_path / "cold"
    _build(spec_dir, incremental)
    _replace_once(spec_dir / "10_security_update_check.yaml", "description: type of build (Enterprise or Team)",
                  "description: type of build (Enterprise or Team), now edited")
    _build(spec_dir, incremental)
    _build(spec_dir, cold)
    a, b = _tree(incremental), _tree(cold)
    assert [p for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)] == []


def _synthetic(folder: Path, fields: int) -> Path:
    """The benchmark's synthetic spec: many payloads share list fields of the same name,
    whose item alias the generator writes once, before its first user's class."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_build.py"
    spec = importlib.util.spec_from_file_location("bench_build_for_tests", path)
    bench = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(bench)
    bench.write_synthetic_spec(folder, fields)
    return folder


def test_split_generation_with_aliases_shared_between_slices_is_a_whole_run(tmp_path):
    """A shared alias is defined once in one run; each slice defines it again, and the
    join keeps only the first (before this, a split build wrote it twice)."""
    spec, findings = check_spec(_synthetic(tmp_path / "spec", 2000))
    assert spec is not None, findings
    source = models.generator_input(spec)
    whole = models._generate(source)
    assert whole.count("[list[") > whole.count(" = TypeAliasType(") > 0  # aliases are shared
    split, joined = models._generate_parts(source, 3)
    assert joined is not None  # joined, not one whole run
    assert models.generate_files(spec, source, split, joined) == models.generate_files(spec, source, whole)


def test_an_edit_of_a_payload_sharing_aliases_is_partial_and_exact(tmp_path, monkeypatch):
    """The edited payload defines aliases later payloads use: still one payload
    regenerated, and the bytes of a cold build."""
    monkeypatch.setenv("GEN_NO_FORK", "1")
    spec_dir = _synthetic(tmp_path / "spec", 2000)
    incremental, cold = tmp_path / "incremental", tmp_path / "cold"
    _build(spec_dir, incremental)
    generated = _count_generated(monkeypatch)
    _replace_once(spec_dir / "10_config.yaml", "description: Setting 0 of group 0,", "description: Setting 0 (edited),")
    _build(spec_dir, incremental)
    assert generated == [1]
    _build(spec_dir, cold)
    a, b = _tree(incremental), _tree(cold)
    assert [p for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)] == []


def test_after_a_one_payload_edit_the_models_compute_only_that_payloads_schema(tmp_path, monkeypatch):
    """The part digests of unchanged payloads come from the last build's record
    (``Reuse.known_parts``), so the fingerprint costs one schema, not all of them."""
    monkeypatch.setenv("GEN_NO_FORK", "1")
    spec_dir = tmp_path / "spec"
    shutil.copytree(bundled_spec_dir(), spec_dir)
    out = tmp_path / "out"
    _build(spec_dir, out)
    seen: list[str] = []
    real = models.payload_schema

    def spy(spec, payload):
        seen.append(payload.wire_name)
        return real(spec, payload)

    monkeypatch.setattr(models, "payload_schema", spy)
    _replace_once(spec_dir / "10_security_update_check.yaml", "description: server operating system",
                  "description: server operating system (edited again)")
    _build(spec_dir, out)
    assert len(set(seen)) == 1, sorted(set(seen))
    # and a build with nothing changed computes none
    seen.clear()
    _build(spec_dir, out)
    assert seen == []
