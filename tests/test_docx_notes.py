""".docx footnotes and endnotes follow the body; line breaks inside a sentence join.

The test files are written as OOXML parts with zipfile (python-docx cannot make notes),
then read by the reader as any .docx.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from themegrid.read import read_document
from themegrid.read.docx import join_broken_lines
from themegrid.segment.units import segment_document
from themegrid.tag.nlp import shared_nlp

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml"
NCD = Path("../shared/devdata/ncd_federal_education_reports/pdf_docx")


def _p(inner: str) -> str:
    return f"<w:p>{inner}</w:p>"


def _r(text: str, *, bold: bool = False) -> str:
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>'


def _ref(kind: str, note_id: int) -> str:
    return f'<w:r><w:{kind}Reference w:id="{note_id}"/></w:r>'


def _notes(kind: str, notes: dict[int, list[str]]) -> str:
    body = "".join(
        f'<w:{kind} w:type="{t}" w:id="{i}"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
        for i, t in ((-1, "separator"), (0, "continuationSeparator"))
    )
    for note_id, paragraphs in notes.items():
        first, *rest = paragraphs
        mark = f"<w:r><w:{kind}Ref/></w:r>"
        body += f'<w:{kind} w:id="{note_id}">{_p(mark + _r(" " + first))}'
        body += "".join(_p(_r(t)) for t in rest) + f"</w:{kind}>"
    return f'<w:{kind}s xmlns:w="{W_NS}">{body}</w:{kind}s>'


def make_docx(
    path: Path,
    paragraphs: list[str],
    *,
    footnotes: dict[int, list[str]] | None = None,
    endnotes: dict[int, list[str]] | None = None,
) -> Path:
    """A .docx whose body is ``paragraphs`` (each the inner XML of a ``w:p``)."""
    parts = {"footnotes": footnotes, "endnotes": endnotes}
    overrides = (
        f'<Override PartName="/word/document.xml" ContentType="{DOC_TYPE}.document.main+xml"/>'
    )
    rels = ""
    for i, (kind, notes) in enumerate(parts.items()):
        if notes is not None:
            overrides += (
                f'<Override PartName="/word/{kind}.xml" ContentType="{DOC_TYPE}.{kind}+xml"/>'
            )
            rels += f'<Relationship Id="rId{i + 1}" Type="{R_NS}/{kind}" Target="{kind}.xml"/>'
    body = "".join(_p(p) for p in paragraphs)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f"{overrides}</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" '
            f'Type="{R_NS}/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/_rels/document.xml.rels",
            f'<Relationships xmlns="{RELS_NS}">{rels}</Relationships>',
        )
        z.writestr(
            "word/document.xml",
            f'<w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}"><w:body>{body}</w:body></w:document>',
        )
        for kind, notes in parts.items():
            if notes is not None:
                z.writestr(f"word/{kind}.xml", _notes(kind[:-1], notes))
    return path


def _unit_texts(path: Path) -> list[tuple[str | None, str]]:
    raw = read_document(path)
    return [(u.speaker, raw.text[u.start : u.end]) for u in raw.units]


REPORT = [
    _r("Charter schools serve fewer students with disabilities.") + _ref("endnote", 7),
    _r("States differ in how they fund services.") + _ref("footnote", 3) + _ref("endnote", 2),
    _r("Later the first source is cited again.") + _ref("endnote", 7),
]


def test_notes_follow_the_body_under_headings_numbered_as_cited(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "report.docx",
        REPORT,
        footnotes={3: ["A footnote on funding."]},
        endnotes={
            2: ["Second cited source, 2017."],
            7: ["First cited source.", "Its second paragraph."],
        },
    )
    raw = read_document(path)
    texts = [raw.text[u.start : u.end] for u in raw.units]
    assert texts[:3] == [
        "Charter schools serve fewer students with disabilities.",
        "States differ in how they fund services.",
        "Later the first source is cited again.",
    ]
    # id 7 is cited first, so it is [1]; a note's later paragraphs have no number
    assert texts[3:] == [
        "Footnotes",
        "[1] A footnote on funding.",
        "Endnotes",
        "[1] First cited source.",
        "Its second paragraph.",
        "[2] Second cited source, 2017.",
    ]
    assert raw.kind == "document"
    segments = segment_document(raw, shared_nlp())
    assert all(raw.text[s.start : s.end] == s.text for s in segments)
    assert [s.text for s in segments][-1] == "[2] Second cited source, 2017."


def test_a_reports_own_endnotes_heading_is_not_doubled(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "report.docx", [REPORT[0], _r("Endnotes")], endnotes={7: ["The source."]}
    )
    assert [t for _, t in _unit_texts(path)] == [
        "Charter schools serve fewer students with disabilities.",
        "Endnotes",
        "[1] The source.",
    ]


def test_a_note_is_nobodys_turn_in_a_bold_transcript(tmp_path: Path) -> None:
    turns = [
        _r("Interviewer:", bold=True) + _r(" How did the pilot start?"),
        _r("Dana Ruiz:", bold=True) + _r(" With two schools.") + _ref("endnote", 1),
        _r("Interviewer:", bold=True) + _r(" And then?"),
        _r("Dana Ruiz:", bold=True) + _r(" It grew to ten."),
    ]
    path = make_docx(tmp_path / "t.docx", turns, endnotes={1: ["The two were in Ohio."]})
    units = _unit_texts(path)
    assert units[-1] == (None, "[1] The two were in Ohio.")
    assert units[-3] == ("Dana Ruiz", "It grew to ten.")
    assert units[-2] == (None, "Endnotes")


def test_a_note_is_nobodys_turn_in_a_plain_label_transcript(tmp_path: Path) -> None:
    turns = [
        _r("Interviewer: How did the pilot start?"),
        _r("Dana: With two schools.") + _ref("endnote", 1),
        _r("Interviewer: And then?"),
        _r("Dana: It grew to ten."),
    ]
    path = make_docx(tmp_path / "t.docx", turns, endnotes={1: ["The two were in Ohio."]})
    assert read_document(path).kind == "interview"
    units = _unit_texts(path)
    assert units[-3:] == [
        ("Dana", "It grew to ten."),
        (None, "Endnotes"),
        (None, "[1] The two were in Ohio."),
    ]


BR = "<w:r><w:br/></w:r>"


def test_a_line_break_inside_a_sentence_joins_in_a_document(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "report.docx",
        [
            _r("Chapter 3: Access to Charter Schools") + BR + _r("and Their Enrollment"),
            _r("The state shall") + BR + _r("provide services.") + BR + _r("A new sentence."),
            _r("Three steps:") + BR + _r("- apply") + BR + _r("- enrol"),
        ],
    )
    raw = read_document(path)
    assert raw.kind == "document"
    units = [raw.text[u.start : u.end] for u in raw.units]
    assert units[0] == "Chapter 3: Access to Charter Schools and Their Enrollment"
    # the break after a sentence stays a line break (the paragraph is still one unit)
    assert units[1] == "The state shall provide services.\nA new sentence."
    assert units[2:] == ["Three steps:", "- apply", "- enrol"]


def test_line_breaks_between_turns_stay_in_a_transcript(tmp_path: Path) -> None:
    """Turns put in one paragraph with line breaks: each line is a speaker's turn."""
    path = make_docx(
        tmp_path / "t.docx",
        [
            _r("Interviewer: how did it go")
            + BR
            + _r("Dana: it went well and then")
            + BR
            + _r("Interviewer: and the second year")
            + BR
            + _r("Dana: better"),
        ],
    )
    raw = read_document(path)
    assert raw.kind == "interview"
    assert [u.speaker for u in raw.units] == ["Interviewer", "Dana", "Interviewer", "Dana"]


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("a line\ncut here", "a line cut here"),
        ("Ends here.\nNext", "Ends here.\nNext"),
        ("Asked: “why?”\nthen", "Asked: “why?”\nthen"),
        ("Steps\n1. one\n2. two", "Steps\n1. one\n2. two"),
        ("empty\n\nline", "empty\n\nline"),
        ("no breaks", "no breaks"),
    ],
)
def test_join_broken_lines(text: str, joined: str) -> None:
    assert join_broken_lines(text) == joined
    assert len(join_broken_lines(text)) == len(text)  # one character for one: offsets hold


def _ncd_docx() -> list[Path]:
    if not NCD.is_dir():
        pytest.skip("../shared/devdata is not here (CI has it beside the clone)")
    return sorted(NCD.glob("*.docx"))


def test_ncd_reports_keep_every_endnote_and_their_table_number() -> None:
    """The NCD reports cite 520 and 233 endnotes (as their PDF twins print); the
    vouchers report's first table caption numbers its table with a SEQ field."""
    counts = {}
    for path in _ncd_docx():
        text = read_document(path).text
        numbers = [int(n) for n in re.findall(r"(?m)^\[(\d+)\] ", text)]
        counts[path.name] = len(numbers)
        assert numbers == list(range(1, len(numbers) + 1))
        assert text.count("\n\nEndnotes\n\n") == 1
    assert counts == {"ncd-charter-schools-2018.docx": 520, "ncd-choice-vouchers-2018.docx": 233}
    vouchers = read_document(NCD / "ncd-choice-vouchers-2018.docx").text
    assert "Table 1 States with Choice Programs Designed Specifically" in vouchers


def test_block_content_controls_are_read_but_not_a_table_of_contents(tmp_path: Path) -> None:
    toc = (
        '<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/>'
        f"</w:docPartObj></w:sdtPr><w:sdtContent>{_p(_r('Contents') + '<w:r><w:tab/></w:r>' + _r('5'))}"
        "</w:sdtContent></w:sdt>"
    )
    control = f"<w:sdt><w:sdtPr/><w:sdtContent>{_p(_r('Inside a content control.'))}</w:sdtContent></w:sdt>"
    path = make_docx(tmp_path / "report.docx", [_r("Before.")])
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    document = parts["word/document.xml"].decode()
    parts["word/document.xml"] = (
        document.replace("<w:body>", f"<w:body>{toc}")
        .replace("</w:body>", f"{control}</w:body>")
        .encode()
    )
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert [t for _, t in _unit_texts(path)] == ["Before.", "Inside a content control."]
