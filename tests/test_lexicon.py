"""The speaker word lists in segment/data/: well-formed, and each one used."""

from __future__ import annotations

from importlib import resources

import pytest

from themegrid.segment import lexicon

DATA = resources.files("themegrid.segment").joinpath("data")
NAMES = sorted(p.name.removesuffix(".txt") for p in DATA.iterdir() if p.name.endswith(".txt"))


def test_every_data_file_is_documented_in_the_lexicon() -> None:
    assert NAMES
    for name in NAMES:
        assert f"``{name}.txt``" in (lexicon.__doc__ or "")


@pytest.mark.parametrize("name", NAMES)
def test_word_list_is_lower_case_and_without_duplicates(name: str) -> None:
    words = lexicon.word_list(name)
    assert words, f"{name}.txt is empty"
    assert len(words) == len(set(words)), f"{name}.txt lists a word twice"
    for word in words:
        assert word == word.casefold() == " ".join(word.split()), f"{name}.txt: {word!r}"


def test_comments_and_blank_lines_are_skipped() -> None:
    assert not any(w.startswith("#") or not w for n in NAMES for w in lexicon.word_list(n))
