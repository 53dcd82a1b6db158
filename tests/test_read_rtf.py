"""The .rtf reader: escapes, paragraphs, tables, what must not leak into the text, bad files.

``data/rtf/interview.rtf`` was written by LibreOffice 7.4 (``soffice --headless
--convert-to rtf interview.docx``) from ``data/rtf/interview.docx``, a python-docx
file with a heading, speaker turns with accents, an emoji and CJK, a line break,
a tab, a Speaker | Text table, and a header and a footer with a PAGE field.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

import pytest

import office
from themegrid.errors import InputFileError
from themegrid.models import RawDocument
from themegrid.read import read_document

DATA = Path(__file__).parent / "data" / "rtf"
DEVDATA = Path("../shared/devdata")


def turns(doc: RawDocument) -> list[tuple[str | None, str]]:
    return [(u.speaker, doc.text[u.start : u.end]) for u in doc.units]


def write_rtf(tmp_path: Path, body: str, name: str = "t.rtf", header: str = "") -> Path:
    path = tmp_path / name
    path.write_bytes(
        (
            "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss\\fcharset0 Arial;}"
            "{\\f1\\fcharset204 Arial Cyr;}}" + header + body + "}"
        ).encode("ascii")
    )
    return path


def test_libreoffice_rtf_reads_as_its_docx() -> None:
    pytest.importorskip("docx", reason="python-docx (the 'docx' extra) is not installed")
    rtf = read_document(DATA / "interview.rtf", display_path="interview")
    docx = read_document(DATA / "interview.docx", display_path="interview")
    assert rtf.format == "rtf" and rtf.kind == "interview"
    assert rtf.text == docx.text
    assert turns(rtf) == turns(docx)
    spoken = dict(turns(rtf)[1:3])
    assert spoken["Participant"] == "Sure. The budget was €5 000; Straße closed 😀 and 学校 opened."
    assert ("Participant", "Funding fell by a third.") in turns(rtf)  # the table row
    assert ("Interviewer", "What changed\nafter that?") in turns(rtf)  # \line


def test_headers_footers_and_field_codes_stay_out() -> None:
    text = read_document(DATA / "interview.rtf").text
    source = (DATA / "interview.rtf").read_text(encoding="ascii")
    assert "HEADER-TEXT" in source and "FOOTER-TEXT" in source and "fldinst" in source
    for leak in ("HEADER-TEXT", "FOOTER-TEXT", "PAGE", "Speaker", "Times New Roman", "Normal;"):
        assert leak not in text


def test_escapes_code_pages_and_unicode(tmp_path: Path) -> None:
    body = (
        "\\pard Caf\\'e9 na\\u239?ve \\uc0\\u55357\\u56832\\uc1  "
        "{\\f1 \\'cf\\'f0\\'e8\\'e2\\'e5\\'f2} "
        "\\{braces\\} back\\\\slash co\\-operation\\par "
        "Second\\line line\\tab tabbed \\ldblquote q\\rdblquote\\par"
    )
    doc = read_document(write_rtf(tmp_path, body))
    assert doc.text == (
        "Café naïve 😀 Привет {braces} back\\slash cooperation\n\nSecond\nline\ttabbed “q”"
    )


def test_destinations_lists_and_generated_fields_are_dropped(tmp_path: Path) -> None:
    body = (
        "{\\header \\pard HEADERWORDS\\par}{\\footer \\pard FOOTERWORDS\\par}"
        '{\\field{\\*\\fldinst { TOC \\\\o "1-3" }}{\\fldrslt \\pard Intro\\tab 3\\par'
        " \\pard Methods\\tab 5\\par}}"
        "\\pard Intro text{\\footnote \\pard FOOTNOTEWORDS}.\\par "
        "\\pard {\\listtext 1.\\tab}Listed point\\par "
        '\\pard See {\\field{\\*\\fldinst{HYPERLINK "https://example.org"}}'  # as Word writes it
        "{\\fldrslt{\\ul the site}}} now{\\*\\bkmkstart b1}.\\par"
    )
    doc = read_document(write_rtf(tmp_path, body))
    assert doc.text == "Intro text.\n\nListed point\n\nSee the site now."


def test_speaker_labels_as_in_a_text_file(tmp_path: Path) -> None:
    said = [
        ("Interviewer", "How did the pilot start?"),
        ("Respondent", "With three schools."),
        ("Interviewer", "What happened next?"),
        ("Respondent", "It grew to the whole district."),
    ]
    body = "".join(f"\\pard {who}: {what}\\par\n" for who, what in said)
    rtf = read_document(write_rtf(tmp_path, body))
    txt_path = tmp_path / "t.txt"
    txt_path.write_text("\n\n".join(f"{w}: {t}" for w, t in said), encoding="utf-8")
    assert turns(rtf) == turns(read_document(txt_path)) == said


def test_raw_8bit_text_in_the_declared_code_page(tmp_path: Path) -> None:
    path = tmp_path / "cyr.rtf"
    path.write_bytes(b"{\\rtf1\\ansi\\ansicpg1251 \\pard \xcf\xf0\xe8\xe2\xe5\xf2\\par}")
    assert read_document(path).text == "Привет"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"Just words, not RTF.", "is not an RTF file"),
        (b"{\\rtf1\\ansi \x00\x00\x01\x02\x00 binary", "binary data"),
        (b"{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\pard Interviewer: So the budget", "is cut off"),
    ],
)
def test_bad_rtf_one_line_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.rtf"
    path.write_bytes(content)
    with pytest.raises(InputFileError) as err:
        read_document(path, display_path="corpus/bad.rtf")
    message = str(err.value)
    assert message.startswith("corpus/bad.rtf: ") and expected in message
    assert "\n" not in message and "save it again" in message


def test_a_truncated_real_rtf_is_refused(tmp_path: Path) -> None:
    data = (DATA / "interview.rtf").read_bytes()
    cut = tmp_path / "cut.rtf"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputFileError, match="is cut off"):
        read_document(cut)


def test_rtf_saved_as_txt_is_told_to_rename(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes((DATA / "interview.rtf").read_bytes())
    with pytest.raises(InputFileError, match=r"an RTF file; rename it to \.rtf"):
        read_document(path)


def _convert(files: list[Path], out: Path) -> list[Path]:
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(out / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "rtf",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return [out / f"{f.stem}.rtf" for f in files]


def _same_share(original: RawDocument, rtf: RawDocument) -> float:
    a, b = Counter(turns(original)), Counter(turns(rtf))
    return sum((a & b).values()) / max(1, sum(a.values()))


@pytest.mark.slow
@pytest.mark.skipif(not DEVDATA.is_dir(), reason="../shared/devdata is absent")
@pytest.mark.skipif(bool(office.missing("writer")), reason=str(office.missing("writer")))
def test_real_files_saved_as_rtf_read_as_the_originals(tmp_path: Path) -> None:
    pytest.importorskip("odf", reason="odfpy (the 'odt' extra) is not installed")
    pytest.importorskip("docx", reason="python-docx (the 'docx' extra) is not installed")
    odts = sorted((DEVDATA / "serdif_usability_taguette/data/transcripts/raw").glob("*.odt"))
    docx = DEVDATA / "ncd_federal_education_reports/pdf_docx/ncd-choice-vouchers-2018.docx"
    assert odts and docx.is_file()
    for original, rtf in zip([*odts, docx], _convert([*odts, docx], tmp_path), strict=True):
        a = read_document(original, display_path="same")
        b = read_document(rtf, display_path="same")
        if original.suffix == ".odt":
            assert _same_share(a, b) == 1.0, original.name
            continue
        # The .docx reader adds the endnotes after the report's own "Endnotes" heading (the
        # RTF reader leaves notes out) and joins a line break inside a sentence (the RTF
        # keeps it, so there the paragraph is cut in two): the body's words are the same,
        # a SEQ field's number ("Table 1") too.
        notes = a.text.rindex("\n\nEndnotes\n\n") + len("\n\nEndnotes")
        words_a = " ".join(a.text[u.start : u.end] for u in a.units if u.start < notes).split()
        words_b = " ".join(b.text[u.start : u.end] for u in b.units).split()
        if words_a != words_b:
            ops = SequenceMatcher(None, words_a, words_b, autojunk=False).get_opcodes()
            first = next(op for op in ops if op[0] != "equal")
            raise AssertionError(
                f"{original.name}: {words_a[first[1] : first[2] + 3]} != "
                f"{words_b[first[3] : first[4] + 3]}"
            )


TEXTEDIT = (
    "{\\rtf1\\ansi\\ansicpg1252\\cocoartf2709\n"
    "\\cocoatextscaling0\\cocoaplatform0{\\fonttbl\\f0\\fswiss\\fcharset0 Helvetica;}\n"
    "{\\colortbl;\\red255\\green255\\blue255;}\n{\\*\\expandedcolortbl;;}\n"
    "\\paperw11900\\paperh16840\\margl1440\\margr1440\\vieww11520\\viewh8400\\viewkind0\n"
    "\\pard\\tx566\\tx1133\\pardirnatural\\partightenfactor0\n\n"
    "\\f0\\fs24 \\cf0 I: Wie sind Sie zu dem Projekt gekommen? #00:00:05-2#\\\n\\\n"
    "B: Das war eher Zufall, \\'fcber eine Kollegin. #00:00:35-8#\\\n\\\n"
    "I: Und wie ging es dann weiter? #00:00:40-1#\\\n\\\n"
    "B: Wir haben mit zwei Klassen angefangen, das war\\uc0\\u8217 s Anfang. #00:01:02-0#}"
)


def test_macos_textedit_rtf(tmp_path: Path) -> None:
    """TextEdit ends paragraphs with a backslash before the line break (an RTF ``\\par``)."""
    path = tmp_path / "textedit.rtf"
    path.write_text(TEXTEDIT, encoding="ascii")
    doc = read_document(path)
    assert [u.speaker for u in doc.units] == ["I", "B", "I", "B"]
    assert doc.text[doc.units[1].start : doc.units[1].end] == (
        "Das war eher Zufall, über eine Kollegin."
    )
    assert doc.text[doc.units[3].start : doc.units[3].end].endswith("das war’s Anfang.")
    assert [u.t_end for u in doc.units] == [5.2, 35.8, 40.1, 62.0]


WORD = (
    "{\\rtf1\\adeflang1025\\ansi\\ansicpg1252\\uc1\\adeff31507\\deff0"
    "{\\fonttbl{\\f0\\fbidi \\froman\\fcharset0\\fprq2{\\*\\panose 02020603050405020304}"
    "Times New Roman;}{\\f31506\\fbidi \\fswiss\\fcharset0\\fprq2 Calibri;}}"
    "{\\*\\rsidtbl \\rsid1052}{\\mmathPr\\mmathFont34\\mbrkBin0}"
    "{\\info{\\author Jane Researcher}{\\operator Jane}}"
    "{\\*\\xmlnstbl {\\xmlns1 http://schemas.microsoft.com/office/word/2003/wordml}}"
    "{\\*\\ftnsep \\ltrpar \\pard\\plain {\\insrsid1052 \\chftnsep \\par }}"
    "\\pard\\plain \\ltrpar\\ql \\li0\\ri0\\sa160\\itap0 \\f31506\\fs22\\lang1031 "
    "{\\b\\insrsid1052 Interviewer:}{\\insrsid1052  Wie war der Anfang?\\par }"
    "{\\insrsid1052 Befragte/r: Schwierig{\\cs15\\super\\chftn {\\footnote \\pard\\plain "
    "{\\insrsid1052 FOOTNOTE-TEXT}}}.\\par }"
    "\\trowd \\irow0\\irowband0\\ltrrow\\cellx4531\\cellx9062\\pard\\plain \\ltrpar\\intbl "
    "{\\insrsid1052 Interviewer}{\\insrsid1052 \\cell }{\\insrsid1052 Und dann?}"
    "{\\insrsid1052 \\cell }\\pard\\plain \\ltrpar\\intbl {\\insrsid1052 \\trowd \\irow0"
    "\\cellx4531\\cellx9062\\row }"
    "\\trowd \\irow1\\irowband1\\lastrow \\ltrrow\\cellx4531\\cellx9062\\pard\\plain \\ltrpar"
    "\\intbl {\\insrsid1052 Befragte/r}{\\insrsid1052 \\cell }{\\insrsid1052 Es wurde "
    "besser.\\par Viel besser.}{\\insrsid1052 \\cell }\\pard\\plain \\ltrpar\\intbl "
    "{\\insrsid1052 \\trowd \\irow1\\lastrow \\cellx4531\\cellx9062\\row }"
    "\\pard\\plain \\ltrpar\\ql {\\insrsid1052 Interviewer: Danke.\\par }"
    "{\\*\\themedata 504b030414000600080000002100e9de0fbfff0000001c020000130000005b436f6e}"
    "{\\*\\colorschememapping 3c3f786d6c2076657273696f6e3d22312e30}"
    "{\\*\\latentstyles\\lsdstimax376\\lsdlockeddef0{\\lsdlockedexcept \\lsdqformat1 Normal;}}"
    "{\\*\\datastore 0105000002000000180000004d73786d6c322e534158584d4c5265616465722e362e30}}"
)


def test_word_rtf_with_tables_footnotes_and_data_blocks(tmp_path: Path) -> None:
    path = tmp_path / "word.rtf"
    path.write_text(WORD, encoding="ascii")
    doc = read_document(path)
    assert turns(doc) == [
        ("Interviewer", "Wie war der Anfang?"),
        ("Befragte/r", "Schwierig."),
        ("Interviewer", "Und dann?"),
        ("Befragte/r", "Es wurde besser. Viel besser."),
        ("Interviewer", "Danke."),
    ]
    for leak in ("FOOTNOTE", "Jane", "504b", "Normal", "Calibri", "wordml"):
        assert leak not in doc.text


def test_a_docx_named_rtf_is_told_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "renamed.rtf"
    path.write_bytes((DATA / "interview.docx").read_bytes())
    with pytest.raises(InputFileError, match=r"not an RTF file: it looks like a zip archive"):
        read_document(path)


@pytest.mark.parametrize(
    ("charset", "escapes"),
    [
        ("\\mac", "Caf\\'8e na\\'95ve"),
        ("\\pc", "Caf\\'82 na\\'8bve"),
        ("\\ansi", "Caf\\'e9 na\\'efve"),
    ],
)
def test_old_mac_and_dos_character_sets(tmp_path: Path, charset: str, escapes: str) -> None:
    path = tmp_path / "old.rtf"
    path.write_text(
        f"{{\\rtf1{charset}\\deff0{{\\fonttbl{{\\f0\\fnil Geneva;}}}}\\pard {escapes}\\par}}"
    )
    assert read_document(path).text == "Café naïve"
