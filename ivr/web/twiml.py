"""Render the engine's Turn as TwiML.

The XML is built as a string: building twilio-python's VoiceResponse objects and
serialising them through ElementTree cost more than the rest of a call step. The
output is byte for byte what ``str(VoiceResponse())`` gives for the same verbs
(attributes sorted by name, booleans as true/false, ElementTree's escaping, an
empty element written ``<Name />``); tests/test_twiml.py compares the two for
every action kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ivr.engine.types import (
    Dial,
    Enqueue,
    Gather,
    Hangup,
    Leave,
    Next,
    Pause,
    Play,
    Record,
    Redirect,
    Speak,
    Turn,
)

SPEECH_TIMEOUT = "2"  # seconds of silence that end speech; "auto" is refused by some models
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

Attribute = str | int | bool | None


def _text(value: str) -> str:
    """Element text escaped as ElementTree escapes it."""
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _attribute(value: str) -> str:
    """An attribute value escaped as ElementTree escapes it (quotes and whitespace too)."""
    value = _text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


def element(name: str, attributes: dict[str, Attribute], text: str | None = None,
            children: Iterable[str] = ()) -> str:
    """One TwiML element; attributes that are None are left out, as twilio-python does."""
    parts = [f"<{name}"]
    for key in sorted(attributes):
        value = attributes[key]
        if value is None:
            continue
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        parts.append(f' {key}="{_attribute(shown)}"')
    inner = _text(text) if text else ""
    inner += "".join(children)
    if not inner:
        parts.append(" />")
        return "".join(parts)
    parts.append(f">{inner}</{name}>")
    return "".join(parts)


def document(verbs: Iterable[str]) -> str:
    """A whole TwiML document around rendered verbs."""
    return DECLARATION + element("Response", {}, None, verbs)


def _say(item: Speak | Play | Pause, audio_url: Callable[[str], str]) -> str:
    if isinstance(item, Speak):
        return element("Say", {"voice": item.voice, "language": item.locale}, item.text)
    if isinstance(item, Play):
        return element("Play", {}, audio_url(item.audio))
    return element("Pause", {"length": item.seconds})


def _gather(action: Gather, url_for: Callable[[Next], str],
            audio_url: Callable[[str], str]) -> str:
    speech = "speech" in action.input
    attributes: dict[str, Attribute] = {
        "input": action.input,
        "action": url_for(action.then),
        "method": "POST",
        "timeout": action.timeout,
        "numDigits": action.num_digits,
        "finishOnKey": action.finish_on_key,
        "actionOnEmptyResult": False,
    }
    if speech:
        attributes["language"] = action.locale
        attributes["speechModel"] = action.speech_model
        attributes["speechTimeout"] = SPEECH_TIMEOUT
        attributes["hints"] = ", ".join(action.hints) if action.hints else None
    return element("Gather", attributes, None, [_say(item, audio_url) for item in action.prompts])


def _record(action: Record, url_for: Callable[[Next], str],
            side_url: Callable[[str, Next], str] | None) -> str:
    side = side_url or (lambda kind, nxt: url_for(Next(nxt.state, kind)))
    return element("Record", {
        "action": url_for(action.then),
        "method": "POST",
        "maxLength": action.max_length,
        "timeout": action.timeout,
        "finishOnKey": action.finish_on_key,
        "playBeep": action.play_beep,
        "trim": "trim-silence",
        "recordingStatusCallback": side("recording", action.then),
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed absent",
        "transcribe": True if action.transcribe else None,
        "transcribeCallback": side("transcription", action.then) if action.transcribe else None,
    })


def render(turn: Turn, url_for: Callable[[Next], str], audio_url: Callable[[str], str],
           side_url: Callable[[str, Next], str] | None = None,
           adapt_record: Callable[[Record], tuple[Record, Sequence[str]]] | None = None,
           prefix: Sequence[str] = ()) -> str:
    """TwiML for a turn; ``url_for`` makes callback URLs, ``audio_url`` prompt URLs.

    ``side_url(kind, next)`` makes the URLs of Twilio's asynchronous callbacks
    ("recording", "transcription"), whose answers Twilio ignores.
    ``adapt_record(record)`` may change a <Record> (its transcription) and give verbs
    to put before it (a real-time transcription's <Start>); ``prefix`` verbs open
    the document (such as the <Stop> that ends that transcription).
    """
    verbs: list[str] = list(prefix)
    for action in turn.actions:
        if isinstance(action, Speak | Play | Pause):
            verbs.append(_say(action, audio_url))
        elif isinstance(action, Gather):
            verbs.append(_gather(action, url_for, audio_url))
        elif isinstance(action, Redirect):
            verbs.append(element("Redirect", {"method": "POST"}, url_for(action.then)))
        elif isinstance(action, Dial):
            verbs.append(element("Dial", {
                "action": url_for(action.then),
                "method": "POST",
                "timeout": action.timeout,
                "callerId": action.caller_id,
            }, None if action.numbers else action.number,
                [element("Number", {}, n) for n in action.numbers]))
        elif isinstance(action, Record):
            before: Sequence[str] = ()
            if adapt_record is not None:
                action, before = adapt_record(action)
            verbs.extend(before)
            verbs.append(_record(action, url_for, side_url))
        elif isinstance(action, Enqueue):
            verbs.append(element("Enqueue", {
                "action": url_for(action.then),
                "method": "POST",
                "waitUrl": url_for(action.wait),
                "waitUrlMethod": "POST",
            }, action.queue))
        elif isinstance(action, Leave):
            verbs.append(element("Leave", {}))
        elif isinstance(action, Hangup):
            verbs.append(element("Hangup", {}))
    return document(verbs)


def apology(text: str, locale: str, voice: str, then_url: str | None) -> str:
    """A last-resort answer when our own code failed: apologise, then go on or hang up."""
    ending = (element("Redirect", {"method": "POST"}, then_url) if then_url
              else element("Hangup", {}))
    return document([element("Say", {"voice": voice, "language": locale}, text), ending])
