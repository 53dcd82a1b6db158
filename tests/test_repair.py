"""Decoding bytes and repairing text: encodings, line endings, mojibake."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from themegrid.errors import InputFileError
from themegrid.read.repair import decode_bytes, repair_text

SEED_003 = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "003_1e5f47c5386aa109.txt"


def test_utf8_fast_path_and_bom() -> None:
    assert decode_bytes("naïve café".encode(), "a.txt") == ("naïve café", [])
    assert decode_bytes("\ufeffhello".encode(), "a.txt") == ("hello", [])


def test_windows_1252_is_detected_and_noted() -> None:
    data = ("Naïve café – “quoted” résumé, façade.\n" * 3).encode("cp1252")
    text, notes = decode_bytes(data, "a.txt")
    assert text.startswith("Naïve café – “quoted”")
    assert notes == ["decoded as windows-1252"]


def test_latin1_german_text() -> None:
    data = ("Überprüfung der Maßnahmen für Schüler.\n" * 3).encode("latin-1")
    text, notes = decode_bytes(data, "a.txt")
    assert "Überprüfung der Maßnahmen" in text
    assert notes and notes[0].startswith("decoded as")


def test_utf16_with_bom() -> None:
    text, notes = decode_bytes("Interviewer: hello".encode("utf-16"), "a.txt")
    assert text == "Interviewer: hello"
    assert notes == ["decoded as UTF-16"]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x00\x01\x02\x03garbage\x00\xff\xfe\x00\x10" * 20, "binary"),
        (b"PK\x03\x04rest-of-a-zip", "zip archive"),
        (b"%PDF-1.7\n...", "PDF"),
    ],
)
def test_binary_data_is_rejected_naming_the_file(data: bytes, fragment: str) -> None:
    with pytest.raises(InputFileError) as err:
        decode_bytes(data, "corpus/notes.txt")
    message = str(err.value)
    assert message.startswith("corpus/notes.txt: ")
    assert fragment in message
    assert "\n" not in message


def test_line_endings_and_nfc() -> None:
    text, notes = repair_text("a\r\nb\rc\n" + unicodedata.normalize("NFD", "é"))
    assert text == "a\nb\nc\né"
    assert notes == []


def test_ascii_text_is_untouched() -> None:
    assert repair_text("plain text\nonly") == ("plain text\nonly", [])


def test_cp1252_mojibake_is_repaired_on_its_lines_only() -> None:
    good = "The café said – it’s naïve."
    broken = good.encode("utf-8").decode("cp1252")
    text = f"First line is fine.\n{broken}\nSo is “this” one — curly quotes stay.\n{broken}"
    repaired, notes = repair_text(text)
    assert repaired.split("\n") == [
        "First line is fine.",
        good,
        "So is “this” one — curly quotes stay.",
        good,
    ]
    assert len(notes) == 1
    assert notes[0].startswith("repaired mojibake on 2 lines (line 2, 4)")


def test_latin1_mojibake_is_repaired() -> None:
    broken = "Señora Muñoz, résumé".encode().decode("latin-1")
    repaired, notes = repair_text(broken)
    assert repaired == "Señora Muñoz, résumé"
    assert "repaired mojibake on 1 line" in notes[0]


def test_replacement_characters_are_flagged() -> None:
    _, notes = repair_text("ok line\nbroken \ufffd\ufffd line")
    assert len(notes) == 1
    assert notes[0].startswith("warning: characters were lost")
    assert "line 2" in notes[0]


def test_legitimate_accents_are_not_flagged() -> None:
    text = "São Paulo, Zürich, Ærø, œuvre, naïve — « très bien »"
    assert repair_text(text) == (text, [])


@pytest.mark.skipif(not SEED_003.exists(), reason="shared/seeds not beside the repository")
def test_seed_003_gbk_mojibake_is_flagged_not_invented() -> None:
    """GBK bytes read as Latin-1: ftfy cannot repair this, so we must say so."""
    text, decode_notes = decode_bytes(SEED_003.read_bytes(), "003.txt")
    repaired, notes = repair_text(text)
    assert decode_notes == []
    assert "¿ì²¥ÊÓÆµ" in repaired
    warnings = [n for n in notes if n.startswith("warning: ")]
    assert len(warnings) == 1
    assert "line 1" in warnings[0]
    assert "¿ì²¥ÊÓÆµ" in warnings[0]
