"""Prints the changes ``gen diff`` found: text for people at a terminal, JSON records for
tools, GitHub Actions annotations for CI, and a Markdown changelog fragment for end users.

The Markdown fragment speaks to the people whose product sends the data, not to
engineers: per feature (with the setting that switches it off), "This version also
sends ...", "No longer sent: ..." and the other privacy changes in a sentence each.
Changes that matter only to consumers of the schemas (a renamed key, a field made
required) are left out of it; wording changes too.  This module only formats; finding
the changes is ``generator.diff.compare``'s job.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable

from markupsafe import Markup

from generator.diagnostics import _gh_escape
from generator.diff.compare import Change
from generator.diff.rules import BREAKING, EXPANDED, REDUCED
from generator.phrases import DEFAULTS, fill, off_values_words, opt_out_sentence
from generator.privacy import opt_out_ways
from generator.targets.escape import md_code, md_text

ADDED_RULES = frozenset({"field-added", "payload-added", "event-added"})
REMOVED_RULES = frozenset({"field-removed", "payload-removed", "event-removed"})


def _where(c: Change) -> str:
    if c.payload and c.field:
        return f"{c.payload}.{c.field}"
    if c.payload:
        return c.payload
    return f"feature {c.feature}" if c.feature else "spec"


def format_text(changes: list[Change], base: dict, head: dict, root: str = "") -> str:
    """One line per change (privacy, compatibility, rule, where: message), then a count."""
    if not changes:
        return "no changes\n"
    lines = [f"{c.privacy:<9} {c.compatibility:<9} {c.rule:<24} {_where(c)}: {c.message}" for c in changes]
    breaking = sum(c.compatibility == BREAKING for c in changes)
    expanded = sum(c.privacy == EXPANDED for c in changes)
    reduced = sum(c.privacy == REDUCED for c in changes)
    lines.append(f"{len(changes)} change(s): {breaking} breaking, {expanded} privacy-expanding, {reduced} privacy-reducing")
    return "\n".join(lines) + "\n"


def format_json(changes: list[Change], base: dict, head: dict, root: str = "") -> str:
    """A JSON list of records (``Change.as_dict``)."""
    return json.dumps([c.as_dict() for c in changes], indent=2, ensure_ascii=False) + "\n"


def _source(c: Change, head: dict) -> str | None:
    """The head spec file that declares what ``c`` is about (a removed thing: none)."""
    features, payloads, _ = _index(head)
    p = payloads.get(c.payload or "")
    f = _field_of(p, c.field)
    for item in (f, p, None if c.payload else features.get(c.feature or "")):
        if item is not None and item.get("source"):
            return item["source"]
    return None


def format_github(changes: list[Change], base: dict, head: dict, root: str = "") -> str:
    """GitHub Actions workflow commands: breaking changes as errors, privacy expansions
    as warnings, the rest as notices.  With ``root`` (the head spec folder) each is
    attached to the spec file that declares what it is about."""
    out = []
    for c in changes:
        level = {"error": "error", "warning": "warning"}.get(c.severity, "notice")
        props = []
        source = _source(c, head) if root else None
        if source:
            props.append(f"file={_gh_escape(posixpath.normpath(f'{root}/{source}'), True)}")
        props.append("title=" + _gh_escape(f"gen diff: {c.rule} ({c.privacy}, {c.compatibility})", True))
        out.append(f"::{level} {','.join(props)}::{_gh_escape(_where(c) + ': ' + c.message)}")
    return "\n".join(out) + ("\n" if out else "")


# -- Markdown changelog fragment ---------------------------------------------------------


def _index(doc: dict) -> tuple[dict, dict, dict]:
    features = {f["id"]: f for f in doc.get("features", [])}
    payloads = {p["wire_name"]: p for p in doc.get("payloads", [])}
    kinds = {k["id"]: k["title"] for k in doc.get("kinds", [])}
    return features, payloads, kinds


def _field_of(payload: dict | None, key: str | None) -> dict | None:
    if payload is None or key is None:
        return None
    return next((f for f in payload.get("fields", []) if f["wire_key"] == key), None)


def _md(text: str) -> str:
    """Text safe inside a Markdown list item: no markup, no line breaks."""
    out = " ".join(str(text).split())
    for ch in "\\`*_[]<|":
        out = out.replace(ch, "\\" + ch)
    return out


def _item(c: Change, side: dict) -> str:
    _, payloads, kinds = _index(side)
    p = payloads.get(c.payload or "")
    f = _field_of(p, c.field)
    if f is not None:
        text = f"{md_code(f'{c.payload}.{c.field}')}: {_md(f['qualified_name'])} ({_md(kinds.get(f['kind'], f['kind']).lower())})"
        if f.get("description"):
            text += f" \u2014 {_md(f['description'])}"
        return text
    if p is not None:
        what = "the event" if p.get("type") == "event" else "the record"
        n = len(p.get("fields", []))
        count = "no fields" if n == 0 else "1 field" if n == 1 else f"{n} fields"
        text = f"{what} {md_code(c.payload)}: {_md(p.get('title') or c.payload)} ({count})"
        if p.get("description"):
            text += f" \u2014 {_md(p['description'])}"
        return text
    return md_code(_where(c))


def _label(c: Change, head: dict, base: dict) -> str:
    """How an end user reads what a change is about: a field's documented name, a
    payload's title, with the wire name in code."""
    for side in (head, base):
        _, payloads, _ = _index(side)
        p = payloads.get(c.payload or "")
        f = _field_of(p, c.field)
        if f is not None:
            return f"{md_code(f'{c.payload}.{c.field}')} ({_md(f['qualified_name'])})"
        if p is not None:
            return f"{md_code(c.payload)} ({_md(p.get('title') or c.payload)})"
    return md_code(_where(c))


def _values(v) -> str:
    return ", ".join(md_code(json.dumps(x)) for x in v)


def _range(v: dict) -> str:
    lo, hi = v.get("min"), v.get("max")
    if lo and hi:
        return f"v{lo} to v{hi}"
    return f"v{hi} and earlier" if hi else f"v{lo} and later" if lo else "every version"


def _sentence(c: Change, base: dict, head: dict) -> str:
    """One sentence for end users about a privacy change other than an addition or a
    removal."""
    what = _label(c, head, base)
    b, a = c.before, c.after
    _, _, kinds = _index(head)
    kind = lambda k: _md(kinds.get(k, k)).lower()
    ed = lambda e: "every edition" if e is None else f"the {_md(e)} edition"
    r = c.rule
    if r in ("opt-out-removed", "opt-out-added", "opt-out-moved", "opt-out-value-changed", "opt-out-easier"):
        return _opt_out_sentence(c, base, head)
    if r == "destination-changed":
        return f"The data is now sent to {_md(a)} (before: {_md(b)})."
    if r == "sender-changed":
        return f"The data is now sent by the {_md(a)} (before: the {_md(b)})."
    if r == "payload-moved":
        return f"{what} now belongs to this feature and is switched off with it."
    if r.startswith("schedule-"):
        return f"{what} is now sent {_md(a)} (before: {_md(b)})."
    if r in ("edition-widened", "field-edition-widened"):
        return f"{what} is now sent by {ed(a)} (before: only {ed(b)})."
    if r in ("edition-narrowed", "field-edition-narrowed"):
        return f"{what} is now sent only by {ed(a)}."
    if "versions-" in r:
        return f"{what} is now sent by {_range(a)} (before: {_range(b)})."
    if r in ("kind-widened", "kind-narrowed"):
        return f"{what} is now sent as: {kind(a)} (before: {kind(b)})."
    if r == "values-added":
        gained = [v for v in a if v not in b]
        return f"{what} can now hold any value (before: {_values(b)})." if not a else f"{what} can now also be {_values(gained)}."
    if r == "values-removed":
        lost = [v for v in b if v not in a]
        return f"{what} can now only be {_values(a)}." if not b else f"{what} can no longer be {_values(lost)}."
    if r == "input-data-used":
        return f"{what} is now read from what users entered."
    if r == "input-data-unused":
        return f"{what} no longer reads what users entered."
    return _md(c.message[:1].upper() + c.message[1:]) + "."


def _md_say(key: str, /, **values) -> Markup:
    """Phrase ``key`` (the generator's wording, as the docs use it) as Markdown: its text
    and plain values escaped, formatted values (``Markup``) kept."""
    esc = lambda t: md_text(t, part=True)
    return Markup(fill(DEFAULTS[key], esc, **{k: v if isinstance(v, Markup) else esc(v) for k, v in values.items()}))


def opt_out_md(way: dict) -> str:
    """One way to opt out in Markdown, in the docs' words (``phrases.opt_out_sentence``)."""
    return str(opt_out_sentence(way, _md_say, lambda t: Markup(md_code(t)), lambda t: Markup(f"**{md_text(t)}**")))


def off_values_md(off) -> str:
    """An opt-out's off values in Markdown, in the docs' words."""
    return str(off_values_words(off, _md_say, lambda t: Markup(md_code(t))))


def _opt_out_sentence(c: Change, base: dict, head: dict) -> str:
    """A changed opt-out, for end users: the way to switch it off as the docs word it."""
    def way(side: dict, setting) -> dict | None:
        feats, _, _ = _index(side)
        return next((w for w in opt_out_ways(feats.get(c.feature or "", {})) if w["setting"] == setting), None)

    b, a = c.before, c.after
    if c.rule == "opt-out-removed":
        gone = way(base, b)
        left = opt_out_ways(_index(head)[0].get(c.feature or "", {}))
        text = "It can no longer be switched off this way: " + (opt_out_md(gone) if gone else md_code(b))
        return text + ("" if left else " It can no longer be switched off at all.")
    if c.rule == "opt-out-added":
        new = way(head, a)
        return "It can now also be switched off: " + (opt_out_md(new) if new else md_code(a))
    if c.rule == "opt-out-moved":
        old, new = way(base, b["setting"]), way(head, a["setting"])
        return (f"The way to switch it off changed: {opt_out_md(new) if new else md_code(a['setting'])} "
                f"(before: {opt_out_md(old) if old else md_code(b['setting'])}); if you had switched it off, check again.")
    return f"It is now switched off by {off_values_md(a)} (before: {off_values_md(b)})."


def format_markdown(changes: list[Change], base: dict, head: dict, root: str = "") -> str:
    """A changelog fragment for end users, grouped by feature and its opt-out."""
    relevant = [c for c in changes if c.privacy in (EXPANDED, REDUCED)]
    lines = ["## Telemetry changes in this version", ""]
    if not relevant:
        lines += ["This version sends the same telemetry as the previous one.", ""]
        return "\n".join(lines)
    hfeat, _, _ = _index(head)
    bfeat, _, _ = _index(base)
    order: list[str | None] = []
    for c in relevant:
        if c.feature not in order:
            order.append(c.feature)
    for fid in order:
        feat = hfeat.get(fid or "") or bfeat.get(fid or "") or {}
        group = [c for c in relevant if c.feature == fid]
        lines.append(f"### {_md(feat.get('title') or fid or 'Other')}")
        lines.append("")
        ways = opt_out_ways(feat)
        if ways:
            lines.append(" ".join(opt_out_md(w) for w in ways))
        else:
            lines.append("This feature cannot be switched off.")
        lines.append("")
        sections: list[tuple[str, Callable[[Change], bool], dict, bool]] = [
            ("This version also sends:", lambda c: c.rule in ADDED_RULES, head, True),
            ("No longer sent:", lambda c: c.rule in REMOVED_RULES, base, True),
            ("Also changed:", lambda c: c.rule not in ADDED_RULES | REMOVED_RULES, head, False),
        ]
        for heading, pick, side, listed in sections:
            items = [c for c in group if pick(c)]
            if not items:
                continue
            lines.append(heading)
            lines.append("")
            for c in items:
                lines.append(f"- {_item(c, side) if listed else _sentence(c, base, head)}")
            lines.append("")
    return "\n".join(lines)


FORMATTERS: dict[str, Callable[..., str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "markdown": format_markdown,
}
