"""What the gate's figures describe: the deployed model is the one they were measured on
(no refit after the gate), and choosing a code's feature set is inside the estimate
(nested), not a selection on the rows the estimate is computed from."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import average_precision_score

from themegrid.tag.model import (
    SegmentInput,
    SuggestionModel,
    _CodeFitter,
    _pick,
)


def weak_code(seed: int, n_docs: int = 12, per_doc: int = 15):
    """One code; its segments use six 'signal' words more often than the others do."""
    rng = np.random.default_rng(seed)
    inputs, labels, groups = [], [], []
    for doc in range(n_docs):
        for _ in range(per_doc):
            y = bool(rng.random() < 0.3)
            words = list(rng.choice([f"w{k}" for k in range(600)], 10))
            if rng.random() < (0.6 if y else 0.15):
                words += list(rng.choice([f"sig{k}" for k in range(6)], 2))
            inputs.append(SegmentInput(" ".join(words)))
            labels.append([int(y)])
            groups.append(doc)
    return inputs, np.array(labels, dtype=np.int8), np.array(groups)


def test_the_deployed_classifier_is_the_inner_fold_models_the_gate_measured() -> None:
    """Its scores are the mean of the inner-fold classifiers' (whose out-of-fold scores
    gave the calibration, the threshold and the gate's precision), not a refit on all rows."""
    inputs, Y, groups = weak_code(0)
    model = SuggestionModel(precision_floor=0.6).fit(inputs, Y, groups=groups, code_ids=["c"])
    fitter = _CodeFitter(model.mode_, model.C, model.alpha, model.threshold_cv, 0, 0.6)
    features = model._features(inputs)
    y = Y[:, 0]
    new_inputs, _, _ = weak_code(1, n_docs=4)
    new = model._features(new_inputs)
    inner = [
        fitter.fit_one(features[train], y[train]).decision_function(new)
        for train, _test in fitter.folds(y, groups)
    ]
    refit = fitter.fit_one(features, y).decision_function(new)
    deployed = model.estimators_["c"].decision_function(new)
    assert np.allclose(deployed, np.mean(inner, axis=0))
    assert not np.allclose(deployed, refit, atol=0.05)  # the test can tell the two apart


def noise_candidates(seed: int, base: sp.csr_matrix, n_sets: int) -> list[sp.csr_matrix]:
    """The TF-IDF block alone, then richer sets that add columns of pure noise: which one
    cross-validates best is luck, so a choice on the scored rows flatters them."""
    rng = np.random.default_rng(seed)
    out = [base]
    for _ in range(n_sets - 1):
        noise = sp.csr_matrix(rng.normal(0, 1, (base.shape[0], 20)))
        out.append(sp.hstack([base, noise], format="csr"))
    return out


def test_each_inner_folds_figures_come_from_the_set_chosen_without_it() -> None:
    """The gate's out-of-fold suggestions in each inner fold are those of the feature set
    chosen on the other folds' scores; at least one fold's choice differs from the choice
    on all folds (so a choice on the scored rows would give other figures)."""
    differs = 0
    for seed in range(2):
        inputs, Y, groups = weak_code(seed)
        model = SuggestionModel(precision_floor=0.6).fit(inputs, Y, groups=groups, code_ids=["c"])
        fitter = _CodeFitter(model.mode_, model.C, model.alpha, model.threshold_cv, 0, 0.6)
        y = Y[:, 0]
        candidates = noise_candidates(seed, model._features(inputs), 6)
        folds = fitter.folds(y, groups)
        fits = [fitter.fit_code(c, y, groups, folds) for c in candidates]
        _chosen, _scores, chosen_fit = fitter.choose_and_fit(candidates, y, groups)
        honest, fold_of = chosen_fit[6], chosen_fit[7]
        overall = _pick([average_precision_score(*f[4]) for f in fits])
        for k in np.unique(fold_of):
            rest = fold_of != k
            without = _pick([average_precision_score(f[4][0][rest], f[4][1][rest]) for f in fits])
            assert np.array_equal(honest[~rest], fits[without][6][~rest]), (seed, k)
            differs += without != overall and not np.array_equal(
                fits[without][6][~rest], fits[overall][6][~rest]
            )
    assert differs  # the nesting changed some fold's figures


def test_held_out_rows_are_scored_as_new_documents() -> None:
    """An inner fold's held-out rows are scored without the words no training row of
    the fold has, as a new document would be (the vocabulary is learnt from all rows,
    so a held-out row's L2 norm would otherwise count words the classifier never saw,
    and its score would be milder than a new document's): giving the held-out rows
    words that occur nowhere else changes none of their out-of-fold scores."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    inputs, Y, groups = weak_code(3)
    texts = [i.text for i in inputs]
    y = Y[:, 0]
    train, test = np.flatnonzero(groups < 8), np.flatnonzero(groups >= 8)
    padded = [
        f"{t} once{n}a once{n}b once{n}c" if groups[n] >= 8 else t for n, t in enumerate(texts)
    ]
    fitter = _CodeFitter("small", 4.0, 2e-6, 3, 0, 0.6)
    scores = []
    for corpus in (texts, padded):
        X = TfidfVectorizer(sublinear_tf=True).fit_transform(corpus).astype(np.float64).tocsr()
        fitted = fitter.fit_code(X, y, groups, [(train, test)], ((0, X.shape[1]),))
        scores.append(fitted[4][1])
    assert np.allclose(scores[0], scores[1], atol=1e-6)
    # the model passes its TF-IDF blocks (word, then char n-grams) to the fitter
    model = SuggestionModel().fit(inputs, Y, groups=groups, code_ids=["c"])
    width = len(model.vectorizers_["word"].vocabulary_)
    chars = len(model.vectorizers_["char"].vocabulary_)
    assert model.blocks_[0] == ((0, width), (width, width + chars))
