"""Spec format 2's own additions: free schedule text beside the machine-readable
interval, and the stated payload type."""

from __future__ import annotations

from pathlib import Path

from generator.pipeline import check_spec
from generator.targets import docs_md, docs_rst

SPEC = """spec_format: 2
product: {id: tool, name: Tool, summary: S., privacy_policy: {url: 'https://t.example/p'}}
features:
  usage: {title: Usage, description: D., sender: app, destination: us, opt_outs: [{not_possible: The licence needs it.}]}
sections:
  updates:
    feature: usage
    title: Update checks
    schedule: every 24h
    schedule_text: at most once a day, after an update
    description: D.
  daily: {feature: usage, title: Daily, schedule: every 24h, description: D.}
payloads:
  - {type: record, wire_name: update_check, section: updates, fields: [{name: Version, kind: version, description: V.}]}
  - {type: record, wire_name: daily_stats, section: daily, fields: [{name: Runs, kind: count, description: R.}]}
"""


def test_schedule_text_is_printed_beside_the_interval(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(SPEC, "utf-8")
    spec, findings = check_spec(tmp_path)
    assert spec is not None and findings == [], findings
    updates, daily = spec.section("updates").schedule, spec.section("daily").schedule
    assert (updates.interval, updates.seconds) == (daily.interval, daily.seconds) == ("24h", 86400)
    assert updates.text == "at most once a day, after an update" and daily.text == "once every 24 hours"
    for target in (docs_md, docs_rst):
        page = next(iter(target.render(spec).values())).decode("utf-8")
        assert "Sent at most once a day, after an update:" in page
        assert "Sent once every 24 hours:" in page


def test_the_payload_type_is_stated(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(SPEC.replace("{type: record, wire_name: daily_stats", "{wire_name: daily_stats"), "utf-8")
    spec, findings = check_spec(tmp_path)
    assert spec is None
    assert [(f.code, f.message) for f in findings] == [("missing-key", "payloads/1 lacks required key `type`")]
