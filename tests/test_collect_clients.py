"""``gen collect`` through Segment's official clients, and the capture under a SIGKILL.

The Python client (PyPI ``segment-analytics-python``, module ``segment.analytics``) and
the Node client (npm ``@segment/analytics-node``, installed by ``.ci/run`` into
./node_modules) send to the collector with their ``host`` set to it, exactly as a
product would.  Then a load run from several processes is cut short by SIGKILL, and
``gen validate`` on the capture must find every message that was answered 200, once.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from _ci import skip_or_fail
from _collect_support import ROOT, Collector, track, validate_json, write_schemas


def _segment_client(url: str, **kw):
    try:
        from segment.analytics.client import Client
    except ImportError:  # pragma: no cover - only without the test extra
        skip_or_fail("segment-analytics-python is not installed (pip install -e '.[test]')")
    errors: list = []
    client = Client("python-key", host=url, on_error=lambda e, batch: errors.append(e), **kw)
    return client, errors


def test_the_python_client_sends_good_and_bad_events_and_the_collector_checks_each(tmp_path):
    with Collector(tmp_path, "--write-key", "python-key") as c:
        for gzip in (False, True):
            client, errors = _segment_client(c.url, gzip=gzip, upload_size=3)
            client.track("u1", "signup", {"plan": "pro", "seats": 2})
            client.track("u1", "signup", {"plan": "enterprise"})
            client.track("u1", "login_failed", {"method": "saml", "password": "x"})
            client.track("u1", "not_in_spec", {})
            client.identify("u1", {"plan": "pro"})
            client.page("u1", "Docs", "Home")
            client.flush()
            client.join()
            assert errors == []
        report = c.report()
        assert report["documents"] == 12 and report["conforming"] == 2
        assert report["payloads"]["signup"] == {
            "documents": 4, "failing": 2,
            "problems": [{"problem": "value-not-allowed", "key": "plan", "detail": report["payloads"]["signup"]
                          ["problems"][0]["detail"], "count": 2, "first": f"{c.capture}:2"}]}
        assert [p["problem"] for p in report["payloads"]["login_failed"]["problems"]] == ["undeclared-key"]
        assert report["unknown_payloads"] == [{"name": "not_in_spec", "count": 2, "first": f"{c.capture}:4"}]
        assert report["collect"]["message_types"] == {"identify": 2, "page": 2, "track": 8}
        assert report["collect"]["counts"]["not-payload"] == 4
        library = {json.loads(line).get("message", {}).get("context", {}).get("library", {}).get("name")
                   for line in c.capture.read_bytes().splitlines()}
        assert library == {"analytics-python", None}  # non-track calls are kept as sent, at the top level
        code, out, _ = c.stop()
    assert code == 1 and "fails on problems (4), unknown (2), not-payload (4)" in out


def test_the_python_client_with_a_wrong_write_key_is_refused(tmp_path):
    with Collector(tmp_path, "--write-key", "right") as c:
        client, _errors = _segment_client(c.url, sync_mode=True, max_retries=0)
        from segment.analytics.request import APIError

        with pytest.raises(APIError) as caught:  # the client reads Segment's code and message from the answer
            client.track("u1", "signup", {"plan": "pro"})
        assert (caught.value.status, caught.value.code) == (401, "unauthorized")
        assert "--write-key" in caught.value.message
        assert c.report()["documents"] == 0


NODE_SCRIPT = """
const { Analytics } = require('@segment/analytics-node');
const analytics = new Analytics({ writeKey: 'node-key', host: process.argv[2], flushAt: 2, flushInterval: 200 });
const errors = [];
analytics.on('error', (e) => errors.push(String(e && (e.reason || e.code || e))));
analytics.track({ userId: 'u1', event: 'signup', properties: { plan: 'free' } });
analytics.track({ userId: 'u1', event: 'signup', properties: { plan: 'free', seats: 'many' } });
analytics.track({ anonymousId: 'a1', event: 'login_failed', properties: { method: 'ldap' } });
analytics.identify({ userId: 'u1', traits: { plan: 'free' } });
analytics.group({ userId: 'u1', groupId: 'g1' });
analytics.closeAndFlush({ timeout: 20000 }).then(() => {
  console.log(JSON.stringify({ errors }));
});
"""


def test_the_node_client_sends_through_the_collector(tmp_path):
    node = shutil.which("node")
    module = ROOT / "node_modules" / "@segment" / "analytics-node"
    if node is None or not module.is_dir():
        skip_or_fail("node and npm's @segment/analytics-node in ./node_modules are needed (.ci/run installs them)")
    script = tmp_path / "send.js"
    script.write_text(NODE_SCRIPT, "utf-8")
    with Collector(tmp_path) as c:
        env = {**os.environ, "NODE_PATH": str(ROOT / "node_modules")}
        proc = subprocess.run([node, str(script), c.url], capture_output=True, text=True, timeout=120, env=env,
                              check=False)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"errors": []}
        report = c.report()
        assert report["documents"] == 5 and report["conforming"] == 2
        assert report["payloads"]["signup"]["problems"][0]["problem"] == "type-mismatch"
        assert report["collect"]["message_types"] == {"group": 1, "identify": 1, "track": 3}
        names = [json.loads(x).get("message", {}).get("context", {}).get("library", {}).get("name")
                 for x in c.capture.read_bytes().splitlines()]
        assert "@segment/analytics-node" in names


def _sender(url: str, worker: int, stop_at: float, out: str) -> None:
    """Send 50-message batches until ``stop_at``; append each batch's messageIds to
    ``out`` only after its 200 answer."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    n = 0
    with open(out, "a") as fh:
        while time.monotonic() < stop_at:
            ids = [f"w{worker}-{n}-{i}" for i in range(50)]
            n += 1
            body = json.dumps({"batch": [track("signup", {"plan": "free", "seats": i}, messageId=m)
                                         for i, m in enumerate(ids)]})
            try:
                conn.request("POST", "/v1/batch", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
            except OSError:
                return  # the collector was killed
            if resp.status == 200:
                fh.write("\n".join(ids) + "\n")
                fh.flush()


def test_sigkill_during_a_load_run_loses_no_answered_message(tmp_path):
    schemas = write_schemas(tmp_path / "schemas")
    c = Collector(tmp_path, schemas=schemas)
    ctx = multiprocessing.get_context("spawn")
    stop_at = time.monotonic() + 30
    procs = [ctx.Process(target=_sender, args=(c.url, w, stop_at, str(tmp_path / f"acked-{w}.txt")))
             for w in range(3)]
    for p in procs:
        p.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # kill only once the load is under way
            if c.capture.exists() and c.capture.stat().st_size > 2_000_000:
                break
            time.sleep(0.05)
        os.kill(c.proc.pid, signal.SIGKILL)
        c.proc.communicate(timeout=30)
    finally:
        for p in procs:
            p.join(60)
    acked: list[str] = []
    for w in range(3):
        path = Path(tmp_path / f"acked-{w}.txt")
        if path.exists():
            acked += path.read_text().split()
    assert len(acked) > 1000
    lines = c.capture.read_bytes().splitlines()
    captured = [json.loads(x)["message"]["messageId"] for x in lines]
    counts: dict[str, int] = {}
    for m in captured:
        counts[m] = counts.get(m, 0) + 1
    assert all(counts.get(m) == 1 for m in acked), "an answered message is missing or doubled"
    assert max(counts.values()) == 1
    code, report = validate_json(c.capture, schemas)
    assert (code, report["documents"], report["failing"]) == (0, len(lines), 0)
