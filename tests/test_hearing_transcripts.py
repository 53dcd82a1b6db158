"""Stenographic hearing transcripts: margin line numbers and page numbers go, role labels are speakers."""

from __future__ import annotations

from pathlib import Path

from themegrid.read import read_document
from themegrid.read.text import strip_line_numbers

PAGE_1 = [
    "UNITED STATES SENATE",
    "",
    "SENATOR SMITH:  Good morning.  The committee",
    "will come to order.",
    "MR. JONES:  Thank you, Senator.  I am glad",
    "to be here today.",
    "SENATOR SMITH:  Please begin your statement.",
    "MR. JONES:  Schools need more funding for",
    "special education teachers.",
    "SENATOR LEE:  How much more?",
    "MR. JONES:  About twice what they get.",
]
PAGE_2 = ["SENATOR SMITH:  Thank you.", "MS. PARK:  Thank you for having me."]


def hearing() -> str:
    out = []
    for page, lines in enumerate((PAGE_1, PAGE_2), 1):
        out.append(f"{' ' * 50}{page}")
        out += [f"{n:>2}          {line}".rstrip() for n, line in enumerate(lines, 1)]
    return "\n".join(out) + "\n"


def test_numbers_go_and_speakers_come(tmp_path: Path) -> None:
    path = tmp_path / "hearing.txt"
    path.write_text(hearing(), encoding="utf-8")
    doc = read_document(path)
    turns = [(u.speaker, " ".join(doc.text[u.start : u.end].split())) for u in doc.units]
    assert turns[1:4] == [
        ("SENATOR SMITH", "Good morning. The committee will come to order."),
        ("MR. JONES", "Thank you, Senator. I am glad to be here today."),
        ("SENATOR SMITH", "Please begin your statement."),
    ]
    assert turns[-1] == ("MS. PARK", "Thank you for having me.")
    assert not any(t[:1].isdigit() for _, t in turns)
    assert any("line numbers" in n for n in doc.repair_notes)
    assert "UNITED STATES SENATE" in doc.text


def test_ordinary_text_with_numbers_is_left_alone() -> None:
    text = "\n".join(
        f"{n} students said yes in district {n * 3}" for n in (4, 9, 2, 17, 5, 8, 1, 30, 12, 6, 3)
    )
    assert strip_line_numbers(text) is None
