"""store/views.py: the read-only queries behind reports, exports, status and statistics."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from factories import add_document
from themegrid.store import codes as store_codes
from themegrid.store import runs as store_runs
from themegrid.store import views
from themegrid.store.connection import Store


def code(
    store: Store,
    segment_id: str,
    code_id: str,
    *,
    source: str = "rule",
    coder: str | None = None,
    status: str = "suggested",
    at: str = "2030-01-01T00:00:00",
    confidence: float | None = 0.5,
) -> None:
    """A coding row with a chosen timestamp (which human decision is latest matters)."""
    coder = coder or f"themegrid:{'rules' if source == 'rule' else 'model'}"
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, confidence, reason,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'r', ?, ?)",
            (segment_id, code_id, source, coder, status, confidence, at, at),
        )


def counted(store: Store, statuses=("accepted", "suggested"), coders=None) -> dict:
    frame = views.counted_codings_frame(store, statuses, coders)
    assert tuple(frame.columns) == views.COUNTED_CODING_COLUMNS
    return {(r.segment_id, r.code_id): (r.status, r.source, r.coder) for r in frame.itertuples()}


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


# --- the coding that counts --------------------------------------------------------------------


def test_the_latest_human_decision_counts_over_the_machine_and_earlier_decisions(store) -> None:
    a, b, c, d = add_document(store, "a.txt", [("R", "one"), ("R", "two"), ("R", "3"), ("R", "4")])
    code(store, a, "x")  # machine only: counts as a suggestion
    code(store, b, "x")
    code(store, b, "x", source="human", coder="ana", status="accepted", at="2030-01-01T01")
    code(store, b, "x", source="human", coder="bo", status="rejected", at="2030-01-01T02")
    code(store, c, "x")
    code(store, c, "x", source="human", coder="ana", status="rejected", at="2030-01-01T02")
    code(store, c, "x", source="human", coder="bo", status="accepted", at="2030-01-01T03")
    code(store, d, "x", source="model", status="retired")
    assert counted(store) == {
        (a, "x"): ("suggested", "rule", "themegrid"),
        (c, "x"): ("accepted", "human", "bo"),
    }
    assert counted(store, ("accepted",)) == {(c, "x"): ("accepted", "human", "bo")}


def test_rule_and_model_suggestions_count_once(store) -> None:
    (a,) = add_document(store, "a.txt", [("R", "one")])
    code(store, a, "x", source="rule", confidence=0.4)
    code(store, a, "x", source="model", confidence=0.9)
    frame = views.counted_codings_frame(store, ("suggested",))
    assert len(frame) == 1
    assert set(frame["source"][0].split("+")) == {"rule", "model"}
    assert frame["confidence"][0] == 0.9


def test_machine_suggestions_on_uncodable_segments_do_not_count_human_codings_do(store) -> None:
    q, r = add_document(store, "a.txt", [("Interviewer", "a question"), ("R", "an answer")])
    code(store, q, "x")
    code(store, q, "y", source="human", coder="ana", status="accepted")
    code(store, r, "x")
    assert set(counted(store)) == {(q, "y"), (r, "x")}


def test_inactive_segments_and_missing_documents_do_not_count(store) -> None:
    (a,) = add_document(store, "a.txt", [("R", "one")])
    (b,) = add_document(store, "b.txt", [("R", "two")])
    (c,) = add_document(store, "c.txt", [("R", "three")])
    for seg in (a, b, c):
        code(store, seg, "x", source="human", coder="ana", status="accepted")
    with store.transaction() as conn:
        conn.execute("UPDATE segments SET active = 0 WHERE id = ?", (a,))
        conn.execute("UPDATE documents SET status = 'missing' WHERE path = 'b.txt'")
    assert set(counted(store)) == {(c, "x")}
    assert views.active_segment_count(store) == 1
    assert [d.path for d in views.present_document_attributes(store)] == ["a.txt", "c.txt"]


def test_counted_codings_are_ordered_by_document_position_and_code(store) -> None:
    b1, b2 = add_document(store, "b.txt", [("R", "one"), ("R", "two")])
    (a1,) = add_document(store, "a.txt", [("R", "three")])
    for seg, code_id in ((b2, "x"), (b1, "z"), (b1, "y"), (a1, "x")):
        code(store, seg, code_id)
    frame = views.counted_codings_frame(store, ("suggested",))
    assert list(zip(frame["segment_id"], frame["code_id"], strict=True)) == [
        (a1, "x"),
        (b1, "y"),
        (b1, "z"),
        (b2, "x"),
    ]


def test_with_coders_only_their_latest_decisions_count(store) -> None:
    a, b, c = add_document(store, "a.txt", [("R", "one"), ("R", "two"), ("R", "three")])
    # a: ana accepted, then bo rejected later: for ana alone, ana's decision counts.
    code(store, a, "x", source="human", coder="ana", status="accepted", at="2030-01-01T01")
    code(store, a, "x", source="human", coder="bo", status="rejected", at="2030-01-01T02")
    # b: a machine suggestion bo rejected: for ana alone, the suggestion still counts.
    code(store, b, "x")
    code(store, b, "x", source="human", coder="bo", status="rejected")
    # c: a machine suggestion ana rejected: it does not count for ana.
    code(store, c, "x")
    code(store, c, "x", source="human", coder="ana", status="rejected")
    assert counted(store, coders=["ana"]) == {
        (a, "x"): ("accepted", "human", "ana"),
        (b, "x"): ("suggested", "rule", "themegrid"),
    }
    assert counted(store, coders=["ana", "bo"]) == counted(store) == {}


def test_export_codings_are_accepted_ones_unless_suggestions_are_asked_for(store) -> None:
    a, b = add_document(store, "a.txt", [("R", "one"), ("R", "two")])
    code(store, a, "x", source="human", coder="ana", status="accepted")
    code(store, b, "y")
    with store.transaction() as conn:
        conn.execute("UPDATE segments SET active = 0 WHERE id = ?", (b,))
    (only,) = views.counted_codings_for_export(store)
    assert (only.segment_id, only.code_id, only.coder, only.status) == (a, "x", "ana", "accepted")
    assert (only.start, only.end, only.text, only.active) == (3, 6, "one", True)
    both = views.counted_codings_for_export(store, include_suggestions=True)
    assert [(r.segment_id, r.status, r.active) for r in both] == [
        (a, "accepted", True),
        (b, "suggested", False),
    ]


def test_export_keeps_every_coders_own_codings(store) -> None:
    """Two coders on one passage are two codings in a QDA project (inter-coder data):
    the export gives each coder's latest decision, not the one that counts for the matrix."""
    a, b = add_document(store, "a.txt", [("R", "one"), ("R", "two")])
    code(store, a, "x", source="human", coder="ana", status="accepted", at="2030-01-01T01")
    code(store, a, "x", source="human", coder="bo", status="accepted", at="2030-01-01T02")
    code(store, b, "x", source="human", coder="ana", status="accepted", at="2030-01-01T01")
    code(store, b, "x", source="human", coder="bo", status="rejected", at="2030-01-01T02")
    code(store, b, "y")  # a live suggestion: exported only when asked for
    found = [(r.segment_id, r.code_id, r.coder) for r in views.counted_codings_for_export(store)]
    assert sorted(found) == sorted([(a, "x", "ana"), (a, "x", "bo"), (b, "x", "ana")])
    asked = views.counted_codings_for_export(store, include_suggestions=True)
    assert [(r.segment_id, r.code_id, r.status) for r in asked if r.status == "suggested"] == [
        (b, "y", "suggested")
    ]


def test_pending_and_decided_suggestions(store) -> None:
    q, a, b = add_document(store, "a.txt", [("Interviewer", "q"), ("R", "one"), ("R", "two")])
    code(store, q, "x")  # not codable: not pending
    code(store, a, "x")  # pending
    code(store, b, "x")  # decided
    code(store, b, "x", source="model")
    code(store, b, "x", source="human", coder="ana", status="rejected")
    assert views.pending_suggestion_count(store) == 1
    assert views.decided_suggestion_count(store) == 1
    assert views.has_codings(store)
    assert not views.has_codings(Store(":memory:"))


def test_coding_counts_and_list_codings(store) -> None:
    (a,) = add_document(store, "a.txt", [("R", "one")])
    code(store, a, "x")
    code(store, a, "y")
    code(store, a, "x", source="human", coder="ana", status="rejected")
    assert views.coding_counts(store) == [
        views.CodingCount("human", "rejected", 1),
        views.CodingCount("rule", "suggested", 2),
    ]
    assert [c.code_id for c in views.list_codings(store, source="rule")] == ["x", "y"]
    assert [c.coder for c in views.list_codings(store, status="rejected")] == ["ana"]
    assert views.list_codings(store, coder="nobody") == []


# --- coders ------------------------------------------------------------------------------------


def test_coders_what_they_saw_and_what_they_accepted(store) -> None:
    a, b, c = add_document(store, "a.txt", [("R", "one"), ("R", "two"), ("R", "three")])
    code(store, a, "x", source="human", coder="ana", status="accepted")
    code(store, a, "y", source="human", coder="ana", status="accepted")
    code(store, b, "x", source="human", coder="ana", status="rejected")
    code(store, c, "x")  # machine rows are nobody's view
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO segment_views (segment_id, coder, origin, at) VALUES (?, 'cy', '', 't'),"
            " (?, 'ana', '', 't')",
            (c, c),
        )
    assert views.human_coders(store) == ["ana"]
    assert views.human_decision_counts(store) == [("ana", 3)]
    assert views.coders_with_decisions_or_views(store) == ["ana", "cy"]
    assert views.seen_segment_ids(store, "ana") == {a, b, c}
    assert views.seen_segment_ids(store, "cy") == {c}
    assert views.accepted_codes_by_segment(store, "ana") == {a: {"x", "y"}}
    assert views.accepted_codes_by_segment(store, "cy") == {}


def test_lookups_by_many_segment_ids_are_chunked(store) -> None:
    ids = add_document(store, "a.txt", [("R", f"turn {i}") for i in range(2100)])
    for seg in ids[::2]:
        code(store, seg, "x")
    asked = [*ids, "no-such-segment"]
    assert views.machine_suggested_segments(store, asked) == set(ids[::2])
    places = views.segment_places(store, asked)
    assert len(places) == len(ids)
    assert places[ids[2000]] == views.SegmentPlace("a.txt", "turn 2000", 2000)


# --- documents, segments, codes, runs --------------------------------------------------------


def test_documents_and_segments_tables(store) -> None:
    a, b = add_document(store, "a.txt", [("R", "one"), ("R", "two")], {"state": "Ohio"})
    add_document(store, "gone.txt", [("R", "x")])
    with store.transaction() as conn:
        conn.execute("UPDATE segments SET active = 0 WHERE id = ?", (b,))
        conn.execute("UPDATE documents SET status = 'missing' WHERE path = 'gone.txt'")
    (doc,) = views.present_documents_with_text(store)
    assert (doc.path, doc.text, doc.attributes) == (
        "a.txt",
        "R: one\n\nR: two",
        '{"state": "Ohio"}',
    )
    assert views.document_counts(store) == {
        "present": views.DocumentCount(1, 4),
        "missing": views.DocumentCount(1, 2),
    }
    assert views.segment_counts(store) == (2, 1)
    table = views.segments_table(store)
    assert tuple(table.columns) == views.SEGMENT_TABLE_COLUMNS
    assert list(table["segment_id"]) == [a]
    assert list(views.segments_table(store, include_inactive=True)["segment_id"]) == [a, b]


def test_codes_in_position_order_and_the_imported_ones(store) -> None:
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO codes (id, name, origin, position, active, codable, color)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("b", "B", "codebook", 1, 1, 1, None),
                ("a", "A", "codebook", 2, 1, 0, None),
                ("imp", "Imp", "qdpx", 3, 1, 1, "#ff0000"),
                ("old", "Old", "qdpx", 0, 0, 1, None),
            ],
        )
    assert [c.id for c in store_codes.all_codes(store)] == ["old", "b", "a", "imp"]
    (imported,) = store_codes.imported_codes(store)
    assert (imported.id, imported.color, imported.codable, imported.active) == (
        "imp",
        "#ff0000",
        True,
        True,
    )
    assert store_codes.active_codable_code_ids(store) == {"b", "imp"}


def test_latest_run_and_run_count(store) -> None:
    assert store_runs.latest_run(store) is None and store_runs.run_count(store) == 0
    with store.transaction() as conn:
        for command in ("code", "review import"):
            conn.execute(
                "INSERT INTO runs (command, started_at, tool_version) VALUES (?, 't', '0.1')",
                (command,),
            )
    run = store_runs.latest_run(store)
    assert run is not None and (run.id, run.command, run.finished_at) == (2, "review import", None)
    assert store_runs.run_count(store) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.command = "x"  # type: ignore[misc]


def test_importing_the_views_does_not_import_pandas() -> None:
    code = "import sys, themegrid.store.views; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the counted codings against one SQL statement of their rule -------------------------------

#: The counted codings as one statement (how they were read before the view's rows, the
#: segments and the passages were joined in pandas): the reference the frame must equal.
_ONE_STATEMENT = """
{prefix}
SELECT e.segment_id, s.document_id, d.path AS document, s.seq, s.speaker, s.is_interviewer,
       e.code_id, e.status, e.source, e.coder, e.confidence, e.reason,
       CASE WHEN c.note IS NOT NULL AND c.note != '' THEN c.note END,
       CASE WHEN c.span_start IS NOT NULL AND c.span_end IS NOT NULL
            THEN substr(s.text, c.span_start - s.start + 1, c.span_end - c.span_start) END,
       s.text
FROM {source} e
JOIN segments s ON s.id = e.segment_id
JOIN documents d ON d.id = s.document_id
LEFT JOIN codings c ON e.source = 'human' AND c.source = 'human' AND c.segment_id = e.segment_id
     AND c.code_id = e.code_id AND c.coder = e.coder
WHERE s.active = 1 AND d.status = 'present' AND e.status IN ({marks})
  AND (s.codable = 1 OR e.source = 'human')
ORDER BY d.path, s.seq, e.code_id
"""


def _random_project(store: Store, seed: int) -> None:
    """Documents with interviewer (uncodable) turns, codings by rule, model and several
    coders (ties in time, span codings), some segments inactive, a document missing."""
    import random

    rng = random.Random(seed)
    segments: list[str] = []
    for d in range(rng.randint(1, 5)):
        turns = [
            (rng.choice(["Interviewer", "R", None]), f"turn {d} {t} " + "word " * rng.randint(1, 9))
            for t in range(rng.randint(1, 6))
        ]
        segments += add_document(store, f"{rng.choice('abc')}{d}.txt", turns)
    times = [f"2030-01-01T0{h}" for h in range(3)]
    with store.transaction() as conn:
        for seg in segments:
            for code_id in rng.sample(["x", "y", "x.a", "z"], rng.randint(0, 4)):
                for source, coder in rng.sample(
                    [
                        ("rule", "themegrid:rules"),
                        ("model", "themegrid:model"),
                        ("model", "themegrid:semantic"),
                        ("human", "ana"),
                        ("human", "bo"),
                        ("human", "cy"),
                    ],
                    rng.randint(0, 4),
                ):
                    statuses = ["suggested", "retired"] if source != "human" else []
                    status = rng.choice(statuses or ["accepted", "rejected"])
                    start = conn.execute("SELECT start FROM segments WHERE id = ?", (seg,))
                    offset = start.fetchone()[0]
                    span = (
                        (offset + 1, offset + 4)
                        if source == "human" and rng.random() < 0.4
                        else (None, None)
                    )
                    at = rng.choice(times)
                    conn.execute(
                        "INSERT INTO codings (segment_id, code_id, source, coder, status, confidence,"
                        " reason, created_at, updated_at, span_start, span_end, note)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (seg, code_id, source, coder, status, rng.choice([None, 0.3, 0.8]),
                         f"r{rng.randint(0, 3)}", at, at, *span,
                         rng.choice(["", "a note"]) if source == "human" else ""),
                    )  # fmt: skip
        for seg in rng.sample(segments, len(segments) // 5):
            conn.execute("UPDATE segments SET active = 0 WHERE id = ?", (seg,))
        if rng.random() < 0.5:
            conn.execute("UPDATE documents SET status = 'missing' WHERE id = 1")


@pytest.mark.parametrize("seed", range(12))
def test_counted_codings_frame_is_the_one_statement_of_its_rule(seed: int) -> None:
    """The frame (view rows, segments and passages joined in pandas, ordered there) equals,
    row for row, value for value and type for type, the single SQL statement of the rule:
    the inner joins on active segments of present documents, the codable rule, the
    coder's note, the passage of a span coding, the order by document path, position and code."""
    import pandas as pd

    store = Store(":memory:")
    _random_project(store, seed)
    cases = [(("accepted", "suggested"), None), (("accepted",), None)]
    cases += [(("accepted", "suggested"), ["ana"]), (("accepted",), ["bo", "cy"])]
    for statuses, coders in cases:
        marks = ", ".join("?" * len(statuses))
        if coders:
            prefix = views._EFFECTIVE_FOR_CODERS.format(coders=", ".join("?" * len(coders)))
            sql = _ONE_STATEMENT.format(prefix=prefix, source="chosen", marks=marks)
            params: tuple[str, ...] = (*coders, *statuses)
        else:
            sql = _ONE_STATEMENT.format(prefix="", source="effective_codings", marks=marks)
            params = tuple(statuses)
        rows = [tuple(r) for r in store.conn.execute(sql, params).fetchall()]
        expected = pd.DataFrame(rows, columns=list(views.COUNTED_CODING_COLUMNS))
        frame = views.counted_codings_frame(store, statuses, coders)
        pd.testing.assert_frame_equal(frame, expected)
