"""evaluate: grouped cross-validation of rules, model, both and a baseline against a human coder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support
from typer.testing import CliRunner

from coded_collection import build, write_codebook
from factories import add_coding
from themegrid.aggregate.agreement import UnknownCoder
from themegrid.aggregate.evaluate import METHODS, evaluate, score
from themegrid.cli import app
from themegrid.codebook import load_codebook
from themegrid.errors import ThemegridError
from themegrid.store.connection import Store


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    root = tmp_path_factory.mktemp("proj")
    write_codebook(root)
    store = Store(root / "themegrid.sqlite")
    truth = build(store, n_docs=6, per_doc=14)
    add_coding(store, next(iter(truth)), "funding", source="human", coder="bob", status="accepted")
    store.close()
    return root, truth


@pytest.fixture(scope="module")
def report(project):
    root, _ = project
    with Store(root / "themegrid.sqlite") as store:
        return evaluate(store, load_codebook(root / "codebook"), "alice", folds=3)


def test_folds_are_grouped_by_document(report) -> None:
    assert len(report.folds) == 3
    all_docs = set()
    for fold in report.folds:
        assert not fold.train_documents & fold.test_documents  # no document in both
        assert not all_docs & fold.test_documents  # each document tested once
        all_docs |= fold.test_documents
    assert len(all_docs) == report.n_documents == 6
    assert sum(f.n_test for f in report.folds) == report.n_segments == 6 * 14


def test_scores_per_method_and_code(report, project) -> None:
    _, truth = project
    assert set(report.methods) == set(METHODS)
    for m in report.methods.values():
        by_code = {c.code_id: c for c in m.per_code}
        assert by_code["funding"].support == sum("funding" in v for v in truth.values())
        assert by_code["rare"].support == 1
    combined = {c.code_id: c for c in report.methods["rules+model"].per_code}
    rules = {c.code_id: c for c in report.methods["rules"].per_code}
    model = {c.code_id: c for c in report.methods["model"].per_code}
    for code, c in combined.items():  # the union predicts at least what either predicts
        assert c.predicted >= max(rules[code].predicted, model[code].predicted)
    # The themes have their own words: the learned model finds them and beats the lone cue word.
    assert report.methods["model"].macro_f1 > report.methods["rules"].macro_f1
    assert "rare" in report.folds[0].model_skipped
    assert any("skipped" in n for n in report.notes)


def test_score_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 2, size=(40, 3)).astype(np.int8)
    P = np.where(rng.random((40, 3)) < 0.8, Y, 1 - Y).astype(np.int8)
    Y[:, 2] = 0
    s = score(Y, P, ("a", "b", "c"), "x")
    for j in range(2):
        p, r, f, _ = precision_recall_fscore_support(
            Y[:, j], P[:, j], average="binary", zero_division=0
        )
        c = s.per_code[j]
        assert (c.precision, c.recall, c.f1) == pytest.approx((p, r, f))
        assert c.kappa == pytest.approx(cohen_kappa_score(Y[:, j], P[:, j]))
    # Code "c" has support 0 and is left out of the macro mean.
    assert s.macro_f1 == pytest.approx(np.mean([s.per_code[0].f1, s.per_code[1].f1]))


def test_unknown_coder_and_too_many_folds(project) -> None:
    root, _ = project
    with Store(root / "themegrid.sqlite") as store:
        book = load_codebook(root / "codebook")
        with pytest.raises(UnknownCoder, match="unknown coder 'zed'; known coders: alice, bob"):
            evaluate(store, book, "zed")
        with pytest.raises(
            ThemegridError, match=r"segments in 1 document\(s\).*at least 2 documents"
        ):
            evaluate(store, book, "bob", folds=2)
        with pytest.raises(ThemegridError, match="needs at least 7; use --folds 6"):
            evaluate(store, book, "alice", folds=7)


def test_cli_json_shape(project) -> None:
    root, _ = project
    result = CliRunner().invoke(
        app, ["evaluate", "--against", "alice", "--folds", "2", "--json", "-p", str(root)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"coder", "n_segments", "n_documents", "n_folds", "folds", "methods", "notes"} <= set(
        data
    )
    assert data["n_folds"] == 2 and set(data["methods"]) == set(METHODS)
    macro = data["methods"]["baseline"]["macro"]
    assert set(macro) == {"precision", "recall", "f1", "kappa"}
    assert {"code", "support", "predicted", "precision", "recall", "f1", "kappa"} == set(
        data["methods"]["model"]["per_code"][0]
    )


def test_cli_table_and_unknown_coder(project) -> None:
    root, _ = project
    runner = CliRunner()
    result = runner.invoke(app, ["evaluate", "--against", "alice", "--folds", "2", "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert "Macro means" in result.output and "baseline" in result.output
    bad = runner.invoke(app, ["evaluate", "--against", "zed", "-p", str(root)])
    assert bad.exit_code == 1
    lines = bad.output.strip().splitlines()
    assert len(lines) == 1 and "unknown coder 'zed'; known coders: alice, bob" in lines[0]


def test_cli_context_without_baseline(project) -> None:
    root, _ = project
    args = [
        "evaluate",
        "--against",
        "alice",
        "--folds",
        "2",
        "--no-baseline",
        "--context",
        "--json",
    ]
    result = CliRunner().invoke(app, [*args, "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["methods"]) == {
        "rules+model",
        "rules",
        "model",
        "semantic",
    }


def test_selection_bias_note_when_the_coder_only_judged_flagged_segments(tmp_path: Path) -> None:
    from themegrid.aggregate.evaluate import _selection_note
    from themegrid.tag.model import human_labels, labelled_set

    write_codebook(tmp_path)
    store = Store(tmp_path / "themegrid.sqlite")
    truth = build(store, n_docs=4, per_doc=5)
    book = load_codebook(tmp_path / "codebook")
    data = labelled_set(store, book, human_labels(store, "alice"))
    assert _selection_note(store, data, "alice") == ()
    for seg in truth:
        add_coding(store, seg, "funding", source="rule", coder="themegrid:rules")
    (note,) = _selection_note(store, data, "alice")
    assert note.startswith(
        f"{len(truth)} of the {len(truth)} segments alice judged carried a machine suggestion"
    )


def test_binary_kappa_equals_scikit_learns_cohen_kappa() -> None:
    import math
    import warnings

    import numpy as np
    from sklearn.metrics import cohen_kappa_score

    from themegrid.aggregate.evaluate import binary_kappa

    rng = np.random.default_rng(7)
    cases = [rng.integers(0, 2, size=(2, n)) for n in (1, 2, 5, 40, 300) for _ in range(20)]
    cases += [np.array([[0, 0, 0], [0, 0, 0]]), np.array([[1, 1], [1, 1]])]
    cases += [np.array([[1, 0, 0, 0], [0, 0, 0, 0]]), np.array([[1, 1, 0], [0, 0, 1]])]
    for a, b in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cohen_kappa_score(a, b, labels=[0, 1])
        got = binary_kappa(a, b)
        if math.isnan(expected):
            assert got is None, (a, b)
        else:
            assert got is not None and math.isclose(got, expected, abs_tol=1e-12), (a, b, got)


def test_notes_name_skipped_codes_only_among_those_the_coder_applied() -> None:
    """Codes the coder never applied are counted once, not listed as 'skipped by the model'."""
    from types import SimpleNamespace

    import numpy as np

    from themegrid.aggregate.evaluate import _notes

    data = SimpleNamespace(code_ids=("used", "unused"), Y=np.array([[1, 0], [0, 0]]))
    folds = [SimpleNamespace(model_skipped=("used", "unused"))] * 2
    notes = _notes(data, folds)  # type: ignore[arg-type]
    assert (
        notes[0]
        == "the model skipped codes with too few positive examples in some folds: used (2/2)"
    )
    assert "1 code(s) never applied by the coder" in notes[1]
