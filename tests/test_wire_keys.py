"""Wire keys as products send them, and ``gen infer`` converging on real traffic.

* On a copy of the bundled spec, the key Mattermost v5.12 really sent,
  ``enable_X_to_leave_channels_from_LHS``, declared on ``EnableXToLeaveChannelsFromLHS``,
  validates captured traffic (a warning, never an error); without it the same
  traffic fails.
* ``gen infer`` on that traffic, with the field not declared, writes a ``wire_key``
  wherever the key the spec's conventions derive from the new name differs from the
  key seen (``phase_1_migration_complete``: Mattermost attaches numbers, so
  ``Phase1MigrationComplete`` derives ``phase1_migration_complete``); then
  ``gen validate`` is clean and a second run changes nothing.
* Renames by values (a field listing its values) and keys renamed between captures
  (never sent together, values alike) are recognised, and the edit still converges.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.pipeline import check_spec

REPO = Path(__file__).resolve().parents[1]
LHS = "enable_X_to_leave_channels_from_LHS"
DECLARED = "      - {name: EnableXToLeaveChannelsFromLHS, kind: boolean}\n"  # the bundled spec: key derived


def gen(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _example(f) -> object:
    return f.values[0] if f.values else f.kind.valid_examples[0]


def _team_documents(spec_dir: Path, extra: dict, n: int = 3) -> list[dict]:
    """Captured config_team documents as v5.12 sent them: every declared field, the
    real key of EnableXToLeaveChannelsFromLHS instead of the derived one, and ``extra``."""
    spec, findings = check_spec(spec_dir)
    assert spec is not None, [f.message for f in findings if f.severity == "error"]
    team = spec.payload("config_team")
    props = {f.wire_key: _example(f) for f in team.fields if f.name != "EnableXToLeaveChannelsFromLHS"}
    return [{"payload": "config_team", "properties": {**props, LHS: i % 2 == 0, **extra}} for i in range(n)]


@pytest.fixture()
def spec_copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "spec", tmp_path / "spec")
    return tmp_path / "spec"


def _declare_lhs(spec_dir: Path) -> None:
    path = spec_dir / "30_server_configuration.yaml"
    text = path.read_text("utf-8")
    assert text.count(DECLARED) == 1
    path.write_text(text.replace(DECLARED, (
        "      # The key Mattermost v5.12 really sends.\n"
        f"      - {{name: EnableXToLeaveChannelsFromLHS, kind: boolean, wire_key: {LHS}}}\n")), "utf-8")


def test_the_real_key_validates_captured_traffic(spec_copy: Path, tmp_path: Path) -> None:
    capture = tmp_path / "capture.ndjson"
    capture.write_text("".join(json.dumps(d) + "\n" for d in _team_documents(spec_copy, {})), "utf-8")
    # Undeclared, the key fails the traffic (anything undeclared is a possible leak).
    assert gen("validate", str(capture), "--spec", str(spec_copy)).exit_code == 1
    _declare_lhs(spec_copy)
    spec, findings = check_spec(spec_copy)
    assert spec is not None
    field = next(f for f in spec.payload("config_team").fields if f.name == "EnableXToLeaveChannelsFromLHS")
    assert field.wire_key == LHS
    assert [(f.code, f.severity) for f in findings] == [("wire-key-convention", "warning")]
    res = gen("validate", str(capture), "--spec", str(spec_copy), "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["conforming"] == 3


def test_infer_writes_real_keys_and_converges(spec_copy: Path, tmp_path: Path) -> None:
    extra = {"phase_1_migration_complete": False, "HTTPProxyURL": True}
    capture = tmp_path / "capture.ndjson"
    capture.write_text("".join(json.dumps(d) + "\n" for d in _team_documents(spec_copy, extra)), "utf-8")
    res = gen("infer", str(capture), "--spec", str(spec_copy), "--write")
    assert res.exit_code == 0, res.output
    spec, _ = check_spec(spec_copy)
    keys = {f.name: f.wire_key for f in spec.payload("config_team").fields}
    assert keys["EnableXToLeaveChannelsFromLHS"] == LHS
    assert keys["Phase1MigrationComplete"] == "phase_1_migration_complete"  # the conventions derive phase1_...
    assert keys["HTTPProxyURL"] == "HTTPProxyURL"  # derived: http_proxy_url
    text = (spec_copy / "30_server_configuration.yaml").read_text("utf-8")
    assert f"wire_key: {LHS}" in text and "wire_key: phase_1_migration_complete" in text
    # One run on the traffic, and gen validate is clean; a second run changes nothing.
    assert gen("validate", str(capture), "--spec", str(spec_copy)).exit_code == 0
    before = {p.name: p.read_bytes() for p in spec_copy.glob("*.yaml")}
    again = gen("infer", str(capture), "--spec", str(spec_copy), "--write")
    assert again.exit_code == 0 and again.output.endswith("nothing to change\n"), again.output
    assert {p.name: p.read_bytes() for p in spec_copy.glob("*.yaml")} == before


SMALL = """spec_format: 2
product: {id: tool, name: Tool, summary: S., privacy_policy: {url: 'https://t.example/p'}}
features:
  usage: {title: Usage, description: D., sender: app, destination: us, opt_outs: [{not_possible: The licence needs it.}]}
sections:
  builds: {feature: usage, title: Builds, schedule: every 1d, description: D.}
payloads:
  - type: record
    wire_name: build_stats
    section: builds
    fields:
      - {name: BuildSeconds, kind: integer, description: How long the build took.}
      - {name: CachePolicy, kind: enumerated_string, values: [lru, lfu, none], description: The cache policy.}
      - {name: Target, kind: enumerated_string, values: [debug, release], description: The build target.}
"""


def test_renames_by_values_and_between_captures_converge(tmp_path: Path) -> None:
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "spec.yaml").write_text(SMALL, "utf-8")
    old = [{"build_seconds": 10 + i, "target": "debug"} for i in range(3)]  # an older capture
    new = [{"buildSeconds": 12 + i, "target": "release", "evict": ["lru", "lfu"][i % 2]} for i in range(4)]
    capture = tmp_path / "capture.ndjson"
    capture.write_text("".join(json.dumps({"payload": "build_stats", "properties": p}) + "\n" for p in old + new), "utf-8")
    report = json.loads(gen("infer", str(capture), "--spec", str(spec_dir), "--format", "json").stdout)
    by = {(p["action"], p["key"]): p for p in report["proposals"]}
    # `evict` never co-occurs with cache_policy (which is never sent) and sends only values
    # CachePolicy lists: a rename by value distribution, though the spelling differs.
    assert by[("rename", "evict")]["field"] == "CachePolicy"
    # `buildSeconds` replaces build_seconds between captures: recognised, both stay declared.
    assert "replacing 'build_seconds' of field 'BuildSeconds'" in by[("new-field", "buildSeconds")]["message"]
    assert "'buildSeconds' replaces it" in by[("required", "build_seconds")]["message"]
    assert gen("infer", str(capture), "--spec", str(spec_dir), "--write").exit_code == 0
    assert gen("validate", str(capture), "--spec", str(spec_dir)).exit_code == 0
    before = (spec_dir / "spec.yaml").read_bytes()
    again = gen("infer", str(capture), "--spec", str(spec_dir), "--write")
    assert again.output.endswith("nothing to change\n"), again.output
    assert (spec_dir / "spec.yaml").read_bytes() == before


def test_a_key_no_convention_can_derive_becomes_a_field(tmp_path: Path) -> None:
    """Keys with dots, dashes or spaces are declared as they are sent, under a name made
    of their words."""
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "spec.yaml").write_text(SMALL, "utf-8")
    props = {"build_seconds": 1, "cache_policy": "lru", "target": "debug", "os.name": "linux", "cpu-count": 8}
    capture = tmp_path / "c.ndjson"
    capture.write_text("".join(json.dumps({"payload": "build_stats", "properties": props}) + "\n" for _ in range(3)), "utf-8")
    assert gen("infer", str(capture), "--spec", str(spec_dir), "--write").exit_code == 0
    spec, _ = check_spec(spec_dir)
    keys = {f.name: f.wire_key for f in spec.payload("build_stats").fields}
    assert keys["OsName"] == "os.name" and keys["CpuCount"] == "cpu-count"
    assert gen("validate", str(capture), "--spec", str(spec_dir)).exit_code == 0
