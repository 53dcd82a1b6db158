""".odt headings and a usability session's task prompts are nobody's turn."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from themegrid.read import read_document

pytest.importorskip("odf", reason="odfpy (the 'odt' extra) is not installed")

SERDIF = Path("../shared/devdata/serdif_usability_taguette/data/transcripts/raw")


def make_odt(path: Path, paragraphs: list[tuple[str, str]]) -> Path:
    """Paragraphs as (kind, text): kind "p" plain, "h" a text:h, "styled" a paragraph in
    an automatic style based on the "Heading 2" style."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Style
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.styles.addElement(Style(name="Heading_20_2", displayname="Heading 2", family="paragraph"))
    styled = Style(name="P7", family="paragraph", parentstylename="Heading_20_2")
    doc.automaticstyles.addElement(styled)
    for kind, text in paragraphs:
        if kind == "h":
            doc.text.addElement(H(outlinelevel=2, text=text))
        elif kind == "styled":
            doc.text.addElement(P(stylename=styled, text=text))
        else:
            doc.text.addElement(P(text=text))
    doc.save(str(path))
    return path


def _units(path: Path) -> list[tuple[str | None, str]]:
    doc = read_document(path)
    assert doc.kind == "interview"
    return [(u.speaker, doc.text[u.start : u.end]) for u in doc.units]


SESSION = [
    ("p", "Task 1: Read the home tab information."),
    ("p", "P2: Okay, I read this and the text is clear to me."),
    ("p", "MODERATOR: Was it enough for you?"),
    ("p", "P2: Yes, it was enough, I think."),
    ("p", "Task 2: Log in with the credentials provided."),
    ("p", "P2: Now I am going to log in with them."),
    ("p", "MODERATOR: Fine."),
    ("styled", "Explain the choices you make"),
    ("p", "P2: I select definite events in Dublin."),
    ("p", "MODERATOR: Why Dublin?"),
    ("styled", "Wrap-up"),
    ("p", "Thanks for your time, we are all done."),
]


def test_task_prompts_and_heading_styles_are_no_turn(tmp_path: Path) -> None:
    units = _units(make_odt(tmp_path / "session.odt", SESSION))
    assert units == [
        (None, "Task 1: Read the home tab information."),
        ("P2", "Okay, I read this and the text is clear to me."),
        ("MODERATOR", "Was it enough for you?"),
        ("P2", "Yes, it was enough, I think."),
        (None, "Task 2: Log in with the credentials provided."),  # not a speaker "Task 2"
        ("P2", "Now I am going to log in with them."),
        ("MODERATOR", "Fine."),  # the heading after it is not the moderator's words
        (None, "Explain the choices you make"),
        ("P2", "I select definite events in Dublin."),
        ("MODERATOR", "Why Dublin?"),
        (None, "Wrap-up"),
        # an unlabelled paragraph after a heading goes on the turn before it, as after a turn
        ("MODERATOR", "Thanks for your time, we are all done."),
    ]


def test_outline_numbered_prompts_and_a_text_h(tmp_path: Path) -> None:
    paragraphs = [
        ("h", "Session one"),
        ("p", "1 Read the home tab information."),
        ("p", "Ana: I read it, it is clear."),
        ("p", "Moderator: Anything missing?"),
        ("p", "1.a Was the information enough for you?"),
        ("p", "Ana: It was enough for me."),
        ("p", "1.b If not, what would you add?"),
        ("p", "Ana: Nothing."),
        ("p", "Moderator: Good."),
    ]
    units = _units(make_odt(tmp_path / "s.odt", paragraphs))
    heads = [t for s, t in units if s is None]
    assert heads == [
        "Session one",
        "1 Read the home tab information.",
        "1.a Was the information enough for you?",
        "1.b If not, what would you add?",
    ]
    assert ("Moderator", "Anything missing?") in units


def test_a_speakers_numbered_list_stays_in_the_turn(tmp_path: Path) -> None:
    """``1. We ...`` (with its period) is someone's list; two outline-numbered paragraphs
    are too few to be a session's prompts."""
    paragraphs = [
        ("p", "Interviewer: What changed?"),
        ("p", "Dana: Three things."),
        ("p", "1. We hired two aides."),
        ("p", "2 Schools opened a second room."),
        ("p", "3 Parents came more often."),
        ("p", "Interviewer: And then?"),
        ("p", "Dana: It grew."),
    ]
    units = _units(make_odt(tmp_path / "list.odt", paragraphs))
    assert all(s is not None for s, _ in units)
    dana = next(t for s, t in units if s == "Dana")
    assert dana.startswith("Three things.") and dana.endswith("Parents came more often.")


def test_serdif_sessions_prompts_are_paragraphs_of_their_own() -> None:
    """The 17 SERDIF think-aloud sessions print each task as an outline-numbered
    paragraph; none is joined to the words around it, and none has a speaker."""
    files = sorted(SERDIF.glob("*.odt")) if SERDIF.is_dir() else []
    if not files:
        pytest.skip("../shared/devdata is not here (CI has it beside the clone)")
    prompt = re.compile(r"(?:\d{1,2}(?:\.[a-z]{1,4})?|[a-z]{1,2}\.[ivx]{1,5})[ \t]+[A-Z‘“'\"(]")
    total = 0
    for path in files:
        doc = read_document(path)
        texts = [(u.speaker, doc.text[u.start : u.end]) for u in doc.units]
        prompts = [(s, t) for s, t in texts if prompt.match(t)]
        assert all(s is None and "\n" not in t for s, t in prompts), path.name
        total += len(prompts)
    assert total > 17 * 10
