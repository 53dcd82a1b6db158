"""import taguette: documents, tags and highlights from a Taguette database, read-only, exact quotes."""

from __future__ import annotations

import hashlib
import html
import re
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

# Taguette's schema at revision 09c662cd9483 (Taguette 1.x), as in the devdata project's file:
# the tables, columns, keys and constraints an import reads.
SCHEMA = """
CREATE TABLE users (login VARCHAR(30) NOT NULL, created DATETIME NOT NULL,
  hashed_password VARCHAR(120), password_set_date DATETIME, language VARCHAR(10),
  email VARCHAR(256), email_sent DATETIME, CONSTRAINT pk_users PRIMARY KEY (login));
CREATE TABLE projects (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL,
  description TEXT NOT NULL, created DATETIME NOT NULL);
CREATE TABLE project_members (project_id INTEGER NOT NULL, user_login VARCHAR(30) NOT NULL,
  privileges VARCHAR(11) NOT NULL, CONSTRAINT pk_project_members PRIMARY KEY (project_id, user_login),
  FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE,
  FOREIGN KEY(user_login) REFERENCES users (login) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE documents (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL,
  description TEXT NOT NULL, filename VARCHAR(200) NOT NULL, created DATETIME NOT NULL,
  project_id INTEGER NOT NULL, text_direction VARCHAR(13) NOT NULL, contents TEXT NOT NULL,
  FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE);
CREATE TABLE commands (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, date DATETIME NOT NULL,
  user_login VARCHAR(30) NOT NULL, project_id INTEGER NOT NULL, document_id INTEGER,
  payload TEXT NOT NULL, FOREIGN KEY(user_login) REFERENCES users (login) ON UPDATE CASCADE,
  FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE);
CREATE TABLE tags (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL,
  path VARCHAR(200) NOT NULL, description TEXT NOT NULL,
  CONSTRAINT uq_tags_project_id UNIQUE (project_id, path),
  FOREIGN KEY(project_id) REFERENCES projects (id) ON DELETE CASCADE);
CREATE TABLE highlights (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  document_id INTEGER NOT NULL, start_offset INTEGER NOT NULL, end_offset INTEGER NOT NULL,
  snippet TEXT NOT NULL, FOREIGN KEY(document_id) REFERENCES documents (id) ON DELETE CASCADE);
CREATE TABLE highlight_tags (highlight_id INTEGER NOT NULL, tag_id INTEGER NOT NULL,
  CONSTRAINT pk_highlight_tags PRIMARY KEY (highlight_id, tag_id),
  FOREIGN KEY(highlight_id) REFERENCES highlights (id) ON DELETE CASCADE,
  FOREIGN KEY(tag_id) REFERENCES tags (id) ON DELETE CASCADE);
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('09c662cd9483');
INSERT INTO users (login, created) VALUES ('ana', '2022-01-01'), ('ben', '2022-01-01');
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
            'SELECT c.span_start, c.span_end, s.text, c.code_id, c.coder, s.start, s."end"'
            " FROM segments s JOIN codings c ON c.segment_id = s.id WHERE c.source = 'human'"
            " ORDER BY s.start, c.code_id"
        )
        segments = [r[0] for r in store.query("SELECT text FROM segments ORDER BY seq")]
        origins = {r[0] for r in store.query("SELECT origin FROM codes WHERE origin != 'codebook'")}
        seen_by = {r[0] for r in store.query("SELECT origin FROM segment_views")}
    assert origins == seen_by == {"taguette"}  # where the codes and decisions came from
    # every paragraph (a <p>) is a segment, coded or not; each highlight a span coding on it
    assert segments == ["Café \u2018talk\u2019 first.", "Then the budget & staff."]
    got = [(TEXT[r[0] : r[1]], r[2], r[3], r[4]) for r in rows]
    assert got == [  # no command, two members: not guessed
        ("\u2018talk\u2019", "Café \u2018talk\u2019 first.", "talk", "unattributed"),
        ("budget & staff", "Then the budget & staff.", "barriers.money", "ben"),
        ("budget & staff", "Then the budget & staff.", "barriers.people", "ben"),
    ]
    assert all(TEXT[r[5] : r[6]] == r[2] and r[5] <= r[0] < r[1] <= r[6] for r in rows)
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


def counted_in_file(db: Path) -> tuple[dict[int, str], int]:
    """Straight from the file with sqlite3: each tagged highlight's quote (its snippet without
    tags and entities) and the number of highlight-tag links."""
    src = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
    quotes = {
        hid: html.unescape(re.sub(r"<[^>]*>", "", snippet))
        for hid, snippet in src.execute(
            "SELECT id, snippet FROM highlights WHERE id IN (SELECT highlight_id FROM highlight_tags)"
        )
    }
    links = src.execute("SELECT COUNT(*) FROM highlight_tags").fetchone()[0]
    src.close()
    return quotes, links


def counted_in_store(store: Store) -> tuple[dict[int, set[str]], int]:
    """From the store: each Taguette highlight's quote (the document text at the offsets its
    codings' reasons give for it) and the number of highlight-tag links the codings carry.

    Checks on the way that the codings cover every highlight: each coding's span is inside
    its segment, and the spans of a (highlight, tag)'s codings cover every non-blank
    character of the highlight (a highlight over two paragraphs has a coding on each).
    """
    quotes: dict[int, set[str]] = {}
    covered: dict[tuple[int, str], set[int]] = {}
    extent: dict[tuple[int, str], tuple[str, int, int]] = {}
    for doc, a, b, s_start, s_end, code, reason in store.query(
        'SELECT d.text, c.span_start, c.span_end, s.start, s."end", c.code_id, c.reason'
        " FROM codings c JOIN segments s ON s.id = c.segment_id"
        " JOIN documents d ON d.id = s.document_id WHERE c.source = 'human'"
    ):
        assert s_start <= a < b <= s_end
        for hid, h_start, h_end in re.findall(r"Taguette highlight (\d+) at (\d+)-(\d+)", reason):
            h_start, h_end = int(h_start), int(h_end)
            quotes.setdefault(int(hid), set()).add(doc[h_start:h_end])
            extent[int(hid), code] = (doc, h_start, h_end)
            covered.setdefault((int(hid), code), set()).update(
                range(max(a, h_start), min(b, h_end))
            )
    for key, (doc, h_start, h_end) in extent.items():
        blank = {i for i in range(h_start, h_end) if doc[i].isspace()}
        assert set(range(h_start, h_end)) - blank <= covered[key], key
    return quotes, len(extent)


def test_highlights_and_tag_links_in_the_store_equal_the_files(tmp_path: Path) -> None:
    db = make_db(tmp_path / "t.sqlite3")
    conn = sqlite3.connect(db)  # a third highlight on the same span as the second, another tag
    start, end = byte_span(TEXT, "budget & staff")
    conn.execute("INSERT INTO highlights VALUES (3, 1, ?, ?, 'budget &amp; staff')", (start, end))
    conn.execute("INSERT INTO highlight_tags VALUES (3, 1)")
    conn.commit()
    conn.close()
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    import_taguette(project, db)
    quotes, links = counted_in_file(db)
    assert len(quotes) == 3 and links == 4
    with Store(project.store_path) as store:
        stored, stored_links = counted_in_store(store)
        # the two paragraphs; the same span highlighted twice does not make a segment more
        assert store.scalar("SELECT COUNT(*) FROM segments") == 2
    assert stored_links == links
    assert stored == {hid: {quote} for hid, quote in quotes.items()}


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
    quotes, file_links = counted_in_file(DEVDATA)
    with Store(project.store_path) as store:
        assert store.scalar("SELECT COUNT(*) FROM documents") == documents
        stored, stored_links = counted_in_store(store)
    assert stored_links == file_links == links
    assert len(stored) == len(quotes)  # every tagged highlight, by its id
    untagged = highlights - len(quotes)  # the file has highlights without a tag: listed, not coded
    assert not untagged or f"{untagged} highlight(s) without a tag" in "".join(
        summary.imported.skipped
    )
    assert stored == {hid: {quote} for hid, quote in quotes.items()}  # every quote identical


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


def test_imported_documents_stay_present_when_the_corpus_is_read(tmp_path: Path) -> None:
    """The documents of a Taguette project are in the store only: `themegrid code`
    (which reads corpus/) must not mark them missing, or the report drops them."""
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    import_taguette(project, make_db(tmp_path / "t.sqlite3"))
    done = CliRunner().invoke(app, ["code", "--no-model", "--project", str(project.root)])
    assert done.exit_code == 0, done.output
    with Store(project.store_path) as store:
        assert [tuple(r) for r in store.query("SELECT status FROM documents")] == [("present",)]


def test_a_metadata_row_names_an_imported_document_by_its_stored_path(tmp_path: Path) -> None:
    """Imported documents are not in corpus/, yet a researcher compares them by state:
    a metadata.csv row naming the stored path gives the attributes; a row naming no
    stored document is a warning with the nearest path."""
    from themegrid import api

    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    import_taguette(project, make_db(tmp_path / "t.sqlite3"))
    with Store(project.store_path) as store:
        [stored] = [r[0] for r in store.query("SELECT path FROM documents")]
    typo = stored.replace("p1", "p11")
    project.metadata_path.write_text(f"file,state\n{stored},Ohio\n{typo},Utah\n", encoding="utf-8")
    summary = api.ingest(project)
    assert [w for w in summary.warnings if "metadata.csv:3" in w and f"'{stored}'" in w]
    assert not [w for w in summary.warnings if "metadata.csv:2" in w]
    with Store(project.store_path) as store:
        [(attributes, status)] = [
            tuple(r) for r in store.query("SELECT attributes, status FROM documents")
        ]
    assert '"state": "Ohio"' in attributes and status == "present"


def test_importing_an_interview_the_corpus_already_has_warns(tmp_path: Path) -> None:
    """The same interview in corpus/ and in the imported Taguette project counts twice in
    'n of N': the import names each pair (nothing is removed for the researcher)."""
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    (project.corpus_dir / "p2.txt").write_text(TEXT.replace(" ", "  ").upper(), encoding="utf-8")
    (project.corpus_dir / "other.txt").write_text("Something else entirely.", encoding="utf-8")
    done = CliRunner().invoke(app, ["ingest", "--project", str(project.root)])
    assert done.exit_code == 0, done.output
    summary = import_taguette(project, make_db(tmp_path / "t.sqlite3"))
    assert [b for _, b in summary.imported.same_text] == ["p2.txt"]
    assert any("1 imported document(s) have the text of" in line for line in summary.lines())
    again, _ = init_project(tmp_path / "fresh", empty_codebook=True)
    assert import_taguette(again, make_db(tmp_path / "t2.sqlite3")).imported.same_text == ()
