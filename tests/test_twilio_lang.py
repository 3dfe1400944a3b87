"""Tests for ivr.twilio_lang: Twilio <Say> voice / <Gather> language lookups."""

from __future__ import annotations

import pytest

from ivr import twilio_lang as tl

# --- <Say>: voice x locale ------------------------------------------------------------

@pytest.mark.parametrize(
    ("voice", "locale"),
    [
        ("Polly.Carmen", "ro-RO"),
        ("Google.ro-RO-Wavenet-B", "ro-RO"),
        ("Google.ro-RO-Standard-B", "ro-RO"),
        ("Polly.Lea", "fr-FR"),
        ("Polly.Celine", "fr-FR"),
        ("Polly.Mathieu", "fr-FR"),
        ("Polly.Lea-Neural", "fr-FR"),
        ("Polly.Léa", "fr-FR"),  # accented spelling Twilio also lists
        ("Polly.Joanna-Neural", "en-US"),
        ("Polly.Aditi", "hi-IN"),  # bilingual voice, second locale
        ("man", "en-US"),
        ("woman", "fr"),
        ("alice", "ja-JP"),
    ],
)
def test_voice_can_speak_locale(voice: str, locale: str) -> None:
    assert tl.voice_locale_ok(voice, locale) is None


@pytest.mark.parametrize(
    ("voice", "locale"),
    [
        ("woman", "ro-RO"),
        ("man", "ro-RO"),
        ("alice", "ro-RO"),
        ("Polly.Lea", "en-US"),
        ("Polly.Carmen", "fr-FR"),
        ("Google.ro-RO-Wavenet-B", "fr-FR"),
        ("Polly.Carmen-Neural", "ro-RO"),  # Carmen is standard-engine only
        ("Polly.Mathieu-Neural", "fr-FR"),
        ("Polly.Nobody", "en-US"),
        ("robot", "en-US"),
        ("Google.nonsense", "en-US"),
    ],
)
def test_voice_cannot_speak_locale(voice: str, locale: str) -> None:
    msg = tl.voice_locale_ok(voice, locale)
    assert isinstance(msg, str) and msg
    assert "\n" not in msg


def test_woman_romanian_message_names_language_and_alternatives() -> None:
    msg = tl.voice_locale_ok("woman", "ro-RO")
    assert msg is not None
    assert "Romanian (ro-RO)" in msg
    assert "Polly.Carmen" in msg
    assert "Google.ro-RO-Standard-B" in msg


def test_polly_wrong_language_message_says_what_it_speaks() -> None:
    msg = tl.voice_locale_ok("Polly.Lea", "en-US")
    assert msg is not None and "fr-FR" in msg and "en-US" in msg


def test_neural_only_mismatch_points_to_standard_voice() -> None:
    msg = tl.voice_locale_ok("Polly.Carmen-Neural", "ro-RO")
    assert msg is not None and "Polly.Carmen" in msg and "neural" in msg.lower()


def test_locale_matching_is_case_insensitive() -> None:
    assert tl.voice_locale_ok("polly.carmen", "RO-ro") is None
    assert tl.voice_locale_ok("GOOGLE.ro-ro-wavenet-b", "ro-RO") is None
    assert tl.recognition_ok("FR-fr") is None
    assert tl.speech_model_for("EN-us") == "phone_call"


def test_unknown_locale_rejected_for_say() -> None:
    msg = tl.voice_locale_ok("woman", "xx-XX")
    assert msg is not None and "xx-XX" in msg
    # a Google voice "for" a made-up locale is not waved through either
    assert tl.voice_locale_ok("Google.xx-XX-Standard-A", "xx-XX") is not None


# --- <Say>: text limits ---------------------------------------------------------------

def test_say_text_limits() -> None:
    assert tl.SAY_TEXT_LIMIT_POLLY == 3000
    assert tl.SAY_TEXT_LIMIT_BASIC == 4000
    assert tl.say_text_limit("Polly.Carmen") == 3000
    assert tl.say_text_limit("Polly.Lea-Neural") == 3000
    assert tl.say_text_limit("woman") == 4000
    assert tl.say_text_limit("man") == 4000
    assert tl.say_text_limit("Google.ro-RO-Standard-B") <= 3000


# --- suggestions ----------------------------------------------------------------------

def test_suggest_voice_prefers_polly_and_speaks_the_locale() -> None:
    assert tl.suggest_voice("ro-RO") == "Polly.Carmen"
    fr = tl.suggest_voice("fr-FR")
    assert fr is not None and fr.startswith("Polly.")
    assert tl.voice_locale_ok(fr, "fr-FR") is None
    assert tl.suggest_voice("xx-XX") is None


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "fr-CA", "de-DE", "es-MX", "ja-JP", "ar-XA"])
def test_suggested_voice_is_accepted(locale: str) -> None:
    voice = tl.suggest_voice(locale)
    assert voice is not None
    assert tl.voice_locale_ok(voice, locale) is None


# --- <Gather input="speech"> -----------------------------------------------------------

@pytest.mark.parametrize("locale", ["en-US", "en-GB", "fr-FR", "fr-CA", "ro-RO", "de-DE"])
def test_recognition_supported(locale: str) -> None:
    assert tl.recognition_ok(locale) is None


def test_unknown_locale_rejected_for_recognition() -> None:
    msg = tl.recognition_ok("xx-XX")
    assert msg is not None and "xx-XX" in msg
    with pytest.raises(ValueError, match="xx-XX"):
        tl.speech_model_for("xx-XX")


def test_bare_language_gets_a_hint() -> None:
    msg = tl.recognition_ok("ro")
    assert msg is not None and "ro-RO" in msg


def test_speech_model_for_romanian_is_not_phone_call() -> None:
    model = tl.speech_model_for("ro-RO")
    assert model != "phone_call"
    assert tl.model_supports(model, "ro-RO")


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "fr-FR", "fr-CA"])
def test_speech_model_for_phone_call_locales(locale: str) -> None:
    assert tl.speech_model_for(locale) == "phone_call"


def test_model_supports_romanian() -> None:
    assert not tl.model_supports("phone_call", "ro-RO")
    for model in ("default", "experimental_conversations", "experimental_utterances"):
        assert tl.model_supports(model, "ro-RO"), model


def test_model_supports_rejects_unknown_model_and_locale() -> None:
    assert not tl.model_supports("no_such_model", "en-US")
    assert not tl.model_supports("default", "xx-XX")
    assert tl.model_supports("phone_call", "en-US")


def test_every_model_locale_is_a_recognition_locale() -> None:
    for model, locales in tl.MODEL_LOCALES.items():
        for loc in locales:
            assert tl.recognition_ok(loc) is None, (model, loc)
