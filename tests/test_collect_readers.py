"""The capture ``gen collect`` writes is read by the other readers of captured traffic:
``gen infer`` (proposes the key the product sent that the spec lacks) and the Spark
engine (its per-split reader gives the local engine's tally, and each row's received
time is the one the collector stamped)."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

from _ci import skip_or_fail
from _collect_support import GEN, ROOT, Collector, track

SPEC = ROOT / "tests" / "conformance_examples" / "spec"
GOOD = {
    "enable_commands": True, "connection_security": 1, "isdefault_site_url": False,
    "enable_developer": False, "plugins": 3, "max_users": 250, "ratio": 0.75,
    "driver": "postgres", "server_version": "5.6.0", "installation_id": "abc",
}


def _capture(tmp_path):
    with Collector(tmp_path, "--until-idle", "1", spec=SPEC) as c:
        batch = [track("config_service", GOOD), track("config_service", {**GOOD, "enable_tracing": True}),
                 track("config_service", {**GOOD, "max_users": "many"})]
        assert c.post("/v1/batch", {"batch": batch}) == (200, {"success": True})
        code, out, err = c.wait()
    assert code == 1, out + err
    return c.capture


def test_gen_infer_reads_the_capture(tmp_path):
    capture = _capture(tmp_path)
    proc = subprocess.run(GEN + ["infer", "--spec", str(SPEC), "--diff", str(capture)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "+" in proc.stdout and "enable_tracing" in proc.stdout  # the undeclared key becomes a proposed field


def test_the_spark_engines_partition_reader_reads_the_capture_with_its_received_at(tmp_path):
    """The Spark engine's per-split function (``partition.check_lines``, what every
    Spark task runs over the lines of a file) on the capture, without starting a JVM:
    the same tally as ``gen validate`` and, for ``--output``, each conforming row's
    ``received`` is the collector's ``received_at`` (a whole Spark job on such a capture
    takes a minute here; ``test_validate_spark`` runs the job itself)."""
    try:
        import pyarrow as pa
    except ImportError:
        skip_or_fail("pyarrow is not installed (pip install '.[spark]')")
    import pickle

    from generator.pipeline import check_spec
    from generator.spark.partition import Context, check_lines, file_key
    from generator.targets.json_schema import payload_schema
    from generator.validate import Checker, check_sources, sources

    capture = _capture(tmp_path)
    spec, _ = check_spec(SPEC)
    schemas = {p.wire_name: payload_schema(spec, p) for p in spec.payloads}
    lines = capture.read_bytes().splitlines()
    uri = capture.as_uri()
    batch = pa.RecordBatch.from_pydict({"value": lines, "file_path": [uri] * len(lines),
                                        "file_block_start": [0] * len(lines)})
    ctx = Context("k", schemas, {file_key(uri): (str(capture), None)}, {}, True)
    rows = [r for out in check_lines(iter([batch]), ctx) for r in out.to_pylist()]
    tallies = [pickle.loads(r["data"])[0] for r in rows if r["rec"] == "tally"]
    assert len(tallies) == 1
    local = check_sources(Checker(schemas), sources([str(capture)], frozenset(schemas)))
    assert tallies[0].as_dict() == local.as_dict()
    received = [r["received"] for r in rows if r["rec"] != "tally" and r["received"] is not None]
    stamp = json.loads(lines[0])["received_at"]
    assert received == [int(datetime.fromisoformat(stamp).timestamp() * 1000)]  # the one conforming row
