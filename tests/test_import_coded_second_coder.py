"""import-coded --document-column: a second coder's file of the same documents meets the
first coder's documents whatever the files are called, and never a different document.

The real case: qabstracts, one CSV per coder (Julian.csv, Lloyd.csv) with the sentences
of each abstract as rows, ids ``<abstract>#<n>``. Where one coder split a sentence, the
whole abstract was created again (11 of 345 abstracts), and with both files called
coding.csv the ids attached Lloyd's rows to Julian's next sentence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_import_coded_messy import CODEBOOK, write_csv
from themegrid.codebook import load_codebook
from themegrid.codebook.model import Codebook
from themegrid.exchange.coded import ImportSummary, Layout, import_coded
from themegrid.store.connection import Store

HEADER = ["id", "abstract", "text", "code"]
FIRST = [
    ["X#1", "X", "Schools lost money.", "funding"],
    ["X#2", "X", "Coaches left, and nobody replaced them.", "staffing"],
    ["X#3", "X", "The grant ended in May.", "funding"],
    ["X#4", "X", "Nobody trained the new hires.", "staffing"],
    ["Y#1", "Y", "Enrolment rose.", ""],
]
# the second coder split sentence 2, so from there on the ids count other sentences
SPLIT = [
    ["X#1", "X", "Schools lost money.", "funding"],
    ["X#2", "X", "Coaches left,", "staffing"],
    ["X#3", "X", "and nobody replaced them.", "staffing"],
    ["X#4", "X", "The grant ended in May.", "staffing"],
    ["X#5", "X", "Nobody trained the new hires.", "staffing"],
    ["Y#1", "Y", "Enrolment rose.", ""],
]
LAYOUT = Layout(id_column="id", text_column="text")


@pytest.fixture
def book(tmp_path: Path) -> Codebook:
    (tmp_path / "cb").mkdir()
    (tmp_path / "cb" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(tmp_path / "cb")


def _import(store: Store, path: Path, coder: str, book: Codebook) -> ImportSummary:
    return import_coded(
        store, [path], coder=coder, codebook=book, layout=LAYOUT, document_column="abstract"
    )


def _segments(store: Store) -> dict[str, list[str]]:
    rows = store.query(
        "SELECT d.path, s.text FROM segments s JOIN documents d ON d.id = s.document_id"
        " ORDER BY d.id, s.seq"
    )
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(r[1])
    return out


def _coded(store: Store, coder: str) -> set[tuple[str, str, str]]:
    """(document, segment text, code) of the coder's accepted codings."""
    rows = store.query(
        "SELECT d.path, s.text, c.code_id, c.status FROM codings c"
        " JOIN segments s ON s.id = c.segment_id JOIN documents d ON d.id = s.document_id"
        " WHERE c.source = 'human' AND c.coder = ?",
        (coder,),
    )
    return {(r[0], r[1], r[2]) for r in rows if r[3] == "accepted"}


def _decisions(store: Store) -> list[tuple[str, ...]]:
    rows = store.query(
        "SELECT segment_id, code_id, coder, status, reason FROM codings WHERE source = 'human'"
        " AND coder = 'Julian' ORDER BY segment_id, code_id"
    )
    return [tuple(r) for r in rows]


def test_a_second_coders_file_with_another_name_meets_the_first_despite_a_split(
    book: Codebook, tmp_path: Path
) -> None:
    store = Store(":memory:")
    _import(store, write_csv(tmp_path / "Julian.csv", HEADER, FIRST), "Julian", book)
    before = _decisions(store)
    lloyd = _import(store, write_csv(tmp_path / "Lloyd.csv", HEADER, SPLIT), "Lloyd", book)
    assert lloyd.documents_created == 0 and lloyd.documents_matched == 2
    assert lloyd.documents_matched_by_value == 1  # X; Y has the same text (hash)
    assert lloyd.segments_matched == 4 and lloyd.segments_created == 2
    assert lloyd.rows_appended == 2
    # the first coder's segments stay as they were; the split rows follow them, in file order
    assert _segments(store) == {
        "imported/Julian.csv/X": [
            "Schools lost money.",
            "Coaches left, and nobody replaced them.",
            "The grant ended in May.",
            "Nobody trained the new hires.",
            "Coaches left,",
            "and nobody replaced them.",
        ],
        "imported/Julian.csv/Y": ["Enrolment rose."],
    }
    assert _decisions(store) == before
    assert _coded(store, "Lloyd") == {
        ("imported/Julian.csv/X", "Schools lost money.", "funding"),
        ("imported/Julian.csv/X", "The grant ended in May.", "staffing"),
        ("imported/Julian.csv/X", "Nobody trained the new hires.", "staffing"),
        ("imported/Julian.csv/X", "Coaches left,", "staffing"),
        ("imported/Julian.csv/X", "and nobody replaced them.", "staffing"),
    }
    (warning,) = lloyd.warnings
    assert warning.startswith("2 row(s) in 1 matched document(s) have no segment with their text")
    assert "imported/Julian.csv/X (Lloyd.csv row(s) 3, 4)" in warning


def test_ids_that_count_sentences_do_not_pair_another_coders_other_sentence(
    book: Codebook, tmp_path: Path
) -> None:
    """Both files called coding.csv: X#4 is 'Nobody trained ...' in the first file and
    'The grant ended ...' in the second; the rows meet by text, never by that id."""
    store = Store(":memory:")
    (tmp_path / "j").mkdir()
    (tmp_path / "l").mkdir()
    _import(store, write_csv(tmp_path / "j" / "coding.csv", HEADER, FIRST), "Julian", book)
    before = _decisions(store)
    lloyd = _import(store, write_csv(tmp_path / "l" / "coding.csv", HEADER, SPLIT), "Lloyd", book)
    assert lloyd.documents_created == 0 and lloyd.segments_matched == 4
    assert _decisions(store) == before
    assert ("imported/coding.csv/X", "Nobody trained the new hires.", "staffing") in _coded(
        store, "Lloyd"
    )
    assert ("imported/coding.csv/X", "The grant ended in May.", "staffing") in _coded(
        store, "Lloyd"
    )
    assert ("imported/coding.csv/X", "Coaches left, and nobody replaced them.", "staffing") not in (
        _coded(store, "Lloyd")
    )


def test_a_coder_correcting_their_own_file_still_meets_their_segments_by_id(
    book: Codebook, tmp_path: Path
) -> None:
    store = Store(":memory:")
    path = write_csv(tmp_path / "Julian.csv", HEADER, FIRST)
    _import(store, path, "Julian", book)
    fixed = [list(r) for r in FIRST]
    fixed[0][2] = "Schools lost much money."
    again = _import(store, write_csv(path, HEADER, fixed), "Julian", book)
    assert again.documents_created == 0 and again.segments_created == 0
    assert again.codings_added == 0 and again.codings_withdrawn == 0


def test_another_studys_document_with_the_same_value_is_kept_apart_and_named(
    book: Codebook, tmp_path: Path
) -> None:
    store = Store(":memory:")
    _import(store, write_csv(tmp_path / "study_a.csv", HEADER, FIRST), "Julian", book)
    other = [
        ["1", "X", "Parents chose the charter school.", "funding"],
        ["2", "X", "Nobody trained the new hires.", "staffing"],
        ["3", "X", "Buses ran late.", "staffing"],
    ]
    second = _import(store, write_csv(tmp_path / "study_b.csv", HEADER, other), "Lloyd", book)
    assert second.documents_created == 1 and second.documents_matched == 0
    assert second.documents_apart == 1
    assert _segments(store)["imported/study_b.csv/X"] == [r[2] for r in other]
    (warning,) = second.warnings
    assert warning.startswith(
        "1 document(s) were created again although a document with the same 'abstract' value"
    )
    assert "imported/study_b.csv/X (earlier: imported/study_a.csv/X;" in warning
    assert "shares 1 of its 4 sentence(s)" in warning


def test_a_second_coder_who_fixed_a_typo_meets_the_first_by_most_sentences(
    book: Codebook, tmp_path: Path
) -> None:
    store = Store(":memory:")
    _import(store, write_csv(tmp_path / "Julian.csv", HEADER, FIRST), "Julian", book)
    typo = [list(r) for r in FIRST]
    typo[2][2] = "The grant endet in May."
    lloyd = _import(store, write_csv(tmp_path / "Lloyd.csv", HEADER, typo), "Lloyd", book)
    assert lloyd.documents_created == 0 and lloyd.documents_matched_by_value == 1
    assert lloyd.segments_matched == 4 and lloyd.rows_appended == 1


def test_the_coders_own_other_file_with_the_value_is_not_merged_into(
    book: Codebook, tmp_path: Path
) -> None:
    """One coder's two question files, each with a document X: the second never takes
    over (or withdraws) the first file's decisions, even where most sentences repeat."""
    store = Store(":memory:")
    _import(store, write_csv(tmp_path / "q1.csv", HEADER, FIRST), "Julian", book)
    before = _decisions(store)
    q2 = [list(r) for r in FIRST[:4]]
    q2[3] = ["X#4", "X", "Buses ran late.", "staffing"]
    for row in q2:
        row[3] = "funding"
    second = _import(store, write_csv(tmp_path / "q2.csv", HEADER, q2), "Julian", book)
    assert second.documents_created == 1 and second.documents_apart == 1
    assert second.codings_withdrawn == 0
    assert set(before) <= set(_decisions(store))  # every q1 decision as it was
    assert "holds this coder's own codings" in second.warnings[0]


def test_two_files_of_one_import_with_the_same_value_are_named(
    book: Codebook, tmp_path: Path
) -> None:
    store = Store(":memory:")
    a = write_csv(tmp_path / "a.csv", HEADER, FIRST[:2])
    b = write_csv(tmp_path / "b.csv", HEADER, FIRST[2:4])
    both = import_coded(
        store, [a, b], coder="Julian", codebook=book, layout=LAYOUT, document_column="abstract"
    )
    assert both.documents_created == 2 and both.documents_apart == 1
    assert (
        "imported/b.csv/X (earlier: imported/a.csv/X; both files are in this import)"
        in (both.warnings[0])
    )


def test_a_short_document_split_differently_meets_by_its_words(
    book: Codebook, tmp_path: Path
) -> None:
    """Two sentences as three: one of three rows is the first's sentence (no majority),
    but the words are the same, so it is the same document."""
    store = Store(":memory:")
    first = [["Z#1", "Z", "Money ran out.", "funding"], ["Z#2", "Z", "Staff left.", "staffing"]]
    split = [
        ["Z#1", "Z", "Money", "funding"],
        ["Z#2", "Z", "ran out.", "funding"],
        ["Z#3", "Z", "Staff left.", "staffing"],
    ]
    _import(store, write_csv(tmp_path / "Julian.csv", HEADER, first), "Julian", book)
    lloyd = _import(store, write_csv(tmp_path / "Lloyd.csv", HEADER, split), "Lloyd", book)
    assert lloyd.documents_created == 0 and lloyd.documents_matched_by_value == 1
    assert lloyd.segments_matched == 1 and lloyd.rows_appended == 2


def test_the_coders_own_other_file_with_the_same_text_keeps_its_decisions(
    book: Codebook, tmp_path: Path
) -> None:
    """The same words in one coder's second question file (the text hash matches):
    still another document, so the first file's codes are not withdrawn."""
    store = Store(":memory:")
    _import(store, write_csv(tmp_path / "q1.csv", HEADER, FIRST), "Julian", book)
    before = _decisions(store)
    q2 = [[*row[:3], "funding"] for row in FIRST]
    second = _import(store, write_csv(tmp_path / "q2.csv", HEADER, q2), "Julian", book)
    assert second.documents_created == 2 and second.codings_withdrawn == 0
    assert set(before) <= set(_decisions(store))
    assert second.documents_apart == 2


def test_another_files_document_with_the_same_text_keeps_its_value(
    book: Codebook, tmp_path: Path
) -> None:
    """Two studies number their abstracts: the same abstract is 5 in one and 17 in the
    other. The text meets the earlier document; its 'abstract' value stays 5."""
    store = Store(":memory:")
    first = [[f"5#{i}", "5", r[2], r[3]] for i, r in enumerate(FIRST[:4], 1)]
    other = [[f"17#{i}", "17", r[2], r[3]] for i, r in enumerate(FIRST[:4], 1)]
    _import(store, write_csv(tmp_path / "study_a.csv", HEADER, first), "Julian", book)
    second = _import(store, write_csv(tmp_path / "study_b.csv", HEADER, other), "Lloyd", book)
    assert second.documents_created == 0 and second.documents_updated == 0
    rows = store.query("SELECT path, attributes FROM documents")
    assert [(r[0], r[1]) for r in rows] == [("imported/study_a.csv/5", '{"abstract": "5"}')]


def test_a_whole_file_renamed_still_meets_the_coders_earlier_import(
    book: Codebook, tmp_path: Path
) -> None:
    """Without a document column a file is one document: the coder's renamed copy is the
    same document (only a document column's values can name another question's)."""
    store = Store(":memory:")
    rows = [r[:1] + r[2:] for r in FIRST]
    header = ["id", "text", "code"]
    for name in ("draft.csv", "final.csv"):
        summary = import_coded(
            store,
            [write_csv(tmp_path / name, header, rows)],
            coder="Julian",
            codebook=book,
            layout=LAYOUT,
            rows_are_documents=False,
        )
    assert summary.documents_created == 0 and summary.codings_unchanged == 4
