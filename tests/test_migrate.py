"""Spec format 1 -> 2: ``gen migrate`` (text) and the loader's in-memory migration agree.

* ``tests/migrate_cases/<name>/format1.yaml`` -> ``format2.yaml``: one golden case per
  renamed key (refresh with ``UPDATE_GOLDEN=1`` and read the diff);
* the byte checks: every line the migration does not change is kept byte for byte;
* ``tests/format1_spec/`` is the bundled spec's last format-1 revision: loaded as it is
  (migrated in memory, one warning), and rewritten by ``gen migrate``, it resolves to
  exactly the bundled spec, and ``gen diff`` between it and its migrated self finds nothing;
* every spec folder of the tests, turned back into format 1 (by the tables read
  backwards), resolves through the loader and through ``gen migrate`` to what the
  format-2 folder resolves to.
"""

from __future__ import annotations

import difflib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from _ci import update_golden
from click.testing import CliRunner

from generator.cli import main
from generator.load import load_bytes, load_dir
from generator.migrate.rules import (
    INTO_GOVERNANCE,
    KIND_RENAMES,
    RENAMED,
    migrate_data,
    migrate_raw,
)
from generator.migrate.text import migrate_bytes
from generator.pipeline import check_spec
from generator.targets.catalog import catalog

TESTS = Path(__file__).parent
REPO = TESTS.parent
CASES = TESTS / "migrate_cases"
FORMAT1_SPEC = TESTS / "format1_spec"
UPDATE = update_golden()


def _cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "format1.yaml").exists())


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_migrate_case(case: Path) -> None:
    """format1.yaml migrates to exactly format2.yaml, which loads to what the in-memory
    migration gives."""
    old = (case / "format1.yaml").read_bytes()
    raw, findings = load_bytes(old, "format1.yaml")
    assert raw is not None and not findings
    new = migrate_bytes(raw, old)
    if UPDATE:
        (case / "format2.yaml").write_bytes(new)
    assert new == (case / "format2.yaml").read_bytes()
    again, _ = load_bytes(new, "format2.yaml")
    assert again.data == migrate_data(raw.data) == migrate_raw(raw).data
    assert again.data["spec_format"] == 2


# Tokens a changed line of a format-1 file may hold (what the migration rewrites).
_FORMAT1_TOKENS = re.compile(
    r"\b(spec_format|version|versions|review|reviews|owners|tickets|expires|expiry_reason|governance|approvals|kind|opt_out|"
    r"off_value|off_values|event|group|wire_name|setting|not_possible|cost|section|" + "|".join(KIND_RENAMES) + r")\b"
)


def _untouched_lines_kept(old: bytes, new: bytes) -> None:
    """Every line the diff removes or changes holds a token the migration rewrites (or
    belongs to a governance block that moved two spaces deeper, unchanged otherwise)."""
    a = old.decode("utf-8").splitlines(keepends=True)
    b = new.decode("utf-8").splitlines(keepends=True)
    added = set(b)
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for line in a[i1:i2] if tag in ("delete", "replace") else ():
            moved = "  " + line in added or not line.strip()
            assert moved or _FORMAT1_TOKENS.search(line), f"line changed that the migration does not touch: {line!r}"


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_migrate_keeps_untouched_lines(case: Path) -> None:
    _untouched_lines_kept((case / "format1.yaml").read_bytes(), (case / "format2.yaml").read_bytes())


def test_every_rename_has_a_golden_case() -> None:
    """Each key and kind the tables rename appears in some case's format1.yaml."""
    text = "".join((c / "format1.yaml").read_text("utf-8") for c in _cases())
    keys = {k for table in RENAMED.values() for k in table} | set(INTO_GOVERNANCE) | set(KIND_RENAMES)
    for key in sorted(keys):
        assert re.search(rf"\b{key}\b", text), f"no golden case renames {key!r}"


def _catalog(spec_dir: Path) -> str:
    spec, findings = check_spec(spec_dir)
    assert spec is not None, [str(f.location) + " " + f.message for f in findings if f.severity == "error"]
    return json.dumps(catalog(spec), sort_keys=True, default=str)


def test_format1_revision_of_the_bundled_spec(tmp_path: Path) -> None:
    """The last format-1 revision loads with one warning naming `gen migrate`, resolves
    like the bundled spec, and `gen migrate --write` turns it into the bundled spec."""
    spec, findings = check_spec(FORMAT1_SPEC)
    assert spec is not None
    warned = [f for f in findings if f.code == "old-spec-format"]
    assert len(warned) == 1 and "gen migrate" in warned[0].help
    assert (warned[0].location.file, warned[0].location.line) == ("00_product.yaml", 14)
    assert _catalog(FORMAT1_SPEC) == _catalog(REPO / "spec")
    copy = tmp_path / "spec"
    shutil.copytree(FORMAT1_SPEC, copy)
    result = CliRunner().invoke(main, ["migrate", "--spec", str(copy), "--write"])
    assert result.exit_code == 0, result.output
    for path in sorted(copy.glob("*.yaml")):
        _untouched_lines_kept((FORMAT1_SPEC / path.name).read_bytes(), path.read_bytes())
    _, after = check_spec(copy)
    assert not [f for f in after if f.code == "old-spec-format"]
    assert _catalog(copy) == _catalog(REPO / "spec")
    again = CliRunner().invoke(main, ["migrate", "--spec", str(copy), "--write"])
    assert again.exit_code == 0 and "no format-1 file" in again.output


def test_the_format1_revision_builds_to_the_same_outputs() -> None:
    """Loaded as it is (migrated in memory), the format-1 revision renders the bundled
    spec's outputs byte for byte (every target but the slow models, which are generated
    from the JSON Schemas compared here)."""
    from generator.targets import TARGETS

    old, _ = check_spec(FORMAT1_SPEC)
    new, _ = check_spec(REPO / "spec")
    for target in TARGETS:
        if target.name != "models":
            assert target.render(old) == target.render(new), target.name


def test_gen_diff_across_the_format_change_finds_nothing() -> None:
    result = CliRunner().invoke(main, ["diff", str(FORMAT1_SPEC), str(REPO / "spec"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("["):]) == []
    text = CliRunner().invoke(main, ["diff", str(FORMAT1_SPEC), str(REPO / "spec")])
    assert text.exit_code == 0 and "no changes" in text.output


def test_gen_diff_against_a_vendored_format1_catalogue(tmp_path: Path) -> None:
    """``tests/format1_catalog.json`` is the bundled spec's catalog.json as the last
    release (catalog_format 1, spec format 1: old kind ids, one ``opt_out`` a feature)
    wrote it.  gen diff reads it in today's shape: the formats' changes are no change,
    and a real difference still shows."""
    old = REPO / "tests" / "format1_catalog.json"
    doc = json.loads(old.read_text("utf-8"))
    assert doc["catalog_format"] == 1 and "opt_outs" not in doc["features"][0]
    assert sum(f["kind"] in KIND_RENAMES for p in doc["payloads"] for f in p["fields"]) > 10
    result = CliRunner().invoke(main, ["diff", str(old), str(REPO / "spec"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("["):]) == []
    dropped = doc["payloads"][1]["fields"].pop(0)
    edited = tmp_path / "catalog.json"
    edited.write_text(json.dumps(doc), "utf-8")
    result = CliRunner().invoke(main, ["diff", str(edited), str(REPO / "spec"), "--format", "json"])
    changes = json.loads(result.output[result.output.index("["):])
    assert [c["rule"] for c in changes] == ["field-added"] and dropped["wire_key"] in json.dumps(changes)


def test_gen_review_across_the_format_change_asks_nothing() -> None:
    result = CliRunner().invoke(main, ["review", str(FORMAT1_SPEC), str(REPO / "spec"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[result.output.index("{"):])["fields"] == []


def test_migrate_without_write_prints_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "spec"
    shutil.copytree(FORMAT1_SPEC, copy)
    result = CliRunner().invoke(main, ["migrate", "--spec", str(copy)])
    assert result.exit_code == 0
    assert "+spec_format: 2" in result.output and "-spec_format: 1" in result.output
    assert all((copy / p.name).read_bytes() == p.read_bytes() for p in FORMAT1_SPEC.glob("*.yaml"))


def test_format1_findings_point_at_what_the_maintainer_wrote(tmp_path: Path) -> None:
    """A mistake in a format-1 file is reported at its line and column in that file,
    under its format-2 path."""
    (tmp_path / "spec.yaml").write_text(
        "spec_format: 1\npayloads:\n  - event: e\n    section: s\n    versions: {min: x}\n    fields:\n"
        "      - {name: A, kind: is_default, owners: [7]}\n",
        "utf-8",
    )
    _, findings = check_spec(tmp_path)
    where = {f.message: (f.location.line, f.location.column) for f in findings}
    assert where["payloads/0/product_versions/min: 'x' is not a version number"] == (5, 21)
    assert where["payloads/0/fields/0/governance/owners/0 must be a string, found an integer"] == (7, 46)


def test_a_change_that_cannot_be_made_in_place_is_reported(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text("spec_format: 1\npayloads:\n  - owners: [a]\n    wire_name: w\n    section: s\n", "utf-8")
    result = CliRunner().invoke(main, ["migrate", "--spec", str(tmp_path), "--write"])
    assert result.exit_code == 1
    assert "migrate-by-hand" in result.output
    assert (tmp_path / "spec.yaml").read_text("utf-8").startswith("spec_format: 1\n")


# ------------------------------------------------------------------ every spec folder


_BACK_KIND = {v: k for k, v in KIND_RENAMES.items() if k != "enumerated_boolean"}
_BACK_GOV = {v: k for k, v in INTO_GOVERNANCE.items()}


def _to_format1(data: dict) -> dict:
    """Format-2 data written as format 1 (the tables read backwards; test-only)."""
    data = json.loads(json.dumps(data))
    data["spec_format"] = 1

    def gov(node: dict) -> None:
        block = node.pop("governance", None) or {}
        for k, v in block.items():
            node[_BACK_GOV[k]] = v

    def back(node: dict, etype: str) -> None:
        for old, new in RENAMED.get(etype, {}).items():
            if new in node and etype != "payload" or new in node and old != "event":
                node[old] = node.pop(new)

    product = data.get("product")
    if isinstance(product, dict):
        gov(product)
        if "governance_policy" in product:
            pol = product.pop("governance_policy")
            back(pol, "governance_policy")
            product["governance"] = pol
    for s in (data.get("settings") or {}).values():
        back(s, "setting")
    for f in (data.get("features") or {}).values():
        gov(f)
        if "opt_outs" in f and len(f["opt_outs"]) == 1:  # several stay a list (late format 1 had it)
            (o,) = f.pop("opt_outs")
            if isinstance(o.get("off_values"), list) and len(o["off_values"]) == 1:
                o["off_value"] = o.pop("off_values")[0]
            f["opt_out"] = o
    for s in (data.get("sections") or {}).values():
        gov(s)
        for c in (s.get("categories") or {}).values():
            back(c, "category")
        for g in s.get("field_groups") or []:
            g["kinds"] = [_BACK_KIND.get(k, k) for k in g["kinds"]]
    for p in data.get("payloads") or []:
        gov(p)
        back(p, "payload")
        if p.pop("type") == "event":
            p["event"] = p.pop("wire_name")
        for f in p.get("fields") or []:
            gov(f)
            back(f, "field")
            f["kind"] = _BACK_KIND.get(f["kind"], f["kind"])
    return data


def _spec_folders() -> list[Path]:
    folders = {p.parent for p in TESTS.rglob("*.yaml") if "format1_spec" not in p.parts and "migrate_cases" not in p.parts}
    out = []
    for folder in sorted(folders):
        spec, _ = check_spec(folder)
        if spec is not None:
            out.append(folder)
    return out


SPEC_FOLDERS = [REPO / "spec", REPO / "examples" / "cli-analytics" / "spec", *_spec_folders()]


@pytest.mark.parametrize("folder", SPEC_FOLDERS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_loader_and_gen_migrate_agree_on_every_spec_folder(folder: Path, tmp_path: Path) -> None:
    """The folder written back as format 1 resolves, loaded as it is (in memory) and
    after `gen migrate --write`, to exactly what the format-2 folder resolves to."""
    files, _ = load_dir(folder)
    old = tmp_path / "format1"
    for raw in files:
        target = old / raw.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(_to_format1(raw.data), sort_keys=False, allow_unicode=True), "utf-8")
    for extra in folder.rglob("*"):  # template folders and the like, next to the YAML
        if extra.is_file() and extra.suffix not in (".yaml", ".yml"):
            dest = old / extra.relative_to(folder)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(extra, dest)
    want = _catalog(folder)
    assert _catalog(old) == want
    result = CliRunner().invoke(main, ["migrate", "--spec", str(old), "--write"])
    assert result.exit_code == 0, result.output
    assert _catalog(old) == want
