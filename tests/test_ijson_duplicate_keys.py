"""A key held twice by one object is an ``unportable-value`` (I-JSON, RFC 7493, as
docs/validate.md promises), wherever a captured document is read: ``gen validate``
(lines and whole files, the fast path included), the conformance suite's vendored
engine, the generated models' ``model_validate_json``, and Spark (its capture in
tests/test_validate_spark.py holds such a line, and its report must equal the local
engine's)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError
from test_conformance import _out, run_suite
from test_suite_own_vectors import _built

from generator.validate.inputs import duplicate_key, parse

GOLDEN = __import__("pathlib").Path(__file__).parent / "cases" / "ok_minimal" / "spec"


@pytest.mark.parametrize(("text", "key"), [
    ('{"a":"x","a":1}', "a"),
    ('{"a" : 1, "a": 2}', "a"),  # spaces: the careful way
    ('{"p":{"b":1,"b":2}}', "b"),  # nested
    ('{"a\\u0062":1,"ab":2}', "ab"),  # the same key, one escaped
    ('{"x":"a:b","y":1,"y":2}', "y"),  # a colon inside a string
    ('{"p":{"a":1},"q":{"a":2}}', None),  # one key in two objects is fine
    ('[{"k":1},{"k":2}]', None),
    ('{"t":"12:00","u":"\\"k\\":"}', None),
])
def test_duplicate_key_finds_exactly_the_repeated_ones(text, key):
    assert duplicate_key(text) == key and duplicate_key(text.encode()) == key
    _, problem = parse(text.encode())
    assert (problem is not None and problem.kind == "unportable-value") == (key is not None)


def test_gen_validate_reports_a_repeated_key_as_unportable(tmp_path):
    from click.testing import CliRunner

    from generator.cli import main

    good = {"payload": "config_service", "properties": {}}
    dup = '{"payload": "config_service", "properties": {"a": "x", "a": 1}}'
    lines = tmp_path / "c.ndjson"
    lines.write_text(json.dumps(good) + "\n" + dup + "\n" + dup.replace(" ", "") + "\n")
    whole = tmp_path / "d.json"
    whole.write_text("[" + dup + "]")
    for path, n in ((lines, 2), (whole, 1)):
        r = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
        report = json.loads(r.stdout)
        hits = [u for u in report["unreadable"] if u["problem"] == "unportable-value"]
        assert hits and hits[0]["count"] == n and "appears twice" in hits[0]["detail"], report["unreadable"]


def test_the_fast_path_does_not_take_the_last_value(tmp_path):
    """A declared key twice, the last value valid: msgspec's struct (last wins) would pass
    it; the member count sends it to the general check."""
    from click.testing import CliRunner

    from generator.cli import main

    ok = '{"payload":"cfg_main","properties":{"enable_thing":true,"mode":0,"isdefault_site_url":true,"replicas":1}}'
    dup = ok.replace('"replicas":1', '"replicas":2,"replicas":1')  # both valid: the struct takes it
    bare = dup[dup.index('{"enable'):-1]
    (tmp_path / "e.ndjson").write_text("\n".join([ok] * 3 + [dup]) + "\n")
    (tmp_path / "cfg_main.ndjson").write_text("\n".join([ok[ok.index('{"enable'):-1]] * 2 + [bare]) + "\n")
    for name, good in (("e.ndjson", 3), ("cfg_main.ndjson", 2)):
        r = CliRunner().invoke(main, ["validate", "--spec", str(GOLDEN), str(tmp_path / name), "--format", "json"])
        report = json.loads(r.stdout)
        assert report["conforming"] == good and report["failing"] == 1, (name, report)
        assert [u["problem"] for u in report["unreadable"]] == ["unportable-value"], report


def test_models_refuse_a_repeated_key(tmp_path):
    import sys

    generated = _built(GOLDEN, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        from generated.models import MODELS

        model = MODELS["cfg_main"]
        with pytest.raises(ValidationError, match="appears twice"):
            model.model_validate_json('{"enable_thing": true, "enable_thing": false}')
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "generated"]:
            del sys.modules[name]
    assert generated.is_dir()


def test_the_suite_fails_a_capture_with_a_repeated_key(tmp_path):
    generated = _built(GOLDEN, tmp_path)
    capture = tmp_path / "capture.ndjson"
    capture.write_text('{"payload": "cfg_main", "properties": {"enable_thing": true, "enable_thing": "x"}}\n')
    proc = run_suite(generated, "conformance/test_captured.py", env={"TELEMETRY_CAPTURE": str(capture)})
    assert proc.returncode != 0 and "unportable value" in _out(proc), _out(proc)[-2000:]
