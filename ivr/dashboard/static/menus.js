// The menu editor: line numbers, checking as you type, problems marked at their lines,
// save draft, publish, and a confirmation before anything that changes what callers hear.
(function () {
  "use strict";

  var CHECK_DELAY_MS = 400;

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.redirected) { window.location.reload(); return null; }  // logged out
      return response.json().then(function (data) { data.status = response.status; return data; },
        function () { return { status: response.status, problems: [], errors: 0, failed: true }; });
    });
  }

  function plural(count, word) { return count + " " + word + (count === 1 ? "" : "s"); }

  function Editor(root) {
    this.root = root;
    this.csrf = root.dataset.csrf;
    this.text = root.querySelector("[data-text]");
    this.gutter = root.querySelector("[data-gutter]");
    this.marks = root.querySelector("[data-marks]");
    this.list = root.querySelector("[data-problem-list]");
    this.status = root.querySelector("[data-status]");
    this.result = root.querySelector("[data-result]");
    this.note = root.querySelector("[data-note]");
    this.timer = null;
    this.sequence = 0;  // only the newest check's answer is shown
    this.problems = this.readProblems();
    this.lines = 0;
    var self = this;
    this.text.addEventListener("input", function () { self.changed(); });
    this.text.addEventListener("scroll", function () { self.sync(); });
    this.list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-line]");
      if (button) { self.jump(parseInt(button.dataset.line, 10)); }
    });
    root.querySelector("[data-save]").addEventListener("click", function () { self.save(); });
    root.querySelector("[data-publish]").addEventListener("click", function () { self.publish(); });
    window.addEventListener("resize", function () { self.paint(); });
    // Leaving with edits that are neither saved nor published asks first.
    this.saved = this.text.value;
    this.leaving = false;
    document.addEventListener("submit", function (event) {
      self.leaving = true;
      window.setTimeout(function () { if (event.defaultPrevented) { self.leaving = false; } }, 0);
    });
    window.addEventListener("beforeunload", function (event) {
      if (!self.leaving && self.text.value !== self.saved) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    this.paint();
    var wanted = /^#line-(\d+)$/.exec(window.location.hash);
    if (wanted) { this.jump(parseInt(wanted[1], 10)); }
  }

  Editor.prototype.readProblems = function () {
    return Array.prototype.map.call(this.list.querySelectorAll("[data-line]"), function (button) {
      var item = button.closest("li");
      return { line: parseInt(button.dataset.line, 10),
               severity: item.classList.contains("problem--error") ? "error" : "warning" };
    });
  };

  Editor.prototype.lineHeight = function () {
    return parseFloat(window.getComputedStyle(this.text).lineHeight) || 20;
  };

  Editor.prototype.paint = function () {
    var count = this.text.value.split("\n").length;
    var worst = {};
    this.problems.forEach(function (p) {
      if (worst[p.line] !== "error") { worst[p.line] = p.severity; }
    });
    var gutter = document.createDocumentFragment();
    for (var i = 1; i <= count; i++) {
      var number = document.createElement("div");
      number.textContent = String(i);
      number.dataset.lineNumber = String(i);
      if (worst[i]) { number.className = "is-" + worst[i]; number.title = worst[i]; }
      gutter.appendChild(number);
    }
    this.gutter.replaceChildren(gutter);
    this.lines = count;
    var height = this.lineHeight();
    var top = parseFloat(window.getComputedStyle(this.text).paddingTop) || 0;
    var marks = document.createDocumentFragment();
    Object.keys(worst).forEach(function (line) {
      var band = document.createElement("div");
      band.className = "code__mark code__mark--" + worst[line];
      band.dataset.markLine = line;
      band.style.top = (top + (parseInt(line, 10) - 1) * height) + "px";
      band.style.height = height + "px";
      marks.appendChild(band);
    });
    this.marks.replaceChildren(marks);
    this.sync();
  };

  Editor.prototype.sync = function () {
    this.gutter.scrollTop = this.text.scrollTop;
    this.marks.style.transform = "translateY(" + (-this.text.scrollTop) + "px)";
  };

  Editor.prototype.jump = function (line) {
    var lines = this.text.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[line - 1] || "").length;
    this.text.focus();
    this.text.setSelectionRange(start, end);
    var height = this.lineHeight();
    this.text.scrollTop = Math.max(0, (line - 1) * height - this.text.clientHeight / 3);
    this.sync();
  };

  Editor.prototype.show = function (data) {
    if (!data) { return; }
    this.problems = (data.problems || []).map(function (p) { return { line: p.line, severity: p.severity }; });
    var list = document.createDocumentFragment();
    (data.problems || []).forEach(function (p) {
      var item = document.createElement("li");
      item.className = "problem problem--" + p.severity;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "linkish";
      button.dataset.line = String(p.line);
      button.textContent = "line " + p.line;
      var severity = document.createElement("span");
      severity.className = "problem__severity";
      severity.textContent = p.severity;
      item.append(button, " ", severity, " " + p.message);
      list.appendChild(item);
    });
    this.list.replaceChildren(list);
    this.status.textContent = (data.errors ? plural(data.errors, "error") : "No errors") + ", " +
      plural(data.warnings || 0, "warning") + ".";
    this.status.classList.toggle("check-status--error", data.errors > 0);
    this.paint();
  };

  Editor.prototype.changed = function () {
    var self = this;
    if (this.text.value.split("\n").length !== this.lines) { this.paint(); }
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.check(); }, CHECK_DELAY_MS);
  };

  Editor.prototype.check = function () {
    var self = this;
    var mine = ++this.sequence;
    this.status.textContent = "Checking…";
    return post(this.root.dataset.checkUrl, this.csrf, { text: this.text.value })
      .then(function (data) { if (mine === self.sequence) { self.show(data); } })
      .catch(function () { self.status.textContent = "Could not check (offline?)."; });
  };

  Editor.prototype.save = function () {
    var self = this;
    this.sequence++;
    var sent = this.text.value;
    post(this.root.dataset.draftUrl, this.csrf, { text: sent }).then(function (data) {
      if (!data) { return; }
      self.show(data);
      self.result.textContent = data.saved ? "Draft saved. Callers still hear the live menu." :
        "The draft could not be saved.";
      if (data.saved) { self.saved = sent; }
    }).catch(function () { self.result.textContent = "Could not save (offline?)."; });
  };

  Editor.prototype.publish = function () {
    var self = this;
    this.sequence++;
    post(this.root.dataset.publishUrl, this.csrf, { text: this.text.value, note: this.note.value })
      .then(function (data) {
        if (!data) { return; }
        self.show(data);
        if (data.ok && data.unchanged) {
          self.result.textContent = data.message;
          self.saved = self.text.value;
        } else if (data.ok) {
          self.result.textContent = "Version " + data.version + " is live.";
          self.saved = self.text.value;
          window.location.assign(self.root.dataset.afterPublish);
        } else {
          self.result.textContent = "Not published: " + plural(data.errors, "error") +
            " (see the marked lines). The live menu is unchanged." +
            (data.draft_saved ? " Your text is kept as the draft." : "");
          if (data.draft_saved) { self.saved = self.text.value; }
        }
      }).catch(function () { self.result.textContent = "Could not publish (offline?)."; });
  };

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-editor]");
    if (root && window.fetch) { window.menuEditor = new Editor(root); }
  });
}());
