"""What node kinds parse their fields with: the menu's languages and names, prompts,
phrases, labels and options, and a place for problems. The loader makes one per menu file;
node kinds and lookup fields reach it from below the loader."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ivr.menu.parts import Option, Prompt, Spoken
from ivr.menu.source import Fields, Problems, Value, Where

KEYS = set("0123456789*#")


@dataclass
class ParseContext:
    """What node parsers need: the menu's languages and schedules, and a place for problems."""

    problems: Problems
    languages: list[str] = field(default_factory=list)
    schedule_names: set[str] = field(default_factory=set)
    source_names: set[str] = field(default_factory=set)  # names under 'sources'
    action_names: set[str] = field(default_factory=set)  # names under 'actions'
    targets: list[tuple[str, Where]] = field(default_factory=list)

    def target(self, value: Value) -> str:
        """A node id or special target (repeat, back, main), checked once all nodes are read."""
        text = value.text("a node name") or ""
        if text:
            self.targets.append((text, value.where))
        return text

    def prompt(self, value: Value) -> Prompt | None:
        """A prompt: text, {text, audio}, or per-language text / {text, audio}."""
        if value.is_scalar:
            text = value.text("prompt text")
            return Prompt({"*": Spoken(text=text)}, value.where) if text else None
        if not value.is_mapping:
            value.error("expected prompt text, or a mapping of languages to text")
            return None
        fields = value.fields("a prompt")
        if "text" in fields.entries or "audio" in fields.entries:
            spoken = self._spoken(fields)
            return Prompt({"*": spoken}, value.where) if spoken else None
        versions: dict[str, Spoken] = {}
        for lang in list(fields.entries):
            item = fields.get(lang)
            if lang not in self.languages:
                where = fields.key_where(lang)
                declared = ", ".join(self.languages)
                self.problems.error(where, f"language {lang!r} is not declared under "
                                    f"'languages' (declared: {declared})")
                continue
            if item is None:
                continue
            if item.is_mapping:
                spoken = self._spoken(item.fields(f"the {lang!r} prompt"))
            else:
                text = item.text("prompt text")
                spoken = Spoken(text=text) if text else None
            if spoken:
                versions[lang] = spoken
        return Prompt(versions, value.where) if versions else None

    def _spoken(self, fields: Fields) -> Spoken | None:
        """A {text, audio} pair."""
        text_value, audio_value = fields.get("text"), fields.get("audio")
        fields.done()
        text = text_value.text("prompt text") if text_value else None
        audio = audio_value.text("an audio file under prompts/") if audio_value else None
        if audio_value and audio and (audio.startswith("/") or ".." in Path(audio).parts):
            audio_value.error("audio must be a path inside prompts/, like shop/en/hours.mp3")
            audio = None
        if text is None and audio is None:
            fields.value.error("a prompt needs 'text', 'audio' or both")
            return None
        return Spoken(text=text, audio=audio)

    def phrases(self, value: Value) -> dict[str, tuple[str, ...]]:
        """Spoken phrases: a list (any language) or per-language lists."""
        if not value.is_mapping:
            return {"*": tuple(value.text_list("a phrase"))}
        out: dict[str, tuple[str, ...]] = {}
        for key, item in value.pairs():
            lang = str(key.node.value)
            if lang not in self.languages:
                key.error(f"language {lang!r} is not declared under 'languages'")
                continue
            out[lang] = tuple(item.text_list("a phrase"))
        return out

    def labels(self, value: Value) -> dict[str, str]:
        """A spoken label: one text (any language) or one per language."""
        if not value.is_mapping:
            text = value.text("a short spoken name")
            return {"*": text.strip()} if text and text.strip() else {}
        out: dict[str, str] = {}
        for key, item in value.pairs():
            lang = str(key.node.value)
            if lang not in self.languages:
                key.error(f"language {lang!r} is not declared under 'languages'")
                continue
            text = item.text("a short spoken name")
            if text and text.strip():
                out[lang] = text.strip()
            elif text is not None:
                item.error("a label needs some words")
        return out

    def options(
        self, value: Value, *, where_of: Value, language_choice: bool = False
    ) -> tuple[Option, ...]:
        """A node's options, each with a key and/or phrases, and where it leads."""
        options: list[Option] = []
        keys_seen: dict[str, Where] = {}
        if not value.is_sequence:
            value.error("expected a list of options (lines starting with '- ')")
            return ()
        for item in value.items():
            if not item.is_mapping:
                item.error("expected an option: key, phrases, go")
                continue
            fields = item.fields("an option")
            key = None
            key_value = fields.get("key")
            if key_value is not None:
                key = key_value.text("a key")
                if key is not None and key not in KEYS:
                    key_value.error(f"a key is one of 0-9, * or # (quoted: \"*\"), found {key!r}")
                    key = None
                elif key in keys_seen:
                    key_value.error(f"key {key!r} is already used by the option at line "
                                    f"{keys_seen[key].line}")
                elif key is not None:
                    keys_seen[key] = key_value.where
            phrases_value = fields.get("phrases")
            phrases = self.phrases(phrases_value) if phrases_value else {}
            language = None
            go = ""
            if language_choice:
                lang_value = fields.require("language", "the language this option selects")
                if lang_value is not None:
                    language = lang_value.text("a language code")
                    if language and language not in self.languages:
                        lang_value.error(f"language {language!r} is not declared under "
                                         "'languages'")
            else:
                go_value = fields.require("go", "the node this option leads to")
                go = self.target(go_value) if go_value else ""
            fields.done()
            if key_value is None and not phrases:
                item.error("an option needs a 'key', 'phrases' or both")
            options.append(Option(key, phrases, go, item.where, language))
        if not options:
            where_of.error("a node with options needs at least one")
        return tuple(options)
