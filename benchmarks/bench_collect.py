"""Benchmark: messages checked per second by ``gen collect`` over HTTP, with bounded
memory, and a capture holding every accepted message exactly once.

Usage: ``python benchmarks/bench_collect.py [--messages N] [--clients P] [--batch B] [--spec DIR]``

A real ``gen collect`` (the CLI, the bundled spec, a capture in a temporary folder) is
started on a free port; P client processes each pre-build their share of N Segment
``track`` messages (the bundled spec's payloads, every payload in turn, values sampled
from each field's kind, 2% with an undeclared key so the diagnosis path is measured,
each with its own messageId and the context a Segment client sends) as ``/v1/batch``
bodies of B messages, wait at a barrier, then send them over keep-alive connections as
fast as the collector answers.  Reported: the collector's rate (messages checked per
second, from the first request to the last answer, all clients together), its peak
resident memory (``VmHWM``) for N and for 3N messages (bounded memory: about the same),
and the capture check: one line per accepted message and every messageId answered 200
in it exactly once.  The clients run on the same 2 cores as the collector, so the rate
is a floor.

Target (issue 27): at least 20,000 checked messages per second on this 2-core machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

GEN = [sys.executable, "-c", "import sys; sys.argv = ['gen'] + sys.argv[1:]; from generator.console import main; main()"]


def message_pool(spec_dir: Path, count: int = 2000) -> list[dict]:
    """``count`` track messages over every payload of the spec (properties sampled from
    each field's kind; every 50th with an undeclared key)."""
    from bench_validate import sample_value

    from generator.pipeline import check_spec

    spec, _ = check_spec(spec_dir)
    payloads = [p for p in spec.payloads]
    rng = random.Random(27)
    out = []
    for i in range(count):
        p = payloads[i % len(payloads)]
        props = {f.wire_key: sample_value(f, rng) for f in p.fields}
        if i % 50 == 0:
            props[f"undeclared_{i}"] = True
        out.append({"type": "track", "event": p.wire_name, "properties": props, "userId": f"user-{i % 97}",
                    "timestamp": "2026-12-07T12:00:00.000Z",
                    "context": {"library": {"name": "analytics-python", "version": "2.4.0"}}})
    return out


def client(url: str, worker: int, messages: list[dict], batch: int, barrier, results) -> None:
    """Build this client's bodies, wait for the others, send them all; report how many
    messages were answered 200, the messageIds, and the send window."""
    from urllib.parse import urlsplit

    bodies, ids = [], []
    for start in range(0, len(messages), batch):
        chunk = []
        for i, m in enumerate(messages[start:start + batch]):
            mid = f"w{worker}-{start + i}"
            chunk.append({**m, "messageId": mid})
            ids.append(mid)
        bodies.append((json.dumps({"batch": chunk, "sentAt": "2026-12-07T12:00:00.000Z"}).encode(), len(chunk)))
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    barrier.wait()
    began = time.time()
    accepted = 0
    for body, n in bodies:
        conn.request("POST", "/v1/batch", body, {"Content-Type": "application/json",
                                                 "Authorization": "Basic a2V5Og=="})
        resp = conn.getresponse()
        resp.read()
        if resp.status == 200:
            accepted += n
    results.put((worker, accepted, began, time.time(), ids if accepted == len(ids) else None))


def peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return int(next(line.split()[1] for line in fh if line.startswith("VmHWM:")))


def run(spec_dir: Path, pool: list[dict], total: int, clients: int, batch: int, tmp: Path) -> dict:
    capture = tmp / f"capture-{total}.ndjson"
    proc = subprocess.Popen(GEN + ["collect", "--spec", str(spec_dir), "--port", "0", "--capture", str(capture)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))
    while True:
        line = proc.stderr.readline()
        found = re.search(rb"listening on (http://[0-9.]+:[0-9]+)", line)
        if found:
            url = found.group(1).decode()
            break
        if not line:
            raise SystemExit("gen collect did not start: " + proc.stderr.read().decode())
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(clients), ctx.Queue()
    share = -(-total // clients)
    workers = []
    for w in range(clients):
        msgs = [pool[i % len(pool)] for i in range(w * share, min(total, (w + 1) * share))]
        workers.append(ctx.Process(target=client, args=(url, w, msgs, batch, barrier, results)))
    for p in workers:
        p.start()
    got = [results.get(timeout=600) for _ in workers]
    for p in workers:
        p.join()
    began, ended = min(g[2] for g in got), max(g[3] for g in got)
    host, port = url[7:].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("GET", "/report")
    report = json.loads(conn.getresponse().read())
    conn.close()
    hwm = peak_kib(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    accepted = sum(g[1] for g in got)
    sent_ids = [i for g in got if g[4] is not None for i in g[4]]
    seen: dict[str, int] = {}
    import orjson

    lines = 0
    with open(capture, "rb") as fh:
        for line in fh:
            lines += 1
            mid = orjson.loads(line)["message"]["messageId"]
            seen[mid] = seen.get(mid, 0) + 1
    once = all(seen.get(i) == 1 for i in sent_ids) and len(seen) == lines
    return {"messages": total, "accepted": accepted, "checked": report["documents"], "failing": report["failing"],
            "seconds": ended - began, "rate": report["documents"] / (ended - began), "peak_mib": hwm / 1024,
            "capture_lines": lines, "exactly_once": once and lines == accepted, "exit": proc.returncode,
            "capture_mib": capture.stat().st_size / (1 << 20)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--batch", type=int, default=100, help="messages per /v1/batch request (Segment clients: 100)")
    ap.add_argument("--spec", type=Path, default=ROOT / "spec")
    args = ap.parse_args()
    pool = message_pool(args.spec)
    print(f"gen collect: {args.clients} client processes, batches of {args.batch}, the bundled spec's "
          f"{len({m['event'] for m in pool})} payloads, 2% with an undeclared key; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        for total in (args.messages, 3 * args.messages):
            r = run(args.spec, pool, total, args.clients, args.batch, Path(tmp))
            print(f"  {r['messages']:>8,} messages: {r['rate']:>9,.0f} checked/s ({r['checked']:,} checked, "
                  f"{r['failing']:,} failing, {r['seconds']:.2f} s); peak RSS {r['peak_mib']:.0f} MiB; capture "
                  f"{r['capture_lines']:,} lines ({r['capture_mib']:.0f} MiB), every answered message exactly "
                  f"once: {r['exactly_once']}; exit {r['exit']}")
            if not r["exactly_once"] or r["accepted"] != r["messages"]:
                raise SystemExit("the capture does not hold every accepted message exactly once")


if __name__ == "__main__":
    main()
