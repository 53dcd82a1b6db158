"""Imported sources are segmented like ingested files; selections become span codings on them.

Built with the writer every import shares (qdpx, Taguette, QualCoder): a plan with one
transcript and its selections, imported into a project with an empty codebook.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from themegrid import api
from themegrid.exchange.options import ImportOptions
from themegrid.exchange.refi.codes import ImportedCode
from themegrid.exchange.refi.ids import code_guid
from themegrid.exchange.refi.importer import (
    JOINED_COLUMNS,
    ImportedNote,
    ImportPlan,
    Selection,
    SourceText,
    apply_import,
)
from themegrid.exchange.refi.qdpx import export_qdpx, read_qdpx
from themegrid.exchange.refi.safety import RefiError
from themegrid.project import Project, init_project
from themegrid.segment.ids import segment_id
from themegrid.store.connection import Store

TEXT = (
    "Interviewer: What got the district started?\n"
    "\n"
    "Teacher: The budget ran out in March. Then the grant came through.\n"
    "\n"
    "Interviewer: And after that?\n"
    "\n"
    "Teacher: Substitute teachers were hard to find all year.\n"
)
FUNDING, STAFFING = "guid-funding", "guid-staffing"
CODES = (ImportedCode(FUNDING, "Funding", None), ImportedCode(STAFFING, "Staffing", None))


def span(quote: str, text: str = TEXT) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def sel(name: str, quote: str, code: str, user: str = "u-ana", memos: tuple = ()) -> Selection:
    return Selection(name, *span(quote), ((code, user),), f"selection {name}", memos)


def plan(*selections: Selection, notes: dict | None = None, text: str = TEXT) -> ImportPlan:
    return ImportPlan(
        file="study.qdpx",
        command="import qdpx",
        name="Study",
        codes=CODES,
        sources=(SourceText("src-1", "Interview 1", text, {"state": "AZ"}, selections),),
        users={"u-ana": "ana", "u-ben": "ben"},
        notes=notes or {},
    )


def fresh(tmp_path: Path) -> Project:
    project, _ = init_project(tmp_path / "proj", empty_codebook=True)
    return project


def codings(project: Project) -> list[tuple[str, str, str, str, str]]:
    """(segment text, passage text, code id, coder, reason) of every human coding."""
    with Store(project.store_path) as store:
        rows = store.query(
            "SELECT s.text, substr(d.text, c.span_start + 1, c.span_end - c.span_start),"
            ' c.code_id, c.coder, c.reason, s.start <= c.span_start AND c.span_end <= s."end"'
            " FROM codings c JOIN segments s ON s.id = c.segment_id"
            " JOIN documents d ON d.id = s.document_id WHERE c.source = 'human'"
            " ORDER BY c.span_start, c.code_id"
        )
    assert all(r[5] for r in rows)  # every span inside its segment
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def segments(project: Project) -> list[tuple[str, str | None, int]]:
    with Store(project.store_path) as store:
        return [
            (r[0], r[1], r[2])
            for r in store.query("SELECT text, speaker, is_interviewer FROM segments ORDER BY seq")
        ]


def test_uncoded_text_is_segmented_as_an_ingested_transcript(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    summary = apply_import(project, plan(sel("a", "budget ran out", FUNDING)))
    assert segments(project) == [
        ("What got the district started?", "Interviewer", 1),
        ("The budget ran out in March. Then the grant came through.", "Teacher", 0),
        ("And after that?", "Interviewer", 1),
        ("Substitute teachers were hard to find all year.", "Teacher", 0),
    ]
    assert (summary.segments, summary.coded_segments, summary.codings) == (4, 1, 1)
    with Store(project.store_path) as store:
        text, kind, attrs = store.query("SELECT text, kind, attributes FROM documents")[0]
        ids = {r[0] for r in store.query("SELECT id FROM segments")}
    assert text == TEXT and kind == "interview" and '"state": "AZ"' in attrs
    # the ingest id scheme, for the document's stored path (path, speaker, words, ordinal)
    path = summary.documents[0]
    assert ids == {segment_id(path, spk or "", words, 0) for words, spk, _ in segments(project)}
    assert codings(project) == [
        (
            "The budget ran out in March. Then the grant came through.",
            "budget ran out",
            "funding",
            "ana",
            "imported from study.qdpx (selection a at {}-{})".format(*span("budget ran out")),
        )
    ]


def test_uncoded_segments_get_machine_suggestions(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    apply_import(project, plan(sel("a", "budget ran out", FUNDING)))
    (project.codebook_dir / "extra.yaml").write_text(
        "codes:\n  - id: subs\n    name: Substitutes\n    definition: Substitute teachers.\n"
        "    cues:\n      lemmas: [substitute]\n",
        encoding="utf-8",
    )
    api.code(project, use_model=False)
    with Store(project.store_path) as store:
        suggested = store.query(
            "SELECT s.text FROM codings c JOIN segments s ON s.id = c.segment_id"
            " WHERE c.source != 'human' AND c.code_id = 'subs'"
        )
    assert [r[0] for r in suggested] == ["Substitute teachers were hard to find all year."]


@pytest.mark.parametrize("keep", [False, True])
def test_a_selection_across_turns_is_a_span_coding_on_each_answer(
    tmp_path: Path, keep: bool
) -> None:
    project = fresh(tmp_path)
    quote = "grant came through.\n\nInterviewer: And after that?\n\nTeacher: Substitute"
    summary = apply_import(
        project, plan(sel("x", quote, FUNDING)), ImportOptions(code_interviewer_turns=keep)
    )
    got = codings(project)
    # the interviewer's question between the two answers is coded only when asked
    question = [("And after that?", "funding", "ana")] if keep else []
    assert [(g[1], g[2], g[3]) for g in got] == [
        ("grant came through.", "funding", "ana"),
        *question,
        ("Substitute", "funding", "ana"),
    ]
    start, end = span(quote)
    assert all(f"selection x at {start}-{end}" in g[4] for g in got)  # whole offsets kept
    assert summary.across_turns == 1 and summary.selection_codes == 1 and summary.joined == 0
    assert summary.with_interviewer == 1
    lines = "\n".join(summary.lines())
    assert "cross a turn boundary" in lines
    assert ("coded on every turn" if keep else "--code-interviewer-turns codes") in lines


def test_a_selection_wholly_in_interviewer_turns_is_coded_there(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    quote = "started?\n\nTeacher: The budget"
    summary = apply_import(
        project,
        plan(sel("q", "What got the district started?", STAFFING), sel("x", quote, FUNDING)),
    )
    got = [(g[1], g[2]) for g in codings(project)]
    assert got == [("What got the district started?", "staffing"), ("The budget", "funding")]
    assert summary.with_interviewer == 1


def test_two_same_code_selections_in_one_turn_are_joined_reported_and_kept(
    tmp_path: Path,
) -> None:
    project = fresh(tmp_path)
    summary = apply_import(
        project,
        plan(
            sel("a", "budget ran out", FUNDING),
            sel("b", "grant came through", FUNDING),
            sel("c", "grant came", FUNDING, user="u-ben"),  # another coder: not joined
            sel("d", "in March", STAFFING),  # another code: not joined
        ),
    )
    got = codings(project)
    joined = [g for g in got if g[2] == "funding" and g[3] == "ana"]
    assert len(joined) == 1
    assert joined[0][1] == "budget ran out in March. Then the grant came through"  # covers both
    assert "'budget ran out'" in joined[0][4] and "'grant came through'" in joined[0][4]
    a, b = span("budget ran out"), span("grant came through")
    assert f"at {a[0]}-{a[1]}" in joined[0][4] and f"at {b[0]}-{b[1]}" in joined[0][4]
    assert {(g[1], g[2], g[3]) for g in got if g is not joined[0]} == {
        ("grant came", "funding", "ben"),
        ("in March", "staffing", "ana"),
    }
    assert summary.joined == 2 and summary.selection_codes == 4 and summary.codings == 3
    report = project.root / str(summary.joined_report)
    assert summary.joined_report == "reports/study_joined_selections.csv"
    assert any(
        "2 selections of the same code by the same coder in one turn joined" in line
        and str(summary.joined_report) in line
        for line in summary.lines()
    )
    with report.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == JOINED_COLUMNS
    assert [(r["code"], r["coder"], r["start"], r["end"], r["text"]) for r in rows] == [
        ("funding", "ana", str(a[0]), str(a[1]), "budget ran out"),
        ("funding", "ana", str(b[0]), str(b[1]), "grant came through"),
    ]


def test_a_memo_on_a_selection_is_a_passage_memo_with_its_offsets(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    note = ImportedNote("n1", "Money first.", "u-ana", "2024-01-01T00:00:00")
    apply_import(
        project, plan(sel("a", "budget ran out", FUNDING, memos=("n1",)), notes={"n1": note})
    )
    with Store(project.store_path) as store:
        memos = store.query(
            "SELECT m.text, m.span_start, m.span_end, s.text FROM memos m"
            " JOIN segments s ON s.id = m.target_id WHERE m.target_kind = 'segment'"
        )
    assert [tuple(m) for m in memos] == [
        (
            "Money first.",
            *span("budget ran out"),
            "The budget ran out in March. Then the grant came through.",
        )
    ]


def test_a_selection_on_no_turn_text_keeps_a_segment_of_its_own(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    summary = apply_import(project, plan(sel("l", "Teacher", STAFFING)))  # the speaker label
    assert [(g[0], g[1]) for g in codings(project)] == [("Teacher", "Teacher")]
    assert summary.outside_turns == 1 and summary.segments == 5


def test_round_trip_gives_back_every_selection_with_its_offsets(tmp_path: Path) -> None:
    first = fresh(tmp_path / "a")
    selections = (
        sel("a", "budget ran out", FUNDING),
        sel("b", "Then the grant", STAFFING, user="u-ben"),
        sel("c", "Substitute teachers were hard to find all year.", STAFFING),
    )
    apply_import(first, plan(*selections))
    export_qdpx(first, tmp_path / "out.qdpx")
    back = read_qdpx(tmp_path / "out.qdpx")
    (source,) = back.sources
    assert source.text == TEXT
    users = dict(back.users)
    names = {c.guid: c.name for c in back.codes}
    got = {(s.start, s.end, names[c], users[u]) for s in source.selections for c, u in s.codings}
    assert got == {
        (*span("budget ran out"), "Funding", "ana"),
        (*span("Then the grant"), "Staffing", "ben"),
        (*span("Substitute teachers were hard to find all year."), "Staffing", "ana"),
    }
    second = fresh(tmp_path / "b")
    apply_import(second, back)
    assert [(g[1], g[2], g[3]) for g in codings(second)] == [
        (g[1], g[2], g[3]) for g in codings(first)
    ]
    assert segments(second) == segments(first)


def test_an_export_says_how_many_codings_were_joined_on_import(tmp_path: Path) -> None:
    project = fresh(tmp_path)
    apply_import(
        project,
        plan(
            sel("a", "budget ran out", FUNDING),
            sel("b", "grant came through", FUNDING),
            sel("c", "Substitute teachers", STAFFING),
        ),
    )
    out = export_qdpx(project, tmp_path / "out.qdpx")
    assert out.joined == 1 and out.codings == 2
    assert any("1 coding(s) joined on import" in line for line in out.lines())
    (source,) = read_qdpx(tmp_path / "out.qdpx").sources
    assert {(s.start, s.end) for s in source.selections} == {
        (span("budget ran out")[0], span("grant came through")[1]),  # the joined span
        span("Substitute teachers"),
    }


def test_a_selection_reaching_past_its_turn_is_coded_on_the_turn_text_and_said(
    tmp_path: Path,
) -> None:
    project = fresh(tmp_path)
    summary = apply_import(
        project,
        plan(
            sel("l", "Teacher: The budget", FUNDING),  # takes in the speaker label
            sel("w", "all year.\n", STAFFING),  # ends in the line break after the turn
        ),
    )
    got = codings(project)
    assert [(g[1], g[2]) for g in got] == [("The budget", "funding"), ("all year.", "staffing")]
    label, blank = span("Teacher: The budget"), span("all year.\n")
    assert f"at {label[0]}-{label[1]}, on this turn's text" in got[0][4]
    assert f"at {blank[0]}-{blank[1]}, on this turn's text" in got[1][4]
    assert (summary.clipped, summary.trimmed) == (1, 1)
    assert any("into other text" in line for line in summary.lines())
    assert any("blank space" in line for line in summary.lines())


def test_a_coder_named_like_the_projects_but_for_case_is_refused_unless_asked(
    tmp_path: Path,
) -> None:
    project = fresh(tmp_path)
    first = plan(sel("a", "budget ran out", FUNDING))
    apply_import(project, dataclasses.replace(first, users={"u-ana": "Ana"}))
    staffing = code_guid("staffing")  # the project's code, as a file exported from it names it
    other = dataclasses.replace(
        first,
        codes=(ImportedCode(staffing, "Staffing", None),),
        sources=(
            SourceText("src-2", "Interview 2", TEXT, {}, (sel("b", "Substitute", staffing),)),
        ),
    )
    with pytest.raises(
        RefiError, match=r"'ana' beside 'Ana'.*--new-coder to import.*nothing was written"
    ):
        apply_import(project, other)
    assert {c[3] for c in codings(project)} == {"Ana"}
    summary = apply_import(project, other, ImportOptions(new_coder=True))
    assert summary.coders == ("ana",)
    assert sorted(c[3] for c in codings(project)) == ["Ana", "ana"]
