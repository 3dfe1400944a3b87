"""ivr.web.twiml writes TwiML as strings: it must be exactly what twilio-python's VoiceResponse writes."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.twiml.voice_response import Gather as TwimlGather
from twilio.twiml.voice_response import VoiceResponse

from ivr.engine.types import (
    CallState,
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
from ivr.web import twiml

ODD = "Tom & Jerry's <b>\"quoted\"</b> > ok\ttab\r\nnew line ĂÎȘȚ été 😀 ]]> &amp;"


# -- the reference: the same verbs built with twilio-python, as ivr.web.twiml did before ------------

def _reference_say(parent: VoiceResponse | TwimlGather, item: Speak | Play | Pause,
                   audio_url: Callable[[str], str]) -> None:
    if isinstance(item, Speak):
        parent.say(item.text, voice=item.voice, language=item.locale)
    elif isinstance(item, Play):
        parent.play(audio_url(item.audio))
    else:
        parent.pause(length=item.seconds)


def reference(turn: Turn, url_for: Callable[[Next], str], audio_url: Callable[[str], str],
              side_url: Callable[[str, Next], str] | None = None) -> str:
    """The TwiML twilio-python's VoiceResponse gives for a turn."""
    response = VoiceResponse()
    for action in turn.actions:
        if isinstance(action, Speak | Play | Pause):
            _reference_say(response, action, audio_url)
        elif isinstance(action, Gather):
            speech = "speech" in action.input
            gather = response.gather(
                input=action.input, action=url_for(action.then), method="POST",
                timeout=action.timeout, num_digits=action.num_digits,
                finish_on_key=action.finish_on_key, action_on_empty_result=False,
                language=action.locale if speech else None,
                speech_model=action.speech_model if speech else None,
                speech_timeout=twiml.SPEECH_TIMEOUT if speech else None,
                hints=", ".join(action.hints) if speech and action.hints else None)
            for item in action.prompts:
                _reference_say(gather, item, audio_url)
        elif isinstance(action, Redirect):
            response.redirect(url_for(action.then), method="POST")
        elif isinstance(action, Dial):
            response.dial(action.number, action=url_for(action.then), method="POST",
                          timeout=action.timeout, caller_id=action.caller_id)
        elif isinstance(action, Record):
            side = side_url or (lambda kind, nxt: url_for(Next(nxt.state, kind)))
            response.record(
                action=url_for(action.then), method="POST", max_length=action.max_length,
                timeout=action.timeout, finish_on_key=action.finish_on_key,
                play_beep=action.play_beep, trim="trim-silence",
                recording_status_callback=side("recording", action.then),
                recording_status_callback_method="POST",
                recording_status_callback_event="completed absent",
                transcribe=True if action.transcribe else None,
                transcribe_callback=side("transcription", action.then)
                if action.transcribe else None)
        elif isinstance(action, Hangup):
            response.hangup()
    return str(response)


def url_for(nxt: Next) -> str:
    """A callback URL with characters that need escaping in an attribute and in text."""
    return f"https://ivr.example.org/voice/step?n={nxt.state.node}&e={nxt.event}&x=<\"'>"


def audio_url(path: str) -> str:
    return f"https://ivr.example.org/prompts/{path}?a=1&b=2"


def side_url(kind: str, nxt: Next) -> str:
    return f"https://ivr.example.org/voice/{kind}?n={nxt.state.node}&k=\t"


STATE = CallState("shop", "main", "en", 1, ("main",), 1_700_000_000, "abc")
THEN = Next(STATE, "in")


def every_kind(text: str) -> Turn:
    """One turn using every action kind and option, with ``text`` wherever text goes."""
    prompts = (Speak(text, "fr-FR", "Polly.Lea"), Play(f"shop/{text}.mp3"), Pause(2))
    return Turn((
        Speak(text, "en-US", "Polly.Joanna"),
        Play("shop/en/welcome.mp3"),
        Pause(1),
        Gather(prompts, THEN),
        Gather(prompts, THEN, input="dtmf", num_digits=None, finish_on_key="#"),
        Gather((), THEN, input="speech", hints=(text, "orders", "returns"), locale="ro-RO",
               speech_model="default"),
        Gather(prompts, THEN, input="dtmf speech", num_digits=5, hints=()),
        Redirect(THEN),
        Dial("+15005550006", 25, THEN),
        Dial("+15005550006", 30, THEN, caller_id=text or None),
        Record(THEN),
        Record(THEN, max_length=60, timeout=3, finish_on_key="", play_beep=False,
               transcribe=True),
        Hangup(),
    ))


def test_every_action_kind_renders_as_twilio_python_does() -> None:
    turn = every_kind(ODD)
    expected = reference(turn, url_for, audio_url, side_url)
    assert twiml.render(turn, url_for, audio_url, side_url) == expected
    assert "&amp;" in expected and "&#10;" in expected and "&quot;" in expected  # really odd


def test_record_without_side_urls_uses_the_callback_url() -> None:
    turn = Turn((Record(THEN, transcribe=True),))
    assert twiml.render(turn, url_for, audio_url) == reference(turn, url_for, audio_url)


def test_empty_texts_and_empty_turns() -> None:
    for turn in (Turn(()), Turn((Speak("", "en-US", ""),)), Turn((Play(""),)),
                 Turn((Gather((), THEN),)), Turn((Hangup(),))):
        assert twiml.render(turn, url_for, lambda p: p) == reference(turn, url_for, lambda p: p)


def test_a_known_document() -> None:
    """A fixed expectation, so that a change in both renderers is noticed too."""
    turn = Turn((Gather((Speak("Press 1 & go", "en-US", "Polly.Joanna"),), THEN,
                        input="dtmf", num_digits=1), Redirect(THEN), Hangup()))
    assert twiml.render(turn, lambda n: "/s?a=1&b=2", audio_url) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/s?a=1&amp;b=2" '
        'actionOnEmptyResult="false" finishOnKey="" input="dtmf" method="POST" numDigits="1" '
        'timeout="6"><Say language="en-US" voice="Polly.Joanna">Press 1 &amp; go</Say></Gather>'
        '<Redirect method="POST">/s?a=1&amp;b=2</Redirect><Hangup /></Response>')


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_any_text_renders_as_twilio_python_does(text: str) -> None:
    turn = every_kind(text)
    assert twiml.render(turn, url_for, audio_url, side_url) == \
        reference(turn, url_for, audio_url, side_url)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=20))
def test_apology_renders_as_twilio_python_does(text: str, voice: str, then: str) -> None:
    for then_url in (then or None, None):
        response = VoiceResponse()
        response.say(text, voice=voice, language="en-US")
        if then_url:
            response.redirect(then_url, method="POST")
        else:
            response.hangup()
        assert twiml.apology(text, "en-US", voice, then_url) == str(response)
