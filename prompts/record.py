"""Record the demo menus' audio prompts with espeak-ng (placeholders for studio recordings).

For every `audio:` in menus/*.yaml whose file is missing (or all, with --force), speak
its `text` with espeak-ng in the prompt's language and convert it with sox to 8 kHz
mono 16-bit WAV, the telephone's own quality (small files; Twilio plays WAV). Silence
at either end is cut and pauses inside are shortened to 0.3 s, so that an answer of
about nine seconds stays under 150 KB.
Needs Debian's espeak-ng and sox:  apt-get install espeak-ng sox
Run:  .venv/bin/python prompts/record.py [--force]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.menu.loader import load_menu  # noqa: E402

ESPEAK_VOICES = {"en": "en-us", "fr": "fr-fr", "ro": "ro"}
# Words per minute: espeak-ng's Romanian voice is slow at the default pace.
ESPEAK_SPEED = {"ro": 175}
SPEED = 160
# sox effects: cut the leading silence, shorten pauses to 0.3 s, cut the trailing silence.
TRIM = ["silence", "-l", "1", "0.05", "0.5%", "-1", "0.3", "0.5%",
        "reverse", "silence", "1", "0.05", "0.5%", "reverse"]


def main() -> None:
    """Record every missing prompt of every menu."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="re-record existing files too")
    args = parser.parse_args()
    made = 0
    for file in sorted((ROOT / "menus").glob("*.yaml")):
        menu = load_menu(file)
        for node in menu.nodes.values():
            for _, prompt in node.prompts():
                for lang, spoken in prompt.versions.items():
                    if not spoken.audio or not spoken.text:
                        continue
                    target = ROOT / "prompts" / spoken.audio
                    if target.exists() and not args.force:
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    voice = ESPEAK_VOICES.get(lang, lang)
                    with tempfile.TemporaryDirectory() as tmp:
                        raw = Path(tmp) / "raw.wav"
                        speed = str(ESPEAK_SPEED.get(lang, SPEED))
                        subprocess.run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(raw),
                                        spoken.text], check=True)
                        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16",
                                        "-e", "signed-integer", str(target), *TRIM], check=True)
                    made += 1
                    print(f"recorded prompts/{spoken.audio}")
    print(f"{made} prompt(s) recorded")


if __name__ == "__main__":
    main()
