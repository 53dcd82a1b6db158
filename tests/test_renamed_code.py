"""A code id renamed in the codebook YAML: its human decisions are named, with the merge
that moves them, by ``codebook check``, ``code`` and ``status``; nothing moves on its own."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from themegrid import api
from themegrid.cli import app
from themegrid.project import Project
from themegrid.store import codings as store_codings

OLD, NEW = "catalyst.covid", "catalyst.pandemic"
NAME = "Instructional needs after COVID-19"


def decide_then_rename(project: Project, n: int = 3) -> list[str]:
    """A human accepts ``OLD`` on ``n`` segments, then the YAML renames ``OLD`` to ``NEW``."""
    with project.open_store() as store:
        segs = [
            r[0]
            for r in store.query(
                "SELECT segment_id FROM codings WHERE code_id = ? ORDER BY segment_id LIMIT ?",
                (OLD, n),
            )
        ]
        assert len(segs) == n
        d = store_codings.HumanDecision
        with store.transaction():
            store_codings.record_human_codings(
                store,
                "Ana",
                [d(s, OLD, "accepted", "yes") for s in segs],
                run_id=None,
                at="2026-01-01T00:00:00",
            )
    path = project.codebook_dir / "10_catalysts.yaml"
    text = path.read_text(encoding="utf-8")
    assert f"id: {OLD}\n" in text
    path.write_text(text.replace(f"id: {OLD}\n", f"id: {NEW}\n"), encoding="utf-8")
    return segs


def expected(n: int = 3) -> str:
    return (
        f"{n} human decision(s) on code '{OLD}', which is not in the codebook (renamed? its "
        f"name '{NAME}' is now '{NEW}'): themegrid codebook merge {OLD} --into {NEW}"
    )


def human_rows(project: Project) -> set[tuple[str, str, str]]:
    with project.open_store() as store:
        rows = store.query("SELECT segment_id, code_id, status FROM codings WHERE source = 'human'")
        return {tuple(r) for r in rows}


def test_check_status_and_code_name_the_renamed_code_and_the_merge(bundled_coded: Project) -> None:
    decide_then_rename(bundled_coded)
    before = human_rows(bundled_coded)
    assert api.check_codebook(bundled_coded).warnings[0] == expected()  # first: needs a decision
    assert expected() in api.status(bundled_coded).codebook_warnings
    summary = api.code(bundled_coded, use_model=False)
    assert expected() in summary.codebook_warnings
    assert human_rows(bundled_coded) == before  # warned only: nothing moved or deleted
    api.report(bundled_coded)
    sheet = openpyxl.load_workbook(bundled_coded.root / "reports" / "theme_matrix.xlsx")["Matrix"]
    names = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r[0] in (OLD, NEW)}
    assert names == {NEW: NAME, OLD: f"{NAME} (not in the codebook)"}
    runner = CliRunner()
    for args in (["status"], ["codebook", "check"]):
        out = runner.invoke(app, [*args, "--project", str(bundled_coded.root)])
        assert out.exit_code == 0, out.output
        assert f"themegrid codebook merge {OLD} --into {NEW}" in " ".join(out.output.split())


def test_after_the_merge_the_warning_is_gone(bundled_coded: Project) -> None:
    segs = decide_then_rename(bundled_coded)
    with bundled_coded.open_store() as store, store.transaction():
        # a later decision on the new id: the merge folds Ana's old one in, which stays
        # on the old id as a rejection (history kept): the old id is now an alias
        store_codings.record_human_codings(
            store,
            "Ana",
            [store_codings.HumanDecision(segs[0], NEW, "accepted", "")],
            run_id=None,
            at="2026-02-01T00:00:00",
        )
    api.merge_codes(bundled_coded, [OLD], NEW)
    with bundled_coded.open_store() as store:
        assert store.scalar("SELECT COUNT(*) FROM codings WHERE code_id = ?", (OLD,)) >= 1
    assert api.status(bundled_coded).codebook_warnings == ()
    assert not [w for w in api.check_codebook(bundled_coded).warnings if OLD in w]


def test_no_warning_when_every_decided_code_is_in_the_codebook(bundled_coded: Project) -> None:
    with bundled_coded.open_store() as store:
        seg = store.query("SELECT segment_id FROM codings WHERE code_id = ? LIMIT 1", (OLD,))[0][0]
        with store.transaction():
            store_codings.record_human_codings(
                store,
                "Ana",
                [store_codings.HumanDecision(seg, OLD, "accepted", "")],
                run_id=None,
                at="2026-01-01T00:00:00",
            )
    assert api.status(bundled_coded).codebook_warnings == ()


def test_a_code_renamed_id_and_name_is_matched_by_the_closest_name(bundled_coded: Project) -> None:
    decide_then_rename(bundled_coded, n=2)
    path: Path = bundled_coded.codebook_dir / "10_catalysts.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(NAME, "Instructional needs after COVID"), encoding="utf-8")
    (warning,) = api.status(bundled_coded).codebook_warnings
    assert warning.startswith(f"2 human decision(s) on code '{OLD}', which is not in the codebook")
    assert warning.endswith(f"themegrid codebook merge {OLD} --into {NEW}")
