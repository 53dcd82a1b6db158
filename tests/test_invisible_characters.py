"""A byte-order mark or zero-width space inside a word (the real NCD 2018 Markdown report's
heading 'S\\ufeffCOPE AND PURPOSE') is removed, so search and cues find the word."""

from __future__ import annotations

from pathlib import Path

from themegrid.read import read_document


def test_invisible_characters_inside_words_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes("Interviewer: Hi?\nRespondent: S\ufeffCOPE and pur\u200bpose.\n".encode())
    doc = read_document(path)
    assert "SCOPE and purpose." in doc.text and "\ufeff" not in doc.text
    assert any("invisible" in note for note in doc.repair_notes)
