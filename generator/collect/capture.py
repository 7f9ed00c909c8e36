"""The capture: an append-only NDJSON file of every accepted message, one envelope a line.

Durability policy.  The promise is that a message answered 200 is in the capture even
if the collector is killed (SIGKILL, a crash, an OOM kill) right after answering.  For
that it is enough that the line has reached the kernel: ``append`` hands a request's
lines to ``os.write`` on a file descriptor opened with ``O_APPEND`` (looping on a short
write) before the server answers, and the kernel's page cache outlives the process.
It does not outlive the machine: surviving a power cut would need an ``fsync`` per
request (milliseconds each on most disks), which a local development endpoint does not
pay; ``close`` fsyncs once, at a clean shutdown.  A write that fails (a full disk) is
cut back to the last whole line, so the file never holds half a request, and the
request is answered 500 (the clients retry it).

Owns: the file, its line count (reports point at ``capture:line``) and the envelope a
message becomes.  Must not: check payloads or decide what a request is.
"""

from __future__ import annotations

import os
from typing import Any

from generator.collect.segment import dumps
from generator.validate.identification import TRACK, identify_shape


class Capture:
    """An open capture file; ``lines`` is how many lines it holds.

    An existing file is appended to (its lines are counted first, so that line numbers
    continue); a last line without its newline (a capture torn by a failing disk) gets
    one, so the next line starts on its own.
    """

    def __init__(self, path: str):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        self.lines, self.size, torn = _count_lines(self.fd)
        if torn:
            self._write(b"\n")
            self.lines += 1

    def append(self, lines: list[bytes]) -> int:
        """Write ``lines`` (each without its newline) as one ``write`` and return the
        line number of the first; raises ``OSError`` with the file unchanged."""
        first = self.lines + 1
        self._write(b"\n".join(lines) + b"\n")
        self.lines += len(lines)
        return first

    def _write(self, data: bytes) -> None:
        view, done = memoryview(data), 0
        try:
            while done < len(data):
                done += os.write(self.fd, view[done:])
        except OSError:
            try:  # whatever reached the file of this request goes (it was not answered 200)
                os.ftruncate(self.fd, self.size)
            except OSError:
                pass
            raise
        self.size += len(data)

    def close(self) -> None:
        """Flush to the disk (``fsync``) and close."""
        if self.fd < 0:
            return
        try:
            os.fsync(self.fd)
        except OSError:
            pass
        os.close(self.fd)
        self.fd = -1


def _count_lines(fd: int) -> tuple[int, int, bool]:
    lines = size = 0
    last = b"\n"
    while True:
        block = os.pread(fd, 1 << 20, size)
        if not block:
            break
        lines += block.count(b"\n")
        size += len(block)
        last = block[-1:]
    torn = last != b"\n"
    return lines, size, torn


def envelope(message: dict, received_at: str, opted_out: bool) -> bytes:
    """One capture line for one accepted message.

    A ``track`` message becomes the payload engine's envelope ``{"payload": event,
    "properties": {...}, "received_at": ..., "message": {the rest of the Segment
    message}}`` (a track without properties has empty ones, as Segment reads it); any
    other message is kept as it came, with ``receivedAt`` added, and the engine reports
    it as "not a payload".  ``opted_out: true`` marks a message that arrived while the
    product was said to be opted out.  Which messages are track messages is the
    engine's decision (``identify_shape``), not this module's.
    """
    if message.get("type", "track") == "track" and "event" in message and "properties" not in message:
        message = {**message, "properties": {}}
    name, props, problem, shape = identify_shape(message, None)
    if problem is None and shape == TRACK:
        rest = {k: v for k, v in message.items() if k not in ("event", "properties")}
        doc: dict[str, Any] = {"payload": name, "properties": props, "received_at": received_at, "message": rest}
    else:
        doc = {**message, "receivedAt": received_at}
    if opted_out:
        doc["opted_out"] = True
    return dumps(doc)
