// The phone simulator: sends the caller's actions to the dashboard, which signs and posts
// them to the real webhooks; shows and plays what the caller hears, and the TwiML.
(function () {
  "use strict";

  function Simulator(root) {
    this.root = root;
    this.url = root.dataset.actionUrl;
    this.csrf = root.dataset.csrf;
    this.el = function (selector) { return root.querySelector(selector); };
    this.heard = this.el("[data-heard]");
    this.twiml = this.el("[data-twiml]");
    this.queue = [];  // audio and speech play one after the other
    this.playing = false;
    this.busy = false;
    var self = this;
    this.el("[data-call]").addEventListener("click", function () {
      self.clearKeyTimer();
      self.typed = "";
      self.heard.replaceChildren();
      self.twiml.textContent = "";
      self.send({ action: "call", target: self.el("[data-target]").value,
                  at: self.el("[data-at]").value }, "Calling…");
    });
    var zone = function () {
      var option = self.el("[data-target]").selectedOptions[0];
      self.el("[data-zone-name]").textContent = option ? option.dataset.zone : "";
    };
    this.el("[data-target]").addEventListener("change", zone);
    zone();
    this.el("[data-hangup]").addEventListener("click", function () {
      self.clearKeyTimer();
      self.typed = "";
      self.stopSound();
      self.send({ action: "hangup" }, "Hanging up…");
    });
    this.el("[data-wait]").addEventListener("click", function () {
      if (self.typed) { self.submitKeys(""); return; }  // silence after keys: they are sent
      self.you("(silence)");
      self.send({ action: "wait" });
    });
    this.typed = "";  // keys pressed since the Gather began, sent together as Twilio does
    this.gather = {};
    root.querySelectorAll("[data-key]").forEach(function (button) {
      button.addEventListener("click", function () { self.key(button.dataset.key); });
    });
    this.el("[data-send-keys]").addEventListener("click", function () { self.submitKeys(""); });
    root.querySelectorAll("[data-record-end]").forEach(function (button) {
      button.addEventListener("click", function () {
        var words = self.el("[data-message]").value.trim();
        self.you(button.textContent + (words ? ": “" + words + "”" : ""));
        self.el("[data-message]").value = "";
        if (button.dataset.recordEnd === "hangup") { self.stopSound(); }
        self.send({ action: "record", words: words, end: button.dataset.recordEnd });
      });
    });
    root.querySelectorAll("[data-transfer]").forEach(function (button) {
      button.addEventListener("click", function () {
        self.you(button.textContent);
        self.send({ action: "transfer", outcome: button.dataset.transfer });
      });
    });
    var say = function () {
      var text = self.el("[data-say-text]").value.trim();
      if (!text) { return; }
      self.you("said “" + text + "”");
      self.el("[data-say-text]").value = "";
      self.send({ action: "say", text: text, confidence: self.el("[data-confidence]").value });
    };
    this.el("[data-say]").addEventListener("click", say);
    this.el("[data-say-text]").addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); say(); }
    });
    this.el("[data-mute]").addEventListener("change", function (event) {
      if (event.target.checked) { self.stopSound(); }
    });
  }

  // Twilio's <Gather> collects keys: it answers after numDigits keys, on finishOnKey
  // (not sent), or when `timeout` seconds pass after a key with what was typed.
  Simulator.prototype.key = function (key) {
    var g = this.gather || {};
    var finish = g.finishOnKey === undefined ? "#" : g.finishOnKey;
    this.clearKeyTimer();
    if (finish && key === finish) {
      this.submitKeys(key);
      return;
    }
    this.typed += key;
    this.showTyped();
    if (g.numDigits && this.typed.length >= g.numDigits) {
      this.submitKeys("");
      return;
    }
    var self = this;
    this.keyTimer = window.setTimeout(function () { self.submitKeys(""); },
                                      (g.timeout || 5) * 1000);
  };

  Simulator.prototype.submitKeys = function (finishedOn) {
    this.clearKeyTimer();
    var digits = this.typed;
    this.typed = "";
    this.showTyped();
    if (!digits) {
      // The finishing key alone: Twilio has no input, so it goes on after the Gather.
      this.you("pressed " + (finishedOn || "nothing") + " (no digits)");
      this.send({ action: "wait" });
      return;
    }
    this.you("pressed " + digits + (finishedOn ? " then " + finishedOn : ""));
    this.send({ action: "press", digits: digits, finished_on: finishedOn });
  };

  Simulator.prototype.clearKeyTimer = function () {
    if (this.keyTimer) { window.clearTimeout(this.keyTimer); this.keyTimer = null; }
  };

  Simulator.prototype.showTyped = function () {
    var g = this.gather || {};
    var box = this.el("[data-typed]");
    box.textContent = this.typed;
    this.el("[data-send-keys]").disabled = !this.typed;
    var rule = [];
    if (g.numDigits) { rule.push(g.numDigits === "1" ? "1 key" : g.numDigits + " keys"); }
    var finish = g.finishOnKey === undefined ? "#" : g.finishOnKey;
    if (finish) { rule.push("ends with " + finish); }
    rule.push("sent " + (g.timeout || 5) + " s after the last key");
    this.el("[data-gather-rule]").textContent = this.root.dataset.callState === "listening"
      ? "Keys: " + rule.join(", ") + "." : "";
  };

  Simulator.prototype.send = function (body, note) {
    var self = this;
    if (this.busy) { return; }
    this.busy = true;
    this.error("");
    if (note) { this.el("[data-state]").textContent = note; }
    fetch(this.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRF-Token": this.csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.redirected) { window.location.reload(); return null; }
      return response.json().catch(function () { return { error: "HTTP " + response.status }; });
    }).then(function (data) {
      if (data) { self.show(data); }
    }).catch(function () { self.error("The simulator could not reach the server."); })
      .then(function () { self.busy = false; });
  };

  Simulator.prototype.error = function (text) {
    var box = this.el("[data-error]");
    box.textContent = text;
    box.hidden = !text;
  };

  Simulator.prototype.you = function (text) {
    var item = document.createElement("li");
    item.className = "heard--you";
    item.textContent = "You " + text;
    this.heard.appendChild(item);
  };

  Simulator.prototype.show = function (data) {
    var self = this;
    if (data.error) { this.error(data.error); return; }
    (data.heard || []).forEach(function (item) {
      if (item.pause) { return; }
      var li = document.createElement("li");
      if (item.play) {
        li.className = "heard--play";
        li.dataset.play = item.play;
        li.textContent = "▶ " + item.play.replace(/^.*\//, "");
      } else {
        li.className = "heard--say";
        li.lang = item.lang || "";
        li.dataset.say = item.say;
        li.textContent = item.say;
      }
      self.heard.appendChild(li);
      self.queue.push(item);
    });
    this.heard.lastElementChild && this.heard.lastElementChild.scrollIntoView({ block: "nearest" });
    (data.exchanges || []).forEach(function (exchange) {
      var params = Object.keys(exchange.params).filter(function (k) {
        return ["CallSid", "From", "To", "Digits", "SpeechResult", "Confidence", "CallStatus",
                "DialCallStatus"].indexOf(k) !== -1;
      }).map(function (k) { return k + "=" + exchange.params[k]; }).join("&");
      self.twiml.textContent += "POST " + exchange.url + "\n  " + params + "\n← " +
        exchange.status + "\n" + exchange.body + "\n\n";
    });
    this.el("[data-node]").textContent = data.node || "—";
    var listening = data.state === "listening";
    var states = { listening: "Listening for " + (data.input || "").replace(" ", " or ") + ".",
                   transferring: "Transferring to a person…", recording: "Recording a message.",
                   ended: "The call has ended." };
    this.el("[data-state]").textContent = states[data.state] || data.state;
    this.root.dataset.callState = data.state;
    this.clearKeyTimer();
    this.typed = "";
    this.gather = data.gather || {};
    this.showTyped();
    var recording = data.state === "recording";
    this.el("[data-record]").hidden = !recording;
    this.el("[data-record-transcribe]").textContent = recording
      ? (data.record && data.record.transcribe
        ? "Twilio is asked to transcribe this message: the words become its transcript."
        : "Twilio is not asked to transcribe this message (English only): the words are not kept.")
      : "";
    var canSpeak = listening && (data.input || "").indexOf("speech") !== -1;
    this.root.querySelectorAll("[data-key]").forEach(function (b) { b.disabled = !listening; });
    this.el("[data-say]").disabled = !canSpeak;
    this.el("[data-say-text]").disabled = !canSpeak;
    this.el("[data-confidence]").disabled = !canSpeak;
    this.el("[data-wait]").disabled = !listening;
    this.el("[data-hangup]").disabled = data.ended;
    this.root.querySelectorAll("[data-transfer]").forEach(function (b) {
      b.hidden = data.state !== "transferring";
    });
    this.playNext();
  };

  Simulator.prototype.stopSound = function () {
    this.queue = [];
    if (this.audio) { this.audio.pause(); }
    if (window.speechSynthesis) { window.speechSynthesis.cancel(); }
    this.playing = false;
  };

  Simulator.prototype.playNext = function () {
    var self = this;
    if (this.playing || !this.queue.length) { return; }
    if (this.el("[data-mute]").checked) { this.queue = []; return; }
    var item = this.queue.shift();
    var done = function () { self.playing = false; self.playNext(); };
    this.playing = true;
    if (item.play) {
      this.audio = new Audio(item.play);
      this.audio.addEventListener("ended", done);
      this.audio.addEventListener("error", done);
      this.audio.play().catch(done);
    } else if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
      var utterance = new SpeechSynthesisUtterance(item.say);
      utterance.lang = item.lang || "en-US";
      utterance.onend = done;
      utterance.onerror = done;
      window.speechSynthesis.speak(utterance);
    } else {
      done();
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-simulator]");
    if (root && window.fetch) { window.phoneSimulator = new Simulator(root); }
  });
}());
