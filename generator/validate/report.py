"""Tally and reports: what a run found, merged across units of work, and its texts.

A ``Tally`` is small whatever the input (every table is capped); tallies of consecutive
units merge in input order.  ``format_text`` is the human report, ``Tally.as_dict`` the
JSON one.  This module checks nothing and reads no input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .problems import (
    INPUT_PROBLEMS,
    PAYLOAD_PROBLEMS,
    TITLES,
    TYPE_MISMATCH,
    UNIDENTIFIED,
    UNKNOWN,
    Problem,
    Where,
    quote,
)

MAX_FAILURES = 1000  # failing documents listed one by one (all are counted)
MAX_TABLE = 1000  # distinct entries per table (undeclared keys, unknown names, ...)


class Tally:
    """What a run found.  Every table is capped, so a tally stays small however long
    the input; tallies of consecutive chunks merge (``merge``) into the tally of the
    whole, with each problem's first location kept."""

    def __init__(self) -> None:
        self.documents = 0
        self.conforming: dict[str, int] = {}  # payload -> conforming documents
        self.failing: dict[str | None, int] = {}  # payload (None: unidentified) -> failing documents
        # (payload, kind, key, detail-group) -> [count, first Where, example detail]
        self.problems: dict[tuple[Any, ...], list[Any]] = {}
        self.problems_dropped = 0  # occurrences of problems not in the table (full at MAX_TABLE)
        self.failures: list[tuple[Where, str | None, list[Problem]]] = []
        self.failures_dropped = 0

    @property
    def failing_documents(self) -> int:
        return sum(self.failing.values())

    @property
    def conforming_documents(self) -> int:
        return sum(self.conforming.values())

    @property
    def ok(self) -> bool:
        """No document failed (an empty run is ok; see ``passes``)."""
        return not self.failing

    def passes(self, allow_empty: bool = False) -> bool:
        """The run's verdict: no document failed, and at least one was found unless
        ``allow_empty``.  An empty capture proves nothing, so by default it does not
        pass, in ``gen validate`` (``--allow-empty``) and in the conformance suite
        (``TELEMETRY_ALLOW_EMPTY=1``) alike."""
        return self.ok and (allow_empty or self.documents > 0)

    def add_failure(self, where: Where, name: str | None, problems: list[Problem]) -> None:
        """Record one failing document (under ``None`` when its payload is unknown)."""
        if problems and problems[0].kind in UNIDENTIFIED:
            name = None
        self.failing[name] = self.failing.get(name, 0) + 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append((where, name, problems))
        else:
            self.failures_dropped += 1
        seen = set()
        for p in problems:
            group = p.detail if p.kind == TYPE_MISMATCH else ""
            tkey = (name, p.kind, p.key, group)
            if tkey in seen:
                continue
            seen.add(tkey)
            entry = self.problems.get(tkey)
            if entry is not None:
                entry[0] += 1
            elif len(self.problems) < MAX_TABLE:
                self.problems[tkey] = [1, where, p.detail]
            else:
                self.problems_dropped += 1

    def merge(self, later: Tally) -> None:
        """Add the tally of input that came after this one's."""
        self.documents += later.documents
        for name, n in later.conforming.items():
            self.conforming[name] = self.conforming.get(name, 0) + n
        for fname, n in later.failing.items():
            self.failing[fname] = self.failing.get(fname, 0) + n
        for tkey, (n, where, detail) in later.problems.items():
            entry = self.problems.get(tkey)
            if entry is not None:
                entry[0] += n
            elif len(self.problems) < MAX_TABLE:
                self.problems[tkey] = [n, where, detail]
            else:
                self.problems_dropped += n
        self.problems_dropped += later.problems_dropped
        room = MAX_FAILURES - len(self.failures)
        self.failures.extend(later.failures[:room])
        self.failures_dropped += later.failures_dropped + max(0, len(later.failures) - room)

    def shift_lines(self, offset: int) -> None:
        """Add ``offset`` to every line number (the tally of a range of a file, whose
        lines were counted from the range's start)."""
        if not offset:
            return
        self.failures = [(w._replace(line=w.line + offset) if w.line else w, n, p) for w, n, p in self.failures]
        for entry in self.problems.values():
            w = entry[1]
            if w.line:
                entry[1] = w._replace(line=w.line + offset)

    # ---- views

    def payload_names(self) -> list[str]:
        names = set(self.conforming) | {n for n in self.failing if n is not None}
        names |= {t[0] for t in self.problems if t[0] is not None}
        return sorted(names)

    def table(self, name: str | None, kinds: Iterable[str]) -> list[dict[str, Any]]:
        """Aggregated problems of one payload (or of unidentified documents), by kind."""
        order = {k: i for i, k in enumerate(kinds)}
        rows = [
            {"problem": k, "key": key, "detail": detail, "count": n, "first": str(where)}
            for (pname, k, key, _g), (n, where, detail) in self.problems.items()
            if pname == name and k in order
        ]
        rows.sort(key=lambda r: (order[r["problem"]], -r["count"], str(r["key"])))
        return rows

    def as_dict(self, allow_empty: bool = False) -> dict[str, Any]:
        """The machine-readable report (``gen validate --format json``); ``ok`` is the
        verdict (``passes``)."""
        payloads = {}
        for name in self.payload_names():
            payloads[name] = {
                "documents": self.conforming.get(name, 0) + self.failing.get(name, 0),
                "failing": self.failing.get(name, 0),
                "problems": self.table(name, PAYLOAD_PROBLEMS),
            }
        unknown = self.table(None, (UNKNOWN,))
        return {
            "ok": self.passes(allow_empty),
            "documents": self.documents,
            "conforming": self.conforming_documents,
            "failing": self.failing_documents,
            "payloads": payloads,
            "unknown_payloads": [{"name": r["key"], "count": r["count"], "first": r["first"]} for r in unknown],
            "unreadable": self.table(None, INPUT_PROBLEMS),
            "problems_not_tabulated": self.problems_dropped,
            "failures": [
                {
                    "location": str(w),
                    "file": w.file,
                    "line": w.line,
                    "item": w.item,
                    "payload": name,
                    "problems": [p.as_dict() for p in probs],
                }
                for w, name, probs in self.failures
            ],
            "failures_not_listed": self.failures_dropped,
        }


def format_failure(where: Where, name: str | None, problems: list[Problem]) -> str:
    """One line per failing document: ``file:line: payload: problem; problem``."""
    head = f"{where}: " + (f"{name}: " if name is not None and problems[0].kind != UNKNOWN else "")
    return head + "; ".join(p.text() for p in problems)


EMPTY_HINT = "pass --allow-empty if none were expected"


def format_text(tally: Tally, max_failures: int = 50, title: str = "gen validate", allow_empty: bool = False,
                empty_hint: str = EMPTY_HINT) -> str:
    """The human report: failing documents (first few), then a per-payload summary, and
    a last line with the verdict (``Tally.passes``; ``empty_hint`` says how to accept an
    empty capture)."""
    lines: list[str] = []
    for where, name, probs in tally.failures[:max_failures]:
        lines.append(format_failure(where, name, probs))
    more = tally.failures_dropped + max(0, len(tally.failures) - max_failures)
    if more:
        lines.append(f"... and {more} more failing document(s) (use --format json for up to {MAX_FAILURES})")
    bad = [n for n in tally.payload_names() if tally.failing.get(n)]
    if bad:
        lines.append("")
        lines.append("Per payload:")
    for name in bad:
        total = tally.conforming.get(name, 0) + tally.failing.get(name, 0)
        lines.append(f"  {name}: {total} document(s), {tally.failing[name]} failing")
        for r in tally.table(name, PAYLOAD_PROBLEMS):
            lines.append("    " + _row_text(r))
    unknown = tally.table(None, (UNKNOWN,))
    if unknown:
        lines.append("")
        lines.append("Unknown payload names:")
        for r in unknown:
            lines.append(f"  {quote(r['key'])}: {r['count']} document(s) (first at {r['first']})")
    unread = tally.table(None, INPUT_PROBLEMS)
    if unread:
        lines.append("")
        lines.append("Unreadable or unidentified documents:")
        for r in unread:
            lines.append(f"  {TITLES[r['problem']]}: {r['count']} document(s) (first at {r['first']})")
    if tally.problems_dropped:
        lines.append(f"  ({tally.problems_dropped} further problem occurrence(s) not tabulated: "
                     f"the table holds the first {MAX_TABLE} distinct problems)")
    if lines:
        lines.append("")
    if not tally.documents and not allow_empty:
        lines.append(f"{title}: no documents found; an empty capture proves nothing ({empty_hint})")
        return "\n".join(lines) + "\n"
    lines.append(
        f"{title}: {tally.documents} document(s) checked, {tally.conforming_documents} conform"
        + ("" if tally.ok else f", {tally.failing_documents} do not")
        + ("" if tally.documents else " (no documents found)")
        + ("." if tally.ok else "")
    )
    return "\n".join(lines) + "\n"


def _row_text(r: dict[str, Any]) -> str:
    p = Problem(r["problem"], r["key"], r["detail"])
    return f"{p.text()}: {r['count']} document(s) (first at {r['first']})"


def write_report(text: str, command: str) -> None:
    """Write a report to standard output.  When it cannot be written (a full disk,
    ``/dev/full``, a closed pipe) say so on standard error and exit 2: the run's verdict
    never reached its reader.  Standard output is then pointed at the null device so
    that the interpreter's own flush at exit cannot fail again."""
    import os
    import sys

    try:
        if sys.stdout is None:
            raise OSError(9, "standard output is closed")
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            out = sys.stdout
            if out is not None:
                os.dup2(null, out.fileno())
        except (OSError, AttributeError, ValueError):
            pass
        if sys.stderr is not None:
            try:
                sys.stderr.write(f"{command}: cannot write the report to standard output: {exc.strerror or exc}\n")
                sys.stderr.flush()
            except OSError:
                pass
        sys.exit(2)
