"""A file whose metadata.csv row says ``source_type=document review`` is read as paragraphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from themegrid.pipeline.ingest import ingest
from themegrid.project import init_project
from themegrid.read.metadata import is_document_review

CHARTER = Path(
    "../shared/devdata/ncd_federal_education_reports/pdf_docx/ncd-charter-schools-2018.docx"
)
LABELLED = "".join(
    f"Staff: The council's staff drafted section {i} of the report on charter schools.\n\n"
    f"Members: The members reviewed section {i} and asked for changes to it.\n\n"
    for i in range(4)
)


def speakers(root: Path, name: str, source_type: str, text: str) -> list[str | None]:
    project, _ = init_project(root)
    (project.corpus_dir / name).write_text(text, encoding="utf-8")
    (project.corpus_dir / "metadata.csv").write_text(
        f"file,state,source_type\n{name},AZ,{source_type}\n", encoding="utf-8"
    )
    with project.open_store() as store:
        ingest(project, store)
        rows = store.query(
            "SELECT s.speaker FROM segments s JOIN documents d ON d.id = s.document_id "
            "WHERE d.path = ? ORDER BY s.seq",
            (name,),
        )
    return [r[0] for r in rows]


def test_document_review_has_no_speakers(tmp_path: Path) -> None:
    got = speakers(tmp_path / "a", "minutes.txt", "Document Review", LABELLED)
    assert len(got) == 8 and set(got) == {None}
    # the same text as an interview keeps its speakers
    got = speakers(tmp_path / "b", "minutes.txt", "interview", LABELLED)
    assert set(got) == {"Staff", "Members"}


def test_is_document_review() -> None:
    assert is_document_review({"source_type": "document_review"})
    assert is_document_review({"source type": " Document-Review "})
    assert not is_document_review({"source_type": "interview"})
    assert not is_document_review({"type": "document review"})


@pytest.mark.skipif(not CHARTER.is_file(), reason="../shared/devdata (NCD reports) not present")
def test_real_charter_docx_as_document_review(tmp_path: Path) -> None:
    pytest.importorskip("docx")
    project, _ = init_project(tmp_path / "p")
    shutil.copy2(CHARTER, project.corpus_dir / CHARTER.name)
    (project.corpus_dir / "metadata.csv").write_text(
        f"file,source_type\n{CHARTER.name},document review\n", encoding="utf-8"
    )
    with project.open_store() as store:
        ingest(project, store)
        named = store.scalar("SELECT COUNT(*) FROM segments WHERE speaker IS NOT NULL")
        total = store.scalar("SELECT COUNT(*) FROM segments")
    assert named == 0 and total > 100
