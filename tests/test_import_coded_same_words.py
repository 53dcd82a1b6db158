"""One coder's files of two survey questions: a respondent who answered both in the same
words ("culture") is two responses, and the second file never withdraws the first's
decisions (the real NaPiRE cause and effect files did that: 16 codings withdrawn)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_import_coded_messy import CODEBOOK, codings, write_csv
from themegrid.codebook import load_codebook
from themegrid.exchange.coded import import_coded
from themegrid.store.connection import Store


@pytest.fixture
def book(tmp_path: Path):
    (tmp_path / "cb").mkdir()
    (tmp_path / "cb" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(tmp_path / "cb")


def _statuses(store: Store, coder: str) -> list[str]:
    rows = store.query("SELECT status FROM codings WHERE source = 'human' AND coder = ?", (coder,))
    return sorted(r[0] for r in rows)


def test_the_same_words_in_a_second_question_file_keep_the_first_files_codes(
    book, tmp_path: Path
) -> None:
    causes = write_csv(
        tmp_path / "q1_causes.csv", ["id", "text", "code"], [["545", "culture", "funding"]]
    )
    effects = write_csv(
        tmp_path / "q2_effects.csv", ["id", "text", "code"], [["545", "culture", "staffing"]]
    )
    empty = write_csv(tmp_path / "q3_draft.csv", ["id", "text", "code"], [["545", "culture", ""]])
    store = Store(":memory:")
    import_coded(store, [causes], coder="Ana", codebook=book)
    second = import_coded(store, [effects], coder="Ana", codebook=book)
    third = import_coded(store, [empty], coder="Ana", codebook=book)
    assert second.codings_withdrawn == third.codings_withdrawn == 0
    assert second.documents_created == third.documents_created == 1
    assert _statuses(store, "Ana") == ["accepted", "accepted"]
    assert codings(store, "Ana") == {("545", "funding"), ("545", "staffing")}


def test_another_coders_file_still_meets_the_first(book, tmp_path: Path) -> None:
    ana = write_csv(tmp_path / "ana.csv", ["id", "text", "code"], [["545", "culture", "funding"]])
    ben = write_csv(tmp_path / "ben.csv", ["id", "text", "code"], [["545", "culture", "staffing"]])
    store = Store(":memory:")
    import_coded(store, [ana], coder="Ana", codebook=book)
    second = import_coded(store, [ben], coder="Ben", codebook=book)
    assert second.documents_created == 0 and second.documents_matched == 1
    assert codings(store, "Ana") == {("545", "funding")}
    assert codings(store, "Ben") == {("545", "staffing")}
