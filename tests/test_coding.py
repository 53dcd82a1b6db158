"""Ingest and `code`: incremental runs, human decisions kept, orphans flagged, transactions."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from conftest import INTERVIEW_AZ, write_project
from themegrid.errors import CodebookError, StoreBusy
from themegrid.pipeline import ingest as ingest_module
from themegrid.pipeline.coding import run_coding
from themegrid.project import Project
from themegrid.store.connection import Store, now


def code(project: Project, store: Store, **kw):
    return run_coding(project, store, project.load_codebook(), use_model=False, **kw)


def machine(store: Store) -> set[tuple[str, str, str]]:
    return {
        (r["path"], r["text"], r["code_id"])
        for r in store.query(
            "SELECT d.path, s.text, c.code_id FROM codings c JOIN segments s ON s.id = c.segment_id"
            " JOIN documents d ON d.id = s.document_id WHERE c.source = 'rule' AND c.status = 'suggested'"
        )
    }


def decide(store: Store, text: str, code_id: str, status: str, coder: str = "ana") -> None:
    seg = store.scalar("SELECT id FROM segments WHERE text = ?", (text,))
    stamp = now()
    with store.transaction():
        store.execute(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, reason, created_at, updated_at)"
            " VALUES (?, ?, 'human', ?, ?, 'test', ?, ?)",
            (seg, code_id, coder, status, stamp, stamp),
        )


def human_rows(store: Store) -> list[tuple]:
    return [
        tuple(r) for r in store.query("SELECT * FROM codings WHERE source = 'human' ORDER BY id")
    ]


def test_first_run_suggests_codes_for_respondent_turns_only(project: Project) -> None:
    with project.open_store() as store:
        summary = code(project, store)
        found = machine(store)
    assert summary.ingest.count("added") == 2
    funding = {t for p, t, c in found if c == "barriers.funding"}
    staffing = {t for p, t, c in found if c == "barriers.staffing"}
    assert (
        "Honestly the budget. Once the grant money ran out we had to rethink everything." in funding
    )
    assert "The funding cuts were hard on us." in funding
    assert any("substitute teachers" in t for t in staffing)
    assert not any(t.startswith(("Thanks for joining", "And staffing")) for _, t, _ in found)


def test_second_run_does_no_work(project: Project) -> None:
    with project.open_store() as store:
        code(project, store)
        again = code(project, store)
    assert again.did_nothing
    assert again.segments_tagged == 0
    assert again.ingest.count("unchanged") == 2


def test_new_interview_only_that_file_is_tagged_and_humans_kept(project: Project) -> None:
    with project.open_store() as store:
        code(project, store)
        decide(store, "The funding cuts were hard on us.", "barriers.funding", "accepted")
        decide(
            store,
            "Honestly the budget. Once the grant money ran out we had to rethink everything.",
            "barriers.funding",
            "rejected",
        )
        before = human_rows(store)
        new = project.corpus_dir / "interviews" / "az2.txt"
        new.write_text(
            "Interviewer: Go on.\nRespondent: Turnover among coaches was brutal.\n"
            "Interviewer: And then?\nRespondent: We recovered slowly.\n"
        )
        with project.metadata_path.open("a") as fh:
            fh.write("interviews/az2.txt,Arizona,teacher,interview\n")
        summary = code(project, store)
        assert summary.ingest.paths("added") == ["interviews/az2.txt"]
        assert summary.segments_tagged == 2  # the two respondent turns
        assert human_rows(store) == before
        run = store.query("SELECT summary FROM runs WHERE id = ?", (summary.run_id,))[0][0]
        assert "interviews/az2.txt" in run


def test_cue_edit_changes_only_machine_suggestions_and_respects_rejections(
    project: Project,
) -> None:
    with project.open_store() as store:
        code(project, store)
        rejected_text = (
            "Honestly the budget. Once the grant money ran out we had to rethink everything."
        )
        decide(store, rejected_text, "barriers.funding", "rejected")
        before = human_rows(store)
        history = store.scalar("SELECT COUNT(*) FROM coding_history WHERE source = 'human'")
        cb = project.codebook_dir / "codebook.yaml"
        cb.write_text(
            cb.read_text().replace(
                "lemmas: [budget, funding, grant money, money run out]",
                "lemmas: [budget, grant money, money run out, weather]",
            )
        )
        summary = code(project, store)
        found = machine(store)
        assert summary.codebook_changed
        assert (
            "interviews/nv.txt",
            "The funding cuts were hard on us.",
            "barriers.funding",
        ) not in found
        assert any("weather" in t for _, t, c in found if c == "barriers.funding")
        assert not any(t == rejected_text for _, t, c in found if c == "barriers.funding")
        assert human_rows(store) == before
        assert store.scalar("SELECT COUNT(*) FROM coding_history WHERE source = 'human'") == history
        retired = store.query("SELECT reason FROM codings WHERE status = 'retired'")
        assert {r[0] for r in retired} >= {"retired: cues no longer match"}


def test_invalid_codebook_stops_before_the_store(project: Project) -> None:
    cb = project.codebook_dir / "codebook.yaml"
    cb.write_text(
        cb.read_text().replace("definition: Talk about money", "defintion: Talk about money")
    )
    with pytest.raises(CodebookError, match="defintion"):
        project.load_codebook()
    assert not project.store_path.exists()


def test_changed_file_keeps_human_codings_and_orphans_vanished_ones(project: Project) -> None:
    path = project.corpus_dir / "interviews" / "az.txt"
    with project.open_store() as store:
        code(project, store)
        kept = (
            "We could not find enough substitute teachers to cover release time, so turnover hurt."
        )
        lost = "There were three reasons: time, money, and trust."
        decide(store, kept, "barriers.staffing", "accepted")
        decide(store, lost, "barriers.funding", "accepted")
        path.write_text(
            "Interviewer: A new first question?\nRespondent: A new first answer.\n"
            + INTERVIEW_AZ.replace(lost, "There were four reasons, in fact.")
        )
        summary = code(project, store)
        assert summary.ingest.paths("changed") == ["interviews/az.txt"]
        assert summary.ingest.orphaned == 1
        states = dict(
            store.query(
                "SELECT s.text, s.active FROM codings c JOIN segments s ON s.id = c.segment_id WHERE c.source='human'"
            )
        )
        assert states == {kept: 1, lost: 0}
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == 2


def test_interrupted_ingest_leaves_the_store_unchanged(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    with project.open_store() as store:
        code(project, store)
    (project.corpus_dir / "interviews" / "nv.txt").write_text(
        "Interviewer: Changed?\nRespondent: Yes, changed.\n"
    )
    (project.corpus_dir / "interviews" / "new.txt").write_text("Respondent: brand new.\n")
    snapshot = _dump(project.store_path)
    calls = {"n": 0}
    real = ingest_module.segment_document

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "segment_document", flaky)
    with project.open_store() as store, pytest.raises(KeyboardInterrupt):
        code(project, store)
    assert calls["n"] == 2
    after = _dump(project.store_path)
    # as it was, but for the run history's record that the run was interrupted
    extra = [line for line in after if line not in snapshot]
    assert [line for line in after if line in snapshot] == snapshot
    assert len(extra) == 1 and extra[0].startswith('INSERT INTO "runs"')
    assert "interrupted (Ctrl-C)" in extra[0]


def test_a_run_leaves_the_garbage_collector_as_it_found_it(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run lets the collector pass less often (GC_THRESHOLDS) and restores the caller's
    thresholds afterwards, also when interrupted."""
    import gc

    from themegrid.pipeline import coding as coding_module

    before = gc.get_threshold()
    seen: list[tuple[int, int, int]] = []
    real = ingest_module.segment_document

    def watching(*args, **kwargs):
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "segment_document", watching)
    try:
        gc.set_threshold(123, 4, 5)
        with project.open_store() as store:
            code(project, store, workers=1)
        assert seen and set(seen) == {coding_module.GC_THRESHOLDS}
        assert gc.get_threshold() == (123, 4, 5)

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(ingest_module, "segment_document", interrupted)
        (project.corpus_dir / "interviews" / "new.txt").write_text("Respondent: brand new.\n")
        with project.open_store() as store, pytest.raises(KeyboardInterrupt):
            code(project, store, workers=1)
        assert gc.get_threshold() == (123, 4, 5)
    finally:
        gc.set_threshold(*before)


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_removed_file_is_marked_missing_and_prune_keeps_human_work(project: Project) -> None:
    with project.open_store() as store:
        code(project, store)
        decide(store, "The funding cuts were hard on us.", "barriers.funding", "accepted")
        (project.corpus_dir / "interviews" / "nv.txt").unlink()
        (project.corpus_dir / "interviews" / "az.txt").unlink()
        summary = code(project, store)
        assert sorted(summary.ingest.paths("missing")) == ["interviews/az.txt", "interviews/nv.txt"]
        assert machine(store) == set()
        pruned = code(project, store, prune=True)
        assert pruned.ingest.paths("pruned") == ["interviews/az.txt"]
        assert pruned.ingest.paths("kept") == ["interviews/nv.txt"]
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE source = 'human'") == 1


def test_bad_files_are_rejected_per_file_without_stopping(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", {"a.txt": "Respondent: fine text here.\n", "b.txt": ""})
    (project.corpus_dir / "c.docx").write_bytes(b"not a zip at all")
    with project.open_store() as store:
        summary = code(project, store)
    rejected = {o.path: o.message for o in summary.ingest.outcomes if o.action == "rejected"}
    assert set(rejected) == {"b.txt", "c.docx"}
    assert "corpus/b.txt" in rejected["b.txt"] and "empty" in rejected["b.txt"]
    assert "corpus/c.docx" in rejected["c.docx"]
    assert summary.ingest.paths("added") == ["a.txt"]


def test_metadata_row_for_missing_file_is_a_warning(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {"a.txt": "Respondent: hi there.\n"},
        metadata="file,state\na.txt,Nevada\nghost.txt,Arizona\n",
    )
    with project.open_store() as store:
        summary = code(project, store)
    assert any("metadata.csv:3" in w and "ghost.txt" in w for w in summary.ingest.warnings)


def test_second_writer_fails_with_a_clear_message(project: Project) -> None:
    first = project.open_store()
    second = Store(project.store_path, busy_timeout=0.1)
    with (
        first.transaction(),
        pytest.raises(StoreBusy, match="another themegrid command"),
        second.transaction(),
    ):
        pass
    first.close()
    second.close()


SURVEY = (
    "ResponseId,State,Role,Answer\n"
    "R_1,Nevada,teacher,The grant money ran out and we stopped.\n"
    "R_2,Arizona,principal,We could not find enough substitute teachers.\n"
    "R_3,Nevada,teacher,Nothing to add.\n"
)


def test_survey_rows_become_documents_with_their_own_attributes(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p", {"survey.csv": SURVEY}, metadata="file,source_type\nsurvey.csv,survey\n"
    )
    with project.open_store() as store:
        summary = code(project, store)
        docs = {
            r["path"]: json.loads(r["attributes"])
            for r in store.query("SELECT path, attributes FROM documents WHERE status = 'present'")
        }
        assert summary.ingest.paths("added") == ["survey.csv"]
        assert docs == {
            "survey.csv#row=R_1": {"source_type": "survey", "State": "Nevada", "Role": "teacher"},
            "survey.csv#row=R_2": {
                "source_type": "survey",
                "State": "Arizona",
                "Role": "principal",
            },
            "survey.csv#row=R_3": {"source_type": "survey", "State": "Nevada", "Role": "teacher"},
        }
        found = machine(store)
        assert (
            "survey.csv#row=R_1",
            "The grant money ran out and we stopped.",
            "barriers.funding",
        ) in found
        assert code(project, store).ingest.paths("unchanged") == ["survey.csv"]
        (project.corpus_dir / "survey.csv").write_text(
            SURVEY.replace("R_3,Nevada,teacher,Nothing to add.\n", "")
        )
        again = code(project, store)
        assert again.ingest.paths("changed") == ["survey.csv"]
        status = dict(store.query("SELECT path, status FROM documents"))
        assert (
            status["survey.csv#row=R_3"] == "missing" and status["survey.csv#row=R_1"] == "present"
        )


def test_spreadsheet_with_a_speaker_column_is_one_transcript(tmp_path: Path) -> None:
    sheet = "Speaker,Text\nInterviewer,What happened?\nRespondent,The grant money ran out.\n"
    project = write_project(
        tmp_path / "p", {"t.csv": sheet}, metadata="file,state,speaker_column\nt.csv,Ohio,Speaker\n"
    )
    with project.open_store() as store:
        code(project, store)
        rows = store.query(
            "SELECT d.path, s.speaker, s.is_interviewer FROM segments s JOIN documents d ON d.id = s.document_id ORDER BY s.seq"
        )
    assert [tuple(r) for r in rows] == [("t.csv", "Interviewer", 1), ("t.csv", "Respondent", 0)]


def test_transcript_preamble_is_stored_but_not_coded(tmp_path: Path) -> None:
    text = (
        "Interview with a district leader about grant money, 12 March\n\n"
        "Interviewer: Where did the grant money go?\nRespondent: The grant money ran out.\n"
        "Interviewer: And then?\nRespondent: We found other budget lines.\n"
    )
    project = write_project(tmp_path / "p", {"a.txt": text})
    with project.open_store() as store:
        code(project, store)
        rows = store.query("SELECT text, speaker, codable FROM segments ORDER BY seq")
        coded = {t for _, t, _ in machine(store)}
    assert rows[0]["speaker"] is None and rows[0]["codable"] == 0
    assert [r["codable"] for r in rows[1:]] == [0, 1, 0, 1]
    assert coded == {"The grant money ran out.", "We found other budget lines."}


def test_interviewer_suggestions_are_retired_when_interviewers_are_excluded_again(
    tmp_path: Path,
) -> None:
    text = "Interviewer: Was the budget a problem?\nRespondent: Yes, the grant money ran out.\n" * 2
    project = write_project(tmp_path / "p", {"a.txt": text})
    with project.open_store() as store:
        with_interviewers = code(project, store, include_interviewers=True)
        tagged_all = with_interviewers.segments_tagged
        interviewer_rows = store.scalar(
            "SELECT COUNT(*) FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE s.is_interviewer = 1 AND c.status = 'suggested'"
        )
        assert tagged_all == 4 and interviewer_rows == 2
        again = code(project, store)
        assert again.suggestions_retired == interviewer_rows
        reasons = {r[0] for r in store.query("SELECT reason FROM codings WHERE status = 'retired'")}
        assert reasons == {"retired: segment not coded (interviewer turn or transcript preamble)"}


def test_small_edit_keeps_the_human_coding_on_the_edited_turn(project: Project) -> None:
    path = project.corpus_dir / "interviews" / "nv.txt"
    old = "The funding cuts were hard on us."
    with project.open_store() as store:
        code(project, store)
        decide(store, old, "barriers.funding", "accepted")
        path.write_text(path.read_text().replace(old, "The funding cuts were very hard on us."))
        summary = code(project, store)
        rows = store.query(
            "SELECT s.text, s.active, c.note FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE c.source = 'human'"
        )
        assert [(r["text"], r["active"]) for r in rows] == [
            ("The funding cuts were very hard on us.", 1)
        ]
        assert "re-attached after the segment was edited" in rows[0]["note"]
        assert summary.ingest.orphaned == 0
        assert (
            "1 human coding(s) followed their edited segment" in summary.ingest.outcomes[1].message
        )
        history = store.query(
            "SELECT segment_id FROM coding_history WHERE source = 'human' ORDER BY id"
        )
        assert len({r[0] for r in history}) == 2  # the move is in the coding's history


def test_code_trains_the_model_on_human_decisions_and_respects_them(tmp_path: Path) -> None:
    import random

    rng = random.Random(3)
    money = [
        "we ran short of dollars for the program",
        "the district had no money left for stipends",
        "our funds dried up after one year",
        "state dollars paid for coaching",
        "the dollars went to laptops instead",
        "funds for substitutes were cut",
    ]
    other = [
        "teachers liked the new rubric",
        "students presented portfolios",
        "we rewrote the report card",
    ]
    files = {
        f"f{f}.txt": "".join(
            f"Interviewer: Tell me more about dollars.\nRespondent: {rng.choice(money if t % 2 else other)}.\n"
            for t in range(6)
        )
        for f in range(8)
    }
    project = write_project(tmp_path / "p", files)
    with project.open_store() as store:
        first = run_coding(project, store, project.load_codebook())
        assert first.model["codes_modelled"] == []
        respondent = store.query("SELECT id, text FROM segments WHERE codable = 1 ORDER BY id")
        labelled, unlabelled = (
            respondent[: len(respondent) // 2],
            respondent[len(respondent) // 2 :],
        )
        stamp = now()
        with store.transaction():
            for seg_id, text in labelled:
                if any(w in text for w in ("dollars", "money", "funds")):
                    store.execute(
                        "INSERT INTO codings (segment_id, code_id, source, coder, status, reason,"
                        " created_at, updated_at) VALUES (?, 'barriers.funding', 'human', 'ana', 'accepted', '', ?, ?)",
                        (seg_id, stamp, stamp),
                    )
                store.execute(
                    "INSERT INTO segment_views (segment_id, coder, at) VALUES (?, 'ana', ?)",
                    (seg_id, stamp),
                )
            money_seg = next(s for s, t in unlabelled if "dollars" in t)
            store.execute(
                "INSERT INTO codings (segment_id, code_id, source, coder, status, reason, created_at, updated_at)"
                " VALUES (?, 'barriers.funding', 'human', 'ben', 'rejected', '', ?, ?)",
                (money_seg, stamp, stamp),
            )
        second = run_coding(project, store, project.load_codebook())
        assert second.model["codes_modelled"] == ["barriers.funding"]
        rows = store.query(
            "SELECT s.id, s.text, s.codable, c.reason FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE c.source = 'model' AND c.status = 'suggested'"
        )
        assert rows, "the model suggested nothing"
        assert all(r["codable"] == 1 for r in rows)
        assert money_seg not in {r["id"] for r in rows}
        assert all(r["reason"].startswith("model p=") for r in rows)
        assert {r["id"] for r in rows} <= {s for s, _ in unlabelled}


def test_a_new_reading_revision_rereads_every_file_and_keeps_human_codings(
    project: Project,
) -> None:
    with project.open_store() as store:
        code(project, store)
        decide(store, "The funding cuts were hard on us.", "barriers.funding", "accepted")
        with store.transaction():
            store.set_meta("reading_revision", "0")
        summary = code(project, store)
        assert sorted(summary.ingest.paths("changed")) == ["interviews/az.txt", "interviews/nv.txt"]
        assert summary.ingest.orphaned == 0
        assert code(project, store).ingest.paths("unchanged") == [
            "interviews/az.txt",
            "interviews/nv.txt",
        ]
