"""The calls of the capacity benchmark: demo calls walked once in process, replayed as new calls.

A caller dials a demo line, picks a language by key, then answers a few menus and hangs
up: keys (now and then a wrong one, a global key or silence), a transfer's result when a
transfer dials, and Twilio's final status callback. In the spoken mix a fifth of all
requests are speech in natural wording: an utterance of the callers' dev half
(benchmarks/data/callers/dev, never the test half) written for the node the call is at,
in the call's language, with a filler word before or after it so that the words are
rarely ones the server has just embedded (callers seldom repeat each other exactly).

Each call is walked once through the real webhooks in process (ivr.simulator), so every
request is a valid step. For the measurement the walked calls are replayed as new calls:
a fresh CallSid and caller number, the call's start time in its state, a fresh
idempotency token and X-Request-Id, signed again for the public URL.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load_mix import DIAL_RESULTS, status_callback
from open_loop import Planned
from twilio.request_validator import RequestValidator

from ivr.simulator import FlaskTransport, Phone, SimulatorError

ROOT = Path(__file__).resolve().parent.parent
DEV_CALLERS = ROOT / "benchmarks" / "data" / "callers" / "dev"
LANG_KEYS = {"en": "1", "fr": "2", "ro": "3"}  # the demo menus' language choice
FILLERS = {"en": (["uh", "um", "yes", "hello", "so"], ["please", "thanks", "thank you"]),
           "fr": (["euh", "oui", "bonjour", "alors"], ["s'il vous plaît", "merci"]),
           "ro": (["păi", "da", "bună ziua", "deci"], ["vă rog", "mulțumesc"])}
KEYS = "1234561234569*#0"  # mostly menu keys, some global ones (repeat, back, main, person)


@dataclass(frozen=True)
class Step:
    """One request of a walked call: the path with its query, its form, whether spoken."""

    path: str
    params: dict[str, str]
    spoken: bool


def dev_utterances(folder: Path = DEV_CALLERS) -> dict[tuple[str, str, str], list[str]]:
    """Callers' words by (menu, language, node), from the dev half only."""
    if folder.name != "dev":
        raise SystemExit(f"the capacity benchmark reads the dev half only, not {folder}")
    found: dict[tuple[str, str, str], list[str]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                found.setdefault((row["menu"], row["lang"], row["at"]), []).append(row["text"])
    return found


def natural(text: str, lang: str, rng: random.Random) -> str:
    """The caller's words with a filler word before or after them, as people speak."""
    before, after = FILLERS[lang]
    return f"{rng.choice(before)} {text}" if rng.random() < 0.5 else f"{text} {rng.choice(after)}"


class Walker:
    """Walks demo calls, speaking a given share of all requests when the mix is spoken."""

    def __init__(self, app: Any, token: str, public_url: str, numbers: list[str],
                 spoken_share: float, seed: int = 11) -> None:
        self.app, self.token, self.public_url, self.numbers = app, token, public_url, numbers
        self.share = spoken_share
        self.rng = random.Random(seed)
        self.words = dev_utterances() if spoken_share > 0 else {}
        self.requests = 0
        self.spoken = 0

    def calls(self, count: int) -> list[list[Step]]:
        """``count`` walked calls, each as the requests Twilio sent for it."""
        return [self.call(index) for index in range(count)]

    def call(self, index: int) -> list[Step]:
        """One call to one of the lines, in one of the languages, 2 to 7 answers long."""
        rng = self.rng
        phone = Phone(FlaskTransport(self.app, self.public_url), self.token,
                      base_url=self.public_url, called=self.numbers[index % len(self.numbers)],
                      caller=f"+1555{rng.randint(1000000, 9999999)}")
        lang = rng.choice(sorted(LANG_KEYS))
        try:
            phone.dial()
            if phone.listening is not None:
                phone.press(LANG_KEYS[lang])
            for _ in range(rng.randint(2, 7)):
                if phone.ended or phone.recording is not None or phone.enqueued is not None:
                    break  # voicemail and queues are benchmarks of their own
                if phone.dialing is not None:
                    phone.dial_ends(rng.choice(DIAL_RESULTS))
                    continue
                if phone.listening is None:
                    break
                self._answer(phone, lang)
            status_callback(phone, rng)
        except SimulatorError as exc:
            raise SystemExit(f"a demo call could not be walked: {exc}") from exc
        steps = []
        for exchange in phone.exchanges:
            if exchange.status not in (200, 204):
                raise SystemExit(f"{exchange.url} answered {exchange.status}")
            parts = urllib.parse.urlsplit(exchange.url)
            steps.append(Step(parts.path + (f"?{parts.query}" if parts.query else ""),
                              dict(exchange.params), "SpeechResult" in exchange.params))
        self.requests += len(steps)
        self.spoken += sum(step.spoken for step in steps)
        return steps

    def _answer(self, phone: Phone, lang: str) -> None:
        """Keys, silence or, when the spoken share is behind, the caller's own words."""
        gather = phone.listening
        assert gather is not None
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(gather.get("action", "")).query)
        menu, node = query.get("m", [""])[0], query.get("n", [""])[0]
        said = self.words.get((menu, query.get("l", [lang])[0], node))
        spoken = self.spoken + sum("SpeechResult" in e.params for e in phone.exchanges)
        behind = spoken < self.share * (self.requests + len(phone.exchanges) + 1)
        if said and behind and "speech" in (gather.get("input") or ""):
            phone.say(natural(self.rng.choice(said), lang, self.rng),
                      confidence=round(self.rng.uniform(0.5, 0.95), 2))
            return
        if self.rng.random() < 0.05:
            phone.silence()
            return
        count = int(gather.get("numDigits") or 1)
        phone.press("".join(self.rng.choice("0123456789") for _ in range(count)) if count > 1
                    else self.rng.choice(KEYS))


_STARTED = re.compile(r"([?&]s=)\d+")


def replay(calls: list[list[Step]], rate: float, warmup: float, seconds: float, think: float,
           token: str, public_url: str, host: str, prefix: str,
           seed: int = 5) -> list[Planned]:
    """The requests of new calls arriving so that ``rate`` requests a second are due.

    Calls start one after another (exponential gaps, so arrivals are a Poisson process);
    the requests of a call are ``think`` seconds apart (±20 %). Requests due in the first
    ``warmup`` seconds build up the calls in progress and are not measured; requests due
    after ``warmup + seconds`` are not sent.
    """
    rng = random.Random(seed)
    validator = RequestValidator(token)
    mean_length = sum(len(call) for call in calls) / len(calls)
    call_rate = rate / mean_length
    end = warmup + seconds
    now = time.time()
    planned: list[Planned] = []
    start = rng.expovariate(call_rate)
    index = 0
    while start < end:
        call = calls[index % len(calls)]
        index += 1
        sid, caller = "CA" + secrets.token_hex(16), f"+1555{rng.randint(1000000, 9999999)}"
        started = str(int(now + start))
        at = start
        for number, step in enumerate(call):
            if number:
                at += think * rng.uniform(0.8, 1.2)
            if at >= end:
                break
            params = {**step.params, "CallSid": sid}
            for name in ("From", "Caller"):
                if name in params:
                    params[name] = caller
            path = _STARTED.sub(r"\g<1>" + started, step.path)
            tag = f"{prefix}{len(planned):x}"
            planned.append(Planned(at, _http(host, path, params, validator.compute_signature(
                f"{public_url}{path}", params), tag), tag, at >= warmup, step.spoken))
        start += rng.expovariate(call_rate)
    planned.sort(key=lambda p: p.at)
    return planned


def _http(host: str, path: str, params: dict[str, str], signature: str, tag: str) -> bytes:
    """The request as Twilio sends it over HTTP/1.1."""
    body = urllib.parse.urlencode(params).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: TwilioProxy/1.1\r\n"
            f"X-Twilio-Signature: {signature}\r\n"
            f"I-Twilio-Idempotency-Token: {secrets.token_hex(12)}\r\n"
            f"X-Request-Id: {tag}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body
