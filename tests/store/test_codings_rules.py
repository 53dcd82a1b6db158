"""The rules store/codings.py owns: the coding that counts, "a human rejected this", and
that the machine's writer never touches human work (nor does a re-import touch other humans')."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from factories import TWO_BARRIERS_CODEBOOK, add_document
from themegrid.codebook import Codebook, load_codebook
from themegrid.exchange.coded import import_coded
from themegrid.store import codings as sc
from themegrid.store.connection import Store
from themegrid.tag.model import human_labels, suggest_with_model

CODEBOOK = TWO_BARRIERS_CODEBOOK
T1, T2, T3 = "2026-01-01T00:00:01", "2026-01-01T00:00:02", "2026-01-01T00:00:03"
CODE = "barriers.funding"


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


@pytest.fixture
def seg(store: Store) -> str:
    return add_document(store, "a.txt", [("Respondent", "the budget was cut")])[0]


@pytest.fixture(scope="module")
def codebook(tmp_path_factory: pytest.TempPathFactory) -> Codebook:
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(path)


def suggest(
    store: Store, seg: str, code: str = CODE, *, source: str = "rule", at: str = T1
) -> None:
    coder = "themegrid:rules" if source == "rule" else "themegrid:model"
    with store.transaction():
        sc.record_suggestions(
            store, source, coder, [sc.Suggestion(seg, code, 0.7, "cue")], run_id=None, at=at
        )


def decide(store: Store, seg: str, coder: str, status: str, at: str, code: str = CODE) -> None:
    with store.transaction():
        sc.record_human_codings(
            store, coder, [sc.HumanDecision(seg, code, status, "test")], run_id=None, at=at
        )


def row(store: Store, seg: str, code: str, coder: str) -> tuple:
    return tuple(
        store.conn.execute(
            "SELECT status, reason, note, confidence, run_id, updated_at FROM codings"
            " WHERE segment_id = ? AND code_id = ? AND coder = ?",
            (seg, code, coder),
        ).fetchone()
    )


# --- the coding that counts --------------------------------------------------------------


def test_a_machine_suggestion_counts_until_a_human_decides(store: Store, seg: str) -> None:
    assert sc.effective_coding(store, seg, CODE) is None
    suggest(store, seg, at=T2)
    counted = sc.effective_coding(store, seg, CODE)
    assert counted is not None and (counted.status, counted.source) == ("suggested", "rule")
    decide(store, seg, "ana", "rejected", at=T1)  # even a decision stamped before the suggestion
    counted = sc.effective_coding(store, seg, CODE)
    assert counted is not None
    assert (counted.status, counted.source, counted.coder) == ("rejected", "human", "ana")
    suggest(store, seg, at=T3)  # the machine suggesting it again changes nothing
    assert sc.effective_coding(store, seg, CODE).status == "rejected"  # type: ignore[union-attr]


def test_with_two_human_decisions_the_latest_counts(store: Store, seg: str) -> None:
    suggest(store, seg)
    decide(store, seg, "ana", "accepted", at=T1)
    decide(store, seg, "ben", "rejected", at=T2)
    assert sc.effective_coding(store, seg, CODE).coder == "ben"  # type: ignore[union-attr]
    assert sc.effective_coding(store, seg, CODE).status == "rejected"  # type: ignore[union-attr]
    decide(store, seg, "ana", "accepted", at=T3)  # ana decides again, later
    counted = sc.effective_coding(store, seg, CODE)
    assert counted is not None and (counted.coder, counted.status) == ("ana", "accepted")


# --- "a human rejected this" ---------------------------------------------------------------


def test_human_rejected_means_the_latest_human_decision_is_a_rejection(
    store: Store, seg: str
) -> None:
    decide(store, seg, "ana", "rejected", at=T1)
    assert sc.human_rejected(store) == {(seg, CODE)}
    assert sc.human_rejected(store, [seg]) == {(seg, CODE)}
    assert sc.human_rejected(store, ["other"]) == set()
    decide(store, seg, "ben", "accepted", at=T2)  # a later accept by a human clears it
    assert sc.human_rejected(store) == set()
    assert sc.human_accepted(store) == {(seg, CODE)}
    assert sc.human_accepted(store, "ana") == set()  # ana's own decision is still a rejection
    assert human_labels(store) == {seg: {CODE}}
    decide(store, seg, "ana", "rejected", at=T3)  # and a later rejection sets it again
    assert sc.human_rejected(store) == {(seg, CODE)}
    assert human_labels(store) == {seg: set()}


def test_learned_model_uses_the_same_rejected_rule(
    store: Store, seg: str, codebook: Codebook
) -> None:
    other = add_document(store, "b.txt", [("Respondent", "money was short")])[0]
    for s in (seg, other):
        suggest(store, s, source="model")
    decide(store, seg, "ana", "rejected", at=T1)
    decide(store, seg, "ben", "accepted", at=T2)  # no longer rejected
    decide(store, other, "ana", "rejected", at=T1)  # still rejected
    with store.transaction():
        summary = suggest_with_model(store, codebook, None, None)
    assert summary["retired"] == 1
    assert row(store, other, CODE, "themegrid:model")[0] == "retired"
    assert row(store, seg, CODE, "themegrid:model")[0] == "suggested"


# --- the machine's writer never touches a human coding -------------------------------------


def test_machine_writers_never_overwrite_or_delete_a_human_coding(store: Store, seg: str) -> None:
    with store.transaction():
        sc.record_human_codings(
            store,
            "ana",
            [sc.HumanDecision(seg, CODE, "accepted", "read it", note="clear case")],
            run_id=None,
            at=T1,
        )
    before = row(store, seg, CODE, "ana")
    history = store.conn.execute("SELECT COUNT(*) FROM coding_history").fetchone()[0]
    with store.transaction():
        for source, coder in (
            ("rule", "themegrid:rules"),
            ("model", "themegrid:model"),
            ("rule", "ana"),
        ):
            sc.record_suggestions(
                store, source, coder, [sc.Suggestion(seg, CODE, 0.9, "cue")], run_id=None, at=T3
            )
            sc.retire_suggestions(store, source, coder, [(seg, CODE, "gone")], run_id=None, at=T3)
        sc.retire_stale_suggestions(store, [], include_interviewers=False, run_id=None, at=T3)
    assert row(store, seg, CODE, "ana") == before
    n_human = store.conn.execute("SELECT COUNT(*) FROM codings WHERE source = 'human'").fetchone()
    assert n_human[0] == 1
    assert store.conn.execute("SELECT COUNT(*) FROM coding_history").fetchone()[0] > history
    assert sc.effective_coding(store, seg, CODE).status == "accepted"  # type: ignore[union-attr]
    for bad in ("human", "import"):
        with pytest.raises(ValueError):
            sc.record_suggestions(
                store, bad, "ana", [sc.Suggestion(seg, CODE, 0.9, "x")], run_id=None, at=T3
            )
        with pytest.raises(ValueError):
            sc.retire_suggestions(store, bad, "ana", [(seg, CODE, None)], run_id=None, at=T3)
    assert row(store, seg, CODE, "ana") == before


def test_a_human_decision_replaces_that_coders_own_earlier_one_and_keeps_history(
    store: Store, seg: str
) -> None:
    with store.transaction():
        sc.record_human_codings(
            store,
            "ana",
            [sc.HumanDecision(seg, CODE, "accepted", "a", note="n1")],
            run_id=None,
            at=T1,
        )
    decide(store, seg, "ana", "rejected", at=T2)  # note None: the note is kept
    assert row(store, seg, CODE, "ana")[:3] == ("rejected", "test", "n1")
    statuses = [
        r[0]
        for r in store.conn.execute(
            "SELECT status FROM coding_history WHERE coder = 'ana' ORDER BY id"
        )
    ]
    assert statuses == ["accepted", "rejected"]
    with pytest.raises(ValueError):
        decide(store, seg, "ana", "suggested", at=T3)
    assert sc.human_codings(store, "ana")[(seg, CODE)].status == "rejected"


# --- re-import does not withdraw what other humans (or the coder in review) added ----------


def write_survey(path: Path, codes_r1: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ResponseId", "Answer", "Code 1", "Code 2"])
        w.writerow(
            ["R_1", "The budget was cut and we lost staff.", *codes_r1, *[""] * (2 - len(codes_r1))]
        )
        w.writerow(["R_2", "Nothing changed.", "Staffing shortages", ""])
    return path


def test_reimport_withdraws_only_the_coders_own_imported_codes(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    path = write_survey(tmp_path / "s.csv", ["Funding constraints", "Staffing shortages"])
    import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)
    seg = store.conn.execute("SELECT id FROM segments WHERE row_id = 'R_1'").fetchone()[0]
    r2 = store.conn.execute("SELECT id FROM segments WHERE row_id = 'R_2'").fetchone()[0]
    with store.transaction():  # a reviewer, and Ana herself in review, add codes
        sc.record_human_codings(
            store,
            "Ben",
            [sc.HumanDecision(seg, "barriers.funding", "accepted", "added in review")],
            run_id=None,
            at=T1,
        )
        sc.record_human_codings(
            store,
            "Ana",
            [sc.HumanDecision(r2, "barriers.funding", "accepted", "added in review")],
            run_id=None,
            at=T1,
        )
    write_survey(path, ["Staffing shortages"])  # Ana drops Funding from R_1 and re-imports
    again = import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)
    assert again.codings_withdrawn == 1
    ana = sc.human_codings(store, "Ana")
    assert ana[(seg, "barriers.funding")].status == "rejected"
    assert ana[(seg, "barriers.staffing")].status == "accepted"
    assert ana[(r2, "barriers.funding")].status == "accepted"  # her own review addition stays
    assert sc.human_codings(store, "Ben")[(seg, "barriers.funding")].status == "accepted"


def test_pending_counts_per_code_equal_the_pending_list(store: Store) -> None:
    """The counts a re-run prints come from SQL; they must be those of the pending list:
    suggestions a human decided do not count, model ones are counted apart."""
    segs = add_document(
        store,
        "b.txt",
        [("Respondent", "the budget was cut"), ("Respondent", "we lost staff"), ("R", "money")],
    )
    suggest(store, segs[0])
    suggest(store, segs[1], source="model")
    suggest(store, segs[2])
    suggest(store, segs[2], "barriers.staffing", source="model")
    decide(store, segs[2], "ana", "accepted", T2)
    expected: dict[str, tuple[int, int]] = {}
    for p in sc.pending_suggestions(store):
        total, model = expected.get(p.code_id, (0, 0))
        expected[p.code_id] = (total + 1, model + ("model" in p.source))
    assert sc.pending_counts_per_code(store) == expected
    assert expected[CODE] == (2, 1)
