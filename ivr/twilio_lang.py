"""What Twilio can speak (<Say>) and recognise (<Gather input="speech">), per locale.

Pure data + lookups; no Flask/Twilio/SQL imports. Locales are BCP-47 tags ("ro-RO"),
matched case-insensitively. Every function returns plain values so a menu linter can
turn them into messages.

Sources (stored copies read while writing this; see the report that came with it):
  * Twilio "TwiML Voice: <Say>" (twilio.com/docs/voice/twiml/say, older revisions):
    man/woman speak only en, en-gb, es, fr, de; alice speaks the 26 locales in _ALICE.
  * Twilio "Text-to-Speech" (twilio.com/docs/voice/twiml/say/text-speech) voice table,
    read through a public scrape of it (a voice-id set in an open-source bot server) and
    cross-checked against Amazon's "Available voices" (docs.aws.amazon.com/polly):
    the Polly and Google tables below.
  * Twilio "TwiML Voice: <Gather>" (twilio.com/docs/voice/twiml/gather): speechModel
    values, Google STT V2 / Deepgram providers; the language list in _RECOGNITION is
    the same public scrape of that page's language table.
  * Project contract: phone_call lacks ro-RO; ro-RO works with default and the
    experimental_* models; Polly text limit 3,000 chars, basic voices 4,000.
Per-model language lists were NOT found in the documentation available; the model
tables are deliberately conservative (they may say "unsupported" for a locale that
actually works, never the other way round on purpose).
"""

from __future__ import annotations

import re
import unicodedata

SAY_TEXT_LIMIT_POLLY = 3000
SAY_TEXT_LIMIT_BASIC = 4000
# Google voices: no documented figure found; use the lower (Polly) limit to be safe.
SAY_TEXT_LIMIT_GOOGLE = SAY_TEXT_LIMIT_POLLY

# --- <Say> voices -------------------------------------------------------------------

# man / woman (Twilio <Say> docs: language = en, en-gb, es, fr, de). One revision's
# prose also names Italian, but its table does not; Italian is left out (conservative).
_BASIC: dict[str, str] = {  # accepted tag -> canonical tag
    "en": "en", "en-us": "en", "en-gb": "en-GB", "es": "es", "es-es": "es",
    "fr": "fr", "fr-fr": "fr", "de": "de", "de-de": "de",
}

# alice (Twilio <Say> docs, "voice = alice" table).
_ALICE = frozenset(t.lower() for t in (
    "da-DK de-DE en-AU en-CA en-GB en-IN en-US ca-ES es-ES es-MX fi-FI fr-CA fr-FR "
    "it-IT ja-JP ko-KR nb-NO nl-NL pl-PL pt-BR pt-PT ru-RU sv-SE zh-CN zh-HK zh-TW"
).split())

# Polly voices: locale -> "Name:engines" (S = standard "Polly.Name", N = neural
# "Polly.Name-Neural"). First entry per locale is the suggested default.
_POLLY_BY_LOCALE: dict[str, str] = {
    "arb": "Zeina:S", "ar-AE": "Hala:N Zayd:N", "ca-ES": "Arlet:N", "yue-CN": "Hiujin:N",
    "cmn-CN": "Zhiyu:SN", "da-DK": "Naja:S Mads:S Sofie:N", "nl-BE": "Lisa:N",
    "nl-NL": "Lotte:S Ruben:S Laura:N", "en-AU": "Nicole:S Russell:S Olivia:N",
    "en-GB": "Amy:SN Emma:SN Brian:SN Arthur:N", "en-IN": "Raveena:S Aditi:S Kajal:N",
    "en-IE": "Niamh:N", "en-NZ": "Aria:N", "en-ZA": "Ayanda:N",
    "en-US": "Joanna:SN Salli:SN Kendra:SN Kimberly:SN Ivy:SN Joey:SN Justin:SN "
             "Matthew:SN Kevin:N Ruth:N Stephen:N Gregory:N Danielle:N",
    "en-GB-WLS": "Geraint:S", "cy-GB": "Gwyneth:S", "fi-FI": "Suvi:N",
    "fr-FR": "Lea:SN Celine:S Mathieu:S Remi:N", "fr-CA": "Chantal:S Gabrielle:N Liam:N",
    "fr-BE": "Isabelle:N", "de-DE": "Vicki:SN Marlene:S Hans:S Daniel:N",
    "de-AT": "Hannah:N", "hi-IN": "Aditi:S Kajal:N", "is-IS": "Dora:S Karl:S",
    "it-IT": "Bianca:SN Carla:S Giorgio:S Adriano:N",
    "ja-JP": "Mizuki:S Takumi:SN Kazuha:N Tomoko:N", "ko-KR": "Seoyeon:SN",
    "nb-NO": "Liv:S Ida:N", "pl-PL": "Ewa:S Maja:S Jacek:S Jan:S Ola:N",
    "pt-BR": "Camila:SN Vitoria:SN Ricardo:S Thiago:N", "pt-PT": "Ines:SN Cristiano:S",
    "ro-RO": "Carmen:S", "ru-RU": "Tatyana:S Maxim:S",
    "es-ES": "Lucia:SN Conchita:S Enrique:S Sergio:N", "es-MX": "Mia:SN Andres:N",
    "es-US": "Lupe:SN Penelope:S Miguel:S Pedro:N", "sv-SE": "Astrid:S Elin:N",
    "tr-TR": "Filiz:S",
}


def _build_polly() -> dict[str, tuple[frozenset[str], str]]:
    """Invert _POLLY_BY_LOCALE into lower-case name -> (locales, engines)."""
    out: dict[str, tuple[frozenset[str], str]] = {}
    for loc, entries in _POLLY_BY_LOCALE.items():
        for entry in entries.split():
            name, engines = entry.split(":")
            old_locs, old_eng = out.get(name.lower(), (frozenset(), ""))
            out[name.lower()] = (old_locs | {loc.lower()}, old_eng or engines)
    return out


_POLLY = _build_polly()  # Aditi and Kajal are bilingual (en-IN + hi-IN)
_POLLY_DISPLAY = {e.split(":")[0].lower(): e.split(":")[0]
                  for v in _POLLY_BY_LOCALE.values() for e in v.split()}

# Google voices: locales listed on Twilio's TTS page, with one documented Standard
# voice each (used only for suggestions; validation accepts any Google.<locale>-...).
_GOOGLE_DEFAULT_SUFFIX = "Standard-A"
_GOOGLE_SUFFIX: dict[str, str] = {
    "bn-IN": "Standard-C", "gu-IN": "Standard-C", "kn-IN": "Standard-C",
    "ta-IN": "Standard-C", "ml-IN": "Wavenet-C", "it-IT": "Standard-B",
    "ja-JP": "Standard-B", "es-ES": "Standard-B", "pt-BR": "Standard-B",
    "ro-RO": "Standard-B",  # contract: ro-RO-Standard-B / -Wavenet-B
}
_GOOGLE_LOCALES = frozenset(t.lower() for t in (
    "af-ZA ar-XA eu-ES bn-IN bg-BG ca-ES yue-HK cmn-CN cmn-TW cs-CZ da-DK nl-BE nl-NL "
    "en-AU en-IN en-GB en-US fil-PH fi-FI fr-CA fr-FR gl-ES de-DE el-GR gu-IN he-IL "
    "hi-IN hu-HU is-IS id-ID it-IT ja-JP kn-IN ko-KR lv-LV lt-LT ms-MY ml-IN mr-IN "
    "nb-NO pl-PL pt-BR pt-PT pa-IN ro-RO ru-RU sr-RS sk-SK es-ES es-US sv-SE ta-IN "
    "te-IN th-TH tr-TR uk-UA vi-VN"
).split())
_GOOGLE_RE = re.compile(r"^google\.([a-z]{2,3}(?:-[a-z0-9]{2,4})+?)-"
                        r"(standard|wavenet|neural2|news|studio|polyglot|journey|chirp[\w-]*)"
                        r"-[a-z0-9-]+$")

# --- <Gather input="speech"> ---------------------------------------------------------

# Twilio <Gather> language table (as scraped publicly; 119 tags).
_RECOGNITION = frozenset(t.lower() for t in (
    "af-ZA am-ET hy-AM az-AZ id-ID ms-MY bn-BD bn-IN ca-ES cs-CZ da-DK de-DE en-AU en-CA "
    "en-GH en-GB en-IN en-IE en-KE en-NZ en-NG en-PH en-ZA en-TZ en-US es-AR es-BO es-CL "
    "es-CO es-CR es-EC es-SV es-ES es-US es-GT es-HN es-MX es-NI es-PA es-PY es-PE es-PR "
    "es-DO es-UY es-VE eu-ES fil-PH fr-CA fr-FR gl-ES ka-GE gu-IN hr-HR zu-ZA is-IS it-IT "
    "jv-ID kn-IN km-KH lo-LA lv-LV lt-LT hu-HU ml-IN mr-IN nl-NL ne-NP nb-NO pl-PL pt-BR "
    "pt-PT ro-RO si-LK sk-SK sl-SI su-ID sw-TZ sw-KE fi-FI sv-SE ta-IN ta-SG ta-LK ta-MY "
    "te-IN vi-VN tr-TR ur-PK ur-IN el-GR bg-BG ru-RU sr-RS uk-UA he-IL ar-IL ar-JO ar-AE "
    "ar-BH ar-DZ ar-SA ar-IQ ar-KW ar-MA ar-TN ar-OM ar-PS ar-QA ar-LB ar-EG fa-IR hi-IN "
    "th-TH ko-KR cmn-Hant-TW yue-Hant-HK ja-JP cmn-Hans-HK cmn-Hans-CN"
).split())

# phone_call: NOT from a Twilio list (none found). Conservative set = Google Cloud STT
# v1's enhanced phone_call languages as remembered, intersected with the contract
# (en-US, en-GB, fr-FR, fr-CA yes; ro-RO no).
_PHONE_CALL = frozenset(t.lower() for t in
                        "en-US en-GB en-AU fr-FR fr-CA es-US ja-JP pt-BR ru-RU".split())

# experimental_* (Google "latest_long/short") and googlev2_long/short: no list found;
# conservative set of major languages, ro-RO included per the contract.
_LATEST = frozenset(t.lower() for t in (
    "en-US en-GB en-AU en-IN en-CA fr-FR fr-CA de-DE es-ES es-US es-MX it-IT pt-BR pt-PT "
    "nl-NL ja-JP ko-KR ru-RU pl-PL ro-RO sv-SE da-DK fi-FI nb-NO tr-TR hi-IN cs-CZ"
).split())

# Deepgram: matched on full tag or primary language (Twilio says it maps the
# language to the provider's; exact mapping undocumented here). Nova-2 list from
# Deepgram/LiveKit docs; Nova-3 limited to its first multilingual set (conservative).
_DEEPGRAM_NOVA2 = frozenset(
    "bg ca zh cs da nl en et fi fr de el hi hu id it ja ko lv lt ms no nb pl pt ro ru sk "
    "es sv th tr uk vi".split())
_DEEPGRAM_NOVA3 = frozenset("en es fr de hi ru pt ja it nl".split())

MODEL_LOCALES: dict[str, frozenset[str]] = {
    "default": _RECOGNITION,
    "numbers_and_commands": _RECOGNITION,  # Google command_and_search: all languages
    "phone_call": _PHONE_CALL,
    "experimental_conversations": _LATEST,
    "experimental_utterances": _LATEST,
    "googlev2_long": _LATEST,
    "googlev2_short": _LATEST,
    "googlev2_telephony": _PHONE_CALL,
    "googlev2_telephony_short": _PHONE_CALL,
}
_PRIMARY_MODELS: dict[str, frozenset[str]] = {
    "deepgram_nova-2": _DEEPGRAM_NOVA2,
    "deepgram_nova-3": _DEEPGRAM_NOVA3,
}
SPEECH_MODELS: frozenset[str] = frozenset(MODEL_LOCALES) | frozenset(_PRIMARY_MODELS)

_LANG_NAMES: dict[str, str] = {
    "ar": "Arabic", "arb": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cmn": "Chinese",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "ko": "Korean", "nb": "Norwegian", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sv": "Swedish", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "yue": "Cantonese", "zh": "Chinese",
}


# --- helpers ---------------------------------------------------------------------------

def normalize_locale(locale: str) -> str:
    """Return the locale lower-cased, trimmed, with '_' turned into '-'."""
    return locale.strip().replace("_", "-").lower()


def _canon(locale: str) -> str:
    """Pretty-print a tag: language lower, 2-letter region upper ("ro-ro" -> "ro-RO")."""
    parts = normalize_locale(locale).split("-")
    return "-".join([parts[0]] + [p.upper() if len(p) == 2 else p.title() for p in parts[1:]])


def _describe(locale: str) -> str:
    """Human label such as "Romanian (ro-RO)"."""
    name = _LANG_NAMES.get(normalize_locale(locale).split("-")[0])
    return f"{name} ({_canon(locale)})" if name else _canon(locale)


def _strip_accents(text: str) -> str:
    """Drop diacritics so 'Léa' and 'Lea' compare equal."""
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def _polly_voices(locale: str) -> list[str]:
    """All Polly voice ids (standard and neural) documented for a locale."""
    loc = normalize_locale(locale)
    out: list[str] = []
    for key, entries in _POLLY_BY_LOCALE.items():
        if key.lower() == loc:
            for entry in entries.split():
                name, engines = entry.split(":")
                out += [f"Polly.{name}"] * ("S" in engines)
                out += [f"Polly.{name}-Neural"] * ("N" in engines)
    return out


def _google_voice(locale: str) -> str | None:
    """A documented Google voice id for a locale, or None."""
    loc = normalize_locale(locale)
    if loc not in _GOOGLE_LOCALES:
        return None
    suffix = next((s for k, s in _GOOGLE_SUFFIX.items() if k.lower() == loc),
                  _GOOGLE_DEFAULT_SUFFIX)
    return f"Google.{_canon(loc)}-{suffix}"


def tts_locales() -> frozenset[str]:
    """Every locale (lower-case) that at least one <Say> voice in these tables speaks."""
    basic = frozenset(_BASIC)
    polly = frozenset(k.lower() for k in _POLLY_BY_LOCALE)
    return basic | _ALICE | polly | _GOOGLE_LOCALES


def _known_locale(loc: str) -> bool:
    """True if the (normalised) locale appears in any TTS or recognition table."""
    return loc in tts_locales() or loc in _RECOGNITION


def _alternatives(locale: str) -> str:
    """'use X or Y' hint for a locale, or a note that no voice is known."""
    options = [v for v in (suggest_voice(locale), _google_voice(locale)) if v]
    options = list(dict.fromkeys(options))
    if not options:
        return "no Twilio <Say> voice in our tables speaks it"
    return "use " + " or ".join(options)


# --- public API ------------------------------------------------------------------------

def voice_locale_ok(voice: str, locale: str) -> str | None:
    """None if Twilio <Say> can speak `locale` with `voice`, else a one-line reason."""
    loc = normalize_locale(locale)
    v = voice.strip()
    vl = v.lower()
    if not _known_locale(loc):
        return f"locale '{locale}' is not a language Twilio speaks or recognises"
    if vl in ("man", "woman"):
        if loc in _BASIC:
            return None
        return f"voice '{vl}' has no {_describe(loc)}; {_alternatives(loc)}"
    if vl == "alice":
        if loc in _ALICE:
            return None
        return f"voice 'alice' has no {_describe(loc)}; {_alternatives(loc)}"
    if vl.startswith("polly."):
        body = _strip_accents(v[6:])
        name, _, engine = body.partition("-")
        entry = _POLLY.get(name.lower())
        if entry is None:
            return f"unknown Polly voice '{voice}'; {_alternatives(loc)}"
        locales, engines = entry
        shown = _POLLY_DISPLAY[name.lower()]
        if engine.lower() not in ("", "neural"):
            return (f"'{voice}': only standard and -Neural Polly voices are covered here"
                    f" (engine '{engine}' unverified); {_alternatives(loc)}")
        need = "N" if engine else "S"
        if need not in engines:
            other = f"Polly.{shown}-Neural" if need == "S" else f"Polly.{shown}"
            kind = "standard" if need == "S" else "neural"
            return f"Polly.{shown} has no {kind} engine; use {other}"
        if loc not in locales:
            return f"voice '{voice}' speaks {', '.join(sorted(_canon(x) for x in locales))}," \
                   f" not {_describe(loc)}; {_alternatives(loc)}"
        return None
    if vl.startswith("google."):
        if vl.startswith(f"google.{loc}-") and len(vl) > len(f"google.{loc}-"):
            return None  # any Google.<locale>-<Type>-<X> whose locale matches
        m = _GOOGLE_RE.match(vl)
        if not m:
            return f"'{voice}' is not a Google voice name (Google.<locale>-<Type>-<X>)"
        return (f"voice '{voice}' speaks {_canon(m.group(1))}, not {_describe(loc)};"
                f" {_alternatives(loc)}")
    return f"unknown voice '{voice}' (expected man, woman, alice, Polly.* or Google.*)"


def say_text_limit(voice: str) -> int:
    """Maximum characters of text Twilio accepts in one <Say> for this voice."""
    vl = voice.strip().lower()
    if vl in ("man", "woman", "alice"):
        return SAY_TEXT_LIMIT_BASIC
    if vl.startswith("google."):
        return SAY_TEXT_LIMIT_GOOGLE
    return SAY_TEXT_LIMIT_POLLY  # Polly, and the safe minimum for anything unknown


def recognition_ok(locale: str) -> str | None:
    """None if <Gather input="speech"> accepts `locale`, else a one-line reason."""
    loc = normalize_locale(locale)
    if loc in _RECOGNITION:
        return None
    near = sorted(_canon(x) for x in _RECOGNITION if x.split("-")[0] == loc.split("-")[0])
    hint = f"; did you mean {', '.join(near[:4])}?" if near else ""
    return f"Twilio <Gather> speech recognition does not support '{locale}'{hint}"


def model_supports(model: str, locale: str) -> bool:
    """True if speechModel `model` is documented (or conservatively known) to handle locale."""
    loc = normalize_locale(locale)
    if loc not in _RECOGNITION:
        return False
    m = model.strip().lower()
    if m in MODEL_LOCALES:
        return loc in MODEL_LOCALES[m]
    if m in _PRIMARY_MODELS:
        return loc.split("-")[0] in _PRIMARY_MODELS[m]
    return False


def speech_model_for(locale: str) -> str:
    """Best speechModel: 'phone_call' where supported, else 'default'; ValueError if none."""
    problem = recognition_ok(locale)
    if problem:
        raise ValueError(problem)
    return "phone_call" if model_supports("phone_call", locale) else "default"


def models_for(locale: str) -> list[str]:
    """All speechModel values (sorted) that support `locale`."""
    return sorted(m for m in SPEECH_MODELS if model_supports(m, locale))


def suggest_voice(locale: str) -> str | None:
    """A good default <Say> voice for the locale: Polly if any, then Google, then alice."""
    loc = normalize_locale(locale)
    polly = _polly_voices(loc)
    if polly:
        return polly[0]
    google = _google_voice(loc)
    if google:
        return google
    if loc in _ALICE:
        return "alice"
    if loc in _BASIC:
        return "woman"
    return None
