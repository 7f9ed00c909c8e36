"""Bare ``.json`` files named after a payload the spec does not have.

``activity.json`` holding bare property objects names its payload just as a track
message ``{"event": "activity", ...}`` does: ``gen validate`` reports it as
``unknown-payload 'activity'`` (not "no payload name"), and ``gen infer`` proposes the
same new payloads, with the same fields, from a folder of such files as from the same
documents sent as track messages in NDJSON.  An NDJSON stream named after where it was
captured (``segment.ndjson``) is still not taken for a payload name.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

FIXTURE = Path(__file__).parent / "infer_fixture"


def gen(*args: str):
    return CliRunner().invoke(main, list(args))


def _random_documents(rng: random.Random, names: list[str]) -> dict[str, list[dict]]:
    """A few documents per unknown payload, keys and values drawn from fixed pools."""
    keys = ["count", "enabled", "mode", "label", "ratio", "started_at"]
    values = {
        "count": lambda: rng.randint(0, 500),
        "enabled": lambda: rng.random() < 0.5,
        "mode": lambda: rng.choice(["fast", "slow"]),
        "label": lambda: rng.choice(["alpha", "beta", "gamma"]),
        "ratio": lambda: round(rng.random(), 3),
        "started_at": lambda: f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z",
    }
    out = {}
    for name in names:
        chosen = rng.sample(keys, rng.randint(1, len(keys)))
        out[name] = [{k: values[k]() for k in chosen if rng.random() < 0.9 or k == chosen[0]} for _ in range(rng.randint(1, 4))]
    return out


def _write_bare(folder: Path, docs: dict[str, list[dict]]) -> None:
    folder.mkdir(parents=True)
    for name, items in docs.items():
        (folder / f"{name}.json").write_text(json.dumps(items if len(items) > 1 else items[0]), encoding="utf-8")


def _write_track(folder: Path, docs: dict[str, list[dict]]) -> None:
    folder.mkdir(parents=True)
    lines = [json.dumps({"type": "track", "event": name, "properties": d}) for name, items in docs.items() for d in items]
    (folder / "segment.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_validate_names_an_unknown_payload_after_its_bare_file(tmp_path: Path) -> None:
    bare, track = tmp_path / "bare", tmp_path / "track"
    docs = {"activity": [{"x": 1}], "signup_flow": [{"y": 2}, {"y": 3}]}
    _write_bare(bare, docs)
    _write_track(track, docs)
    reports = {}
    for folder in (bare, track):
        r = gen("validate", "--spec", str(FIXTURE / "spec"), "--format", "json", str(folder))
        assert r.exit_code == 1, r.output
        reports[folder.name] = json.loads(r.stdout)
    for rep in reports.values():
        problems = [(p["problem"], p["key"]) for f in rep["failures"] for p in f["problems"]]
        assert sorted(problems) == [("unknown-payload", "activity"), ("unknown-payload", "signup_flow"),
                                    ("unknown-payload", "signup_flow")], problems
    unknown = {n: sorted((u["name"], u["count"]) for u in rep["unknown_payloads"]) for n, rep in reports.items()}
    assert unknown["bare"] == unknown["track"] == [("activity", 1), ("signup_flow", 2)]
    text = gen("validate", "--spec", str(FIXTURE / "spec"), str(bare))
    assert "activity.json:1: unknown payload name 'activity'" in text.output, text.output
    assert "payload name" in text.output and "no-payload-name" not in text.output
    # A stream named after its capture, with a bare object in it, is still unnamed.
    (track / "segment.ndjson").write_text(json.dumps({"x": 1}) + "\n", encoding="utf-8")
    r = gen("validate", "--spec", str(FIXTURE / "spec"), "--format", "json", str(track))
    assert [p["problem"] for f in json.loads(r.stdout)["failures"] for p in f["problems"]] == ["no-payload-name"]


def _proposals(spec: Path, folder: Path) -> list[dict]:
    r = gen("infer", "--spec", str(spec), "--section", "config", "--format", "json", str(folder))
    assert r.exit_code in (0, 1), r.output
    # Where a key was first seen differs (a file name vs a line of the stream); all else
    # (actions, names, kinds, statistics, review wording) must agree.
    text = re.sub(r"first at [^)\"]*", "first at <where>", r.stdout)
    out = json.loads(text)["proposals"]
    return sorted(out, key=lambda p: (p["action"], p["payload"] or "", p.get("key") or ""))


def test_infer_proposes_the_same_payloads_from_bare_files_as_from_track_messages(tmp_path: Path) -> None:
    """Seeded: several random sets of unknown payloads, each as bare files and as track
    messages; gen infer proposes the same new payloads and fields from both."""
    spec = tmp_path / "spec"
    shutil.copytree(FIXTURE / "spec", spec)
    rng = random.Random(24)
    for round_ in range(4):
        names = rng.sample(["activity", "signup_flow", "export_done", "theme_changed", "crash2"], rng.randint(1, 3))
        docs = _random_documents(rng, names)
        bare, track = tmp_path / f"bare{round_}", tmp_path / f"track{round_}"
        _write_bare(bare, docs)
        _write_track(track, docs)
        from_bare, from_track = _proposals(spec, bare), _proposals(spec, track)
        assert {p["payload"] for p in from_bare if p["action"] == "new-payload"} == set(names)
        assert from_bare == from_track, (names, from_bare, from_track)
