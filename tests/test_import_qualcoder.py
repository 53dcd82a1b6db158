"""import qualcoder: a QualCoder project's codes, text sources and coded texts, read-only."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from themegrid import api
from themegrid.codebook import load_codebook
from themegrid.errors import ForeignProjectError
from themegrid.exchange.qualcoder import import_qualcoder, plan_qualcoder
from themegrid.project import init_project
from themegrid.store.connection import Store

# The tables of a QualCoder project an import reads (as QualCoder v3 creates them).
SCHEMA = """
CREATE TABLE project (databaseversion text, date text, memo text, about text, bookmarkfile integer,
  bookmarkpos integer, codername text, recently_used_codes text);
CREATE TABLE source (id integer primary key, name text, fulltext text, mediapath text, memo text,
  owner text, date text, av_text_id integer, risid integer, unique(name));
CREATE TABLE code_cat (catid integer primary key, name text, owner text, date text, memo text,
  supercatid integer, unique(name));
CREATE TABLE code_name (cid integer primary key, name text, memo text, catid integer, owner text,
  date text, color text, unique(name));
CREATE TABLE code_text (ctid integer primary key, cid integer, fid integer, seltext text,
  pos0 integer, pos1 integer, owner text, date text, memo text, avid integer, important integer);
CREATE TABLE attribute (attrid integer primary key, name text, attr_type text, value text,
  id integer, date text, owner text);
"""
TEXT = "Ärger über das Budget.\nZu wenig Personal 😟 im Team."


def make_project(folder: Path, version: str = "v11", bad_quote: bool = False) -> Path:
    folder.mkdir()
    conn = sqlite3.connect(folder / "data.qda")
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO project VALUES (?, '2024', '', '', 0, 0, 'ana', '')", (version,))
    conn.execute(
        "INSERT INTO source VALUES (1, 'i1.txt', ?, NULL, 'first', 'ana', '', NULL, NULL)", (TEXT,)
    )
    conn.execute(
        "INSERT INTO source VALUES (2, 'a.mp3', NULL, '/a.mp3', '', 'ana', '', NULL, NULL)"
    )
    conn.execute("INSERT INTO attribute VALUES (1, 'state', 'file', 'AZ', 1, '', 'ana')")
    conn.execute("INSERT INTO code_cat VALUES (1, 'Barriers', 'ana', '', 'Obstacles.', NULL)")
    conn.execute("INSERT INTO code_cat VALUES (2, 'Resources', 'ana', '', '', 1)")
    conn.execute(
        "INSERT INTO code_name VALUES (1, 'Money', 'Budget talk.', 2, 'ana', '', '#aa0000')"
    )
    conn.execute("INSERT INTO code_name VALUES (2, 'Staff', '', 1, 'ana', '', '#00aa00')")
    for ctid, cid, quote, owner in [(1, 1, "Budget", "ana"), (2, 2, "Personal 😟", "ben")]:
        start = TEXT.index(quote)
        stored = "wrong" if bad_quote and ctid == 2 else quote
        conn.execute(
            "INSERT INTO code_text VALUES (?, ?, 1, ?, ?, ?, ?, '', '', NULL, 0)",
            (ctid, cid, stored, start, start + len(quote), owner),
        )
    conn.commit()
    conn.close()
    return folder


def test_codes_sources_and_coded_texts(tmp_path: Path) -> None:
    qda = make_project(tmp_path / "study.qda")
    before = hashlib.sha256((qda / "data.qda").read_bytes()).hexdigest()
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    summary = import_qualcoder(project, qda)
    assert hashlib.sha256((qda / "data.qda").read_bytes()).hexdigest() == before
    assert summary.version == "v11" and summary.coded_texts == 2 and summary.quotes_matching == 2
    with Store(project.store_path) as store:
        rows = store.query(
            "SELECT substr(d.text, c.span_start + 1, c.span_end - c.span_start), c.code_id,"
            " c.coder, d.attributes, s.text FROM segments s"
            " JOIN codings c ON c.segment_id = s.id JOIN documents d ON d.id = s.document_id"
            " ORDER BY c.span_start"
        )
        segments = [r[0] for r in store.query("SELECT text FROM segments ORDER BY seq")]
    # the text is segmented as an ingested file (the two lines are one paragraph there);
    # each coded text is a span coding with its exact offsets on it
    assert segments == [TEXT]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        ("Budget", "barriers.resources.money", "ana", TEXT),
        ("Personal 😟", "barriers.staff", "ben", TEXT),
    ]
    assert '"state": "AZ"' in rows[0][3]
    book = load_codebook(project.codebook_dir)
    assert (
        not book.get("barriers").codable
        and book.get("barriers.resources.money").definition == "Budget talk."
    )
    assert any("audio, video or image" in s for s in summary.imported.skipped)


def test_a_quote_that_differs_is_reported_not_shifted(tmp_path: Path) -> None:
    plan, counted, matching, _ = plan_qualcoder(
        make_project(tmp_path / "b.qda", bad_quote=True) / "data.qda"
    )
    assert (counted, matching) == (2, 1)
    assert "coded text 2" in plan.skipped[0]
    assert [len(s.selections) for s in plan.sources] == [1]  # the one text source


def test_an_unknown_schema_version_is_named(tmp_path: Path) -> None:
    with pytest.raises(ForeignProjectError, match="schema version v99") as err:
        plan_qualcoder(make_project(tmp_path / "new.qda", version="v99"))
    assert "import qdpx" in str(err.value)
    other = tmp_path / "x.sqlite"
    sqlite3.connect(other).executescript("CREATE TABLE t (a);")
    with pytest.raises(ForeignProjectError, match="not a QualCoder project"):
        plan_qualcoder(other)


def test_a_fresh_template_project_gets_the_projects_codes(tmp_path: Path) -> None:
    project, _ = init_project(tmp_path / "proj")  # the packaged template, untouched
    template_ids = {c.id for c in load_codebook(project.codebook_dir).codes}
    summary = import_qualcoder(project, make_project(tmp_path / "study.qda"))
    assert summary.imported.template_replaced
    assert any("untouched template" in line for line in summary.lines())
    ids = {c.id for c in load_codebook(project.codebook_dir).codes}
    assert "barriers.resources.money" in ids and not (template_ids - {"barriers"}) & ids


def test_imported_documents_stay_present_when_the_corpus_is_read(tmp_path: Path) -> None:
    """QualCoder's sources live in the store only: reading corpus/ keeps them present."""
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    import_qualcoder(project, make_project(tmp_path / "study.qda"))
    summary = api.ingest(project)
    assert not [o for o in summary.outcomes if o.action == "missing"]
    with Store(project.store_path) as store:
        assert {r[0] for r in store.query("SELECT status FROM documents")} == {"present"}
