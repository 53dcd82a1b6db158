"""Otter.ai exports: a turn's header ``Name  MM:SS`` on its own line (one or two spaces)."""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.read import read_document


@pytest.mark.parametrize("gap", [" ", "  "])
@pytest.mark.parametrize("trailing", ["", "  "])
def test_a_two_digit_minute_stays_in_the_timestamp(tmp_path: Path, gap: str, trailing: str) -> None:
    path = tmp_path / "otter.txt"
    path.write_text(
        f"A1{gap}12:00{trailing}\nHello there, how are you today?\n\n"
        f"Bob Smith{gap}12:45{trailing}\nI am fine, thanks for asking.\n",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert [(u.speaker, u.t_start) for u in doc.units] == [("A1", 720.0), ("Bob Smith", 765.0)]
    assert [doc.text[u.start : u.end] for u in doc.units] == [
        "Hello there, how are you today?",
        "I am fine, thanks for asking.",
    ]
