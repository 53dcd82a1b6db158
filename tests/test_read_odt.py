"""The .odt reader: paragraphs, headings, spaces and tabs from ODF elements, exact offsets."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from themegrid.errors import InputFileError
from themegrid.read import read_document

odf = pytest.importorskip("odf", reason="odfpy (the 'odt' extra) is not installed")

DEVDATA = Path("../shared/devdata/serdif_usability_taguette/data/transcripts/raw")


def make_odt(path: Path) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P, S, Tab

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Task 1"))
    p = P(text="Interviewer: How was it?")
    doc.text.addElement(p)
    q = P(text="Participant:")
    q.addElement(S(c=3))
    q.addText("Fine,")
    q.addElement(Tab())
    q.addText("thanks.")
    doc.text.addElement(q)
    doc.save(str(path))
    return path


def test_paragraphs_spaces_and_tabs(tmp_path: Path) -> None:
    doc = read_document(make_odt(tmp_path / "t.odt"))
    assert doc.format == "odt"
    assert "Participant:   Fine,\tthanks." in doc.text
    assert doc.text.startswith("Task 1\n\n")
    assert [doc.text[u.start : u.end].strip() for u in doc.units][-1].endswith("thanks.")


def test_not_an_odt(tmp_path: Path) -> None:
    bad = tmp_path / "x.odt"
    bad.write_text("plain words", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"not a valid \.odt"):
        read_document(bad)


def _with_entity(odt: Path, out: Path, doctype: str) -> Path:
    """A copy of ``odt`` whose content.xml declares ``doctype`` and uses its entity ``&e;``."""
    with zipfile.ZipFile(odt) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "content.xml":
                text = data.decode("utf-8")
                end = text.index("?>") + 2 if text.startswith("<?xml") else 0
                text = text[:end] + doctype + text[end:].replace("Fine,", "&e;", 1)
                data = text.encode("utf-8")
            dst.writestr(info, data)
    return out


@pytest.mark.parametrize("kind", ["entity", "bomb", "external"])
def test_an_odt_declaring_a_doctype_is_refused_unread(tmp_path: Path, kind: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-ON-THIS-COMPUTER", encoding="utf-8")
    doctype = {
        "entity": '<!DOCTYPE office:document-content [<!ENTITY e "INJECTED-BY-ENTITY">]>',
        "bomb": '<!DOCTYPE office:document-content [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcd", "bcde", strict=True)
        )
        + "]>",
        "external": f'<!DOCTYPE office:document-content [<!ENTITY e SYSTEM "{secret.as_uri()}">]>',
    }[kind]
    plain = make_odt(tmp_path / "plain.odt")
    assert "Fine," in read_document(plain).text  # the untouched copy reads
    bad = _with_entity(plain, tmp_path / "bad.odt", doctype)
    with pytest.raises(InputFileError, match=r"content\.xml' declares an XML DOCTYPE") as caught:
        read_document(bad)
    assert "bad.odt" in str(caught.value)


@pytest.mark.skipif(not DEVDATA.is_dir(), reason="../shared/devdata is absent")
@pytest.mark.slow
def test_the_real_usability_transcripts_read() -> None:
    files = sorted(DEVDATA.glob("*.odt"))
    assert files
    for f in files:
        doc = read_document(f)
        assert doc.units and all(0 <= u.start < u.end <= len(doc.text) for u in doc.units)
