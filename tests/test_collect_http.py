"""``gen collect`` over raw HTTP: Segment's routes, answers, limits, gzip, write keys,
malformed and slow requests, the opt-out switch, the capture, and the agreement of the
live report with ``gen validate`` on the capture (a seeded property test)."""

from __future__ import annotations

import json
import random
import signal
import socket
import time

import pytest
from _collect_support import Collector, InProcess, track, validate_json, write_schemas


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collect")
    with Collector(tmp) as c:
        yield c


def _lines(capture) -> list[dict]:
    return [json.loads(line) for line in capture.read_bytes().splitlines()]


def test_track_and_batch_are_answered_as_segment_answers_and_captured_as_envelopes(live):
    before = live.report()["documents"]
    status, body = live.post("/v1/track", track("signup", {"plan": "pro", "seats": 3}, messageId="t-1"))
    assert (status, body) == (200, {"success": True})
    status, body = live.post("/v1/batch", {"batch": [track("signup", {"plan": "free"}, messageId="b-1"),
                                                     track("signup", {"plan": "gold"}, messageId="b-2")],
                                           "writeKey": "any"})
    assert (status, body) == (200, {"success": True})
    report = live.report()
    assert report["documents"] == before + 3
    lines = _lines(live.capture)
    last = {d["message"]["messageId"]: d for d in lines if "message" in d}
    assert last["t-1"]["payload"] == "signup" and last["t-1"]["properties"] == {"plan": "pro", "seats": 3}
    assert last["t-1"]["received_at"].endswith("Z") and last["t-1"]["message"]["userId"] == "u1"
    problems = report["payloads"]["signup"]["problems"]
    assert any(p["problem"] == "value-not-allowed" and p["key"] == "plan" for p in problems)
    first = next(p["first"] for p in problems if p["problem"] == "value-not-allowed")
    line_no = int(first.rsplit(":", 1)[1])
    assert lines[line_no - 1]["message"]["messageId"] == "b-2"  # the report points at the capture's line
    assert report["collect"]["examples"][first].startswith('{"payload":"signup"')


@pytest.mark.parametrize("route", ["identify", "page", "screen", "group", "alias"])
def test_other_calls_are_accepted_and_recorded_as_not_a_payload(live, route):
    before = live.report()["collect"]["counts"]["not-payload"]
    status, body = live.post(f"/v1/{route.upper()}/", {"userId": "u1", "messageId": f"o-{route}"})
    assert (status, body) == (200, {"success": True})
    report = live.report()
    assert report["collect"]["counts"]["not-payload"] == before + 1
    assert report["collect"]["message_types"][route] >= 1
    line = _lines(live.capture)[-1]
    assert line["type"] == route and "receivedAt" in line  # the route names the type


def test_gzip_bodies_are_read_and_bad_gzip_is_refused(live):
    status, body = live.post("/v1/batch", {"batch": [track("login_failed", {"method": "saml"}, messageId="gz-1")]},
                             gzip=True)
    assert (status, body) == (200, {"success": True})
    assert _lines(live.capture)[-1]["message"]["messageId"] == "gz-1"
    size = live.capture.stat().st_size
    status, body = live.post("/v1/batch", b"this is not gzip", headers={"Content-Encoding": "gzip"})
    assert status == 400 and body["success"] is False and body["code"] == "malformed_gzip"
    assert live.capture.stat().st_size == size
    rejected = {r["code"]: r for r in live.report()["collect"]["rejected"]}
    assert rejected["malformed_gzip"]["count"] >= 1 and rejected["malformed_gzip"]["status"] == 400


def test_segment_size_limits_refuse_the_whole_request(live):
    size = live.capture.stat().st_size
    big = "x" * (32 << 10)
    status, body = live.post("/v1/track", track("signup", {"plan": big}))
    assert status == 400 and body["code"] == "message_too_large"
    batch = {"batch": [track("signup", {"plan": "free"}), track("signup", {"plan": big})]}
    status, body = live.post("/v1/batch", batch)
    assert status == 400 and body["code"] == "message_too_large" and "batch item 1" in body["message"]
    many = {"batch": [track("signup", {"plan": "y" * 20000}) for _ in range(30)]}  # ~600 KB
    status, body = live.post("/v1/batch", many)
    assert status == 400 and body["code"] == "request_too_large"
    bomb = {"batch": [track("signup", {"plan": "z" * 30000}) for _ in range(200)]}  # 6 MB inflated
    status, body = live.post("/v1/batch", bomb, gzip=True)
    assert status == 400 and body["code"] == "request_too_large"
    assert live.capture.stat().st_size == size  # nothing of a refused request is kept


@pytest.mark.parametrize(("body", "reason"), [
    (b'{"batch": [', "not JSON"),
    (b"", "empty"),
    (b'[{"a": "b"}]', "must be a JSON object"),
    (b'{"batch": {"a": 1}}', '{"batch": [message, ...]}'),
    (b'{"batch": [1]}', "batch item 0 is not a JSON object"),
])
def test_malformed_requests_get_400_with_the_reason_and_are_recorded(live, body, reason):
    before = live.report()["collect"]["requests"]["rejected"]
    status, answer = live.post("/v1/batch", body)
    assert status == 400 and answer["success"] is False and reason in answer["message"]
    assert live.report()["collect"]["requests"]["rejected"] == before + 1


def test_unknown_endpoints_are_404(live):
    status, body = live.post("/v2/batch", {"batch": []})
    assert status == 404 and body["success"] is False


def test_a_slow_client_does_not_hold_up_the_others(live):
    body = json.dumps({"batch": [track("signup", {"plan": "free"}, messageId="slow-1")]}).encode()
    slow = socket.create_connection((live.host, live.port))
    slow.sendall(b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
    try:
        started = time.monotonic()
        status, _ = live.post("/v1/track", track("signup", {"plan": "pro"}, messageId="fast-1"), timeout=5)
        assert status == 200 and time.monotonic() - started < 5
        slow.sendall(body[10:])
        slow.settimeout(10)
        answer = b""
        while not answer.endswith(b"}"):
            answer += slow.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'\r\n\r\n{"success":true}')
    finally:
        slow.close()
    ids = [d["message"]["messageId"] for d in _lines(live.capture) if "message" in d]
    assert ids.index("fast-1") < ids.index("slow-1")  # capture order is answer order


def test_a_body_that_never_arrives_times_out_with_408(tmp_path):
    with InProcess(tmp_path, body_timeout=0.5) as served:
        conn = socket.create_connection(("127.0.0.1", served.port))
        conn.sendall(b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"batch\"")
        conn.settimeout(10)
        answer = b""
        while not answer.endswith(b"}"):
            answer += conn.recv(4096)
        conn.close()
        assert answer.startswith(b"HTTP/1.1 408") and b'"code":"timeout"' in answer
        assert served.state.requests["rejected"] == 1 and served.state.capture.lines == 0


def test_write_keys_basic_auth_or_body(tmp_path):
    with Collector(tmp_path, "--write-key", "sekret") as c:
        ok = {"batch": [track("signup", {"plan": "free"})]}
        assert c.post("/v1/batch", ok, key="sekret") == (200, {"success": True})
        assert c.post("/v1/batch", {**ok, "writeKey": "sekret"}) == (200, {"success": True})
        status, body = c.post("/v1/batch", ok, key="wrong")
        assert status == 401 and body["code"] == "unauthorized"
        status, body = c.post("/v1/batch", ok)
        assert status == 401
        status, body = c.post("/v1/batch", ok, headers={"Authorization": "Basic !!!"})
        assert status == 401
        report = c.report()
        assert report["documents"] == 2 and report["collect"]["requests"] == {"accepted": 2, "rejected": 3}
        code, out, _err = c.stop()
    assert code == 1 and "401 unauthorized: 3 request(s)" in out  # rejected requests fail the run


def test_opt_out_switch_marks_violations_and_fails_the_run(tmp_path):
    with Collector(tmp_path) as c:
        assert c.post("/v1/track", track("signup", {"plan": "free"})) == (200, {"success": True})
        assert c.request("POST", "/_control/opt-out") == (200, {"opted_out": True})
        assert c.post("/v1/track", track("signup", {"plan": "pro"}, messageId="late")) == (200, {"success": True})
        assert c.post("/_control/opt-out", {"opted_out": False}) == (200, {"opted_out": False})
        assert c.post("/v1/track", track("signup", {"plan": "pro"})) == (200, {"success": True})
        assert c.post("/_control/opt-out", {"opted_out": "yes"})[0] == 400
        report = c.report()
        assert report["ok"] is True  # gen validate's verdict on the payloads themselves
        assert report["collect"]["opt_out_violations"] == 1
        assert report["collect"]["opt_out_list"][0]["location"].endswith(":2")
        lines = _lines(c.capture)
        assert [d.get("opted_out", False) for d in lines] == [False, True, False]
        code, out, _ = c.stop()
    assert code == 1 and "Opt-out violations: 1 message(s)" in out and "fails on opt-out (1)" in out


@pytest.mark.parametrize(("messages", "fail_on", "code"), [
    ([track("signup", {"plan": "free"})], None, 0),
    ([track("signup", {"plan": "gold"})], None, 1),
    ([track("nope", {})], "problems", 0),
    ([track("nope", {})], "unknown,problems", 1),
    ([{"type": "identify", "userId": "u", "messageId": "i"}, track("signup", {"plan": "pro"})],
     "unknown,problems", 0),
    ([{"type": "identify", "userId": "u", "messageId": "i"}], None, 1),
    ([], None, 1),
    ([], "problems", 0),
])
def test_until_idle_prints_the_report_and_exits_with_gen_validate_codes(tmp_path, messages, fail_on, code):
    args = ["--until-idle", "1"] + ([] if fail_on is None else ["--fail-on", fail_on])
    c = Collector(tmp_path, *args)
    if messages:
        assert c.post("/v1/batch", {"batch": messages}) == (200, {"success": True})
    got, out, err = c.wait()
    assert got == code, out + err
    assert "stopped (idle for 1 s)" in err
    assert out.rstrip().splitlines()[-1].startswith("gen collect: ")


def test_sigterm_stops_cleanly_with_the_json_report(tmp_path):
    c = Collector(tmp_path, "--format", "json")
    c.post("/v1/batch", {"batch": [track("signup", {"plan": "free"}), track("signup", {"plan": 5})]})
    code, out, err = c.stop(signal.SIGTERM)
    assert code == 1 and "stopped (SIGTERM)" in err
    report = json.loads(out)
    assert report["documents"] == 2 and report["failing"] == 1 and report["collect"]["failed"] == ["problems"]


def test_usage_errors_exit_2(tmp_path):
    import subprocess

    from _collect_support import GEN

    schemas = write_schemas(tmp_path / "schemas")
    for args, text in ((["--fail-on", "bogus"], "unknown class"),
                       (["--product-version", "x.y"], "--product-version"),
                       (["--capture", str(tmp_path / "no" / "such" / "c.ndjson")], "cannot open the capture")):
        proc = subprocess.run(GEN + ["collect", "--schemas", str(schemas), "--port", "0", *args],
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 2 and text in proc.stderr, proc.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(GEN + ["collect", "--schemas", str(schemas), "--port", str(port), "--capture",
                                     str(tmp_path / "c.ndjson")], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "cannot listen" in proc.stderr, proc.stderr


def test_a_restarted_collector_goes_on_where_the_capture_stopped(tmp_path):
    with Collector(tmp_path, "--until-idle", "0.5") as c:
        c.post("/v1/batch", {"batch": [track("signup", {"plan": "free"}), track("signup", {"plan": "gold"})]})
        c.wait()
    with c.capture.open("ab") as fh:
        fh.write(b'{"payload": "signup", "properties": {"plan": "pro"}')  # torn: no newline
    with Collector(tmp_path) as c:
        c.post("/v1/track", track("signup", {"plan": "pro"}, messageId="after"))
        report = c.report()
        lines = c.capture.read_bytes().splitlines()
        assert json.loads(lines[3])["message"]["messageId"] == "after"  # the torn line keeps line 3
        assert report["documents"] == 4 and report["failing"] == 2
        assert {r["problem"] for r in report["unreadable"]} == {"malformed-json"}


def test_the_live_report_is_gen_validates_report_of_the_capture(tmp_path):
    """Property (seeded): whatever mix of messages arrives, ``GET /report`` without its
    ``collect`` key equals ``gen validate --format json`` on the capture, byte for byte
    once serialized, and the capture holds one line per accepted message."""
    rnd = random.Random(27)
    values = [{"plan": "free"}, {"plan": "pro", "seats": 2}, {"plan": "gold"}, {"plan": 1}, {}, {"seats": "x"},
              {"plan": "free", "extra": True}, {"method": "saml"}, {"method": 7}, {"plan": "pro", "seats": 1.5}]
    schemas = write_schemas(tmp_path / "schemas")
    accepted = 0
    with Collector(tmp_path, schemas=schemas) as c:
        for i in range(40):
            batch = []
            for j in range(rnd.randint(0, 12)):
                kind = rnd.random()
                if kind < 0.7:
                    batch.append(track(rnd.choice(["signup", "login_failed", "unknown_x"]), rnd.choice(values),
                                       messageId=f"p-{i}-{j}"))
                elif kind < 0.8:
                    batch.append({"type": rnd.choice(["identify", "page", "group"]), "userId": "u", "messageId": "x"})
                elif kind < 0.9:
                    batch.append({"type": "track", "event": "signup", "messageId": "noprops"})
                else:
                    batch.append({"type": "track", "properties": {"plan": "free"}})  # no event name
            route = rnd.choice(["/v1/batch", "/v1/import"])
            if rnd.random() < 0.1:
                assert c.post(route, b'{"batch": [}')[0] == 400
                continue
            assert c.post(route, {"batch": batch}, gzip=rnd.random() < 0.5) == (200, {"success": True})
            accepted += len(batch)
        report = c.report()
    code, validated = validate_json(c.capture, schemas)
    collect = report.pop("collect")
    assert json.dumps(report, sort_keys=True) == json.dumps(validated, sort_keys=True)
    assert code == (0 if report["ok"] else 1)
    assert collect["capture"]["lines"] == accepted == len(c.capture.read_bytes().splitlines())
    assert report["documents"] == accepted and report["failing"] > 0 and report["conforming"] > 0


