"""``gen infer``'s report: what was read, what was proposed, what needs a maintainer.

Two forms of one result: text for people (free text flagged loudly) and one JSON
document for tools (with the per-key statistics).  This module formats only; it
neither collects, decides nor edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.infer.inputs import INPUT_PROBLEMS, Tally
from generator.infer.propose import EDITS, Proposal
from generator.infer.stats import Collector

_LABEL = {
    "rename": "rename",
    "kind": "kind",
    "values": "values",
    "required": "optional",
    "new-field": "new field",
    "new-payload": "new payload",
    "unseen": "unseen",
    "unknown-payload": "unknown",
    "manual": "by hand",
}


@dataclass
class Result:
    """Everything one run found and did."""

    collector: Collector
    problems: Tally  # lines that were no document of a payload
    proposals: list[Proposal]
    failed: list[tuple[Proposal, str]] = field(default_factory=list)  # edits that could not be made
    changed_files: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def edits(self) -> list[Proposal]:
        failed = {id(p) for p, _ in self.failed}
        return [p for p in self.proposals if p.action in EDITS and id(p) not in failed]

    @property
    def needs_maintainer(self) -> bool:
        """Something is left to do: edits not written, or findings no edit resolves."""
        left = any(p.action in ("manual", "unknown-payload") for p in self.proposals) or bool(self.failed)
        return left or (bool(self.edits) and not self.written)


def format_text(result: Result) -> str:
    """The human report."""
    c = result.collector
    bad = result.problems.failing_documents
    out = [f"gen infer: {c.documents} document(s) of {len(c.payloads)} payload(s) read"
           + (f"; {bad} line(s) not read (see below)" if bad else "")]
    by_payload: dict[str, list[Proposal]] = {}
    for p in result.proposals:
        by_payload.setdefault(p.payload, []).append(p)
    failed = {id(p): why for p, why in result.failed}
    for name in sorted(c.payloads):
        props = by_payload.get(name, [])
        ps = c.payloads[name]
        out.append(f"{name}: {ps.documents} document(s), {len(ps.keys)} key(s)" + ("" if props else ": matches the spec"))
        for p in props:
            out.append(f"  {_LABEL[p.action]:<11} {p.message}")
            for f in p.fields:
                out.append(f"    {_LABEL[f.action]:<11} {f.message}")
            if id(p) in failed:
                out.append(f"    NOT APPLIED: {failed[id(p)]}")
    if c.payloads_dropped:
        out.append(f"{c.payloads_dropped} document(s) of payloads past the caps (1000 names, 256 characters a name) were counted, not described")
    rows = result.problems.table(None, INPUT_PROBLEMS)
    if rows:
        out.append("lines not read:")
        for r in rows:
            out.append(f"  {r['problem']}: {r['count']} line(s), first at {r['first']}" + (f" ({r['detail']})" if r["detail"] else ""))
    free = [p for p in result.edits if p.free_text]
    if free:
        out.append(f"!!! {len(free)} inferred element(s) hold FREE TEXT that may carry personal data; "
                   "review them before anything ships")
    n = len(result.edits)
    if result.written:
        done = f"{n} edit(s) written to {len(result.changed_files)} file(s): {', '.join(result.changed_files)}" if n else "nothing to change"
    else:
        done = f"{n} edit(s) proposed (--write applies them, --diff shows them)" if n else "nothing to change"
    findings = sum(p.action in ("manual", "unknown-payload") for p in result.proposals) + len(result.failed)
    out.append(done + (f"; {findings} item(s) need a maintainer" if findings else "")
               + ("; inferred elements carry `inferred:` and `personal_data: unreviewed` until reviewed (gen check fails on them)" if n else ""))
    return "\n".join(out) + "\n"


def as_dict(result: Result) -> dict:
    """The machine-readable report."""
    c = result.collector
    failed = {id(p): why for p, why in result.failed}
    payloads = {}
    for name in sorted(c.payloads):
        ps = c.payloads[name]
        payloads[name] = {
            "documents": ps.documents,
            "keys": {k: ps.keys[k].as_dict(ps.documents) for k in sorted(ps.keys)},
            "keys_not_described": ps.keys_dropped,
        }
    proposals = []
    for p in result.proposals:
        d = p.as_dict()
        d["applied"] = result.written and p.action in EDITS and id(p) not in failed
        if id(p) in failed:
            d["not_applied"] = failed[id(p)]
        proposals.append(d)
    return {
        "documents": c.documents,
        "unreadable": result.problems.table(None, INPUT_PROBLEMS),
        "payloads": payloads,
        "proposals": proposals,
        "written": result.written,
        "changed_files": result.changed_files,
        "needs_maintainer": result.needs_maintainer,
    }
