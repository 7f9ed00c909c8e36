"""Target: the searchable HTML catalogue (``docs/catalog.html``).

One self-contained file an auditor can open from disk or a docs site can serve: the
product's introduction, guarantees and purposes, one card per feature (who sends what
where, and the exact setting that switches it off), and a table of every field and
event with a search box and filters for feature, section, kind, schedule, edition and
opt-out setting; every field and event has a link target (``#field-<payload>-<key>``,
``#event-<name>``).

How it stays safe and fast:

* Spec text reaches the page only through jinja's autoescape (the prose) or as JSON in
  ``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as ``\\u``
  escapes (the rows); the page's script puts it into the DOM with ``textContent``
  only.  A Content-Security-Policy allows no network access at all, and only the page's
  own script and style (by hash), so even a slip elsewhere could not load or run
  anything.
* Rows are built once from the JSON; a keystroke only flips ``hidden`` on rows whose
  state changes (linear in the number of rows, no re-rendering), which stays instant
  with thousands of fields.

Must not: decide what the page says (``docs_view`` does), load anything over the
network, or put spec text into the page other than autoescaped or as escaped JSON.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from typing import Any

from markupsafe import Markup

from generator.model import Spec
from generator.phrases import plain
from generator.privacy import PD_LEVELS, PD_RANK
from generator.targets import docs_jinja
from generator.targets.docs_view import DocView, FieldView, build_view
from generator.targets.escape import code_parts, json_for_script

PATH = "docs/catalog.html"


def _asset(name: str) -> str:
    """A file of the template folder, normalised as the page is (no trailing spaces,
    '\\n' line endings), so the Content-Security-Policy hash matches what is served."""
    text = resources.files("generator").joinpath("templates/docs", name).read_text("utf-8")
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")


def _csp_hash(text: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
    )


# --- the catalogue's flat rows ------------------------------------------------------


def catalog_data(view: DocView) -> dict[str, Any]:
    """The HTML catalogue's data: lookup tables and one row per event and per field.

    Rows refer to features, sections, kinds, schedules, editions and opt-out settings
    by index into small tables, so a spec with thousands of fields stays a compact page.
    Each row carries what the page filters on and what it shows; ``t`` is "e" for an
    event and "f" for a field.  Keys: ``n`` name, ``w`` wire key (or event name), ``p``
    payload, ``k`` kind, ``d`` description, ``f`` feature, ``s`` section, ``h``
    schedule, ``o`` opt-out setting, ``e`` edition, ``v`` version limit (-1 or "" when
    none); optional ``c`` category, ``ev`` event of a property, ``np`` number of
    properties, ``vals`` values, ``notes``, ``pd`` personal-data note, ``ni`` no input
    data used, ``opt`` optional, ``pl`` personal data (0 none, 1 pseudonymous, 2
    possible; always present), ``pdw`` why collected, ``pdr`` how reduced, ``ow`` owners,
    ``x`` expiry, ``xd`` the date of a date expiry.  Spec text that holds code spans
    (``d``, ``notes``, ``pd``, ``pdw``, ``pdr``, a section's description) is a list of
    ``code_parts`` (odd items are code) instead of a string.  A section is
    ``[title, feature, anchor, description, schedule, marks]``.  ``labels`` holds the
    page script's wording (from the spec's phrases).
    """
    tables: dict[str, list[str]] = {k: [] for k in ("kind", "schedule", "edition", "optout")}
    index: dict[str, dict[str, int]] = {k: {} for k in tables}

    def ix(table: str, value: str) -> int:
        pos = index[table].get(value)
        if pos is None:
            pos = index[table][value] = len(tables[table])
            tables[table].append(value)
        return pos

    ph = view.phrases
    features, sections, rows = [], [], []
    for fi, feat in enumerate(view.features):
        features.append([code_parts(feat.title), feat.anchor])
        o = feat.opt_out
        opt = ix("optout", o.path_text or o.setting_id) if o and o.setting_id else -1
        for sched in feat.schedules:
            si_sched = ix("schedule", sched.text)
            for sec in sched.sections:
                si = len(sections)
                sections.append(
                    [code_parts(sec.title), fi, sec.anchor, code_parts(sec.description), si_sched, list(sec.marks)]
                )
                base = {"f": fi, "s": si, "h": si_sched, "o": opt}

                if sec.field_groups:
                    for fg in sec.field_groups:
                        for blk in fg.blocks:
                            for fv in blk.fields:
                                rows.append(_field_row(fv, base, ix, group=code_parts(fg.title)))
                for blk in sec.payload_blocks:
                    for fv in blk.fields:
                        rows.append(_field_row(fv, base, ix))
                for cat in sec.categories:
                    for grp in cat.event_groups:
                        for ev in grp.events:
                            row = {
                                "t": "e",
                                "id": ev.anchor,
                                "n": ev.title,
                                "w": ev.wire_name,
                                "p": ev.wire_name,
                                "k": ix("kind", ph["html_event_kind"]),
                                "d": code_parts(ev.description or cat.description),
                                **base,
                                "e": ix("edition", ev.edition) if ev.edition else -1,
                                "v": ev.versions,
                                "pl": 0,
                            }
                            if cat.title:
                                row["c"] = code_parts(cat.title)
                            if ev.fields:
                                row["np"] = len(ev.fields)
                            rows.append(row)
                            for fv in ev.fields:
                                rows.append(_field_row(fv, base, ix, event=ev.title))
    return {
        "product": view.product.name,
        "features": features,
        "sections": sections,
        **{k + "s": v for k, v in tables.items()},
        "edition_marks": [plain(ph["edition_only"], edition=e) for e in tables["edition"]],
        "schedule_labels": [plain(ph["html_sent"], schedule=t) for t in tables["schedule"]],
        "personal_data": [ph["pd_" + level] for level in PD_LEVELS],
        "labels": _labels(ph),
        "rows": rows,
    }


def _lead(text: str) -> str:
    """A phrase's words before its placeholder ("Why no personal data:")."""
    return text.split("{", 1)[0].strip()


def _labels(ph) -> dict[str, str]:
    """The page script's wording, from the spec's phrases."""
    keys = ("link_field", "link_event", "sent_with_event", "values", "one_property", "properties", "note", "no_input", "optional", "showing", "of")
    out = {k: ph["js_" + k] for k in keys}
    out.update(
        field=ph["html_field"],
        fields=ph["html_fields"],
        event=ph["html_event"],
        events=ph["html_events"],
        pd_none_why=_lead(ph["pd_none_why"]),
        pd_collected=_lead(ph["pd_collected_because"]),
        pd_reduced=_lead(ph["pd_reduced_by"]),
        owners=ph["js_owners"],
        expires=ph["js_expires"],
    )
    return out


_PD_LEVEL = PD_RANK


def _field_row(fv: FieldView, base: dict[str, int], ix, group: Any = "", event: str = "") -> dict:
    """One field's catalogue row (see ``catalog_data``); empty optional keys are left
    out to keep the page small (in this key order: the page's JSON is part of the
    output, so the order is fixed)."""
    row: dict[str, Any] = {
        "t": "f",
        "id": fv.anchor,
        "n": fv.qualified_name,
        "w": fv.wire_key,
        "p": fv.payload,
        "k": ix("kind", fv.kind_title),
        "d": code_parts(fv.description),
        **base,
        "e": ix("edition", fv.edition) if fv.edition else -1,
        "v": fv.versions,
        "pl": _PD_LEVEL[fv.personal_data],
    }
    if group:
        row["g"] = group
    if event:
        row["ev"] = event
    if fv.values:
        row["vals"] = list(fv.values)
    if fv.notes:
        row["notes"] = [code_parts(n) for n in fv.notes]
    if fv.personal_data_note:
        row["pd"] = code_parts(fv.personal_data_note)
    if not fv.uses_input_data:
        row["ni"] = 1
    if fv.optional:
        row["opt"] = 1
    if fv.collected_because:
        row["pdw"] = code_parts(fv.collected_because)
    if fv.reduction:
        row["pdr"] = code_parts(fv.reduction)
    # Governance: owners ``ow``, expiry text ``x``, and the ISO date ``xd`` of a date
    # expiry (the "expires before" filter compares it).
    if fv.owners:
        row["ow"] = fv.owners
    if fv.expires:
        row["x"] = fv.expires
    if fv.expires_date:
        row["xd"] = fv.expires_date
    return row


def _count_text(feat, ph) -> str:
    """A feature's counts in words: "339 fields and 98 events", "1 field"."""
    parts = [
        f"{n} {ph['html_' + word] if n == 1 else ph['html_' + word + 's']}"
        for n, word in ((feat.field_count, "field"), (feat.event_count, "event"))
        if n
    ]
    return ph["html_and"].join(parts) or ph["html_no_data"]


def render(spec: Spec, view: DocView | None = None) -> dict[str, bytes]:
    """The catalogue page for a spec."""
    view = view if view is not None else build_view(spec)
    data = catalog_data(view)
    script = _asset("catalog.js")
    style = _asset("catalog.css")
    csp = (
        "default-src 'none'; "
        f"script-src {_csp_hash(script)}; "
        f"style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    ph = view.phrases
    policy = view.product
    helpers = {
        "say": docs_jinja.sayer(ph, docs_jinja.html_escape),
        "strong": lambda v: Markup("<strong>%s</strong>") % v,
        "code": lambda v: Markup("<code>%s</code>") % v,
        "count_text": lambda feat: _count_text(feat, ph),
        "policy_link": Markup('<a href="%s" rel="noopener noreferrer">%s</a>') % (policy.policy_url, policy.policy_title),
    }
    path = lambda v: Markup('<span class="path">%s</span>') % v
    helpers["opt_out_sentence"] = docs_jinja.opt_out_words(helpers["say"], helpers["code"], path)
    env = docs_jinja.environment(None, globals=helpers)
    html = docs_jinja.render(
        env,
        "catalog.html.j2",
        blank_lines=False,
        view=view,
        data=data,
        data_json=json_for_script(data),
        script=Markup(script),
        style=Markup(style),
        csp=csp,
    )
    return {PATH: html}
