// gen collect's live page: polls /report once a second and renders it.  Captured data is
// untrusted: it reaches the page through textContent only, never as HTML.
(function () {
  "use strict";
  var TITLES = {
    "undeclared-key": "undeclared key", "type-mismatch": "type mismatch", "missing-key": "missing key",
    "value-not-allowed": "value not allowed", "invalid-value": "invalid value", "not-in-version": "not in this version",
    "unknown-payload": "unknown payload name", "no-payload-name": "no payload name",
    "unsupported-message": "not a payload (Segment call other than track)", "malformed-json": "malformed JSON",
    "unportable-value": "unportable value", "not-an-object": "not a JSON object", "too-large": "document too large",
    "too-deep": "nested too deep", "unreadable": "unreadable"
  };
  var $ = function (id) { return document.getElementById(id); };
  var q = $("q"), show = $("show"), payloadSel = $("payload"), optout = $("optout");
  var last = null, lastChanges = -1;
  var opened = {};  // examples the reader opened stay open across updates

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function example(report, loc) {
    var text = report.collect.examples[loc];
    if (text === undefined) return el("span", loc, "key");
    var d = el("details"), s = el("summary", loc);
    d.open = !!opened[loc];
    d.addEventListener("toggle", function () { if (d.open) opened[loc] = true; else delete opened[loc]; });
    d.appendChild(s);
    d.appendChild(el("pre", text, "example"));
    return d;
  }
  function matches(texts) {
    var needle = q.value.trim().toLowerCase();
    if (!needle) return true;
    return texts.some(function (t) { return t !== null && t !== undefined && String(t).toLowerCase().indexOf(needle) >= 0; });
  }
  function fill(id, rows) {
    var body = $(id).querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (cells) {
      var tr = el("tr");
      if (cells.data) Object.keys(cells.data).forEach(function (k) { tr.dataset[k] = cells.data[k]; });
      cells.forEach(function (c) {
        var td = el("td");
        if (c && c.nodeType) td.appendChild(c);
        else if (c && typeof c === "object") { td.textContent = String(c.text); if (c.cls) td.className = c.cls; }
        else td.textContent = String(c);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    $(id).hidden = rows.length === 0;
    $(id + "-empty").hidden = rows.length !== 0;
  }
  function keepOptions(names) {
    var have = {};
    Array.prototype.forEach.call(payloadSel.options, function (o) { have[o.value] = true; });
    names.forEach(function (n) { if (!have[n]) payloadSel.appendChild(el("option", n)).value = n; });
  }
  function render(report) {
    var c = report.collect, names = Object.keys(report.payloads).sort();
    keepOptions(names);
    var only = payloadSel.value, mode = show.value;
    var stats = $("stats");
    stats.textContent = "";
    [["messages", report.documents], ["conform", report.conforming], ["fail", report.failing],
     ["requests rejected", c.requests.rejected], ["opt-out violations", c.opt_out_violations],
     ["capture lines", c.capture.lines]].forEach(function (p, i) {
      if (i) stats.appendChild(document.createTextNode(" \u00b7 "));
      var strong = el("strong", p[1]);
      if (i > 1 && p[1] > 0) strong.className = "alarm";
      stats.appendChild(strong);
      stats.appendChild(document.createTextNode(" " + p[0]));
    });
    var verdict = $("verdict");
    verdict.textContent = c.ok ? "Verdict: passes (--fail-on " + c.fail_on.join(",") + ")"
      : "Verdict: fails on " + c.failed.map(function (k) { return k + " (" + c.counts[k] + ")"; }).join(", ");
    verdict.className = "count " + (c.ok ? "verdict-ok" : "verdict-bad");
    optout.setAttribute("aria-pressed", c.opted_out ? "true" : "false");
    optout.textContent = "Opted out: " + (c.opted_out ? "yes" : "no");

    var payloadRows = [], problemRows = [];
    names.forEach(function (name) {
      var p = report.payloads[name];
      if (only && name !== only) return;
      var failing = p.failing > 0;
      if ((mode === "failing" && !failing) || (mode === "conforming" && failing)) return;
      var keys = p.problems.map(function (r) { return r.key; });
      if (!matches([name].concat(keys))) return;
      var row = [name, {text: p.documents, cls: "num"}, {text: p.documents - p.failing, cls: "num good"},
                 {text: p.failing, cls: failing ? "num bad" : "num"}];
      row.data = {name: name, documents: String(p.documents), failing: String(p.failing)};
      payloadRows.push(row);
      p.problems.forEach(function (r) {
        if (!matches([name, r.key, r.problem, r.detail])) return;
        var title = (TITLES[r.problem] || r.problem) + (r.detail ? ": " + r.detail : "");
        var prow = [name, title, {text: r.key === null ? "" : r.key, cls: "k"}, {text: r.count, cls: "num"}, example(report, r.first)];
        prow.data = {name: name, problem: r.problem, count: String(r.count)};
        problemRows.push(prow);
      });
    });
    fill("payloads", payloadRows);
    fill("problems", mode === "conforming" ? [] : problemRows);
    var unknownRows = report.unknown_payloads.filter(function (u) {
      return !only && mode !== "conforming" && matches([u.name]);
    }).map(function (u) {
      var row = [u.name, {text: u.count, cls: "num"}, example(report, u.first)];
      row.data = {name: u.name, count: String(u.count)};
      return row;
    });
    fill("unknown", unknownRows);
    var otherRows = report.unreadable.filter(function (r) {
      return !only && mode !== "conforming" && matches([r.problem, r.detail]);
    }).map(function (r) {
      var row = [(TITLES[r.problem] || r.problem) + (r.detail ? ": " + r.detail : ""), {text: r.count, cls: "num"},
                 example(report, r.first)];
      row.data = {problem: r.problem, count: String(r.count)};
      return row;
    });
    fill("other", otherRows);
    fill("violations", c.opt_out_list.filter(function (v) { return matches([v.event, v.type]); }).map(function (v) {
      var row = [v.location, v.type, v.event, v.received_at];
      row.data = {event: v.event};
      return row;
    }));
    fill("rejected", c.rejected.filter(function (r) { return matches([r.code, r.first.message]); }).map(function (r) {
      var row = [r.status + " " + r.code, {text: r.count, cls: "num"}, r.first.path + ": " + r.first.message];
      row.data = {code: r.code, count: String(r.count)};
      return row;
    }));
    document.body.dataset.changes = String(c.changes);
  }
  function poll() {
    fetch("/report", {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (report) {
      last = report;
      if (report.collect.changes !== lastChanges) {
        lastChanges = report.collect.changes;
        render(report);
      }
    }).catch(function () {
      $("stats").textContent = "The collector does not answer (stopped?); retrying.";
    }).then(function () { setTimeout(poll, 1000); });
  }
  function rerender() { if (last) render(last); }
  q.addEventListener("input", rerender);
  show.addEventListener("change", rerender);
  payloadSel.addEventListener("change", rerender);
  $("reset").addEventListener("click", function () { q.value = ""; show.value = "all"; payloadSel.value = ""; rerender(); });
  optout.addEventListener("click", function () {
    var want = optout.getAttribute("aria-pressed") !== "true";
    fetch("/_control/opt-out", {method: "POST", headers: {"Content-Type": "application/json"},
                                body: JSON.stringify({opted_out: want})})
      .then(function (r) { return r.json(); })
      .then(function (s) { optout.setAttribute("aria-pressed", s.opted_out ? "true" : "false");
                           optout.textContent = "Opted out: " + (s.opted_out ? "yes" : "no"); });
  });
  poll();
})();
