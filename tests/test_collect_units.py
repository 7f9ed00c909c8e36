"""``gen collect``'s parts on their own: Segment's routes and write keys, gzip limits,
and the capture's promise that a failed write leaves no half request behind (answered
500, so that the client retries)."""

from __future__ import annotations

import errno
import gzip
import http.client
import json
import os

import pytest
from _collect_support import InProcess, track

from generator.collect import capture as capture_module
from generator.collect import segment
from generator.collect.capture import Capture


@pytest.mark.parametrize(("path", "route"), [
    ("/v1/batch", "batch"), ("/v1/import/", "batch"), ("/V1/Track", "track"), ("/v1/identify/", "identify"),
    ("/v1/alias", "alias"), ("/v1/batch//", None), ("/v2/batch", None), ("/", None), ("/v1/trackx", None),
])
def test_routes_match_segments_paths(path, route):
    assert segment.route_of(path) == route


@pytest.mark.parametrize(("header", "key"), [
    ("Basic a2V5Og==", "key"), ("basic a2V5Og==", "key"), ("Basic a2V5OnNlY3JldA==", "key"),
    ("Bearer a2V5Og==", None), ("Basic !!", None), ("Basic //79", None), (None, None), ("", None),
])
def test_basic_auth_user_is_the_write_key(header, key):
    assert segment.basic_auth_user(header) == key


def test_gzip_is_inflated_with_a_cap_and_a_cut_stream_is_refused():
    body = json.dumps({"batch": []}).encode()
    assert segment.decode_body(gzip.compress(body), " GZIP ") == body
    with pytest.raises(segment.Rejected) as cut:
        segment.decode_body(gzip.compress(body)[:-12], "gzip")
    assert (cut.value.status, cut.value.code) == (400, "malformed_gzip")
    bomb = segment.decode_body(gzip.compress(b"0" * (20 << 20)), "gzip")
    assert len(bomb) == segment.MAX_REQUEST_BYTES + 1  # never more is inflated
    with pytest.raises(segment.Rejected) as other:
        segment.decode_body(body, "br")
    assert other.value.code == "unsupported_encoding"


def test_a_track_without_properties_has_empty_ones_and_other_calls_stay_as_sent():
    line = json.loads(capture_module.envelope({"type": "track", "event": "signup", "userId": "u"}, "T", False))
    assert line == {"payload": "signup", "properties": {}, "received_at": "T", "message": {"type": "track",
                                                                                            "userId": "u"}}
    other = json.loads(capture_module.envelope({"type": "page", "name": "Home"}, "T", True))
    assert other == {"type": "page", "name": "Home", "receivedAt": "T", "opted_out": True}


def test_a_failed_write_is_cut_back_to_the_last_whole_line(tmp_path, monkeypatch):
    cap = Capture(str(tmp_path / "c.ndjson"))
    assert cap.append([b'{"a":1}']) == 1
    real_write = os.write

    def half_then_full(fd, data):
        if len(data) > 4:
            real_write(fd, bytes(data[:4]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(capture_module.os, "write", half_then_full)
    with pytest.raises(OSError):
        cap.append([b'{"b":2}', b'{"c":3}'])
    monkeypatch.setattr(capture_module.os, "write", real_write)
    assert (tmp_path / "c.ndjson").read_bytes() == b'{"a":1}\n' and cap.lines == 1
    assert cap.append([b'{"d":4}']) == 2
    cap.close()
    assert (tmp_path / "c.ndjson").read_bytes() == b'{"a":1}\n{"d":4}\n'


def test_a_capture_that_cannot_be_written_is_answered_500_and_nothing_is_counted(tmp_path, monkeypatch):
    with InProcess(tmp_path) as served:
        def full(lines):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(served.state.capture, "append", full)
        conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        conn.request("POST", "/v1/batch", json.dumps({"batch": [track("signup", {"plan": "free"})]}))
        resp = conn.getresponse()
        body = json.loads(resp.read())
        conn.close()
        assert resp.status == 500 and body["code"] == "capture_failed" and "No space left" in body["message"]
        assert served.state.tally.documents == 0 and served.state.requests == {"accepted": 0, "rejected": 1}
