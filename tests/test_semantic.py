"""Semantic suggestions and the offline embedder (tag/embed.py, tag/semantic.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from conftest import write_project
from themegrid.models import SEMANTIC_CODER
from themegrid.pipeline.coding import run_coding
from themegrid.project import Project
from themegrid.tag import embed
from themegrid.tag import semantic as sem

FRENCH = (
    "Le budget de notre école a été réduit cette année et les enseignants sont partis "
    "parce que nous ne pouvions plus payer les formations."
)
ENGLISH = "Once the grant money ran out we had to rethink the whole summer program."
FILLER = "Okay, right, yeah, perfect."
WEATHER = "Mostly we talked about the weather and the new school building downtown."
INTERVIEW = f"""\
Interviewer: What about the money side?
Respondent: {ENGLISH}
Respondent: {FILLER}
Respondent: {FRENCH}
Respondent: {WEATHER}
"""
# Examples equal to the filler and French turns: only the machine filter keeps them uncoded.
CODEBOOK = f"""\
codebook:
  name: Semantic test
  version: "1"
  description: One code with examples.
  semantic: true
  semantic_threshold: 0.5
codes:
  - id: funding
    name: Funding
    definition: Money, budgets or grants limiting the work.
    examples:
      - "{ENGLISH}"
      - "{FILLER}"
      - "{FRENCH}"
"""


def needs_embedder() -> None:
    if embed.load_embedder() is None:
        pytest.skip(embed.unavailable_reason())


@pytest.fixture
def semantic_project(tmp_path: Path) -> Project:
    project = write_project(tmp_path / "study", {"interviews/az.txt": INTERVIEW})
    for f in project.codebook_dir.glob("*.yaml"):
        f.unlink()
    (project.codebook_dir / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return project


def run(project: Project, **kw: object) -> object:
    with project.open_store() as store:
        return run_coding(project, store, project.load_codebook(), workers=1, **kw)  # type: ignore[arg-type]


def semantic_rows(project: Project) -> dict[str, tuple[str, str, int | None]]:
    """Segment text -> (status, reason, run id) of its semantic suggestion."""
    with project.open_store() as store:
        rows = store.query(
            "SELECT s.text, c.status, c.reason, c.run_id FROM codings c"
            " JOIN segments s ON s.id = c.segment_id WHERE c.source = 'model' AND c.coder = ?",
            (SEMANTIC_CODER,),
        )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_embedder_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("network access while loading the embedder")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    embed.load_embedder.cache_clear()
    try:
        embedder = embed.load_embedder()
        assert embedder is not None, embed.unavailable_reason()
        vectors = embedder.embed(["The grant money ran out.", "", "Budgets were cut."])
    finally:
        embed.load_embedder.cache_clear()
    assert vectors.shape == (3, embed.DIMENSION)
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[0] == pytest.approx(1, abs=1e-4) and norms[2] == pytest.approx(1, abs=1e-4)


#: Spaces in runs, at either end, tabs and newlines, the word mark itself, special tokens,
#: other scripts, an over-long text, blanks and a repeat.
AWKWARD = [
    ENGLISH,
    FRENCH,
    "two  spaces and   three",
    "  leading and trailing  ",
    "tab\there, line\nbreak\r\nand more",
    "the word mark \u2581 itself\u2581\u2581twice",
    "<s> a special token, </s> and <unk> too",
    "日本語の文と中文句子",
    "émoji 😀 and ümlauts, naïve façade",
    "Mm-hmm.",
    "",
    "   ",
    "budget " * 400,
    ENGLISH,
]


def wordllama_reference(embedder: embed.Embedder, texts: list[str]) -> np.ndarray:
    """Each text alone through WordLlama.embed, then Embedder.embed's own normalisation."""
    rows = [
        np.asarray(embedder.model.embed([t[: embed.MAX_CHARS] or " "], norm=True))[0] for t in texts
    ]
    out = np.stack(rows).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[[not t.strip() for t in texts]] = 0.0
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def test_word_by_word_embedding_equals_wordllamas_own() -> None:
    """The fast path (tokens of each distinct word, pooled as wordllama does) gives the same
    bits as WordLlama.embed, and so does the fallback through WordLlama.embed."""
    needs_embedder()
    embedder = embed.load_embedder()
    assert embedder is not None and embedder.words is not None  # the fast path applies
    want = wordllama_reference(embedder, AWKWARD)
    assert np.array_equal(embedder.embed(AWKWARD), want)
    assert "\u2581\u2581spaces" in embedder.words  # it went word by word ("two  spaces")
    fallback = embed.Embedder(embedder.model, embedder.source, None)
    assert np.array_equal(fallback.embed(AWKWARD), want)


def test_cached_embeddings_give_the_same_semantic_suggestions(
    semantic_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold project whose .themegrid-cache kept the segments' vectors embeds no segment
    again and stores the same suggestions, reasons and similarities as the fresh run."""
    needs_embedder()
    embedded: list[str] = []
    real_embed = embed.Embedder.embed

    def counting(self: embed.Embedder, texts: list[str], *a: object) -> np.ndarray:
        embedded.extend(texts)
        return real_embed(self, texts)

    monkeypatch.setattr(embed.Embedder, "embed", counting)
    run(semantic_project, use_model=False)
    fresh = {t: (st, why) for t, (st, why, _) in semantic_rows(semantic_project).items()}
    cache = semantic_project.root / ".themegrid-cache" / embed.CACHE_FILE
    assert WEATHER in embedded and embed.text_digest(WEATHER) in embed.read_cache(cache)
    for f in semantic_project.root.glob("themegrid.sqlite*"):
        f.unlink()
    embedded.clear()
    run(semantic_project, use_model=False)
    cached = {t: (st, why) for t, (st, why, _) in semantic_rows(semantic_project).items()}
    assert WEATHER not in embedded  # a scored segment, not a prototype: it came from the cache
    assert cached == fresh and fresh


def test_a_corrupt_or_stale_embedding_cache_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_embedder()
    embedder = embed.load_embedder()
    assert embedder is not None
    texts = [ENGLISH, WEATHER]
    fresh = embedder.embed(texts)
    path = tmp_path / ".themegrid-cache" / embed.CACHE_FILE
    marker = np.full(embed.DIMENSION, 0.0625, dtype=np.float32)
    digests = [embed.text_digest(t) for t in texts]
    embed.write_cache(path, dict.fromkeys(digests, marker))
    assert (embed.embed_cached(embedder, texts, path) == marker).all()  # a valid file is used
    good = path.read_bytes()
    for bad in (b"not a numpy archive", good[: len(good) // 2]):
        path.write_bytes(bad)
        assert np.array_equal(embed.embed_cached(embedder, texts, path), fresh)
        assert set(embed.read_cache(path)) == set(digests)  # rewritten, valid again
    with monkeypatch.context() as m:  # written for another wordllama version: stale
        m.setattr(embed, "cache_key", lambda: "themegrid embeddings 1; wordllama 0.1")
        embed.write_cache(path, dict.fromkeys(digests, marker))
    assert np.array_equal(embed.embed_cached(embedder, texts, path), fresh)
    with path.open("wb") as f:  # right key, wrong shape
        np.savez(
            f,
            key=np.array(embed.cache_key()),
            digests=np.array(digests, dtype="S16"),
            vectors=np.ones((2, 3), dtype=np.float32),
        )
    assert np.array_equal(embed.embed_cached(embedder, texts, path), fresh)


def test_missing_wordllama_degrades_with_one_line(
    semantic_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "wordllama", None)
    embed.load_embedder.cache_clear()
    try:
        summary = run(semantic_project, use_model=False)
        assert embed.load_embedder() is None
        reason = embed.unavailable_reason()
    finally:
        embed.load_embedder.cache_clear()
    assert "wordllama is not installed" in reason and "\n" not in reason
    assert summary.semantic["used"] is False  # type: ignore[attr-defined]
    assert "not installed" in summary.semantic["note"]  # type: ignore[attr-defined]
    assert semantic_rows(semantic_project) == {}


def test_semantic_suggestion_quotes_the_nearest_example(semantic_project: Project) -> None:
    needs_embedder()
    summary = run(semantic_project, use_model=False)
    rows = semantic_rows(semantic_project)
    status, reason, run_id = rows[ENGLISH]
    assert status == "suggested" and run_id == summary.run_id  # type: ignore[attr-defined]
    assert reason.startswith("semantic similarity 1.00; nearest example:")
    assert ENGLISH[:40] in reason
    assert WEATHER not in rows  # far from the code's definition and examples


def test_no_semantic_suggestion_on_filler_or_other_language(semantic_project: Project) -> None:
    needs_embedder()
    run(semantic_project, use_model=False)
    rows = semantic_rows(semantic_project)
    assert ENGLISH in rows  # the same code is suggested where the machine codes
    assert FILLER not in rows  # identical to an example, but a back-channel turn
    assert FRENCH not in rows  # identical to an example, but not the codebook's language


def test_switching_semantic_off_retires_its_suggestions(semantic_project: Project) -> None:
    needs_embedder()
    run(semantic_project, use_model=False)
    off = run(semantic_project, use_model=False, semantic=False)
    status, reason, run_id = semantic_rows(semantic_project)[ENGLISH]
    assert status == "retired" and run_id == off.run_id  # type: ignore[attr-defined]
    assert "switched off" in reason
    assert off.semantic["retired"] == 1  # type: ignore[attr-defined]


def test_a_code_the_model_speaks_for_gets_no_semantic_suggestion(
    semantic_project: Project,
) -> None:
    needs_embedder()
    run(semantic_project, use_model=False)
    embedder = embed.load_embedder()
    assert embedder is not None
    with semantic_project.open_store() as store, store.transaction():
        out = sem.suggest_semantic(
            store, semantic_project.load_codebook(), embedder, None, model_active=["funding"]
        )
    status, reason, _ = semantic_rows(semantic_project)[ENGLISH]
    assert out["retired"] == 1 and status == "retired" and "learned model" in reason
    assert out["segments_scored"] == 0  # its only code is the model's: nothing embedded


def test_counterexample_nearest_blocks_and_margin_limits() -> None:
    protos = sem.Prototypes(
        ("a", "b", "c"),
        np.array([0, 1, 1, 2]),
        (sem.DEFINITION, sem.EXAMPLE, sem.COUNTER, sem.EXAMPLE),
        ("def a", "ex b", "counter b", "ex c"),
        np.eye(4, dtype=np.float32),
    )
    segments = np.array(
        [
            [0.9, 0.0, 0.0, 0.0],  # near a only
            [0.0, 0.6, 0.8, 0.0],  # nearest prototype is b's counterexample
            [0.7, 0.0, 0.0, 0.69],  # a and c within the margin
            [0.7, 0.0, 0.0, 0.3],  # c above threshold? no; a clearly best
        ],
        dtype=np.float32,
    )
    scores = sem.score(protos, segments)
    chosen = sem.predict(scores, threshold=0.25, margin=0.02)
    assert chosen.tolist() == [[1, 0, 0], [0, 0, 0], [1, 0, 1], [1, 0, 0]]
    assert scores.nearest[2, 2] == 3 and scores.blocked[1, 1]


WARM_PROBE = """
import json, sys
from themegrid.cli import main
sys.argv = ["themegrid", "code", "--project", sys.argv[1]]
try:
    main()
except SystemExit:
    pass
heavy = ("spacy", "sklearn", "wordllama", "themegrid.tag.embed", "themegrid.tag.semantic")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def test_warm_rerun_with_semantic_on_imports_no_embedder(semantic_project: Project) -> None:
    needs_embedder()
    run(semantic_project)
    out = subprocess.run(
        [sys.executable, "-c", WARM_PROBE, str(semantic_project.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [], out.stdout + out.stderr
    assert "Nothing changed since the last run" in out.stdout


def test_semantic_suggestions_are_counted_apart_from_the_learned_model(
    semantic_project: Project,
) -> None:
    """Both are stored as source 'model'; the tables of 'code' and 'status' tell them apart."""
    needs_embedder()
    summary = run(semantic_project, use_model=False)
    live = [r for r in semantic_rows(semantic_project).values() if r[0] == "suggested"]
    assert live
    counts = summary.awaiting_review["funding"]  # type: ignore[attr-defined]
    assert counts == {"total": len(live), "model": 0, "semantic": len(live)}
    from themegrid.pipeline.status import project_status

    with semantic_project.open_store() as store:
        rows = project_status(store).suggesters
    model_rows = {(r["suggester"], r["status"]): r["n"] for r in rows if r["source"] == "model"}
    assert model_rows == {("semantic", "suggested"): len(live)}


def test_no_semantic_suggestion_on_an_interviewer_turn(semantic_project: Project) -> None:
    """The interviewer's question, identical to an example, gets none (as cue suggestions)."""
    needs_embedder()
    book = semantic_project.codebook_dir / "codebook.yaml"
    question = "What about the money side?"
    book.write_text(book.read_text(encoding="utf-8") + f'      - "{question}"\n', encoding="utf-8")
    run(semantic_project, use_model=False)
    rows = semantic_rows(semantic_project)
    assert ENGLISH in rows
    assert question not in rows


@pytest.mark.parametrize(
    "text",
    [
        "Imported from project.qdpx without a description; write one.",
        "Imported from napire v_19.csv; write a definition.",
    ],
)
def test_the_definition_an_import_writes_is_no_prototype(text: str) -> None:
    """An imported code's reminder to describe it is not what the code means."""
    from themegrid.codebook import Code, Codebook
    from themegrid.codebook.model import is_placeholder_definition

    assert is_placeholder_definition(text)
    assert not is_placeholder_definition("Imported goods from abroad without a tariff.")

    class Counting:
        def embed(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 4), dtype=np.float32)

    book = Codebook(
        "b",
        "1",
        "",
        (
            Code("bare", "Bare", text),
            Code("shown", "Shown", text, examples=("We kept the pilot small.",)),
            Code("real", "Real", "Talk about pilots."),
        ),
    )
    protos = sem.prototypes(book, Counting())  # type: ignore[arg-type]
    owners = [protos.code_ids[o] for o in protos.owner]
    assert "bare" not in owners and text not in protos.texts
    assert protos.texts == ("We kept the pilot small.", "Talk about pilots.")
