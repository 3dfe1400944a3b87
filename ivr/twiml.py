"""Render the engine's Turn as TwiML with twilio-python's VoiceResponse."""

from __future__ import annotations

from collections.abc import Callable

from twilio.twiml.voice_response import Gather as TwimlGather
from twilio.twiml.voice_response import VoiceResponse

from ivr.engine.types import (
    Dial,
    Gather,
    Hangup,
    Next,
    Pause,
    Play,
    Record,
    Redirect,
    Speak,
    Turn,
)

SPEECH_TIMEOUT = "2"  # seconds of silence that end speech; "auto" is refused by some models


def _say(parent: VoiceResponse | TwimlGather, item: Speak | Play | Pause,
         audio_url: Callable[[str], str]) -> None:
    if isinstance(item, Speak):
        parent.say(item.text, voice=item.voice, language=item.locale)
    elif isinstance(item, Play):
        parent.play(audio_url(item.audio))
    else:
        parent.pause(length=item.seconds)


def render(turn: Turn, url_for: Callable[[Next], str], audio_url: Callable[[str], str],
           side_url: Callable[[str, Next], str] | None = None) -> str:
    """TwiML for a turn; ``url_for`` makes callback URLs, ``audio_url`` prompt URLs.

    ``side_url(kind, next)`` makes the URLs of Twilio's asynchronous callbacks
    ("recording", "transcription"), whose answers Twilio ignores.
    """
    response = VoiceResponse()
    for action in turn.actions:
        if isinstance(action, Speak | Play | Pause):
            _say(response, action, audio_url)
        elif isinstance(action, Gather):
            speech = "speech" in action.input
            gather = response.gather(
                input=action.input,
                action=url_for(action.then),
                method="POST",
                timeout=action.timeout,
                num_digits=action.num_digits,
                finish_on_key=action.finish_on_key,
                action_on_empty_result=False,
                language=action.locale if speech else None,
                speech_model=action.speech_model if speech else None,
                speech_timeout=SPEECH_TIMEOUT if speech else None,
                hints=", ".join(action.hints) if speech and action.hints else None,
            )
            for item in action.prompts:
                _say(gather, item, audio_url)
        elif isinstance(action, Redirect):
            response.redirect(url_for(action.then), method="POST")
        elif isinstance(action, Dial):
            response.dial(
                action.number,
                action=url_for(action.then),
                method="POST",
                timeout=action.timeout,
                caller_id=action.caller_id,
            )
        elif isinstance(action, Record):
            side = side_url or (lambda kind, nxt: url_for(Next(nxt.state, kind)))
            response.record(
                action=url_for(action.then),
                method="POST",
                max_length=action.max_length,
                timeout=action.timeout,
                finish_on_key=action.finish_on_key,
                play_beep=action.play_beep,
                trim="trim-silence",
                recording_status_callback=side("recording", action.then),
                recording_status_callback_method="POST",
                recording_status_callback_event="completed absent",
                transcribe=True if action.transcribe else None,
                transcribe_callback=side("transcription", action.then)
                if action.transcribe else None,
            )
        elif isinstance(action, Hangup):
            response.hangup()
    return str(response)


def apology(text: str, locale: str, voice: str, then_url: str | None) -> str:
    """A last-resort answer when our own code failed: apologise, then go on or hang up."""
    response = VoiceResponse()
    response.say(text, voice=voice, language=locale)
    if then_url:
        response.redirect(then_url, method="POST")
    else:
        response.hangup()
    return str(response)
