"""Formats we do not read (.doc, .pages, .rtfd, ...): the message names the file and says how
to convert it, with the LibreOffice command line where LibreOffice can do it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

import office
from themegrid import api
from themegrid.errors import InputFileError
from themegrid.project import Project
from themegrid.read import read_document

DOCX = Path(__file__).parent / "data" / "rtf" / "interview.docx"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504  # an old Office file's first bytes


def message(path: Path, shown: str) -> str:
    with pytest.raises(InputFileError) as err:
        read_document(path, display_path=shown)
    text = str(err.value)
    assert text.startswith(f"{shown}: ") and "\n" not in text
    return text


def command_in(text: str) -> list[str]:
    m = re.search(r"\((soffice [^)]*)\)", text)
    assert m, text
    return shlex.split(m.group(1))


def test_doc_names_the_libreoffice_command(tmp_path: Path) -> None:
    path = tmp_path / "P4 Interview.doc"
    path.write_bytes(OLE)
    text = message(path, "corpus/site A/P4 Interview.doc")
    assert "old Word document" in text and "save it as .docx" in text
    assert command_in(text) == [
        "soffice",
        "--headless",
        "--convert-to",
        "docx",
        "--outdir",
        "corpus/site A",
        "corpus/site A/P4 Interview.doc",
    ]


@pytest.mark.parametrize(
    ("name", "says"),
    [("notes.pages", "File > Export To > Word"), ("notes.rtfd", "Rich Text Format (.rtf)")],
)
def test_apple_formats_say_how_to_export(tmp_path: Path, name: str, says: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04 not really")
    assert says in message(path, f"corpus/{name}")


def test_an_unknown_format_still_lists_what_we_read(tmp_path: Path) -> None:
    path = tmp_path / "a.xyz"
    path.write_bytes(b"x")
    text = message(path, "corpus/a.xyz")
    assert "unsupported file type '.xyz'" in text and ".rtf" in text and ".docx" in text


def test_ingest_warns_with_the_conversion(project: Project) -> None:
    (project.corpus_dir / "interviews" / "old.doc").write_bytes(OLE)
    summary = api.ingest(project)
    warning = next(w for w in summary.warnings if "old.doc" in w)
    assert warning.startswith("corpus/interviews/old.doc: skipped, not read")
    assert command_in(warning)[-1] == "corpus/interviews/old.doc"
    assert "old.doc" not in " ".join(summary.paths("added"))


@pytest.mark.slow
@pytest.mark.skipif(bool(office.missing("writer")), reason=str(office.missing("writer")))
def test_the_command_in_the_message_converts_the_file(tmp_path: Path) -> None:
    pytest.importorskip("docx", reason="python-docx (the 'docx' extra) is not installed")
    profile = f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}"
    folder = tmp_path / "corpus" / "site A"
    folder.mkdir(parents=True)
    subprocess.run(
        [
            "soffice",
            profile,
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(folder),
            str(DOCX),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    old = folder / "interview.doc"
    assert old.is_file()
    command = command_in(message(old, "corpus/site A/interview.doc"))
    subprocess.run(
        [command[0], profile, *command[1:]],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    converted = read_document(folder / "interview.docx")
    assert [u.speaker for u in converted.units][1:3] == ["Interviewer", "Participant"]
