"""Write ``segment/data/english_function_words.txt``: English function words no other language shares.

spaCy's English stop words that are a stop word in none of the other languages
spaCy ships stop words for ("the", "that", "with", "they"; not "a", "in", "also",
"to", which Czech, German or Dutch share). ``tag/codable.py`` calls a segment
English without the language classifier when these are frequent in it.

    .venv/bin/python scripts/english_function_words.py
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import spacy
import spacy.lang
from spacy.lang.en.stop_words import STOP_WORDS

OUT = Path(__file__).parent.parent / "src/themegrid/segment/data/english_function_words.txt"


def other_languages_stop_words() -> tuple[set[str], list[str]]:
    words: set[str] = set()
    languages = []
    for module in pkgutil.iter_modules(spacy.lang.__path__):
        if not module.ispkg or module.name == "en":
            continue
        try:
            stop = importlib.import_module(f"spacy.lang.{module.name}.stop_words")
        except ImportError:  # a language without a stop-word list
            continue
        words.update(w.lower() for w in stop.STOP_WORDS)
        languages.append(module.name)
    return words, languages


def main() -> None:
    other, languages = other_languages_stop_words()
    only = sorted(w for w in STOP_WORDS if w.lower() not in other and w.isalpha())
    header = (
        "# English function words that no other language shares: spaCy's English stop words\n"
        f"# that are not a stop word of any of the {len(languages)} other languages spaCy\n"
        f"# {spacy.__version__} ships stop words for. Written by scripts/english_function_words.py;\n"
        "# read by themegrid.tag.codable (a segment where they are frequent is English).\n"
    )
    OUT.write_text(header + "\n".join(only) + "\n", encoding="utf-8")
    print(f"{len(only)} words -> {OUT}")


if __name__ == "__main__":
    main()
