"""The learned suggester: estimator contract, CV thresholds, skipped codes, store suggestions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import f1_score

from coded_collection import FILLER, WORDS, build, make_text, view, write_codebook
from factories import add_coding, add_document
from themegrid.codebook import load_codebook
from themegrid.models import MODEL_CODER
from themegrid.store.connection import Store
from themegrid.tag.model import SegmentInput, SuggestionModel, suggest_with_model, train_from_store


def corpus(n: int = 120, seed: int = 1) -> tuple[list[str], np.ndarray, list[int]]:
    """Texts, labels over (funding, staffing, rare) and document groups."""
    rng = random.Random(seed)
    texts, rows, groups = [], [], []
    for i in range(n):
        code = rng.choice(["funding", "staffing", None])
        texts.append(make_text(rng, code))
        rows.append([code == "funding", code == "staffing", i < 3])
        groups.append(i // 10)
    return texts, np.array(rows, dtype=np.int8), groups


CODES = ("funding", "staffing", "rare")


def test_estimator_contract() -> None:
    model = SuggestionModel(min_positive=4, C=2.0)
    with pytest.raises(NotFittedError):
        model.predict_proba(["budget"])
    with pytest.raises(NotFittedError):
        model.predict(["budget"])
    params = model.get_params()
    assert params["min_positive"] == 4 and params["C"] == 2.0
    assert model.set_params(threshold_cv=4) is model and model.threshold_cv == 4
    texts, Y, groups = corpus()
    assert model.fit(texts, Y, groups=groups, code_ids=CODES) is model
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        copy.predict(texts)
    assert not [k for k in vars(copy) if k.endswith("_")]
    proba = model.predict_proba(texts)
    assert proba.shape == (len(texts), 3) and ((proba >= 0) & (proba <= 1)).all()


def test_thresholds_maximise_out_of_fold_f1() -> None:
    texts, Y, groups = corpus()
    model = SuggestionModel().fit(texts, Y, groups=groups, code_ids=CODES)
    for code in ("funding", "staffing"):
        y, p = model.oof_proba_[code]
        assert len(y) == len(texts)
        chosen = model.thresholds_[code]
        best = f1_score(y, p >= chosen)
        # No other cut-off on the out-of-fold probabilities does better.
        for t in np.unique(p):
            assert f1_score(y, p >= t) <= best + 1e-12
        assert model.oof_f1_[code] == pytest.approx(best)
        # Out-of-fold, not in-sample: in-sample probabilities differ.
        j = CODES.index(code)
        assert not np.allclose(np.sort(p), np.sort(model.predict_proba(texts)[:, j]))


def test_codes_with_too_few_positives_are_skipped_and_reported() -> None:
    texts, Y, groups = corpus()
    model = SuggestionModel(min_positive=5).fit(texts, Y, groups=groups, code_ids=CODES)
    assert set(model.skipped_) == {"rare"}
    assert model.skipped_["rare"] == "3 positive example(s); at least 5 needed"
    assert model.modelled_codes == ("funding", "staffing")
    assert not model.predict(texts)[:, 2].any()
    assert SuggestionModel(min_positive=3).fit(texts, Y, code_ids=CODES).skipped_ == {}


def test_unknown_labels_are_ignored_for_that_code() -> None:
    texts, Y, _ = corpus()
    Y = Y.copy()
    Y[:, 1] = -1  # nothing known about staffing
    Y[:6, 1] = [1, 1, 1, 1, 1, 0]
    model = SuggestionModel().fit(texts, Y, code_ids=CODES)
    assert "staffing" in model.skipped_ and "negative" in model.skipped_["staffing"]


def test_predictions_and_top_terms_make_sense() -> None:
    texts, Y, groups = corpus(200)
    model = SuggestionModel().fit(texts, Y, groups=groups, code_ids=CODES)
    new = [
        "The grant money and the fiscal year budget worried us.",
        "Turnover and hiring vacancies.",
    ]
    pred = model.predict(new)
    assert pred[0, 0] == 1 and pred[1, 1] == 1 and pred[0, 1] == 0
    terms = model.top_terms(new[0], "funding", k=3)
    assert terms and all(
        any(t in w for w in WORDS["funding"]) or t in new[0].lower() for t in terms
    )
    assert set(" ".join(terms).split()) & {"grant", "money", "fiscal", "budget", "year"}
    assert model.top_terms(new[0], "rare") == []
    # Reasons for many segments come from one transform; each row's terms are the same.
    words = model.word_matrix(new + texts[:20])
    for i, text in enumerate(new + texts[:20]):
        for code in ("funding", "staffing"):
            assert model.top_terms_in(words, i, code) == model.top_terms(text, code)


def test_context_inputs_are_accepted() -> None:
    texts, Y, groups = corpus()
    inputs = [SegmentInput(t, before=FILLER[0], after="") for t in texts]
    model = SuggestionModel(context=True).fit(inputs, Y, groups=groups, code_ids=CODES)
    assert "context" in model.vectorizers_
    assert model.predict(inputs).shape == Y.shape


def test_large_mode_uses_sgd_and_word_features() -> None:
    texts, Y, groups = corpus()
    model = SuggestionModel(size="large").fit(texts, Y, groups=groups, code_ids=CODES)
    assert model.mode_ == "large" and set(model.vectorizers_) == {"word"}
    assert type(model.estimators_["funding"]).__name__ == "SGDClassifier"
    with pytest.raises(ValueError, match="size must be"):
        SuggestionModel(size="huge").fit(texts, Y, code_ids=CODES)


# --- the store side -------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path):
    store = Store(tmp_path / "themegrid.sqlite")
    build(store, n_docs=5, per_doc=12)
    book = load_codebook(write_codebook(tmp_path))
    rng = random.Random(7)
    new_ids = add_document(
        store,
        "interviews/new.txt",
        [("R", make_text(rng, c)) for c in ["funding", "staffing", None, "funding"]],
    )
    return store, book, new_ids


def model_rows(store: Store) -> dict[tuple[str, str], dict]:
    return {
        (r["segment_id"], r["code_id"]): dict(r)
        for r in store.query(
            "SELECT * FROM codings WHERE source = 'model' AND coder = ?", (MODEL_CODER,)
        )
    }


def test_train_from_store_and_suggest(project) -> None:
    store, book, new_ids = project
    model = train_from_store(store, book)
    assert model is not None and set(model.modelled_codes) == {"funding", "staffing"}
    assert "rare" in model.skipped_
    summary = suggest_with_model(store, book, model, None)
    rows = model_rows(store)
    assert summary["segments_scored"] == len(new_ids)
    assert summary["codes_skipped"] == {"rare": model.skipped_["rare"]}
    assert (new_ids[0], "funding") in rows and (new_ids[1], "staffing") in rows
    assert {k[0] for k in rows} <= set(new_ids)  # only segments no human has seen
    row = rows[(new_ids[0], "funding")]
    assert row["status"] == "suggested" and 0 < row["confidence"] <= 1
    assert row["reason"].startswith(f"model p={row['confidence']:.2f}; terms: ")
    again = suggest_with_model(store, book, model, None)
    assert again["new"] == 0 and again["unchanged"] == summary["new"]


def test_never_resuggests_a_human_rejected_code(project) -> None:
    store, book, new_ids = project
    model = train_from_store(store, book)
    suggest_with_model(store, book, model, None)
    assert model_rows(store)[(new_ids[0], "funding")]["status"] == "suggested"
    add_coding(store, new_ids[0], "funding", source="human", coder="bob", status="rejected")
    model = train_from_store(store, book)
    summary = suggest_with_model(store, book, model, None)
    assert model_rows(store)[(new_ids[0], "funding")]["status"] == "retired"
    assert summary["retired"] >= 1
    # Even when scoring that segment directly the rejected pair is left out.
    from themegrid.tag.model import _predictions

    preds = _predictions(
        model, [SegmentInput("grant money and the budget")], [new_ids[0]], {(new_ids[0], "funding")}
    )
    assert (new_ids[0], "funding") not in preds


def test_retires_suggestions_no_longer_predicted_but_keeps_decided(project) -> None:
    store, book, new_ids = project
    model = train_from_store(store, book)
    suggest_with_model(store, book, model, None)
    view(store, new_ids[1], "alice")  # a human has now looked at segment 1
    summary = suggest_with_model(store, book, None, None)
    rows = model_rows(store)
    assert rows[(new_ids[0], "funding")]["status"] == "retired"
    # A segment a human has decided since: its model row is left as it was.
    assert rows[(new_ids[1], "staffing")]["status"] == "suggested"
    assert summary["retired"] == sum(1 for k in rows if k[0] != new_ids[1])


def test_no_human_labels_means_no_model(tmp_path) -> None:
    store = Store(":memory:")
    add_document(store, "a.txt", [("R", "budget talk")])
    assert train_from_store(store, load_codebook(write_codebook(tmp_path))) is None
