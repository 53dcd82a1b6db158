"""The words speaker labels are judged by, kept as data in ``segment/data/*.txt``.

Each file holds one word or phrase per line; blank lines and lines starting
with ``#`` are ignored. The files are read once (on first use) and never
edited at run time. Words are compared with label keys from
:func:`themegrid.segment.labels.normalise_speaker` (case-folded, spaces
collapsed), so they are written in lower case.

==============================  ================================================
file                            used for
==============================  ================================================
``role_words.txt``              roles (interviewer, respondent, Q, A, ...)
``interviewer_words.txt``       the interviewer's roles (interviewer, moderator, Q)
``cjk_role_words.txt``          Chinese roles, matched against the whole key
``the_roles.txt``               roles written with the article (``The CHAIRMAN.``)
``stop_words.txt``              headings and speech before a colon (``Note:``)
``titles.txt``                  titles inside a name (``Dr. Lee``)
``particles.txt``               particles inside a name (``Ana de la Cruz``)
``hearing_titles.txt``          titles of hearing-style labels (``Senator Lee.``)
``filler_words.txt``            back-channel and filler words (``tag/codable.py``)
``english_function_words.txt``  English-only function words (``tag/codable.py``;
                                written by ``scripts/english_function_words.py``)
==============================  ================================================
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources


@cache
def word_list(name: str) -> tuple[str, ...]:
    """The words of ``data/<name>.txt`` in file order (comments and blank lines skipped)."""
    text = resources.files("themegrid.segment").joinpath("data", f"{name}.txt")
    lines = (line.strip() for line in text.read_text(encoding="utf-8").splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


@cache
def word_set(name: str) -> frozenset[str]:
    """The words of ``data/<name>.txt`` as a set."""
    return frozenset(word_list(name))


def role_words() -> frozenset[str]:
    return word_set("role_words")


def interviewer_words() -> frozenset[str]:
    return word_set("interviewer_words")


def cjk_role_words() -> frozenset[str]:
    return word_set("cjk_role_words")


def the_roles() -> frozenset[str]:
    return word_set("the_roles")


def stop_words() -> frozenset[str]:
    return word_set("stop_words")


def titles() -> frozenset[str]:
    return word_set("titles")


def particles() -> frozenset[str]:
    return word_set("particles")


def hearing_titles_pattern() -> str:
    """A regex alternation of the hearing titles, case-insensitive (``(?i:mr|...|vice[ \\t]+chair|...)``)."""
    alternatives = (
        "[ \\t]+".join(re.escape(w) for w in t.split()) for t in word_list("hearing_titles")
    )
    return "(?i:" + "|".join(alternatives) + ")"


@lru_cache(maxsize=1 << 16)
def names_interviewer(key: str) -> bool:
    """Whether a label key (see ``normalise_speaker``) names the interviewer.

    The key without trailing digits is an interviewer word, or it has several
    words and one of them, longer than three letters, is one (``lead interviewer``).
    Cached, as :func:`is_role_word`: asked for every turn, of a few labels.
    """
    base = re.sub(r"\d+$", "", key).strip()
    words = interviewer_words()
    if base in words:
        return True
    parts = re.findall(r"[^\W\d_]+", base)
    return len(parts) > 1 and any(w in words and len(w) > 3 for w in parts)


@lru_cache(maxsize=1 << 16)
def is_role_word(key: str) -> bool:
    """Whether a label key is a role word (trailing digits ignored) or a Chinese role."""
    base = re.sub(r"\d+$", "", key).strip()
    return base in role_words() or key in cjk_role_words()


@cache
def english_word_forms() -> dict[str, str]:
    """English word form -> lemma from spacy-lookups-data's lemma table, read without
    importing spaCy; every lemma is also listed as its own form ("ideas" and "idea" both
    map to "idea"). The one test of "is this an English word" (cue capitals, code typos)."""
    import gzip
    import json
    from pathlib import Path

    import spacy_lookups_data

    path = Path(str(spacy_lookups_data.en["lemma_lookup"]))
    if not path.exists():  # the package ships the table gzipped under the .json name + .gz
        path = path.with_name(path.name + ".gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        table: dict[str, str] = json.load(fh)
    return {**{lemma: lemma for lemma in table.values()}, **table}
