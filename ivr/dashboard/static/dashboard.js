// The inbox asks for new voicemail every few seconds and adds it without a reload.
(function () {
  "use strict";

  function setNewCount(count) {
    document.querySelectorAll("[data-new-count]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.classList.toggle("badge--zero", count === 0);
      badge.setAttribute("aria-label", count + " new");
    });
    var title = document.title.replace(/^\(\d+\) /, "");
    document.title = count > 0 ? "(" + count + ") " + title : title;
  }

  function addRows(tbody, rows) {
    // The newest comes first in the answer: insert in reverse so it ends on top.
    for (var i = rows.length - 1; i >= 0; i--) {
      var template = document.createElement("template");
      template.innerHTML = rows[i].trim();
      var row = template.content.firstElementChild;
      if (!row || tbody.querySelector('tr[data-id="' + row.dataset.id + '"]')) { continue; }
      row.classList.add("is-fresh");
      tbody.insertBefore(row, tbody.firstElementChild);
    }
    var empty = document.querySelector("[data-empty]");
    if (empty && tbody.children.length) { empty.remove(); }
  }

  function startPolling(table) {
    var url = table.dataset.pollUrl;
    var seconds = Math.max(1, parseFloat(table.dataset.pollSeconds || "5"));
    var tbody = table.querySelector("[data-inbox-rows]");
    var live = document.querySelector("[data-live-message]");
    var busy = false;

    function poll() {
      if (busy || document.hidden) { return; }
      busy = true;
      var sep = url.indexOf("?") === -1 ? "?" : "&";
      fetch(url + sep + "after=" + encodeURIComponent(table.dataset.latestId || "0"), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        if (response.redirected || response.status === 401) {
          window.location.reload();  // the session ended: the login page will say so
          return null;
        }
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (!data) { return; }
        setNewCount(data.new_count);
        if (data.rows.length) {
          addRows(tbody, data.rows);
          live.textContent = data.rows.length === 1 ? "1 new voicemail arrived."
            : data.rows.length + " new voicemails arrived.";
        }
        if (data.latest_id > parseInt(table.dataset.latestId || "0", 10)) {
          table.dataset.latestId = String(data.latest_id);
        }
      }).catch(function () { /* offline for a moment: try again next time */ })
        .then(function () { busy = false; });
    }

    window.setInterval(poll, seconds * 1000);
    document.addEventListener("visibilitychange", poll);
  }

  // The SMS reply form: a template fills the text, and the length says how many segments.
  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENDED = "^{}\\[~]|€\f";

  function describeLength(text) {
    var units = 0, gsm = true, i;
    for (i = 0; i < text.length; i += 1) {
      if (GSM7.indexOf(text[i]) >= 0) { units += 1; }
      else if (GSM7_EXTENDED.indexOf(text[i]) >= 0) { units += 2; }
      else { gsm = false; break; }
    }
    if (!gsm) { units = text.length; }
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    var count = units <= single ? 1 : Math.ceil(units / part);
    return units + " characters, " + count + " SMS segment" + (count === 1 ? "" : "s") +
      (gsm ? "" : " (a character outside GSM-7: 70 a segment)");
  }

  function startReplyForm(form) {
    var body = form.querySelector("[data-reply-body]");
    var pick = form.querySelector("[data-template-pick]");
    var length = form.querySelector("[data-reply-length]");
    function update() { length.textContent = body.value ? describeLength(body.value) : ""; }
    if (pick) {
      pick.addEventListener("change", function () {
        var chosen = pick.options[pick.selectedIndex];
        if (chosen && chosen.dataset.body !== undefined) { body.value = chosen.dataset.body; }
        update();
      });
    }
    body.addEventListener("input", update);
  }

  // The not-understood page: one button ticks (or clears) every wording at once.
  function startAcceptForm(form) {
    var actions = form.querySelector(".actions");
    if (!actions) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn";
    button.textContent = "Tick all";
    button.addEventListener("click", function () {
      var boxes = form.querySelectorAll('input[name="accept"]');
      var all = Array.prototype.every.call(boxes, function (box) { return box.checked; });
      boxes.forEach(function (box) { box.checked = !all; });
      button.textContent = all ? "Tick all" : "Clear all";
    });
    actions.insertBefore(button, actions.firstChild);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("[data-inbox][data-poll-url]");
    if (table && window.fetch) { startPolling(table); }
    var reply = document.querySelector("[data-reply-form]");
    if (reply) { startReplyForm(reply); }
    document.querySelectorAll("[data-accept-form]").forEach(startAcceptForm);
  });
}());
