"""Bad and hostile REFI-QDA input: each is refused with a one-line message and nothing written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from test_refi_fixtures import build_project, fresh_project
from themegrid.cli import app
from themegrid.exchange.refi import Limits, RefiError, UnsafeArchive, import_qdc, import_qdpx
from themegrid.exchange.refi import importer as importer_module
from themegrid.store.connection import Store

SRC = "0f8fad5b-d9cb-469f-a165-70867728950e"
SEL = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
CODE = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
TEXT = "Café ☕ and funding problems."


def qde(
    *,
    end: int = len(TEXT),
    start: int = 0,
    prolog: str = "",
    root: str = "Project",
    ns: str = "urn:QDA-XML:project:1.0",
    name: str = "Study",
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>{prolog}
<{root} xmlns="{ns}" name="{name}">
  <CodeBook><Codes><Code guid="{CODE}" name="Funding" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="{SRC}" name="Interview" plainTextPath="internal://{SRC}.txt">
      <PlainTextSelection guid="{SEL}" startPosition="{start}" endPosition="{end}">
        <Coding guid="{CODE}"><CodeRef targetGUID="{CODE}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</{root}>
"""


def qdpx(
    path: Path,
    qde_text: str | None = None,
    extra: dict[str, bytes] | None = None,
    qde_name: str = "project.qde",
) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if qde_text is not None:
            zf.writestr(qde_name, qde_text.encode("utf-8"))
        zf.writestr(f"sources/{SRC}.txt", TEXT.encode("utf-8"))
        for name, data in (extra or {}).items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return path


def snapshot(project) -> tuple:
    files = sorted(p.name for p in project.codebook_dir.iterdir())
    if not project.store_path.exists():
        return files, None
    with Store(project.store_path) as store:
        tables = ("codes", "documents", "segments", "codings", "segment_views")
        counts = (
            *(store.scalar(f"SELECT COUNT(*) FROM {t}") for t in tables),
            store.scalar("SELECT COUNT(*) FROM runs WHERE failed IS NULL"),
        )
    return files, counts


def refused(project, path: Path, error=RefiError, **kwargs) -> str:
    before = snapshot(project)
    with pytest.raises(error) as err:
        import_qdpx(project, path, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    assert snapshot(project) == before
    return message


@pytest.fixture
def project(tmp_path: Path):
    return build_project(tmp_path / "proj")


def test_the_valid_file_used_below_imports(tmp_path: Path) -> None:
    summary = import_qdpx(fresh_project(tmp_path / "p"), qdpx(tmp_path / "ok.qdpx", qde()))
    assert summary.codings == 1
    assert summary.coders == ("unattributed",)  # no Users, no creatingUser


def test_source_whose_text_file_is_missing_is_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "nofile.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde())
    summary = import_qdpx(fresh_project(tmp_path / "p"), path)
    assert summary.documents == () and summary.codings == 0
    assert any("Interview" in s and "not inside the archive" in s for s in summary.skipped)


@pytest.mark.parametrize(
    "entry", ["../evil.txt", "sources/../../evil.txt", "/etc/evil", "C:\\evil.txt", "c:/evil.txt"]
)
def test_path_escaping_entries_are_refused(project, tmp_path: Path, entry: str) -> None:
    path = qdpx(tmp_path / "bad.qdpx", qde(), {entry: b"gotcha"})
    message = refused(project, path, UnsafeArchive)
    assert entry in message and "refused" in message
    assert not list(tmp_path.rglob("evil.txt"))


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE Project [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE Project [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
    ],
    ids=["external-entity", "billion-laughs"],
)
def test_doctype_and_entities_are_refused(project, tmp_path: Path, prolog: str) -> None:
    text = qde(prolog=prolog, name="&xxe;" if "xxe" in prolog else "&c;")
    message = refused(project, qdpx(tmp_path / "x.qdpx", text))
    assert "DOCTYPE or ENTITY" in message


def test_doctype_in_a_utf16_file_is_refused_after_parsing(project, tmp_path: Path) -> None:
    """UTF-16 hides the declaration from the byte scan; the parsed document info catches it."""
    text = qde(prolog='<!DOCTYPE Project [<!ENTITY e "boom">]>', name="&e;")
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "u.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", text.encode("utf-16"))
    assert "DOCTYPE or ENTITY" in refused(project, path)


def test_doctype_in_a_qdc_is_refused(project, tmp_path: Path) -> None:
    path = tmp_path / "evil.qdc"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE CodeBook [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        f'<Code guid="{CODE}" name="&x;" isCodable="true"/></Codes></CodeBook>'
    )
    with pytest.raises(RefiError, match="DOCTYPE"):
        import_qdc(project, path)


def test_high_compression_ratio_is_refused(project, tmp_path: Path) -> None:
    path = qdpx(tmp_path / "bomb.qdpx", qde())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sources/zeros.txt", b"\0" * (3 * 1024**2))
    message = refused(project, path, UnsafeArchive)
    assert "sources/zeros.txt" in message and "zip bomb" in message


def test_total_declared_size_over_the_limit_is_refused(project, tmp_path: Path) -> None:
    path = qdpx(tmp_path / "big.qdpx", qde())
    message = refused(project, path, UnsafeArchive, limits=Limits(max_total_bytes=200))
    assert "inflate to" in message and "limit 200" in message


def test_qde_larger_than_its_cap_is_refused(project, tmp_path: Path) -> None:
    message = refused(
        project, qdpx(tmp_path / "q.qdpx", qde()), UnsafeArchive, limits=Limits(max_xml_bytes=100)
    )
    assert "project.qde" in message and "limit 100" in message


def test_archive_without_qde(project, tmp_path: Path) -> None:
    assert "no project.qde" in refused(project, qdpx(tmp_path / "n.qdpx", None))


def test_not_a_zip(project, tmp_path: Path) -> None:
    path = tmp_path / "fake.qdpx"
    path.write_text("hello, I am not a zip")
    assert "not a zip archive" in refused(project, path)


@pytest.mark.parametrize(
    ("root", "ns", "expected"),
    [
        ("CodeBook", "urn:QDA-XML:codebook:1.0", "root element is <CodeBook>"),
        ("Project", "urn:example:other", "namespace urn:example:other"),
    ],
)
def test_xml_that_is_not_a_qda_project(
    project, tmp_path: Path, root: str, ns: str, expected: str
) -> None:
    message = refused(project, qdpx(tmp_path / "w.qdpx", qde(root=root, ns=ns)))
    assert expected in message and "urn:QDA-XML:project:1.0" in message


def test_qdc_with_a_project_root_is_refused(project, tmp_path: Path) -> None:
    path = tmp_path / "wrong.qdc"
    path.write_text(qde())
    with pytest.raises(RefiError, match=r"not a QDA-XML CodeBook file"):
        import_qdc(project, path)


def test_malformed_xml(project, tmp_path: Path) -> None:
    message = refused(project, qdpx(tmp_path / "m.qdpx", qde()[:-20]))
    assert "not well-formed XML" in message


@pytest.mark.parametrize(
    ("start", "end", "expected"), [(0, len(TEXT) + 5, "fall outside"), (10, 4, "after endPosition")]
)
def test_selection_outside_its_source(
    project, tmp_path: Path, start: int, end: int, expected: str
) -> None:
    message = refused(project, qdpx(tmp_path / "o.qdpx", qde(start=start, end=end)))
    assert expected in message
    assert "source 'Interview'" in message and SEL in message and "project.qde" in message
    assert "nothing was written" in message


def test_failure_while_writing_rolls_everything_back(project, tmp_path: Path, monkeypatch) -> None:
    path = qdpx(tmp_path / "ok.qdpx", qde())

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer_module._Writer, "_insert_codings", boom)
    before = snapshot(project)
    with pytest.raises(RuntimeError):
        import_qdpx(project, path)
    assert snapshot(project) == before
    with Store(project.store_path) as store:  # only the record that the run failed
        failed = [
            tuple(r)
            for r in store.query("SELECT command, failed FROM runs WHERE failed IS NOT NULL")
        ]
    assert failed == [("import qdpx", "RuntimeError: disk full")]


def test_cli_reports_bad_input_in_one_line(project, tmp_path: Path) -> None:
    path = qdpx(tmp_path / "o.qdpx", qde(end=999))
    result = CliRunner().invoke(app, ["import", "qdpx", str(path), "-p", str(project.root)])
    assert result.exit_code != 0
    text = result.output + str(result.exception or "")
    assert "fall outside" in text and "o.qdpx" in text
