"""The project store's schema, as named migrations applied in order and recorded.

Never edit a migration that has shipped: add a new one. ``schema_migrations``
records which ran, so an older store is brought up to date on open.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_initial",
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            format TEXT NOT NULL,
            kind TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            text TEXT NOT NULL,
            attributes TEXT NOT NULL DEFAULT '{}',
            repair_notes TEXT NOT NULL DEFAULT '[]',
            warnings TEXT NOT NULL DEFAULT '[]',
            n_words INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'present' CHECK (status IN ('present', 'missing')),
            added_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE segments (
            id TEXT PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id),
            seq INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            speaker TEXT,
            is_interviewer INTEGER NOT NULL DEFAULT 0,
            t_start REAL,
            t_end REAL,
            row_id TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            tagged_hash TEXT
        );
        CREATE INDEX segments_document ON segments(document_id, seq);
        CREATE TABLE codes (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            parent_id TEXT,
            definition TEXT NOT NULL DEFAULT '',
            include_note TEXT NOT NULL DEFAULT '',
            exclude_note TEXT NOT NULL DEFAULT '',
            codable INTEGER NOT NULL DEFAULT 1,
            color TEXT,
            origin TEXT NOT NULL DEFAULT 'codebook',
            active INTEGER NOT NULL DEFAULT 1,
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            tool_version TEXT NOT NULL,
            codebook_name TEXT,
            codebook_version TEXT,
            codebook_hash TEXT,
            cue_hash TEXT,
            input_hashes TEXT NOT NULL DEFAULT '{}',
            summary TEXT NOT NULL DEFAULT '{}'
        );
        CREATE TABLE codings (
            id INTEGER PRIMARY KEY,
            segment_id TEXT NOT NULL REFERENCES segments(id),
            code_id TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('rule', 'model', 'human')),
            coder TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('suggested', 'accepted', 'rejected', 'retired')),
            confidence REAL,
            reason TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            run_id INTEGER REFERENCES runs(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (segment_id, code_id, source, coder)
        );
        CREATE INDEX codings_code ON codings(code_id);
        CREATE INDEX codings_coder ON codings(coder, source);
        CREATE TABLE coding_history (
            id INTEGER PRIMARY KEY,
            coding_id INTEGER NOT NULL,
            segment_id TEXT NOT NULL,
            code_id TEXT NOT NULL,
            source TEXT NOT NULL,
            coder TEXT NOT NULL,
            status TEXT NOT NULL,
            confidence REAL,
            reason TEXT NOT NULL,
            note TEXT NOT NULL,
            run_id INTEGER,
            at TEXT NOT NULL
        );
        CREATE INDEX coding_history_coding ON coding_history(coding_id);
        -- Every state a coding passes through is kept, for humans and machine alike.
        CREATE TRIGGER codings_history_insert AFTER INSERT ON codings BEGIN
            INSERT INTO coding_history
                (coding_id, segment_id, code_id, source, coder, status, confidence, reason, note, run_id, at)
            VALUES (NEW.id, NEW.segment_id, NEW.code_id, NEW.source, NEW.coder, NEW.status,
                    NEW.confidence, NEW.reason, NEW.note, NEW.run_id, NEW.updated_at);
        END;
        CREATE TRIGGER codings_history_update AFTER UPDATE ON codings
        WHEN OLD.status IS NOT NEW.status OR OLD.reason IS NOT NEW.reason OR OLD.note IS NOT NEW.note
             OR OLD.confidence IS NOT NEW.confidence OR OLD.segment_id IS NOT NEW.segment_id BEGIN
            INSERT INTO coding_history
                (coding_id, segment_id, code_id, source, coder, status, confidence, reason, note, run_id, at)
            VALUES (NEW.id, NEW.segment_id, NEW.code_id, NEW.source, NEW.coder, NEW.status,
                    NEW.confidence, NEW.reason, NEW.note, NEW.run_id, NEW.updated_at);
        END;
        -- Human decisions are research data: the store refuses to delete them.
        CREATE TRIGGER codings_keep_human BEFORE DELETE ON codings WHEN OLD.source = 'human' BEGIN
            SELECT RAISE(ABORT, 'human codings are never deleted');
        END;
        -- Which coder has seen which segment (a segment seen and left uncoded counts in agreement).
        CREATE TABLE segment_views (
            segment_id TEXT NOT NULL REFERENCES segments(id),
            coder TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            PRIMARY KEY (segment_id, coder)
        );
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "0002_effective_codings",
        """
        -- The coding that counts for each (segment, code): the latest human decision if
        -- there is one, otherwise the machine's live suggestion (rule and/or model).
        CREATE VIEW effective_codings AS
        WITH human AS (
            SELECT segment_id, code_id, status, coder, confidence, reason, updated_at,
                   ROW_NUMBER() OVER (PARTITION BY segment_id, code_id
                                      ORDER BY updated_at DESC, id DESC) AS rn
            FROM codings WHERE source = 'human'
        ),
        machine AS (
            SELECT segment_id, code_id,
                   GROUP_CONCAT(source, '+') AS sources,
                   MAX(confidence) AS confidence,
                   GROUP_CONCAT(reason, ' | ') AS reason,
                   MAX(updated_at) AS updated_at
            FROM codings
            WHERE source IN ('rule', 'model') AND status = 'suggested'
            GROUP BY segment_id, code_id
        )
        SELECT h.segment_id, h.code_id, h.status, 'human' AS source, h.coder,
               h.confidence, h.reason, h.updated_at
        FROM human h WHERE h.rn = 1
        UNION ALL
        SELECT m.segment_id, m.code_id, 'suggested' AS status, m.sources AS source,
               'themegrid' AS coder, m.confidence, m.reason, m.updated_at
        FROM machine m
        WHERE NOT EXISTS (SELECT 1 FROM human h
                          WHERE h.segment_id = m.segment_id AND h.code_id = m.code_id);
        """,
    ),
    Migration(
        "0003_segment_codable",
        """
        -- Whether the machine codes a segment: not an interviewer turn, and not the
        -- preamble of a transcript (header lines before the first speaker label).
        ALTER TABLE segments ADD COLUMN codable INTEGER NOT NULL DEFAULT 1;
        UPDATE segments SET codable = 0 WHERE is_interviewer = 1;
        UPDATE segments SET codable = 0
        WHERE speaker IS NULL
          AND document_id IN (SELECT id FROM documents WHERE kind = 'interview');
        -- Whoever writes segments (ingest, imports), an interviewer turn is never codable.
        CREATE TRIGGER segments_interviewer_not_codable AFTER INSERT ON segments
        WHEN NEW.is_interviewer = 1 AND NEW.codable = 1 BEGIN
            UPDATE segments SET codable = 0 WHERE id = NEW.id;
        END;
        CREATE TRIGGER segments_interviewer_not_codable_update AFTER UPDATE OF is_interviewer ON segments
        WHEN NEW.is_interviewer = 1 AND NEW.codable = 1 BEGIN
            UPDATE segments SET codable = 0 WHERE id = NEW.id;
        END;
        """,
    ),
    Migration(
        "0004_codable_set_by_writers",
        """
        -- Every segment is now written through store/segments.py, which sets codable
        -- itself (store.segments.is_codable); the triggers that patched writers go.
        DROP TRIGGER IF EXISTS segments_interviewer_not_codable;
        DROP TRIGGER IF EXISTS segments_interviewer_not_codable_update;
        UPDATE segments SET codable = 0 WHERE is_interviewer = 1 AND codable = 1;
        """,
    ),
    Migration(
        "0005_segment_machine_skip",
        """
        -- Set when ``themegrid code`` tags a segment (themegrid.tag.codable): why the
        -- machine does not code it (a back-channel turn, another language; NULL: it
        -- does), and its detected language where it could be told.
        ALTER TABLE segments ADD COLUMN machine_skip TEXT;
        ALTER TABLE segments ADD COLUMN language TEXT;
        """,
    ),
    Migration(
        "0006_coding_spans",
        """
        -- A human coding may cover a passage inside its segment: span_start/span_end are
        -- code-point offsets into the document text (NULL: the whole segment). The span
        -- counts for the segment it falls in (codings.segment_id).
        ALTER TABLE codings ADD COLUMN span_start INTEGER
            CHECK (span_start IS NULL OR span_start >= 0);
        ALTER TABLE codings ADD COLUMN span_end INTEGER;
        ALTER TABLE coding_history ADD COLUMN span_start INTEGER;
        ALTER TABLE coding_history ADD COLUMN span_end INTEGER;
        -- The history keeps every span a coding had, as it keeps every status.
        DROP TRIGGER IF EXISTS codings_history_insert;
        DROP TRIGGER IF EXISTS codings_history_update;
        CREATE TRIGGER codings_history_insert AFTER INSERT ON codings BEGIN
            INSERT INTO coding_history
                (coding_id, segment_id, code_id, source, coder, status, confidence, reason, note,
                 run_id, at, span_start, span_end)
            VALUES (NEW.id, NEW.segment_id, NEW.code_id, NEW.source, NEW.coder, NEW.status,
                    NEW.confidence, NEW.reason, NEW.note, NEW.run_id, NEW.updated_at,
                    NEW.span_start, NEW.span_end);
        END;
        CREATE TRIGGER codings_history_update AFTER UPDATE ON codings
        WHEN OLD.status IS NOT NEW.status OR OLD.reason IS NOT NEW.reason OR OLD.note IS NOT NEW.note
             OR OLD.confidence IS NOT NEW.confidence OR OLD.segment_id IS NOT NEW.segment_id
             OR OLD.span_start IS NOT NEW.span_start OR OLD.span_end IS NOT NEW.span_end BEGIN
            INSERT INTO coding_history
                (coding_id, segment_id, code_id, source, coder, status, confidence, reason, note,
                 run_id, at, span_start, span_end)
            VALUES (NEW.id, NEW.segment_id, NEW.code_id, NEW.source, NEW.coder, NEW.status,
                    NEW.confidence, NEW.reason, NEW.note, NEW.run_id, NEW.updated_at,
                    NEW.span_start, NEW.span_end);
        END;
        -- A segment whose text stays but moves within its edited file (start changes)
        -- takes its passages along: span offsets follow the segment's start.
        CREATE TRIGGER segments_move_spans AFTER UPDATE OF start ON segments
        WHEN NEW.start IS NOT OLD.start BEGIN
            UPDATE codings SET span_start = span_start + NEW.start - OLD.start,
                               span_end = span_end + NEW.start - OLD.start
            WHERE segment_id = NEW.id AND span_start IS NOT NULL;
        END;
        """,
    ),
    Migration(
        "0007_workspace_users",
        """
        -- Accounts for a workspace served beyond this computer (themegrid user add NAME).
        -- password is a salted scrypt hash, never the password itself.
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            password TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        "0008_memos",
        """
        -- Researchers' memos on a document, a code or a passage (segment). Memos are
        -- research data: kept, never deleted (a trigger refuses).
        CREATE TABLE memos (
            id INTEGER PRIMARY KEY,
            target_kind TEXT NOT NULL CHECK (target_kind IN ('document', 'code', 'segment')),
            target_id TEXT NOT NULL,
            coder TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX memos_target ON memos(target_kind, target_id);
        CREATE TRIGGER memos_keep BEFORE DELETE ON memos BEGIN
            SELECT RAISE(ABORT, 'memos are never deleted');
        END;
        """,
    ),
    Migration(
        "0009_runs_failed_reason",
        """
        -- A command that failed after its run started rolls back all it wrote, then
        -- records the run again in a transaction of its own, with why it failed
        -- (NULL: the run finished, or is still running).
        ALTER TABLE runs ADD COLUMN failed TEXT;
        """,
    ),
    Migration(
        "0010_memo_passages",
        """
        -- A memo on a segment may be on a passage inside it: span_start/span_end are
        -- code-point offsets into the document text (NULL: the whole segment), as on
        -- codings. note says where the memo came from when an edited file moved it to
        -- the edited version of its turn.
        ALTER TABLE memos ADD COLUMN span_start INTEGER
            CHECK (span_start IS NULL OR span_start >= 0);
        ALTER TABLE memos ADD COLUMN span_end INTEGER;
        ALTER TABLE memos ADD COLUMN note TEXT NOT NULL DEFAULT '';
        -- A segment whose text stays but moves within its edited file takes the
        -- passages of its memos along, as it does its codings' passages.
        CREATE TRIGGER segments_move_memo_spans AFTER UPDATE OF start ON segments
        WHEN NEW.start IS NOT OLD.start BEGIN
            UPDATE memos SET span_start = span_start + NEW.start - OLD.start,
                             span_end = span_end + NEW.start - OLD.start
            WHERE target_kind = 'segment' AND target_id = NEW.id AND span_start IS NOT NULL;
        END;
        """,
    ),
    Migration(
        "0011_documents_refi_source_name",
        """
        -- The name a document had in the REFI-QDA project it was imported from (the
        -- store path adds the project's folder), so an export gives it back unchanged.
        -- NULL: a corpus file, or imported another way.
        ALTER TABLE documents ADD COLUMN source_name TEXT;
        """,
    ),
    Migration(
        "0012_documents_present_lookup",
        """
        -- Whether a document is present, read without its row: status is stored after the
        -- whole text, so a query joining segments to documents on "d.status = 'present'"
        -- otherwise reads each document's text once per segment row (on a million words,
        -- most of the time of the counts a code run reports).
        CREATE INDEX documents_present ON documents(id, status);
        """,
    ),
    Migration(
        "0013_run_counts_by_document",
        """
        -- What a code run reports from the whole store (segments coded per theme, pending
        -- suggestions per code), kept per document (store.codings.run_counts), so that a
        -- run works out again only the documents whose codings, segments or status
        -- changed since. Triggers mark such a document, whoever writes (NOT EXISTS, not OR IGNORE:
        -- an upsert's conflict clause would override the trigger's). document_id 0
        -- holds the themes' key: the counts are kept for one codebook's themes.
        CREATE TABLE run_counts_dirty (document_id INTEGER PRIMARY KEY);
        CREATE TABLE run_counts (
            document_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('themes', 'theme', 'pending')),
            key TEXT NOT NULL,
            n INTEGER NOT NULL,
            n_model INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (document_id, kind, key)
        ) WITHOUT ROWID;
        CREATE TRIGGER run_counts_coding_insert AFTER INSERT ON codings BEGIN
            INSERT INTO run_counts_dirty SELECT s.document_id FROM segments s
            WHERE s.id = NEW.segment_id AND NOT EXISTS
                (SELECT 1 FROM run_counts_dirty d WHERE d.document_id = s.document_id);
        END;
        CREATE TRIGGER run_counts_coding_update
        AFTER UPDATE OF segment_id, code_id, source, status, updated_at ON codings BEGIN
            INSERT INTO run_counts_dirty SELECT DISTINCT s.document_id FROM segments s
            WHERE s.id IN (OLD.segment_id, NEW.segment_id) AND NOT EXISTS
                (SELECT 1 FROM run_counts_dirty d WHERE d.document_id = s.document_id);
        END;
        CREATE TRIGGER run_counts_coding_delete AFTER DELETE ON codings BEGIN
            INSERT INTO run_counts_dirty SELECT s.document_id FROM segments s
            WHERE s.id = OLD.segment_id AND NOT EXISTS
                (SELECT 1 FROM run_counts_dirty d WHERE d.document_id = s.document_id);
        END;
        -- (A new segment needs no trigger: it counts once a coding of it is inserted.)
        CREATE TRIGGER run_counts_segment_update
        AFTER UPDATE OF id, document_id, active, codable ON segments BEGIN
            INSERT INTO run_counts_dirty SELECT v FROM (SELECT OLD.document_id AS v
                                                        UNION SELECT NEW.document_id)
            WHERE NOT EXISTS (SELECT 1 FROM run_counts_dirty d WHERE d.document_id = v);
        END;
        CREATE TRIGGER run_counts_segment_delete AFTER DELETE ON segments BEGIN
            INSERT INTO run_counts_dirty SELECT OLD.document_id WHERE NOT EXISTS
                (SELECT 1 FROM run_counts_dirty d WHERE d.document_id = OLD.document_id);
        END;
        CREATE TRIGGER run_counts_document_update AFTER UPDATE OF id, status ON documents BEGIN
            INSERT INTO run_counts_dirty SELECT v FROM (SELECT OLD.id AS v UNION SELECT NEW.id)
            WHERE NOT EXISTS (SELECT 1 FROM run_counts_dirty d WHERE d.document_id = v);
        END;
        CREATE TRIGGER run_counts_document_delete AFTER DELETE ON documents BEGIN
            INSERT INTO run_counts_dirty SELECT OLD.id WHERE NOT EXISTS
                (SELECT 1 FROM run_counts_dirty d WHERE d.document_id = OLD.id);
        END;
        """,
    ),
    Migration(
        "0014_memos_on_the_project",
        """
        -- A memo may be on the project as a whole (target_kind 'project', target_id ''):
        -- a REFI-QDA file's project notes (NVivo, ATLAS.ti) are kept and exported back.
        -- SQLite cannot widen a CHECK in place, so the table is rebuilt with every row
        -- and id kept (DROP TABLE fires no DELETE trigger; memos_keep is made again).
        DROP TRIGGER segments_move_memo_spans;
        CREATE TABLE memos_0014 (
            id INTEGER PRIMARY KEY,
            target_kind TEXT NOT NULL
                CHECK (target_kind IN ('document', 'code', 'segment', 'project')),
            target_id TEXT NOT NULL,
            coder TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            span_start INTEGER CHECK (span_start IS NULL OR span_start >= 0),
            span_end INTEGER,
            note TEXT NOT NULL DEFAULT ''
        );
        INSERT INTO memos_0014
            (id, target_kind, target_id, coder, text, created_at, span_start, span_end, note)
            SELECT id, target_kind, target_id, coder, text, created_at, span_start, span_end,
                   note FROM memos;
        DROP TABLE memos;
        ALTER TABLE memos_0014 RENAME TO memos;
        CREATE INDEX memos_target ON memos(target_kind, target_id);
        CREATE TRIGGER memos_keep BEFORE DELETE ON memos BEGIN
            SELECT RAISE(ABORT, 'memos are never deleted');
        END;
        CREATE TRIGGER segments_move_memo_spans AFTER UPDATE OF start ON segments
        WHEN NEW.start IS NOT OLD.start BEGIN
            UPDATE memos SET span_start = span_start + NEW.start - OLD.start,
                             span_end = span_end + NEW.start - OLD.start
            WHERE target_kind = 'segment' AND target_id = NEW.id AND span_start IS NOT NULL;
        END;
        """,
    ),
)
