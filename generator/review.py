"""``gen review BASE [HEAD]``: the data-review request for what a spec change adds or
widens, for the privacy reviewer who must approve it.

It reuses ``gen diff``'s engine (``generator.diff``: the same sides, the same change
rules) and keeps the changes its rules classify as privacy ``expanded``.  A field-level
change (``field-added``, ``kind-widened``, ``values-added``, ...) names its field; a new
payload or event lists each of its fields as new; a payload-level widening (schedule,
edition, versions, moved) or a feature-level one (destination, sender, opt-out) lists the
fields it reaches as widened.  A field whose expiry moved later (or became ``never``)
is widened in time (``expiry-extended``).  Wording-only changes are ``none`` for privacy,
so they never appear.  For each field the request gives what it is, why it is collected (its
feature's description and purposes), kind and allowed values, personal-data status, the
opt-out and its cost, schedule, sender and destination, edition and version limits,
owners, approval links, expiry, and the questions the reviewer must answer.

Everything is read from the head side's catalogue document, so a vendored
``catalog.json`` works as well as a spec folder or a git revision.

Must not: print or exit outside ``review_command``, decide what a change is (the diff
rules do), or know any product.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from generator.diff.compare import Change, diff_catalogs
from generator.diff.formats import opt_out_md
from generator.diff.rules import EXPANDED
from generator.kinds import KINDS
from generator.privacy import UNREVIEWED, expiry_text, opt_out_ways
from generator.targets.escape import md_code

#: How the request words each personal-data level ("unreviewed" is never "none").
PD_WORDS = {"none": "none", "pseudonymous": "pseudonymous", "possible": "possible", UNREVIEWED: "not yet reviewed"}


def _index(doc: dict) -> tuple[dict, dict, dict, dict]:
    features = {f["id"]: f for f in doc.get("features", [])}
    sections = {s["id"]: s for s in doc.get("sections", [])}
    payloads = {p["wire_name"]: p for p in doc.get("payloads", [])}
    kinds = {k["id"]: k for k in doc.get("kinds", [])}
    return features, sections, payloads, kinds


def affected_fields(changes: list[Change], head: dict) -> dict[tuple[str, str], dict[str, Any]]:
    """``(payload, wire key)`` -> ``{"status": new|widened, "changes": [Change...]}`` for
    every field a privacy-expanding change adds or widens, in head order."""
    _, _, payloads, _ = _index(head)
    out: dict[tuple[str, str], dict[str, Any]] = {}

    def add(wire: str, key: str, status: str, change: Change) -> None:
        entry = out.setdefault((wire, key), {"status": status, "changes": []})
        if status == "new":
            entry["status"] = "new"
        if change not in entry["changes"]:
            entry["changes"].append(change)

    for c in changes:
        if c.privacy != EXPANDED:
            continue
        if c.field is not None and c.payload in payloads:
            add(c.payload, c.field, "new" if c.rule == "field-added" else "widened", c)
        elif c.payload is not None and c.payload in payloads:
            status = "new" if c.rule in ("payload-added", "event-added") else "widened"
            for f in payloads[c.payload].get("fields", []):
                add(c.payload, f["wire_key"], status, c)
        elif c.payload is None and c.feature is not None:
            for p in payloads.values():
                if p.get("feature") == c.feature:
                    for f in p.get("fields", []):
                        add(p["wire_name"], f["wire_key"], "widened", c)
    order = {(p["wire_name"], f["wire_key"]): i for i, (p, f) in enumerate((p, f) for p in payloads.values() for f in p.get("fields", []))}
    return dict(sorted(out.items(), key=lambda kv: order.get(kv[0], 0)))


#: The question each privacy-expanding rule raises (a test keeps one for every
#: ``expanded`` rule of ``generator.diff.rules``).
QUESTIONS: dict[str, str] = {
    "field-added": "Is this new field necessary for the stated purposes, and is the least revealing kind used?",
    "payload-added": "Is every field of this new payload necessary for the stated purposes?",
    "event-added": "Is this new event, and every property it carries, necessary for the stated purposes?",
    "payload-moved": "It now belongs to another feature: do that feature's opt-out, sender and destination fit it?",
    "schedule-more-frequent": "It is sent more often: does the purpose need the higher frequency?",
    "schedule-changed": "It switched between periodic and on-event sending: what does the new timing reveal about users' activity?",
    "edition-widened": "More editions send it: do their users expect it, and does their documentation say so?",
    "versions-widened": "More product versions send it: do those versions' docs say so?",
    "kind-widened": "Its kind admits more values: what can the wider value space reveal, and is a narrower kind enough?",
    "values-added": "It can take more values: can the new values tell users or organisations apart?",
    "input-data-used": "It now reads what users entered: can that carry personal data, and how is it reduced?",
    "field-edition-widened": "More editions send this field: do their users expect it?",
    "field-versions-widened": "More product versions send this field: do those versions' docs say so?",
    "personal-data-raised": "Its personal-data level went up: is the stated reason enough, and do the reductions protect users?",
    "collected-because-changed": "The reason for collecting it changed: is the new reason a purpose users were told about?",
    "reduction-removed": "A reduction was removed: what does the unreduced value reveal, and why is the reduction no longer needed?",
    "expiry-extended": "It is collected for longer: is the longer retention necessary?",
    "opt-out-removed": "A way to switch it off was removed: can users still opt out as easily as before?",
    "opt-out-moved": "The way to switch it off moved: do users who had opted out stay opted out?",
    "opt-out-value-changed": "Other values now switch it off: does a value that meant off still mean off?",
    "destination-changed": "It goes to a new destination: is that recipient covered by the privacy policy?",
    "sender-changed": "Another component sends it: does that change what the recipient can link it to?",
}


def _questions(item: dict) -> list[str]:
    """What the reviewer must answer for this field, from what the request shows: the
    question each of its changes raises, then those its facts raise."""
    q = [f"Is {item['name']} necessary for the stated purposes, and is the least revealing kind used?"]
    for rule in dict.fromkeys(c["rule"] for c in item["changes"]):
        if rule in QUESTIONS and QUESTIONS[rule] not in q:
            q.append(QUESTIONS[rule])
    if item["status"] == "widened":
        q.append("What does this widening reveal that was not revealed before: " + "; ".join(c["message"] for c in item["changes"]) + "?")
    pd = item["personal_data"]
    if pd["status"] == UNREVIEWED:
        q.append("Nobody has reviewed it for personal data yet: which level is it (none, pseudonymous, possible), and why?")
    if pd["uses_input_data"] or pd["free_text"] or pd["status"] in ("possible", "pseudonymous"):
        q.append("The value comes from what users entered or is free text: can it identify a person or carry personal data, and is the stated mitigation enough?")
    else:
        q.append("Can this value, alone or combined with the rest of the payload, identify a person or an organisation?")
    if not item["opt_outs"]:
        q.append("This data cannot be switched off: is sending it without an opt-out acceptable?")
    else:
        q.append("Does the opt-out stop this field, and is its cost stated honestly to users?")
    gov = item["governance"]
    if not gov["owners"]:
        q.append("No owner is recorded: who answers for this field?")
    if not (gov["reviews"] or gov["tickets"]):
        q.append("No approval link is recorded: add this review's link under `reviews:` once approved.")
    e = gov["expires"]
    if e is None:
        q.append("No expiry is set: when should collection stop (a date or product version)?")
    elif e["kind"] == "never":
        q.append(f"It never expires ({e.get('reason') or 'no reason given'}): is collecting it for good justified?")
    else:
        q.append(f"It expires {expiry_text(e)}: is that soon enough, and who renews or removes it then?")
    return q


def review_request(base: dict, head: dict) -> list[dict[str, Any]]:
    """The request's items, one per new or widened field, as JSON-ready dicts."""
    changes = diff_catalogs(base, head)
    features, sections, payloads, kinds = _index(head)
    items = []
    for (wire, key), entry in affected_fields(changes, head).items():
        p = payloads[wire]
        f = next(x for x in p["fields"] if x["wire_key"] == key)
        feat = features.get(p.get("feature"), {})
        sec = sections.get(p.get("section"), {})
        kind = kinds.get(f["kind"], {})
        opt = feat.get("opt_out")
        ways = opt_out_ways(feat)
        item = {
            "payload": wire,
            "wire_key": key,
            "name": f["qualified_name"],
            "status": entry["status"],
            "changes": [{"rule": c.rule, "message": c.message} for c in entry["changes"]],
            "description": f.get("description", ""),
            "purposes": {"feature": feat.get("title", p.get("feature")), "description": feat.get("description", ""), "purposes": feat.get("purposes", [])},
            "kind": {"id": f["kind"], "title": kind.get("title", f["kind"])},
            "values": f.get("values", []),
            "personal_data": {
                "status": f.get("personal_data", ""),  # a level of generator.privacy.PD_LEVELS
                "uses_input_data": f.get("uses_input_data", False),
                "free_text": bool(KINDS[f["kind"]].free_text) if f["kind"] in KINDS else True,
                "note": f.get("personal_data_note", ""),
                "collected_because": f.get("collected_because", ""),
                "reduction": f.get("reduction", []),
            },
            "opt_out": dict(opt) if opt else None,  # the feature's first, as the catalogue has it (with its cost)
            "opt_outs": [dict(w) for w in ways],  # every way to switch it off (that names a setting)
            "opt_out_text": _opt_out_text(opt, ways),  # in the docs' words (Markdown)
            "schedule": (sec.get("schedule") or {}).get("text", p.get("schedule", "")),
            "sender": feat.get("sender", ""),
            "destination": feat.get("destination", ""),
            "edition": f.get("edition"),
            "versions": f.get("versions", {}),
            "governance": f.get("governance") or {"owners": [], "reviews": [], "tickets": [], "expires": None},
        }
        item["questions"] = _questions(item)
        items.append(item)
    return items


def _md(text: str) -> str:
    """Text for one Markdown line: markup characters escaped, line breaks folded."""
    out = " ".join(str(text).split())
    for ch in "\\`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out


def format_markdown(items: list[dict], base_label: str, head_label: str) -> str:
    """The request as Markdown, for a pull request or a review ticket."""
    lines = ["# Data-review request", "", f"Changes from {_md(base_label)} to {_md(head_label)}."]
    if not items:
        return "\n".join(lines + ["", "No field is new or widened: no data review is needed.", ""])
    lines += ["", f"{len(items)} field{'s' if len(items) != 1 else ''} new or widened. Answer every question before approving.", ""]
    for n, it in enumerate(items, 1):
        gov, pd = it["governance"], it["personal_data"]
        purposes = it["purposes"]
        why = _md(purposes["feature"]) + (": " + _md(purposes["description"]) if purposes["description"] else "")
        if purposes["purposes"]:
            why += " Purposes: " + "; ".join(_md(x) for x in purposes["purposes"]) + "."
        pd_text = f"{_md(PD_WORDS.get(pd['status'], pd['status']))}; " if pd["status"] else ""
        pd_text += "reads what users entered" if pd["uses_input_data"] else "does not read what users entered"
        if pd["free_text"]:
            pd_text += "; free text"
        if pd["collected_because"]:
            pd_text += f"; collected because: {_md(pd['collected_because'])}"
        mitigation = "; ".join(_md(x) for x in [*pd["reduction"], pd["note"]] if x) or "none stated"
        opt_text = it["opt_out_text"]
        limits = ", ".join(x for x in (f"edition {it['edition']}" if it["edition"] else "", _versions_text(it["versions"])) if x) or "none"
        approvals = [f"review {_md(u)}" for u in gov["reviews"]] + [f"ticket {_md(u)}" for u in gov["tickets"]]
        lines += [
            f"## {n}. `{it['payload']}.{it['wire_key']}` ({_md(it['name'])}): {it['status']}",
            "",
            f"- **What it is:** {_md(it['description']) or 'no description'}",
            "- **Change:** " + "; ".join(_md(c["message"]) + f" (`{c['rule']}`)" for c in it["changes"]),
            f"- **Why it is collected:** {why}",
            f"- **Kind:** {_md(it['kind']['title'])} (`{it['kind']['id']}`)"
            + ("; allowed values: " + ", ".join(md_code(json.dumps(v)) for v in it["values"]) if it["values"] else "; allowed values: any the kind allows"),
            f"- **Personal data:** {pd_text}; mitigation: {mitigation}",
            f"- **Opt-out:** {opt_text}",
            f"- **Schedule:** sent {_md(it['schedule'])}",
            f"- **Destination:** sent by the {_md(it['sender'])} to {_md(it['destination'])}",
            f"- **Limits:** {limits}",
            f"- **Owners:** {', '.join(_md(o) for o in gov['owners']) or 'none recorded'}",
            f"- **Approvals:** {', '.join(approvals) or 'none recorded'}",
            f"- **Expiry:** {_md(expiry_text(gov['expires'])) or 'not set'}",
            "",
            "Questions for the reviewer:",
            "",
            *[f"{i}. {_md(q)}" for i, q in enumerate(it["questions"], 1)],
            "",
        ]
    return "\n".join(lines)


def _opt_out_text(opt: dict | None, ways: list[dict]) -> str:
    """Every way to opt out, in the docs' words (``phrases.opt_out_sentence``), each with
    its setting and cost; or why it cannot be switched off."""
    if not ways:
        if opt and opt.get("not_possible"):
            return "none: " + _md(opt["not_possible"])
        return "none: this data cannot be switched off"
    return " ".join(f"{opt_out_md(w)} (setting {md_code(w['setting'])}; cost: {_md(w.get('cost', '')) or 'not stated'})" for w in ways)


def _versions_text(v: dict) -> str:
    lo, hi = v.get("min"), v.get("max")
    if lo and hi:
        return f"v{lo} to v{hi}"
    return f"v{hi} and earlier" if hi else f"v{lo} and later" if lo else ""


def format_json(items: list[dict], base_label: str, head_label: str) -> str:
    """The request as one JSON document, for tooling."""
    return json.dumps({"base": base_label, "head": head_label, "fields": items}, indent=2, ensure_ascii=False) + "\n"


FORMATTERS = {"markdown": format_markdown, "json": format_json}


@click.command("review")
@click.argument("base")
@click.argument("head", required=False)
@click.option("--spec", "spec_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("spec"), show_default=True,
              help="The working spec folder: HEAD when none is given, and the folder whose files are read at a revision.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATTERS)), default="markdown", show_default=True,
              help="Markdown for a reviewer, or JSON for tooling.")
def review_command(base: str, head: str | None, spec_dir: Path, fmt: str) -> None:
    """Write the data-review request for what changed from BASE to HEAD: every new or
    widened field with what it is, why it is collected, its kind and values,
    personal-data status, opt-out and cost, schedule, destination, owners, approvals,
    expiry, and the questions a privacy reviewer must answer.  Wording-only changes
    are not listed.

    BASE and HEAD are each a spec folder, a git revision, or a catalog.json (as for
    `gen diff`); HEAD defaults to the working spec (--spec).
    """
    from generator.diff.sources import SourceError, load_sides

    try:
        before, after = load_sides(base, head, spec_dir)
    except SourceError as exc:
        raise click.UsageError(str(exc)) from None
    items = review_request(before.catalog, after.catalog)
    click.echo(FORMATTERS[fmt](items, before.label, after.label), nl=False)
    sys.exit(0)
