"""The model gate: a code's model suggests only when cross-validation says it has earned it."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from coded_collection import CODEBOOK_YAML, build, make_text, view
from conftest import write_project
from factories import add_coding, add_document
from themegrid.codebook import load_codebook
from themegrid.models import MODEL_CODER
from themegrid.pipeline.coding import run_coding
from themegrid.pipeline.status import project_status
from themegrid.project import Project
from themegrid.store import codings as store_codings
from themegrid.store.connection import Store, now
from themegrid.tag.gate import gate_codes
from themegrid.tag.model import (
    LabelledSet,
    SegmentInput,
    SuggestionModel,
    _predictions,
    suggest_with_model,
    train_and_gate,
)

NOISE = """\
  - id: noise
    name: Noise
    definition: Applied at random by a careless coder.
"""


@pytest.fixture
def gated(tmp_path: Path):
    """Funding/staffing coded consistently; 'noise' accepted on 20 random segments."""
    store = Store(tmp_path / "themegrid.sqlite")
    truth = build(store, n_docs=6, per_doc=12)
    rng = random.Random(3)
    for seg in rng.sample(sorted(truth), 20):
        add_coding(store, seg, "noise", source="human", coder="alice", status="accepted")
    folder = tmp_path / "codebook"
    folder.mkdir()
    (folder / "codebook.yaml").write_text(CODEBOOK_YAML + NOISE, encoding="utf-8")
    book = load_codebook(folder)
    rng = random.Random(11)
    new_ids = add_document(
        store,
        "interviews/new.txt",
        [("R", make_text(rng, c)) for c in ["funding", "staffing", None, "funding"] * 4],
    )
    return store, book, new_ids


def live_model_rows(store: Store) -> dict[tuple[str, str], str]:
    return {
        k: v.reason
        for k, v in store_codings.machine_suggestions(store, "model", MODEL_CODER).items()
        if v.status == "suggested"
    }


def test_gate_states_and_figures(gated) -> None:
    store, book, _ = gated
    _, gates = train_and_gate(store, book)
    by = {g.code_id: g for g in gates}
    floor = book.settings.model_precision_floor
    assert by["funding"].state == "active" and by["funding"].precision >= floor
    assert by["noise"].state == "off" and by["noise"].positives == 20
    assert "precision" in by["noise"].reason or "needed to estimate" in by["noise"].reason
    rare = by["rare"]
    assert rare.state == "learning" and rare.positives == 1 and rare.decisions == 72
    # 9 more positives at the rate seen so far (1 in 72 decisions).
    assert rare.needs == 9 * 72


def test_closed_gate_means_no_model_suggestion(gated) -> None:
    store, book, new_ids = gated
    model, gates = train_and_gate(store, book)
    assert model is not None
    ungated = _predictions(
        model,
        [i for _, i in sorted(_inputs(store, new_ids).items())],
        sorted(new_ids),
        set(),
    )
    assert any(code == "noise" for _, code in ungated)  # the model alone would suggest it
    summary = suggest_with_model(store, book, model, None, gates=gates)
    rows = live_model_rows(store)
    assert rows and all(code != "noise" for _, code in rows)
    assert any(code == "funding" for _, code in rows)
    assert "noise" not in summary["codes_active"]


def _inputs(store: Store, ids):
    from themegrid.tag.model import segment_inputs

    return {k: v[1] for k, v in segment_inputs(store, ids).items()}


def test_closing_gate_retires_live_suggestions_everywhere(gated) -> None:
    store, book, _ = gated
    model, gates = train_and_gate(store, book)
    suggest_with_model(store, book, model, None)  # no gate: noise is suggested
    noise = [k for k in live_model_rows(store) if k[1] == "noise"]
    assert noise
    view(store, noise[0][0], "bob")  # a human has since looked at one of them
    summary = suggest_with_model(store, book, model, None, gates=gates)
    rows = live_model_rows(store)
    assert not [k for k in rows if k[1] == "noise"]
    retired = store_codings.machine_suggestions(store, "model", MODEL_CODER)
    for key in noise:
        assert retired[key].status == "retired"
        assert retired[key].reason.startswith("retired: model off (")
    assert summary["retired"] >= len(noise)


def test_no_model_retires_model_suggestions_and_status_shows_gates(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study")
    book = project.load_codebook()
    with project.open_store() as store:
        first = run_coding(project, store, book)
        assert {g["state"] for g in first.model["gates"]} == {"learning"}
        assert list(project_status(store).model_gates) == first.model["gates"]
        seg = store.scalar("SELECT id FROM segments WHERE codable = 1 LIMIT 1")
        code_id = book.codable[0].id
        with store.transaction():
            store_codings.record_suggestions(
                store,
                "model",
                MODEL_CODER,
                [store_codings.Suggestion(seg, code_id, 0.9, "model p=0.90")],
                run_id=None,
                at=now(),
            )
        summary = run_coding(project, store, book, use_model=False)
        row = store_codings.machine_suggestions(store, "model", MODEL_CODER)[(seg, code_id)]
        assert row.status == "retired" and "--no-model" in row.reason
        assert summary.model["retired"] == 1
        assert row_run(store, seg, code_id) == summary.run_id  # recorded in the run
        gates = list(project_status(store).model_gates)
        assert gates and {g["state"] for g in gates} == {"off"}
        assert summary.awaiting_review[code_id]["model"] == 0


def row_run(store: Store, seg: str, code_id: str) -> int:
    return int(
        store.scalar(
            "SELECT run_id FROM codings WHERE segment_id = ? AND code_id = ? AND source = 'model'",
            (seg, code_id),
        )
    )


def documents_coded_at_random(
    seed: int, n_docs: int = 16, per_doc: int = 12, styles: int = 4
) -> tuple[list[SegmentInput], np.ndarray, list[int]]:
    """A coder who applies a code to whole documents at random (nine in ten segments of
    a chosen document, one in ten of the others), in documents written in one of a few
    styles (shared words): among the few documents seen, a style's words go with the
    code by chance, so on them the model looks precise; on new documents it is not."""
    rng = np.random.default_rng(seed)
    inputs, labels, groups = [], [], []
    for doc in range(n_docs):
        rate = 0.9 if rng.random() < 0.5 else 0.1
        style = [f"style{doc % styles}word{k}" for k in range(8)]
        for _ in range(per_doc):
            words = [*rng.choice([f"w{k}" for k in range(400)], 12), *rng.choice(style, 3)]
            inputs.append(SegmentInput(" ".join(words)))
            labels.append([int(rng.random() < rate)])
            groups.append(doc)
    return inputs, np.array(labels, dtype=np.int8), groups


def test_gate_stays_closed_when_precision_holds_only_in_the_documents_seen() -> None:
    floor = 0.6
    new_inputs, new_Y, _ = documents_coded_at_random(100, n_docs=64)
    for seed in range(6):
        inputs, Y, groups = documents_coded_at_random(seed)
        model = SuggestionModel(precision_floor=floor).fit(inputs, Y, groups=groups, code_ids=["c"])
        data = LabelledSet(
            tuple(map(str, range(len(inputs)))), tuple(inputs), tuple(groups), ("c",), Y
        )
        predicted = model.predict(new_inputs)[:, 0] == 1
        hits = int((predicted & (new_Y[:, 0] == 1)).sum())
        assert hits < floor * int(predicted.sum())  # on new documents it is not precise ...
        (gate,) = gate_codes(model, data, floor=floor, min_positives=10)
        assert gate.state == "off", (seed, gate.reason)  # ... so it must not suggest


def test_precision_measured_on_few_documents_does_not_open_the_gate() -> None:
    """31 of 36 suggestions right, from three documents (12/12, 11/12, 8/12): the spread
    between documents is estimated from three of them, so the bound (t quantile with two
    degrees of freedom) stays under the floor; the same pattern over twelve documents
    reaches it."""
    from themegrid.tag.gate import clustered_lower_bound

    per_doc = [[1] * 12, [1] * 11 + [0], [1] * 8 + [0] * 4]
    hits = np.concatenate([np.array(h) for h in per_doc])
    assert clustered_lower_bound(hits, np.repeat([0, 1, 2], 12)) < 0.6
    many = np.tile(hits, 4)
    assert clustered_lower_bound(many, np.repeat(np.arange(12), 12)) >= 0.6


def test_no_model_suggestion_on_an_interviewer_turn(gated) -> None:
    """The learned model obeys the codable rules cue suggestions obey: an interviewer's turn
    gets no suggestion, however much it reads like an answer the model has learned."""
    store, book, _ = gated
    rng = random.Random(5)
    turns = [("Interviewer", make_text(rng, "funding")) for _ in range(4)]
    asked = add_document(store, "interviews/asked.txt", turns)
    model, gates = train_and_gate(store, book)
    assert model is not None
    inputs = _inputs(store, asked)
    would = _predictions(model, [inputs[k] for k in sorted(asked)], sorted(asked), set())
    assert any(code == "funding" for _, code in would)  # the model alone would suggest it
    suggest_with_model(store, book, model, None, gates=gates)
    assert not [k for k in live_model_rows(store) if k[0] in set(asked)]


def test_no_model_suggestion_in_a_source_type_no_human_decided(gated) -> None:
    """Decisions were made in documents without a source type; the gate's figures say
    nothing about observer notes, so the model suggests in a new untyped document and not
    in the notes (and a live suggestion there is retired)."""
    store, book, new_ids = gated
    rng = random.Random(7)
    notes = add_document(
        store,
        "notes/observer.txt",
        [(None, make_text(rng, "funding")) for _ in range(6)],
        {"source_type": "observer notes"},
    )
    model, gates = train_and_gate(store, book)
    assert model is not None
    inputs = _inputs(store, notes)
    would = _predictions(model, [inputs[k] for k in sorted(notes)], sorted(notes), set())
    assert any(code == "funding" for _, code in would)  # the model alone would suggest it
    with store.transaction():  # a live suggestion in the notes from an earlier run
        store_codings.record_suggestions(
            store,
            "model",
            MODEL_CODER,
            [store_codings.Suggestion(notes[0], "funding", 0.9, "model p=0.90")],
            run_id=None,
            at=now(),
        )
    suggest_with_model(store, book, model, None, gates=gates)
    rows = live_model_rows(store)
    assert any(k[0] in set(new_ids) and k[1] == "funding" for k in rows)
    assert not [k for k in rows if k[0] in set(notes)]
    old = store_codings.machine_suggestions(store, "model", MODEL_CODER)[(notes[0], "funding")]
    assert old.status == "retired" and "observer notes" in old.reason


def test_the_run_says_the_model_suggests_nothing_while_every_code_is_learning(
    bundled_coded: Project,
) -> None:
    project, book = bundled_coded, bundled_coded.load_codebook()
    with project.open_store() as store:
        pending = store_codings.pending_suggestions(store)
        decisions = [
            store_codings.HumanDecision(p.segment_id, p.code_id, status, "test")
            for p, status in zip(pending[:30], ["accepted", "rejected"] * 15, strict=True)
        ]
        with store.transaction():
            store_codings.record_human_codings(store, "ana", decisions, run_id=None, at=now())
        second = run_coding(project, store, book)
    gates = second.model["gates"]
    assert gates and {g["state"] for g in gates} == {"learning"}
    assert "suggests nothing yet" in second.model["note"]
    assert "passed the gate" in second.model["note"] and "still learning" in second.model["note"]
