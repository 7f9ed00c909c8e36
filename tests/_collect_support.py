"""Helpers for the ``gen collect`` tests (not a test module): a small schema folder, a
collector run as a real ``gen collect`` process on a free port, and raw HTTP.

The collector is a child process (``gen collect --port 0``); its address is read from
the line it prints on standard error once it listens.  Requests go over real HTTP with
``http.client`` so that every edge case (gzip, sizes, auth, malformed bodies) reaches
the server exactly as written.
"""

from __future__ import annotations

import base64
import gzip as gzip_module
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEN = [sys.executable, "-c", ("import sys; sys.argv = ['gen'] + sys.argv[1:]; "
       "from generator.console import main; main()")]

SCHEMAS = {
    "signup": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"plan": {"type": "string", "enum": ["free", "pro"]}, "seats": {"type": "integer"}},
        "required": ["plan"],
        "additionalProperties": False,
    },
    "login_failed": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"method": {"type": "string"}},
        "required": [],
        "additionalProperties": False,
    },
}


def write_schemas(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in SCHEMAS.items():
        (folder / f"{name}.schema.json").write_text(json.dumps(schema), "utf-8")
    return folder


def track(event: str, properties: dict | None = None, **extra) -> dict:
    msg = {"type": "track", "event": event, "userId": "u1", "messageId": extra.pop("messageId", f"m-{time.time_ns()}")}
    if properties is not None:
        msg["properties"] = properties
    msg.update(extra)
    return msg


class Collector:
    """A running ``gen collect``; ``stop`` ends it and returns ``(exit code, stdout,
    stderr)``."""

    def __init__(self, tmp: Path, *args: str, capture: Path | None = None, schemas: Path | None = None,
                 spec: Path | None = None):
        self.capture = capture or tmp / "capture.ndjson"
        if spec is not None:
            source = ["--spec", str(spec)]
        else:
            source = ["--schemas", str(schemas or write_schemas(tmp / "schemas"))]
        cmd = GEN + ["collect", *source, "--port", "0", "--capture", str(self.capture), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(tmp))
        self.head = b""
        deadline = time.monotonic() + 60
        while True:
            line = self.proc.stderr.readline()
            self.head += line
            found = re.search(rb"listening on http://([0-9.]+):([0-9]+)", line)
            if found:
                self.host, self.port = found.group(1).decode(), int(found.group(2))
                break
            if not line or time.monotonic() > deadline:
                _out, err = self.proc.communicate(timeout=30)
                raise AssertionError(f"gen collect did not start: {(self.head + err).decode()}")
        self.url = f"http://{self.host}:{self.port}"

    def request(self, method: str, path: str, body: bytes | dict | list | None = None, headers: dict | None = None,
                gzip: bool = False, key: str | None = None, timeout: float = 30) -> tuple[int, dict | str]:
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode("utf-8")
        headers = dict(headers or {})
        headers.setdefault("Content-Type", "application/json")
        if gzip and body is not None:
            body = gzip_module.compress(body)
            headers["Content-Encoding"] = "gzip"
        if key is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, data.decode("utf-8", "replace")

    def post(self, path: str, body, **kw) -> tuple[int, dict | str]:
        return self.request("POST", path, body, **kw)

    def report(self) -> dict:
        status, doc = self.request("GET", "/report")
        assert status == 200, doc
        return doc

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out.decode(), (self.head + err).decode()

    def wait(self, timeout: float = 60) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out.decode(), (self.head + err).decode()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=30)


def validate_json(capture: Path, schemas: Path) -> tuple[int, dict]:
    """``gen validate --format json`` on a capture, as a real process."""
    proc = subprocess.run(GEN + ["validate", "--schemas", str(schemas), "--format", "json", str(capture)],
                          capture_output=True, timeout=120, cwd=str(capture.parent), check=False)
    return proc.returncode, json.loads(proc.stdout)


class InProcess:
    """The collector's application served by uvicorn in a thread of the test process,
    over a ``LiveState`` the test holds (for what a child process cannot be made to do:
    a short body timeout, a failing disk).  Use as a context manager; ``port`` is set."""

    def __init__(self, tmp: Path, body_timeout: float = 30.0):
        from generator.collect.capture import Capture
        from generator.collect.state import LiveState
        from generator.validate import Checker, load_schema_dir

        schemas = load_schema_dir(str(write_schemas(tmp / "schemas")))
        self.state = LiveState(Checker(schemas), Capture(str(tmp / "capture.ndjson")))
        self.body_timeout = body_timeout

    def __enter__(self):
        import socket
        import threading

        import uvicorn

        from generator.collect.server import Settings, create_app

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = create_app(self.state, Settings(body_timeout=self.body_timeout))
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)
        self.state.capture.close()
