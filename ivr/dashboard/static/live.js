// The live view: fetch the figures every few seconds and redraw the tables (text only).
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script.getAttribute("data-live-url");
  var every = Math.max(2, parseFloat(script.getAttribute("data-poll") || "5")) * 1000;

  function clock(total) {
    total = Math.max(0, Math.floor(total));
    var seconds = total % 60;
    return Math.floor(total / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function redraw(name, items, draw) {
    var body = document.querySelector("table[data-live='" + name + "'] tbody");
    var count = document.querySelector("[data-live-count='" + name + "']");
    if (count) { count.textContent = String(items.length); }
    if (!body || name === "agents") { return; }  // agents keep their forms: states only
    var kept = {};
    body.querySelectorAll("tr[data-call]").forEach(function (tr) { kept[tr.getAttribute("data-call")] = tr; });
    var fresh = document.createDocumentFragment();
    items.forEach(function (item) {
      var old = kept[item.call_sid];
      var tr = document.createElement("tr");
      tr.setAttribute("data-call", item.call_sid);
      draw(tr, item);
      var end = old && old.querySelector("form");  // an admin's End call button stays
      var template = document.getElementById("end-call-form");
      if (!end && template && name === "calls") {  // a new call gets one too
        end = template.content.firstElementChild.cloneNode(true);
        end.action = end.getAttribute("action").replace("CALLSID", encodeURIComponent(item.call_sid));
      }
      if (end) { var td = document.createElement("td"); td.appendChild(end); tr.appendChild(td); }
      fresh.appendChild(tr);
    });
    body.replaceChildren(fresh);
  }

  function update(data) {
    redraw("calls", data.calls, function (tr, c) {
      cell(tr, c.line + (c.simulated ? " (simulated)" : ""));
      cell(tr, c.lang);
      cell(tr, c.node);
      cell(tr, clock(c.seconds)).setAttribute("data-seconds", String(c.seconds));
    });
    redraw("queue", data.queue, function (tr, q) {
      cell(tr, q.line);
      cell(tr, q.queue);
      cell(tr, q.caller);
      cell(tr, q.lang);
      cell(tr, clock(q.seconds)).setAttribute("data-seconds", String(q.seconds));
    });
    data.agents.forEach(function (a) {
      var row = document.querySelector("tr[data-agent='" + CSS.escape(a.number) + "'] [data-state]");
      if (row) { row.textContent = a.state; }
    });
    var stamp = document.querySelector("[data-live-updated]");
    if (stamp) { stamp.textContent = new Date().toLocaleTimeString(); }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { update(data); } })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
}());
