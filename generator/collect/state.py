"""What the collector has seen: the payload engine's tally of the capture, plus what only
a live endpoint knows (requests refused, messages by type, the opt-out switch and the
messages that arrived while it was on), and the verdict ``--fail-on`` asks for.

Every accepted request's lines are checked by the payload engine's own hot loop
(``check_batch``) on the very bytes written to the capture, numbered by their line in
it, so the tally here is by construction the one ``gen validate`` computes from the
capture file: ``GET /report`` is ``gen validate --format json``'s report of it, with one
more key, ``collect``.  Memory is bounded whatever the traffic: the tally's tables are
capped (``validate.report``), and so are the tables kept here.

Owns: the live tally, the collect-only counts, the verdict classes.  Must not: do HTTP,
or check anything except through the payload engine.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime

from generator.collect.capture import Capture, envelope
from generator.validate.check import Checker, check_batch
from generator.validate.inputs import Source, label_of, line_batches
from generator.validate.problems import UNKNOWN, UNSUPPORTED
from generator.validate.report import MAX_TABLE, Tally

# The verdict's classes, in report order; ``--fail-on`` names a subset (default: all,
# which is gen validate's verdict on the capture plus what only the collector sees).
FAIL_CLASSES = {
    "problems": "messages of a known payload that do not conform",
    "unknown": "messages naming a payload the spec does not have",
    "not-payload": "Segment messages other than track (identify, page, screen, group, alias)",
    "unreadable": "messages that are not a payload document (no name, unportable values, ...)",
    "rejected": "requests answered 400/401/408 (not JSON, too large, bad gzip, wrong write key, too slow)",
    "opt-out": "messages received while the product was said to be opted out",
    "empty": "no message at all (an empty capture proves nothing)",
}
MAX_EXAMPLE = 2000  # characters of a problem's first example kept for the page
MAX_LISTED = 100  # opt-out violations and rejected requests listed one by one


def now_text() -> str:
    """The current time as the capture's ``received_at`` (UTC, milliseconds, ``Z``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LiveState:
    """The collector's state.  ``accept`` writes a request's messages to the capture and
    checks them; ``reject`` records a refused request; ``report`` and ``verdict`` say
    what was found.  Not thread-safe: the server calls it from its one event loop."""

    def __init__(self, checker: Checker, capture: Capture, fail_on: Iterable[str] = tuple(FAIL_CLASSES)):
        self.checker, self.capture = checker, capture
        self.fail_on = tuple(c for c in FAIL_CLASSES if c in set(fail_on))
        self.source = Source(capture.path, label_of(capture.path), "ndjson", None)
        self.tally = Tally()
        self.examples: dict[str, str] = {}  # "capture:line" -> the line, cut short
        self.types: dict[str, int] = {}  # Segment message type -> messages accepted
        self.requests = {"accepted": 0, "rejected": 0}
        self.rejected: dict[tuple, dict] = {}  # (status, code) -> count and first example
        self.opted_out = False
        self.violations = 0
        self.violation_list: list[dict] = []
        self.changes = 0  # bumped on every change, for the page
        self.last_message = time.monotonic()
        if capture.lines:
            self._check_existing()

    # ---- input

    def accept(self, messages: list[dict]) -> int:
        """Append ``messages`` to the capture (one write), then check them; returns the
        first line's number.  Raises ``OSError`` when the capture cannot be written,
        with nothing recorded."""
        received_at = now_text()
        opted = self.opted_out
        lines = [envelope(m, received_at, opted) for m in messages]
        first = self.capture.append(lines) if lines else self.capture.lines + 1
        self._check(lines, first)
        for m in messages:
            mtype = m.get("type", "track")
            mtype = mtype if isinstance(mtype, str) and len(mtype) <= 40 else "?"
            self.types[mtype] = self.types.get(mtype, 0) + 1
        if opted and messages:
            self.violations += len(messages)
            for i, m in enumerate(messages[: MAX_LISTED - len(self.violation_list)]):
                self.violation_list.append({
                    "location": f"{self.source.label}:{first + i}", "received_at": received_at,
                    "type": str(m.get("type", "track"))[:40], "event": str(m.get("event", ""))[:80],
                })
        self.requests["accepted"] += 1
        self.touch()
        return first

    def reject(self, status: int, code: str, message: str, path: str) -> None:
        """Record a refused request (nothing of it is in the capture)."""
        self.requests["rejected"] += 1
        entry = self.rejected.get((status, code))
        if entry is not None:
            entry["count"] += 1
        elif len(self.rejected) < MAX_LISTED:
            self.rejected[(status, code)] = {"status": status, "code": code, "count": 1, "first": {
                "message": message[:500], "path": path[:200], "received_at": now_text()}}
        self.touch()

    def set_opt_out(self, value: bool | None) -> bool:
        """Turn the opt-out switch on or off (None: toggle); returns the new state."""
        self.opted_out = (not self.opted_out) if value is None else bool(value)
        self.changes += 1
        return self.opted_out

    def touch(self) -> None:
        self.changes += 1
        self.last_message = time.monotonic()

    def _check(self, lines: list[bytes], first: int) -> None:
        found = check_batch(self.checker, (self.source, first, lines))
        for tkey, (_n, where, _detail) in found.problems.items():
            loc = str(where)
            if tkey not in self.tally.problems and loc not in self.examples and len(self.examples) < MAX_TABLE:
                line = lines[where.line - first]
                self.examples[loc] = line[: MAX_EXAMPLE * 4].decode("utf-8", "replace")[:MAX_EXAMPLE]
        self.tally.merge(found)

    def _check_existing(self) -> None:
        """Check what an existing capture already holds, so that the report covers the
        whole file (a collector restarted on its capture goes on where it stopped)."""
        with open(self.capture.path, "rb") as fh:
            for _src, first, lines in line_batches(self.source, fh):
                lines = [x for x in lines if x.__class__ is bytes]  # oversized: never written by us
                self._check(lines, first)
                self.violations += sum(1 for x in lines if b'"opted_out":true' in x)

    # ---- output

    def counts(self) -> dict[str, int]:
        """How many messages (or requests) fall in each verdict class."""
        t = self.tally
        out = dict.fromkeys(FAIL_CLASSES, 0)
        out["problems"] = sum(n for name, n in t.failing.items() if name is not None)
        for (name, kind, _key, _g), (n, _w, _d) in t.problems.items():
            if name is None:
                out["unknown" if kind == UNKNOWN else "not-payload" if kind == UNSUPPORTED else "unreadable"] += n
        tabled = out["unknown"] + out["not-payload"] + out["unreadable"]
        out["unreadable"] += max(0, t.failing.get(None, 0) - tabled)  # beyond a full table
        out["rejected"] = self.requests["rejected"]
        out["opt-out"] = self.violations
        out["empty"] = int(t.documents == 0)
        return out

    def verdict(self) -> tuple[bool, list[str]]:
        """``(ok, classes that failed)`` under ``--fail-on``."""
        counts = self.counts()
        failed = [c for c in self.fail_on if counts[c]]
        return not failed, failed

    def report(self) -> dict:
        """``gen validate --format json``'s report of the capture, plus ``collect``."""
        out = self.tally.as_dict()
        ok, failed = self.verdict()
        out["collect"] = {
            "ok": ok,
            "failed": failed,
            "fail_on": list(self.fail_on),
            "counts": self.counts(),
            "capture": {"path": self.source.label, "lines": self.capture.lines},
            "requests": dict(self.requests),
            "message_types": dict(sorted(self.types.items())),
            "rejected": list(self.rejected.values()),
            "opted_out": self.opted_out,
            "opt_out_violations": self.violations,
            "opt_out_list": list(self.violation_list),
            "examples": dict(self.examples),
            "changes": self.changes,
        }
        return out


def text_report(state: LiveState) -> str:
    """The report printed when the collector stops: ``gen validate``'s text report of the
    capture, what only the collector saw, and a last line with the verdict."""
    from generator.validate.report import format_text

    allow_empty = "empty" not in state.fail_on
    text = format_text(state.tally, title=f"gen collect: {state.source.label}", allow_empty=allow_empty,
                       empty_hint="leave 'empty' out of --fail-on if none were expected")
    lines = [text.rstrip("\n")]
    if state.rejected:
        lines += ["", "Rejected requests (not in the capture):"]
        for r in state.rejected.values():
            lines.append(f"  {r['status']} {r['code']}: {r['count']} request(s) (first: {r['first']['path']}: "
                         f"{r['first']['message']})")
    if state.violations:
        first = state.violation_list[0]["location"] if state.violation_list else "an earlier run"
        lines += ["", (f"Opt-out violations: {state.violations} message(s) received while the product was "
                  f"opted out (first at {first})")]
    ok, failed = state.verdict()
    counts = state.counts()
    verdict = "ok" if ok else "fails on " + ", ".join(f"{c} ({counts[c]})" for c in failed)
    lines += ["", (f"gen collect: {state.requests['accepted']} request(s) accepted, {state.requests['rejected']} "
              f"rejected; {state.tally.documents} message(s) checked; {verdict}.")]
    return "\n".join(lines) + "\n"
