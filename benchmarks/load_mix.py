"""The request mix of the load benchmark: real calls, walked through the simulator, signed.

Every request is one that Twilio would send in a real call of the demo menus:
a new call, key presses, speech with (or without) a Confidence, silence, the
result of a transfer, and the call's final status callback. The calls are
walked in-process through the real webhooks (ivr.simulator), so every request is
a valid step; the load generator then replays them against gunicorn, signed for
the same public URL.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from twilio.request_validator import RequestValidator

from ivr.simulator import Exchange, FlaskTransport, Phone, SimulatorError

ALWAYS_OPEN = {"daily": "00:00-24:00"}
DIAL_RESULTS = ["completed", "completed", "completed", "no-answer", "busy", "failed"]


@dataclass(frozen=True)
class SignedRequest:
    """One webhook request as Twilio sends it (the idempotency token is added per send)."""

    path: str  # path and query
    body: str  # URL-encoded form
    signature: str


def open_menus(source: Path, target: Path) -> Path:
    """Copy the menus with every schedule open around the clock, so transfers really dial."""
    target.mkdir(parents=True, exist_ok=True)
    for file in source.iterdir():
        if file.is_dir():  # data/: the catalogues' and lookups' CSV files
            shutil.copytree(file, target / file.name, dirs_exist_ok=True)
            continue
        if file.suffix not in (".yaml", ".yml"):
            shutil.copy(file, target / file.name)  # lookup CSV files and the like
            continue
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        for schedule in (data.get("hours") or {}).values():
            schedule["weekly"] = dict(ALWAYS_OPEN)
            schedule.pop("closed", None)
            schedule.pop("special", None)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        (target / file.name).write_text(text, encoding="utf-8")
    return target


def status_callback(phone: Phone, rng: random.Random) -> None:
    """Twilio's final call status callback (answered 204)."""
    params = {**phone.base_params(), "CallStatus": "completed",
              "CallDuration": str(rng.randint(20, 400)), "SequenceNumber": "0",
              "Timestamp": "Mon, 23 Nov 2026 08:05:00 +0000",
              "CallbackSource": "call-progress-events"}
    url = f"{phone.base_url}/voice/status"
    signature = RequestValidator(phone.token).compute_signature(url, params)
    status, _ = phone.transport.post(url, params, {"X-Twilio-Signature": signature})
    if status != 204:
        raise SimulatorError(f"status callback answered {status}")
    phone.exchanges.append(Exchange(url, params, status, ""))


MIXES = ("keyed", "mixed")


def _press_some_keys(phone: Phone, gather: Any, rng: random.Random) -> None:
    """Key presses as callers make them: one key, or as many digits as the gather asks."""
    count = int(gather.get("numDigits") or 1)
    keys = "".join(rng.choice("0123456789") for _ in range(count)) if count > 1 \
        else rng.choice("1234561234569*#0")
    phone.press(keys)


def _one_call(phone: Phone, rng: random.Random, max_steps: int, mix: str) -> None:
    """Walk one call: keys mostly, speech often (keys instead in the keyed mix), silence and
    hang-ups sometimes."""
    phone.dial()
    for _ in range(max_steps):
        if phone.ended or phone.recording is not None:
            break  # voicemail recordings are not part of this mix
        if phone.dialing is not None:
            phone.dial_ends(rng.choice(DIAL_RESULTS))
            continue
        gather = phone.listening
        if gather is None:
            break
        roll = rng.random()
        hints = [h.strip() for h in (gather.get("hints") or "").split(",") if h.strip()]
        if roll < 0.55 or (roll < 0.85 and hints and mix == "keyed"):
            _press_some_keys(phone, gather, rng)
        elif roll < 0.85 and hints:
            confidence = None if rng.random() < 0.1 else round(rng.uniform(0.3, 0.95), 2)
            phone.say(rng.choice(hints), confidence=confidence)
        elif roll < 0.95:
            phone.silence()
        else:
            break  # the caller hangs up
    status_callback(phone, rng)


def walk_calls(app: Any, token: str, public_url: str, numbers: list[str], calls: int,
               seed: int = 7, max_steps: int = 8, mix: str = "mixed") -> list[SignedRequest]:
    """Requests of ``calls`` simulated calls to ``numbers``, the calls side by side.

    Twilio sends a call's next request only once the previous one was answered, so two
    steps of one call are never in flight at once: the requests go round the calls (every
    call's first, then every call's second...), a call's steps a few hundred requests
    apart, as many calls' steps would be in a busy hour.

    ``mix`` "mixed" has callers speak in about a third of their answers (the menus'
    phrases, word for word); "keyed" has them press keys where they would have spoken.
    """
    if mix not in MIXES:
        raise ValueError(f"unknown mix {mix!r}: one of {', '.join(MIXES)}")
    rng = random.Random(seed)
    walked: list[list[SignedRequest]] = []
    validator = RequestValidator(token)
    for index in range(calls):
        phone = Phone(FlaskTransport(app, public_url), token, base_url=public_url,
                      called=numbers[index % len(numbers)],
                      caller=f"+1555{rng.randint(1000000, 9999999)}")
        try:
            _one_call(phone, rng, max_steps, mix)
        except SimulatorError as exc:
            raise SystemExit(f"the demo call could not be walked: {exc}") from exc
        walked.append([])
        for exchange in phone.exchanges:
            if exchange.status not in (200, 204):
                raise SystemExit(f"{exchange.url} answered {exchange.status}")
            parts = urllib.parse.urlsplit(exchange.url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            walked[-1].append(SignedRequest(
                path, urllib.parse.urlencode(exchange.params),
                validator.compute_signature(exchange.url, exchange.params)))
    longest = max((len(call) for call in walked), default=0)
    return [call[turn] for turn in range(longest) for call in walked if turn < len(call)]


def _lua_string(text: str) -> str:
    """A Lua string literal (decimal escapes for anything unusual)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isalnum() or char in " %&=+-_.~/?:,;*()!'@$":
            out.append(char)
        else:
            out.append(f"\\{byte}")
    return '"' + "".join(out) + '"'


def fresh_calls(requests: list[SignedRequest], token: str, public_url: str,
                copies: int) -> list[SignedRequest]:
    """``copies`` rounds of the walked calls, each round with calls of its own (new CallSids,
    signed again), so a call replayed is a new call, as on a real line, and not the same
    call growing longer every time the mix comes round."""
    validator = RequestValidator(token)
    out = list(requests)
    for copy in range(1, copies):
        for r in requests:
            params = urllib.parse.parse_qsl(r.body, keep_blank_values=True)
            params = [(name, _renamed(value, copy) if name == "CallSid" else value)
                      for name, value in params]
            signature = validator.compute_signature(public_url + r.path, dict(params))
            out.append(SignedRequest(r.path, urllib.parse.urlencode(params), signature))
    return out


def _renamed(call_sid: str, copy: int) -> str:
    """The CallSid of a walked call in another round of the mix (stable, 34 characters)."""
    return "CA" + hashlib.sha256(f"{copy}:{call_sid}".encode()).hexdigest()[:32]


LUA_TEMPLATE = """-- Generated by benchmarks/bench_load.py: replays signed Twilio webhook requests.
-- The requests (path, form, signature; one a line, tab-separated) are read from a file,
-- too many for one Lua table constructor.
local requests = {}
local counter = 0
local prefix = "t"

-- Arguments (after --): a token prefix unique to this run, and where to start in the mix.
function init(args)
  prefix = args[1]
  counter = tonumber(args[2])
  for line in io.lines(%(data)s) do
    local path, body, signature = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)$")
    requests[#requests + 1] = {path, body, signature}
  end
end

function request()
  local r = requests[(counter %% #requests) + 1]
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["User-Agent"] = "TwilioProxy/1.1"
  headers["X-Twilio-Signature"] = r[3]
  -- Twilio's token differs for every request; a repeated one would be answered from cache.
  headers["I-Twilio-Idempotency-Token"] = prefix .. string.format("%%024x", counter)
  return wrk.format("POST", r[1], headers, r[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"connect_errors": %%d, "read_errors": %%d, "write_errors": %%d, "status_errors": %%d, ' ..
    '"timeouts": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def lua_script(requests: list[SignedRequest], data: Path) -> str:
    """The wrk script that cycles through ``requests`` with fresh idempotency tokens; the
    requests are written to ``data``, which the script reads."""
    for r in requests:
        if any(c in field for field in (r.path, r.body, r.signature) for c in "\t\n"):
            raise ValueError(f"a tab or a newline in a request: {r.path}")
    data.write_text("".join(f"{r.path}\t{r.body}\t{r.signature}\n" for r in requests),
                    encoding="utf-8")
    return LUA_TEMPLATE % {"data": _lua_string(str(data))}
