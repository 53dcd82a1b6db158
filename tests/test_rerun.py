"""Fast re-runs and parallel tagging: a no-change run loads nothing heavy; workers change nothing."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_bundled, copy_project, write_project
from themegrid.pipeline import coding as coding_module
from themegrid.pipeline import ingest as ingest_module
from themegrid.pipeline.coding import run_coding
from themegrid.pipeline.fingerprint import META_KEY
from themegrid.pipeline.ingest import ingest
from themegrid.project import Project
from themegrid.store.codings import HumanDecision, record_human_codings
from themegrid.store.connection import Store, now
from themegrid.tag import parallel

WARM_PROBE = """
import json, sys
from themegrid.cli import main
sys.argv = ["themegrid", "code", "--project", sys.argv[1]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"exit": code, "spacy": "spacy" in sys.modules, "sklearn": "sklearn" in sys.modules}))
"""


def run(project: Project, **kw: object) -> coding_module.CodingSummary:
    with project.open_store() as store:
        return run_coding(project, store, project.load_codebook(), **kw)  # type: ignore[arg-type]


def report(summary: coding_module.CodingSummary) -> dict[str, object]:
    out = summary.to_dict()
    out.pop("run_id")
    return out


@pytest.fixture(scope="module")
def bundled_run_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project after one full run in one process; the tests copy it."""
    project = copy_bundled(tmp_path_factory.mktemp("rerun") / "example")
    run(project, workers=1)
    return project.root


def test_warm_rerun_imports_neither_spacy_nor_sklearn(
    bundled_run_once: Path, tmp_path: Path
) -> None:
    bundled_project = copy_project(bundled_run_once, tmp_path / "example")
    out = subprocess.run(
        [sys.executable, "-c", WARM_PROBE, str(bundled_project.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe == {"exit": 0, "spacy": False, "sklearn": False}, out.stdout + out.stderr
    assert "Nothing changed since the last run" in out.stdout


def test_replayed_report_equals_a_full_rerun(bundled_run_once: Path, tmp_path: Path) -> None:
    bundled_project = copy_project(bundled_run_once, tmp_path / "example")
    with bundled_project.open_store() as store:
        runs_before = store.scalar("SELECT COUNT(*) FROM runs")
    replayed = run(bundled_project)
    with bundled_project.open_store() as store:
        assert store.scalar("SELECT COUNT(*) FROM runs") == runs_before + 1  # still recorded
        with store.transaction():
            store.set_meta(META_KEY, "")  # forget: the next run does all the work
    full = run(bundled_project)
    assert replayed.did_nothing and full.did_nothing
    assert report(replayed) == report(full)


def test_changed_inputs_or_store_mean_a_full_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_runs: list[int] = []
    real_ingest = coding_module.ingest

    def counting(*args, **kw):  # type: ignore[no-untyped-def]
        full_runs.append(1)
        return real_ingest(*args, **kw)

    monkeypatch.setattr(coding_module, "ingest", counting)

    def is_full(**kw: object) -> bool:
        before = len(full_runs)
        run(project, use_model=False, **kw)
        return len(full_runs) > before

    assert is_full()
    assert not is_full()
    az = project.corpus_dir / "interviews" / "az.txt"
    edited = az.read_text(encoding="utf-8") + "Respondent: We started a pilot with the budget.\n"
    az.write_text(edited, encoding="utf-8")
    assert is_full()  # a corpus file changed
    assert not is_full()

    # Another command changes the store behind code's back: the file goes, ingest marks it
    # missing, the file comes back. The inputs equal the last run's; the store does not.
    az.unlink()
    with project.open_store() as store:
        ingest(project, store)
    az.write_text(edited, encoding="utf-8")
    assert is_full()
    with project.open_store() as store:
        assert store.scalar("SELECT COUNT(*) FROM documents WHERE status = 'missing'") == 0

    with project.open_store() as store, store.transaction():  # a human decision
        seg = store.scalar("SELECT id FROM segments WHERE codable = 1 LIMIT 1")
        code_id = project.load_codebook().codable[0].id
        record_human_codings(
            store, "ana", [HumanDecision(seg, code_id, "accepted", "t")], run_id=None, at=now()
        )
    assert is_full()
    assert not is_full()
    assert is_full(include_interviewers=True)  # an option
    project.metadata_path.write_text(  # the metadata
        project.metadata_path.read_text(encoding="utf-8").replace("Nevada", "Ohio"),
        encoding="utf-8",
    )
    assert is_full()


def suggestion_table(store: Store) -> str:
    rows = store.query(
        "SELECT c.segment_id, c.code_id, c.source, c.coder, c.status, c.confidence, c.reason"
        " FROM codings c ORDER BY c.segment_id, c.code_id, c.source, c.coder"
    )
    return "\n".join("\t".join(map(str, tuple(r))) for r in rows)


def generated_project(root: Path, source: Project, n_files: int = 12) -> Project:
    """Interviews made of the bundled example's segments, shuffled with a fixed seed."""
    run(source, use_model=False, workers=1)
    with source.open_store() as store:
        texts = [r[0] for r in store.query("SELECT text FROM segments WHERE codable = 1")]
    rng = random.Random(3)
    files = {}
    for i in range(n_files):
        turns = [f"Respondent: {' '.join(rng.sample(texts, 3))}" for _ in range(12)]
        files[f"interviews/gen_{i:03d}.txt"] = "\n".join(turns) + "\n"
    project = write_project(root, files)
    shutil.rmtree(project.codebook_dir)
    shutil.copytree(source.codebook_dir, project.codebook_dir)
    return project


def stored_table(store: Store) -> str:
    """Documents and segments as stored (ids, offsets, texts, speakers, verdicts), in order."""
    docs = store.query(
        "SELECT id, path, content_hash, kind, text, attributes FROM documents ORDER BY id"
    )
    segs = store.query(
        'SELECT id, document_id, seq, start, "end", text, speaker, is_interviewer, codable,'
        " machine_skip, language FROM segments ORDER BY document_id, seq"
    )
    return "\n".join("\t".join(map(str, tuple(r))) for r in [*docs, *segs])


@pytest.mark.processes
@pytest.mark.parametrize("corpus", ["bundled", "generated"])
def test_workers_give_identical_suggestion_tables(
    corpus: str, bundled_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks, no minimum: the worker pools are used and results cross many chunk borders.
    monkeypatch.setattr(parallel, "CHUNK", 7)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 0)
    monkeypatch.setattr(ingest_module, "MIN_PARALLEL_FILES", 0)
    base = (
        bundled_project
        if corpus == "bundled"
        else generated_project(tmp_path / "gen", bundled_project)
    )
    one = tmp_path / "one"
    two = tmp_path / "two"
    for target in (one, two):
        shutil.copytree(base.root, target, ignore=shutil.ignore_patterns("themegrid.sqlite*"))
    used: list[str] = []
    real_tag = parallel.ParallelTagger.examine_and_tag
    real_map = parallel.ordered_map

    def spy_tag(self: parallel.ParallelTagger, items):  # type: ignore[no-untyped-def]
        used.append(f"tag {self.workers}")
        return real_tag(self, items)

    def spy_map(fn, items, workers):  # type: ignore[no-untyped-def]
        used.append(f"read {workers}")
        return real_map(fn, items, workers)

    monkeypatch.setattr(parallel.ParallelTagger, "examine_and_tag", spy_tag)
    monkeypatch.setattr(parallel, "ordered_map", spy_map)
    a = run(Project(one), workers=1, use_model=False)
    b = run(Project(two), workers=2, use_model=False)
    assert used == ["read 2", "tag 2"]  # reading, segmenting and tagging ran in workers
    assert a.segments_tagged == b.segments_tagged > 0
    assert a.to_dict()["ingest"] == b.to_dict()["ingest"]
    with Project(one).open_store() as s1, Project(two).open_store() as s2:
        table = suggestion_table(s1)
        assert table.count("\n") > 10
        assert table == suggestion_table(s2)
        stored = stored_table(s1)
        assert stored.count("\n") > 20
        assert stored == stored_table(s2)


def funding_project(root: Path) -> Project:
    """Eight interviews about money and other things; no decisions yet."""
    rng = random.Random(3)
    money = [
        "we ran short of dollars for the program",
        "the district had no money left for stipends",
        "our funds dried up after one year",
        "state dollars paid for coaching",
    ]
    other = ["teachers liked the new rubric", "students presented portfolios"]
    files = {
        f"f{f}.txt": "".join(
            f"Interviewer: Tell me more.\nRespondent: {rng.choice(money if t % 2 else other)}.\n"
            for t in range(6)
        )
        for f in range(8)
    }
    return write_project(root, files)


def decide_money(store: Store, coder: str, limit: int) -> None:
    """``coder`` accepts barriers.funding on money turns, rejects it on others (first ``limit``)."""
    rows = store.query(
        "SELECT id, text FROM segments WHERE codable = 1 ORDER BY id LIMIT ?", (limit,)
    )
    decisions = [
        HumanDecision(
            seg_id,
            "barriers.funding",
            "accepted" if any(w in text for w in ("dollars", "money", "funds")) else "rejected",
            "",
        )
        for seg_id, text in rows
    ]
    with store.transaction():
        record_human_codings(store, coder, decisions, run_id=None, at=now())


def test_a_new_file_reuses_the_trained_model_when_decisions_are_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from themegrid.tag import model as learn
    from themegrid.tag import model_cache

    project = funding_project(tmp_path / "p")
    trained: list[int] = []
    real_train = learn.train_and_gate

    def spy(store, codebook, model=None):  # type: ignore[no-untyped-def]
        trained.append(1)
        return real_train(store, codebook, model)

    monkeypatch.setattr(learn, "train_and_gate", spy)
    run(project)
    with project.open_store() as store:
        decide_money(store, "ana", 16)
    first = run(project)
    assert first.model["trained"] and len(trained) == 2
    cache = project.root / model_cache.CACHE_DIR
    assert len(list(cache.glob("model-*.pickle"))) == 1

    new = project.corpus_dir / "f_new.txt"
    new.write_text("Respondent: our funds dried up after one year.\n", encoding="utf-8")
    second = run(project)
    assert second.ingest.paths("added") == ["f_new.txt"]
    assert len(trained) == 2 and second.model["trained"] is False  # predicted, not trained
    assert second.model["gates"] == first.model["gates"]

    (project.corpus_dir / "f_new2.txt").write_text("Respondent: money left.\n", encoding="utf-8")
    for pickled in cache.glob("model-*.pickle"):  # a file the store did not write is ignored
        pickled.write_bytes(pickled.read_bytes() + b"x")
    assert run(project).model["trained"] and len(trained) == 3

    shutil.rmtree(cache)  # the folder may be deleted at any time: the next run trains
    (project.corpus_dir / "f_new3.txt").write_text("Respondent: dollars.\n", encoding="utf-8")
    assert run(project).model["trained"] and len(trained) == 4

    with project.open_store() as store:  # the same decisions again by another coder: kept
        decide_money(store, "ben", 16)
    assert run(project).model["trained"] is False and len(trained) == 4
    with project.open_store() as store:  # decisions on more segments: new labels, trained again
        decide_money(store, "ben", 24)
    assert run(project).model["trained"] and len(trained) == 5


def test_a_new_file_without_a_model_reports_what_scoring_every_segment_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from themegrid.tag import model as learn

    project = funding_project(tmp_path / "p")
    run(project)  # no human decisions: no model
    scored: list[int] = []
    real_suggest = learn.suggest_with_model

    def spy(*args, **kw):  # type: ignore[no-untyped-def]
        scored.append(1)
        return real_suggest(*args, **kw)

    monkeypatch.setattr(learn, "suggest_with_model", spy)
    (project.corpus_dir / "f_new.txt").write_text("Respondent: funds.\n", encoding="utf-8")
    fast = run(project)
    assert fast.ingest.paths("added") == ["f_new.txt"] and fast.model["trained"] is False
    assert not scored  # nothing to retire: the segments' texts were not read
    with project.open_store() as store:
        gates = learn.train_and_gate(store, project.load_codebook())[1]
        full = real_suggest(store, project.load_codebook(), None, None, gates=gates)
    assert {k: fast.model[k] for k in full} == full
    assert full["segments_scored"] > 40

    with project.open_store() as store, store.transaction():  # a live model suggestion left
        seg = store.scalar("SELECT id FROM segments WHERE codable = 1 LIMIT 1")
        store.conn.execute(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, created_at,"
            " updated_at) VALUES (?, 'barriers.funding', 'model', 'themegrid:model',"
            " 'suggested', 't', 't')",
            (seg,),
        )
    (project.corpus_dir / "f_new2.txt").write_text("Respondent: money.\n", encoding="utf-8")
    again = run(project)
    assert scored == [1] and again.model["retired"] == 1  # the full path retires it


@pytest.mark.processes
def test_tagging_workers_inherit_the_tagger_the_parent_built(
    bundled_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from themegrid.tag import tagger as tagger_module

    monkeypatch.setattr(parallel, "CHUNK", 7)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 0)
    built = tmp_path / "built.txt"
    real = tagger_module.RuleTagger

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kw):  # type: ignore[no-untyped-def]
            with built.open("a", encoding="utf-8") as out:
                out.write(f"{os.getpid()}\n")
            super().__init__(*args, **kw)

    monkeypatch.setattr(tagger_module, "RuleTagger", Counting)
    summary = run(bundled_project, workers=2, use_model=False)
    assert summary.segments_tagged > 14  # more than two chunks: both workers tagged
    assert built.read_text(encoding="utf-8").split() == [str(os.getpid())]


def test_counts_kept_per_document_equal_the_whole_store_counts(tmp_path: Path) -> None:
    """A run works out its per-theme and pending counts again only for the documents that
    changed (triggers mark them, whoever writes); after every kind of change the figures
    equal those worked out from the whole store."""
    from themegrid.store import codings as store_codings

    project = funding_project(tmp_path / "p")
    codebook = project.load_codebook()

    def check(store: Store) -> None:
        full = (
            coding_module.live_suggestions_per_theme(store, codebook),
            store_codings.pending_counts_per_code(store),
        )
        kept = coding_module.reported_counts(store, codebook)
        assert kept == full and list(kept[0]) == list(full[0])
        assert not store.query("SELECT 1 FROM run_counts_dirty")  # all worked out now

    first = run(project)
    with project.open_store() as store:
        assert store.query("SELECT 1 FROM run_counts WHERE kind = 'theme'")
        check(store)
        decide_money(store, "ana", 20)  # human rows inserted: their documents change
        check(store)
        decide_money(store, "bo", 5)  # a second coder
        check(store)
        with store.transaction():  # a later decision of ana's reverses her first one
            seg = store.query(
                "SELECT segment_id FROM codings WHERE coder = 'ana' AND status = 'accepted'"
            )[0][0]
            record_human_codings(
                store,
                "ana",
                [HumanDecision(seg, "barriers.funding", "rejected", "")],
                run_id=None,
                at=now(),
            )
        check(store)
    second = run(project)  # model suggestions on top
    assert second.per_theme != first.per_theme or second.awaiting_review != first.awaiting_review
    with project.open_store() as store:
        check(store)
        with store.transaction():  # writes no run makes: a segment leaves, a document goes
            store.conn.execute(
                "UPDATE segments SET active = 0 WHERE id = (SELECT segment_id FROM codings"
                " WHERE status = 'suggested' ORDER BY id LIMIT 1)"
            )
            store.conn.execute(
                "UPDATE documents SET status = 'missing' WHERE id = (SELECT MAX(id) FROM documents)"
            )
        check(store)
        with store.transaction():  # a human row on an uncodable segment counts too
            seg = store.query("SELECT id FROM segments WHERE codable = 0 LIMIT 1")[0][0]
            record_human_codings(
                store,
                "bo",
                [HumanDecision(seg, "barriers.funding", "accepted", "")],
                run_id=None,
                at=now(),
            )
        check(store)
    (project.corpus_dir / "f_new.txt").write_text(
        "Interviewer: And then?\nRespondent: state dollars paid for coaching.\n", "utf-8"
    )
    (project.corpus_dir / "f0.txt").unlink()
    third = run(project)
    assert third.ingest.count("added") == 1
    with project.open_store() as store:
        check(store)
        # counts kept for one naming of themes are not reused for another
        own = store_codings.run_counts(store, "each code its own theme", lambda code: code)[0]
        applied = store_codings.applied_codings_on_present_segments(store)
        assert own == {c: len({s for s, k in applied if k == c}) for _, c in applied}
        check(store)
