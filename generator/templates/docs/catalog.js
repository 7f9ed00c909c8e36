(function () {
  "use strict";
  // Rows come from the JSON block and reach the DOM through textContent only, so no
  // spec text is ever parsed as HTML.  They are built once; filtering flips `hidden`
  // on the rows whose visibility changes, in one pass over plain arrays.  Rows are
  // grid boxes with `content-visibility: auto` (not table rows, which cannot skip
  // layout), so showing thousands of rows again lays out only those on screen.
  var data = JSON.parse(document.getElementById("catalog-data").textContent);
  var rows = data.rows;
  var L = data.labels;
  var n = rows.length;
  var body = document.getElementById("rows-body");
  var form = document.getElementById("filters");
  var q = document.getElementById("q");
  var count = document.getElementById("count");
  var empty = document.getElementById("empty");
  var table = document.getElementById("rows");
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-key]"));
  var expires = document.getElementById("f-expires");
  var sectionSelect = document.getElementById("f-section");
  var featureSelect = document.getElementById("f-feature");

  var trs = new Array(n);
  var hay = new Array(n);
  var shown = new Uint8Array(n);
  var secOf = new Int32Array(n);
  var secRows = [];
  var secVisible = new Int32Array(data.sections.length);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null && text !== "") e.textContent = text;
    return e;
  }
  function cell(cls) {
    var c = el("div", "cell " + cls);
    c.setAttribute("role", "cell");
    return c;
  }
  function badge(cls, text) {
    return el("span", "badge " + cls, text);
  }
  // Spec text is a string, or a list whose odd items are inline code (a <code>
  // element, its text set with textContent like everything else).
  function rich(parent, text) {
    if (typeof text === "string") { parent.appendChild(document.createTextNode(text)); return; }
    text.forEach(function (t, i) { parent.appendChild(i % 2 ? el("code", null, t) : document.createTextNode(t)); });
  }
  function flat(text) {
    return typeof text === "string" || text === undefined ? text : text.join("");
  }
  function more(parent, label, text) {
    var line = el("span", "more");
    if (label) line.appendChild(el("b", null, label + " "));
    rich(line, text);
    parent.appendChild(line);
  }

  function sectionRow(si) {
    var s = data.sections[si];
    var tr = el("div", "row sec");
    tr.setAttribute("role", "row");
    tr.id = s[2];
    var td = el("div", "cell");
    td.setAttribute("role", "cell");
    var st = el("span", "sec-title"); rich(st, s[0]); td.appendChild(st);
    s[5].forEach(function (m) { td.appendChild(document.createTextNode(" ")); td.appendChild(badge("ed", m)); });
    var meta = el("span", "sec-meta");
    rich(meta, data.features[s[1]][0]);
    meta.appendChild(document.createTextNode(" \u00b7 " + data.schedule_labels[s[4]]));
    td.appendChild(meta);
    if (s[3] && s[3].length) { var sd = el("div", "sec-desc"); rich(sd, s[3]); td.appendChild(sd); }
    tr.appendChild(td);
    return tr;
  }

  function rowEl(r) {
    var isEvent = r.t === "e";
    var tr = el("div", "row " + (isEvent ? "event" : (r.ev ? "prop" : "field")));
    tr.setAttribute("role", "row");
    tr.id = r.id;

    var name = cell("name");
    var dot = isEvent ? -1 : r.n.lastIndexOf(".");
    if (dot > 0) {
      // "ServiceSettings.EnableCommands": the group muted, a break allowed after it
      name.appendChild(el("span", "grp", r.n.slice(0, dot + 1)));
      name.appendChild(document.createElement("wbr"));
    }
    name.appendChild(document.createTextNode(dot > 0 ? r.n.slice(dot + 1) : r.n));
    var self = el("a", "self", "#");
    self.href = "#" + r.id;
    self.title = isEvent ? L.link_event : L.link_field;
    name.appendChild(self);
    var key = el("span", "key");
    if (!isEvent) {
      key.appendChild(document.createTextNode(r.p + "."));
      key.appendChild(document.createElement("wbr"));
    }
    key.appendChild(document.createTextNode(r.w));
    name.appendChild(key);
    tr.appendChild(name);

    var kind = cell("kind");
    kind.appendChild(badge(isEvent ? "event" : "kind", data.kinds[r.k]));
    tr.appendChild(kind);

    var desc = cell("desc");
    if (isEvent && r.c) { var ctx = el("span", "ctx"); rich(ctx, r.c); desc.appendChild(ctx); }
    if (r.ev) desc.appendChild(el("span", "ctx", L.sent_with_event + " \u201c" + r.ev + "\u201d"));
    if (r.g) { var grp = el("span", "ctx"); rich(grp, r.g); desc.appendChild(grp); }
    if (r.d) rich(desc, r.d);
    if (r.vals) more(desc, L.values, r.vals.join(", "));
    if (r.np) more(desc, null, r.np === 1 ? L.one_property : L.properties.replace("{n}", r.np));
    if (r.notes) r.notes.forEach(function (t) { more(desc, L.note, t); });
    if (r.pd) more(desc, L.pd_none_why, r.pd);
    if (r.pdw) more(desc, L.pd_collected, r.pdw);
    if (r.pdr) more(desc, L.pd_reduced, r.pdr);
    if (r.ow) more(desc, L.owners, r.ow);
    tr.appendChild(desc);

    var lim = cell("lim");
    if (r.e >= 0) lim.appendChild(badge("ed", data.edition_marks[r.e]));
    if (r.v) lim.appendChild(badge("ver", r.v));
    if (r.opt) lim.appendChild(badge("opt", L.optional));
    if (r.pl) lim.appendChild(badge("pd pd" + r.pl, data.personal_data[r.pl]));
    if (r.ni) lim.appendChild(badge("noinput", L.no_input));
    if (r.x) lim.appendChild(badge("exp", L.expires.replace("{expiry}", r.x)));
    tr.appendChild(lim);
    return tr;
  }

  // Build every row once.
  var frag = document.createDocumentFragment();
  var lastSec = -1;
  for (var i = 0; i < n; i++) {
    var r = rows[i];
    if (r.s !== lastSec) {
      lastSec = r.s;
      secRows[r.s] = sectionRow(r.s);
      frag.appendChild(secRows[r.s]);
    }
    secOf[i] = r.s;
    trs[i] = rowEl(r);
    shown[i] = 1;
    frag.appendChild(trs[i]);
    var s = data.sections[r.s];
    hay[i] = [
      r.n, r.w, r.p, flat(r.d), flat(r.c), r.ev, flat(r.g), flat(r.pd), flat(r.pdw), flat(r.pdr), r.pl ? data.personal_data[r.pl] : "",
      r.vals ? r.vals.join(" ") : "", r.notes ? r.notes.map(flat).join(" ") : "",
      data.kinds[r.k], flat(data.features[r.f][0]), flat(s[0]), r.v,
      r.e >= 0 ? data.editions[r.e] : "", r.ow, r.x
    ].join("\n").toLowerCase();
  }
  body.appendChild(frag);

  function apply() {
    var terms = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var keys = [], vals = [];
    selects.forEach(function (sel) {
      var on = sel.value !== "";
      sel.classList.toggle("active", on);
      if (on) { keys.push(sel.getAttribute("data-key")); vals.push(parseInt(sel.value, 10)); }
    });
    // "Expires before": only fields whose expiry is a date earlier than the one picked
    // (ISO dates compare as text).
    var before = expires.value;
    expires.classList.toggle("active", before !== "");
    var nk = keys.length, nt = terms.length;
    var fields = 0, events = 0;
    secVisible.fill(0);
    for (var i = 0; i < n; i++) {
      var r = rows[i];
      var ok = true;
      for (var k = 0; k < nk && ok; k++) ok = r[keys[k]] === vals[k];
      if (ok && before) ok = r.xd !== undefined && r.xd < before;
      if (ok && nt) {
        var h = hay[i];
        for (var t = 0; t < nt && ok; t++) ok = h.indexOf(terms[t]) !== -1;
      }
      if (ok) {
        if (r.t === "e") events++; else fields++;
        secVisible[secOf[i]]++;
      }
      var want = ok ? 1 : 0;
      if (shown[i] !== want) { shown[i] = want; trs[i].hidden = !ok; }
    }
    for (var si = 0; si < secRows.length; si++) {
      if (secRows[si]) secRows[si].hidden = secVisible[si] === 0;
    }
    var total = fields + events;
    count.textContent = "";
    var strong = el("strong", null, String(total));
    count.appendChild(document.createTextNode(L.showing + " "));
    count.appendChild(strong);
    count.appendChild(document.createTextNode(
      " " + L.of + " " + n + " \u00b7 " + fields + " " + (fields === 1 ? L.field : L.fields) +
      ", " + events + " " + (events === 1 ? L.event : L.events)));
    empty.hidden = total > 0;
    table.hidden = total === 0;
  }

  function limitSections() {
    var f = featureSelect.value;
    Array.prototype.forEach.call(sectionSelect.querySelectorAll("optgroup"), function (g) {
      g.hidden = f !== "" && g.getAttribute("data-feature") !== f;
    });
    var opt = sectionSelect.selectedOptions[0];
    if (f !== "" && opt && opt.value !== "" && opt.getAttribute("data-feature") !== f) sectionSelect.value = "";
  }

  function clearAll() {
    q.value = "";
    expires.value = "";
    selects.forEach(function (sel) { sel.value = ""; });
    limitSections();
    apply();
  }

  function reveal() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    if (target.hidden || (table.contains(target) && table.hidden)) clearAll();
    target.scrollIntoView({ block: "center" });
    if (target.classList.contains("row")) {
      Array.prototype.forEach.call(body.querySelectorAll(".row.flash"), function (t) { t.classList.remove("flash"); });
      target.classList.add("flash");
    }
  }

  q.addEventListener("input", apply);
  expires.addEventListener("input", apply);
  expires.addEventListener("change", apply);
  selects.forEach(function (sel) {
    sel.addEventListener("change", function () {
      if (sel === featureSelect) limitSections();
      apply();
    });
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(function () { limitSections(); apply(); }, 0); });
  document.getElementById("reset2").addEventListener("click", clearAll);
  Array.prototype.forEach.call(document.querySelectorAll("button.show-feature"), function (b) {
    b.addEventListener("click", function () {
      clearAll();
      featureSelect.value = b.getAttribute("data-feature");
      limitSections();
      apply();
      document.getElementById("catalogue-h").scrollIntoView({ block: "start" });
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && document.activeElement !== q && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) {
      e.preventDefault();
      q.focus();
    }
  });
  window.addEventListener("hashchange", reveal);
  apply();
  reveal();
})();
