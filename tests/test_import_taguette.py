"""import taguette: documents, tags and highlights from a Taguette database, read-only, exact quotes."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from themegrid.cli import app
from themegrid.codebook import load_codebook
from themegrid.errors import ForeignProjectError
from themegrid.exchange.taguette import import_taguette, plan_taguette
from themegrid.project import init_project
from themegrid.store.connection import Store

DEVDATA = Path(
    "../shared/devdata/serdif_usability_taguette/data/transcripts/thematic-analysis/"
    "SERDIF_P2_ThematicAnalysis.sqlite3"
)

# The tables of Taguette's schema (revision 09c662cd9483) that an import reads.
SCHEMA = """
CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,
  created DATETIME NOT NULL);
CREATE TABLE project_members (project_id INTEGER, user_login TEXT, privileges TEXT);
CREATE TABLE documents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL,
  filename TEXT NOT NULL, created DATETIME NOT NULL, project_id INTEGER NOT NULL,
  text_direction TEXT NOT NULL, contents TEXT NOT NULL);
CREATE TABLE commands (id INTEGER PRIMARY KEY, date DATETIME NOT NULL, user_login TEXT NOT NULL,
  project_id INTEGER NOT NULL, document_id INTEGER, payload TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, path TEXT NOT NULL,
  description TEXT NOT NULL);
CREATE TABLE highlights (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL,
  start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL, snippet TEXT NOT NULL);
CREATE TABLE highlight_tags (highlight_id INTEGER NOT NULL, tag_id INTEGER NOT NULL);
CREATE TABLE alembic_version (version_num TEXT NOT NULL);
INSERT INTO alembic_version VALUES ('09c662cd9483');
INSERT INTO projects VALUES (1, 'Pilot', '', '2022-01-01');
INSERT INTO project_members VALUES (1, 'ana', 'ADMIN'), (1, 'ben', 'ADMIN');
"""

HTML = "<p>Caf&eacute; \u2018talk\u2019 first.</p>\n<p>Then the <b>budget</b> &amp; staff.</p>"
TEXT = "Café \u2018talk\u2019 first.\nThen the budget & staff."


def byte_span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    b = len(text[:start].encode())
    return b, b + len(quote.encode())


def make_db(path: Path, *, bad_snippet: bool = False) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    conn.execute(
        "INSERT INTO documents VALUES (1, 'p1.odt', '', 'p1.odt', '2022', 1, 'LEFT_TO_RIGHT', ?)",
        (HTML,),
    )
    conn.executemany(
        "INSERT INTO tags VALUES (?, 1, ?, ?)",
        [(1, "talk", "Talking."), (2, "barriers.money", "Money."), (3, "barriers.people", "")],
    )
    highlights = [
        (1, "\u2018talk\u2019", [1]),  # after 'é' (2 bytes): byte and character offsets differ
        (2, "budget & staff", [2, 3]),  # two tags: two codings
    ]
    for hid, quote, tags in highlights:
        start, end = byte_span(TEXT, quote)
        snippet = "<p>wrong words</p>" if bad_snippet and hid == 2 else quote.replace("&", "&amp;")
        conn.execute("INSERT INTO highlights VALUES (?, 1, ?, ?, ?)", (hid, start, end, snippet))
        conn.executemany("INSERT INTO highlight_tags VALUES (?, ?)", [(hid, t) for t in tags])
    conn.execute(
        "INSERT INTO commands VALUES (1, '2022', 'ben', 1, 1, "
        '\'{"type": "highlight_add", "highlight_id": 2, "tags": [2, 3]}\')'
    )
    conn.commit()
    conn.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_highlights_keep_exact_quotes_by_their_user(tmp_path: Path) -> None:
    db = make_db(tmp_path / "t.sqlite3")
    before = digest(db)
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    summary = import_taguette(project, db)
    assert digest(db) == before  # read-only
    assert summary.highlights == 2 and summary.quotes_matching == 2 and summary.tag_links == 3
    with Store(project.store_path) as store:
        doc_text = store.scalar("SELECT text FROM documents")
        assert doc_text == TEXT
        rows = store.query(
            'SELECT s.start, s."end", s.text, c.code_id, c.coder FROM segments s '
            "JOIN codings c ON c.segment_id = s.id WHERE c.source = 'human' ORDER BY s.start, c.code_id"
        )
    got = [(r[2], r[3], r[4]) for r in rows]
    assert got == [
        ("\u2018talk\u2019", "talk", "unattributed"),  # no command, two members: not guessed
        ("budget & staff", "barriers.money", "ben"),
        ("budget & staff", "barriers.people", "ben"),
    ]
    assert all(TEXT[r[0] : r[1]] == r[2] for r in rows)
    book = load_codebook(project.codebook_dir)
    assert not book.get("barriers").codable and book.get("barriers.money").definition == "Money."


def test_a_quote_that_differs_is_reported_not_shifted(tmp_path: Path) -> None:
    plan, checks = plan_taguette(make_db(tmp_path / "bad.sqlite3", bad_snippet=True))
    assert [c.matches for c in checks] == [True, False]
    assert "highlight 2" in plan.skipped[0] and "differs" in plan.skipped[0]
    assert [len(s.selections) for s in plan.sources] == [1]


def test_a_file_that_is_not_a_taguette_database(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite3"
    text.write_text("just some notes", encoding="utf-8")
    with pytest.raises(ForeignProjectError, match="not an SQLite database"):
        plan_taguette(text)
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.executescript(
        "CREATE TABLE alembic_version (version_num TEXT); INSERT INTO alembic_version VALUES ('zz9');"
        "CREATE TABLE documents (id INTEGER, name TEXT);"
    )
    conn.close()
    with pytest.raises(ForeignProjectError) as err:
        plan_taguette(other)
    message = str(err.value)
    assert "not a Taguette database" in message and "zz9" in message
    assert "documents.contents" in message and "table highlights" in message
    result = CliRunner().invoke(app, ["import", "taguette", str(other), "-p", str(tmp_path)])
    assert result.exit_code == 1


@pytest.mark.skipif(
    not DEVDATA.exists(), reason="../shared/devdata (the real Taguette project) is absent"
)
def test_the_real_taguette_project(tmp_path: Path) -> None:
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    before = digest(DEVDATA)
    summary = import_taguette(project, DEVDATA)
    assert digest(DEVDATA) == before
    src = sqlite3.connect(f"file:{DEVDATA.resolve()}?mode=ro", uri=True)
    highlights = src.execute("SELECT COUNT(*) FROM highlights").fetchone()[0]
    links = src.execute("SELECT COUNT(*) FROM highlight_tags").fetchone()[0]
    documents = src.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    src.close()
    assert summary.highlights == highlights and summary.quotes_matching == highlights
    with Store(project.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == links
        assert store.scalar("SELECT COUNT(*) FROM documents") == documents


def test_a_fresh_template_project_gets_the_files_codes_not_the_examples(tmp_path: Path) -> None:
    project, _ = init_project(tmp_path / "proj")  # the packaged template, untouched
    template = load_codebook(project.codebook_dir)
    summary = import_taguette(project, make_db(tmp_path / "t.sqlite3"))
    assert summary.imported.template_replaced
    assert any("untouched template" in line for line in summary.lines())
    book = load_codebook(project.codebook_dir)
    assert {c.id for c in book.codes} == {"talk", "barriers", "barriers.money", "barriers.people"}
    examples = {c.id for c in template.codes} - {"barriers"}  # 'barriers' is also a tag path
    assert examples and not examples & {c.id for c in book.codes}
    with Store(project.store_path) as store:
        active = {r[0] for r in store.query("SELECT id FROM codes WHERE active = 1")}
    assert active == {c.id for c in book.codes}


def test_an_edited_codebook_is_never_replaced(tmp_path: Path) -> None:
    project, _ = init_project(tmp_path / "proj")
    main = project.codebook_dir / "codebook.yaml"
    main.write_text(main.read_text(encoding="utf-8") + "# my note\n", encoding="utf-8")
    before = main.read_bytes()
    summary = import_taguette(project, make_db(tmp_path / "t.sqlite3"))
    assert not summary.imported.template_replaced and main.read_bytes() == before
    book = load_codebook(project.codebook_dir)
    assert "barriers.funding" in book and "barriers.money" in book
