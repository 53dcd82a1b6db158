"""`evaluate --curve`: scores after growing numbers of decisions, gated as `code` gates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from coded_collection import build, write_codebook
from themegrid.aggregate.evaluate import CURVE_METHODS, curve_sizes, learning_curve
from themegrid.cli import app
from themegrid.codebook import load_codebook
from themegrid.store.connection import Store
from themegrid.tag.gate import clustered_lower_bound


def test_curve_sizes_double_then_end_at_the_training_size() -> None:
    assert curve_sizes(300) == [25, 50, 100, 200, 300]
    assert curve_sizes(20) == [20]


def test_curve_points_methods_and_gate(tmp_path: Path) -> None:
    store = Store(tmp_path / "themegrid.sqlite")
    truth = build(store, n_docs=6, per_doc=12)
    book = load_codebook(write_codebook(tmp_path))
    curve = learning_curve(store, book, "alice", folds=3, sizes=[10, 48])
    assert [p.decisions for p in curve.points] == [10, 48]
    assert curve.n_segments == len(truth) and curve.n_folds == 3
    first, last = curve.points
    for point in curve.points:
        assert tuple(point.methods) == CURVE_METHODS
        model = {c.code_id: c for c in point.methods["model"].per_code}
        for c in point.methods["gated model"].per_code:
            # The gate only ever removes suggestions, and a closed gate removes them all.
            assert c.predicted <= model[c.code_id].predicted
            if point.gate_open[c.code_id] == 0:
                assert c.predicted == 0
        # Rules need no training: the same at every size.
        assert point.methods["rules"] == first.methods["rules"]
    # 'rare' has one positive decision: never enough to open its gate.
    assert last.gate_open["rare"] == 0
    # With 48 decisions per fold the funding model has earned it in some fold.
    assert last.gate_open["funding"] >= 1
    # Each opening is checked on its fold's test documents: one check per opening, the
    # gated model's held-out suggestions of a code are those of its openings.
    gated = {c.code_id: c for c in last.methods["gated model"].per_code}
    for code, n_open in last.gate_open.items():
        checks = [c for c in last.gate_checks if c.code_id == code and c.opened]
        assert len(checks) == n_open
        assert sum(c.held_out_suggested for c in checks) == gated[code].predicted
        for c in checks:
            assert c.precision_low <= c.precision and c.estimated_over >= 1
            assert 0 <= c.held_out_hits <= c.held_out_suggested
    # Every gate with figures is recorded, opened or not, with its suggestions per document
    # and per inner fold: from them the gate's own bound is recomputed exactly (so another
    # gate rule can be judged on the same fits), and the held-out ones add up.
    assert any(not c.opened for p in curve.points for c in p.gate_checks)
    for point in curve.points:
        for c in point.gate_checks:
            hits = np.concatenate([[1] * r + [0] * (n - r) for n, r in c.estimate_documents])
            docs = np.concatenate([[k] * n for k, (n, _) in enumerate(c.estimate_documents)])
            assert clustered_lower_bound(hits, docs) == pytest.approx(c.precision_low)
            assert hits.mean() == pytest.approx(c.precision)
            assert sum(n for n, _ in c.estimate_folds) == c.estimated_over == len(hits)
            assert sum(r for _, r in c.estimate_folds) == hits.sum()
            assert sum(n for n, _ in c.held_out_documents) == c.held_out_suggested
            assert sum(r for _, r in c.held_out_documents) == c.held_out_hits


@pytest.mark.slow  # the CLI trains in parallel processes: ~15 s of process start-up
def test_cli_curve_json(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "corpus").mkdir(parents=True)
    (root / "reports").mkdir()
    write_codebook(root)
    build(Store(root / "themegrid.sqlite"), n_docs=6, per_doc=12)
    result = CliRunner().invoke(
        app,
        ["evaluate", "--against", "alice", "--curve", "--folds", "3", "--json", "-p", str(root)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["decisions"] for p in data["points"]] == [25, 48]
    assert set(data["points"][0]["methods"]) == set(CURVE_METHODS)
