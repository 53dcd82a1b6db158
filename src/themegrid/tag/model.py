"""Learned suggestions: a multi-label text classifier trained on human decisions.

Design
------
:class:`SuggestionModel` is a scikit-learn estimator (``__init__`` stores
parameters only, ``fit`` returns ``self``, learned attributes end in ``_``,
predicting before ``fit`` raises ``NotFittedError``; only public sklearn APIs).

* **Input.** ``X`` is a sequence of texts or of objects with ``text`` and
  optionally ``before``/``after`` (the neighbouring turns, see
  :class:`SegmentInput`). ``Y`` is an ``(n_samples, n_codes)`` indicator
  matrix: ``1`` applied, ``0`` not applied, ``-1`` unknown (the row is ignored
  for that code: a codebook counterexample says "not this code" and nothing
  about the others).
* **Features.** TF-IDF over word 1–2-grams and ``char_wb`` 3–5-grams of the
  segment (sublinear tf). With ``context=True`` the neighbouring turns add a
  separate word TF-IDF block scaled by ``context_weight`` (an interviewer's
  question often names the theme the answer is about). Context is **off by
  default**: on the synthetic benchmark collection it added +0.02 macro F1
  (6,000 segments) and +0.01 (40,000), but that collection has topic
  persistence between turns built in, so this is no evidence about real
  transcripts; and a suggestion should be explainable by the segment's own
  words (its reason lists them), not inherited from the turn before.
  ``themegrid evaluate --context`` measures it on a project's own codings.
* **One linear model per code**, class-weighted ("balanced") because most
  codes are rare: ``LogisticRegression`` (liblinear) on small data, and
  ``SGDClassifier`` (log loss) on large data.
* **Calibration and thresholds from the same out-of-fold scores.** For each
  code, ``threshold_cv``-fold cross-validation (grouped by document when
  ``groups`` is given, so a document's turns never inform their own
  threshold) yields out-of-fold decision scores. A sigmoid (Platt) fitted on
  them maps scores to probabilities — what ``CalibratedClassifierCV(method=
  "sigmoid", ensemble=False)`` does, without a second round of fits —
  because class weighting makes the raw probabilities of a balanced logistic
  regression systematically too high for rare codes (held-out Brier score on
  the synthetic collection: 0.0257 calibrated vs 0.0269 raw at 6,000
  segments, 0.0236 vs 0.0249 at 40,000). The per-code threshold maximises
  F1 on those out-of-fold probabilities.
* **The classifier used is the mean of the inner-fold ones** (their coefficients
  averaged), not a refit on all rows: the calibration, the threshold and the
  gate's precision were measured on the inner-fold models' scores, and a refit
  on more rows scores new documents more extremely, so more of them cross the
  threshold, at a lower precision than measured (on the qabstracts learning
  curve the refit suggested up to three times the out-of-fold share). It also
  saves one fit per code and feature set.
* **Codes with too little evidence are skipped**: fewer than ``min_positive``
  positive (or fewer than 2 negative) examples. ``skipped_`` says which and
  why; they are never predicted.
* **Size.** ``size="auto"`` switches to the large settings at
  ``large_threshold`` labelled rows: word 1–2-grams only (``min_df=2``,
  at most 300,000; char n-grams add ~500 non-zeros per segment, which at
  200,000 segments costs gigabytes and most of the time), ``SGDClassifier``
  with a fixed number of epochs, and 2 inner folds, so 5-fold evaluation of ~200,000 rows stays within minutes on two
  cores. The vectorisers are fitted once on all training texts (labels are
  not used, so the inner folds share them).

* **Feature sets chosen per code.** With ``feature_sets`` (what ``themegrid
  code`` uses: :func:`auto_feature_sets`), each code's inner cross-validation
  (grouped by document) is run once per candidate set: ``tfidf`` (the above),
  ``tfidf+embedding`` (adds the segment's ``wordllama`` sentence embedding,
  :mod:`themegrid.tag.embed`) and ``tfidf+embedding+context`` (adds the
  previous turn's words, its embedding, and the share of the previous turn's
  words the segment repeats: codes such as "restating" depend on what the
  previous speaker said). The set with the highest out-of-fold average
  precision is kept, a richer set only when it beats the simpler one by
  :data:`RICHER_BY`; calibration, threshold and the gate's figures then come
  from that set's out-of-fold scores. The gate's figures do not come from that
  choice: each inner fold's suggestions are those of the set (and threshold)
  chosen on the other folds, so the estimate includes the choosing (choosing on
  the scored rows made codes look more precise than they were on new documents).
  ``feature_set_`` says which set each code uses. Without the embedder only ``tfidf``
  and ``tfidf+context`` compete. Codes with fewer than :data:`SELECT_MIN_POSITIVE`
  positives use ``tfidf`` only.
* **Held-out rows scored as new documents.** The vectorisers learn their vocabulary
  from every training text, so in an inner fold the held-out rows would keep, inside
  each TF-IDF block's norm, words the fold's classifier never saw; a new document's
  unseen words are simply absent. :func:`as_new_documents` drops them from the
  held-out rows (each block rescaled to its norm) before they are scored, so the
  calibration, the threshold and the gate's figures are measured on scores like those
  new documents get.

The store side: :func:`train_from_store` builds the labelled set from human
decisions and the codebook's examples, and :func:`suggest_with_model` writes
``model`` suggestions for segments no human has looked at yet. Nothing is
pickled: the model is retrained on every run (seconds for ~1,000 segments).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from themegrid.codebook import Codebook
from themegrid.models import MODEL_CODER
from themegrid.store import codings as store_codings
from themegrid.store import documents as store_documents
from themegrid.store import segments as store_segments
from themegrid.store.connection import Store, now
from themegrid.tag.gate import (
    ACTIVE,
    MIN_SUPPORT,
    CodeGate,
    gate_codes,
    precision_lower_bound,
)

UNKNOWN = -1
#: A richer feature set replaces a simpler one only when its out-of-fold average
#: precision is higher by at least this much (selection on noise otherwise).
RICHER_BY = 0.01
#: Codes with fewer positive examples use TF-IDF only: they cannot pass the gate yet
#: (``model_min_positives``, default 10), and choosing among sets on so few is noise.
SELECT_MIN_POSITIVE = 10
TFIDF, EMBEDDING, CONTEXT = "tfidf", "embedding", "context"


def auto_feature_sets() -> tuple[str, ...]:
    """The candidate sets ``themegrid code`` lets each code choose from."""
    from themegrid.tag.embed import load_embedder

    if load_embedder() is None:
        return (TFIDF, f"{TFIDF}+{CONTEXT}")
    return (TFIDF, f"{TFIDF}+{EMBEDDING}", f"{TFIDF}+{EMBEDDING}+{CONTEXT}")


def repeated_share(current: str, previous: str) -> float:
    """Share of the previous turn's distinct words that the current segment repeats."""
    before = set(_WORDS.findall(previous.lower()))
    if not before:
        return 0.0
    return len(before & set(_WORDS.findall(current.lower()))) / len(before)


_WORDS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class SegmentInput:
    """A segment's text with its neighbouring turns (empty when there is none)."""

    text: str
    before: str = ""
    after: str = ""


def _as_inputs(X: Sequence[Any]) -> list[SegmentInput]:
    out = []
    for item in X:
        if isinstance(item, str):
            out.append(SegmentInput(item))
        else:
            out.append(
                SegmentInput(
                    str(item.text),
                    str(getattr(item, "before", "") or ""),
                    str(getattr(item, "after", "") or ""),
                )
            )
    return out


class SuggestionModel(BaseEstimator):
    """Per-code calibrated linear text classifiers with cross-validated thresholds.

    Parameters
    ----------
    min_positive: codes with fewer positive examples are skipped.
    threshold_cv: inner folds for out-of-fold scores (calibration and thresholds).
    context: also use the neighbouring turns' words.
    context_weight: scale of the context block relative to the segment's own.
    C: inverse regularisation of the logistic regression (small data).
    alpha: regularisation of the SGD classifier (large data).
    size: "auto", "small" or "large" (see the module docstring).
    large_threshold: labelled rows from which "auto" means "large".
    n_jobs: codes trained in parallel processes (None: one at a time; -1: all cores).
    random_state: seed for fold shuffling and SGD.
    precision_floor: when given, each code's threshold maximises out-of-fold F1 among
        the thresholds whose out-of-fold precision reaches the floor (where one does).
    feature_sets: candidate feature sets each code chooses from by grouped inner
        cross-validation (see the module docstring); None: ``tfidf`` only.

    Learned attributes: ``code_ids_``, ``mode_``, ``vectorizers_``, ``estimators_``
    and ``calibrators_`` (per modelled code), ``thresholds_``, ``oof_f1_`` and
    ``oof_proba_`` (the out-of-fold labels and probabilities the threshold was
    chosen on) with ``oof_rows_`` (their row numbers in the training data) and
    ``oof_suggested_`` (out-of-fold 0/1 suggestions, each fold cut at a threshold
    chosen on the other folds: the gate's precision estimate) and ``oof_folds_`` (the
    inner fold of each of those rows), ``skipped_`` (code -> why it is not modelled), ``n_features_``,
    ``word_names_`` (for :meth:`top_terms`).
    """

    def __init__(
        self,
        *,
        min_positive: int = 5,
        threshold_cv: int = 3,
        context: bool = False,
        context_weight: float = 0.5,
        C: float = 4.0,
        alpha: float = 2e-6,
        size: str = "auto",
        large_threshold: int = 10_000,
        n_jobs: int | None = None,
        random_state: int = 0,
        precision_floor: float | None = None,
        feature_sets: Sequence[str] | None = None,
    ) -> None:
        self.min_positive = min_positive
        self.threshold_cv = threshold_cv
        self.context = context
        self.context_weight = context_weight
        self.C = C
        self.alpha = alpha
        self.size = size
        self.large_threshold = large_threshold
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.precision_floor = precision_floor
        self.feature_sets = feature_sets

    # --- fitting --------------------------------------------------------------------

    def fit(
        self,
        X: Sequence[Any],
        Y: Any,
        *,
        groups: Sequence[Any] | None = None,
        code_ids: Sequence[str] | None = None,
    ) -> SuggestionModel:
        """Fit on texts ``X`` and indicator matrix ``Y`` (1, 0 or -1 = unknown)."""
        inputs = _as_inputs(X)
        Y = np.asarray(Y, dtype=np.int8)
        if Y.ndim != 2 or Y.shape[0] != len(inputs):
            raise ValueError(f"Y must have shape (n_samples={len(inputs)}, n_codes); got {Y.shape}")
        if code_ids is None:
            code_ids = [str(j) for j in range(Y.shape[1])]
        if len(code_ids) != Y.shape[1]:
            raise ValueError(f"{len(code_ids)} code_ids for {Y.shape[1]} columns of Y")
        self.mode_ = self._mode(len(inputs))
        self.code_ids_ = tuple(code_ids)
        self.vectorizers_ = self._make_vectorizers()
        self.sets_ = self._sets()
        features = self._fit_features(inputs)
        candidates = self._candidates(features, inputs, fit=True)
        groups_arr = None if groups is None else np.asarray(groups)
        self.skipped_: dict[str, str] = {}
        todo = []
        for j, code in enumerate(self.code_ids_):
            reason = self._skip_reason(Y[:, j])
            if reason:
                self.skipped_[code] = reason
            else:
                todo.append(j)
        fitter = _CodeFitter(
            self.mode_,
            self.C,
            self.alpha,
            self.threshold_cv,
            self.random_state,
            self.precision_floor,
        )
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(fitter.choose_and_fit)(candidates, Y[:, j], groups_arr, self.blocks_)
            for j in todo
        )
        self.estimators_: dict[str, Any] = {}
        self.calibrators_: dict[str, LogisticRegression] = {}
        self.thresholds_: dict[str, float] = {}
        self.oof_f1_: dict[str, float] = {}
        self.oof_proba_: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.oof_rows_: dict[str, np.ndarray] = {}
        self.oof_suggested_: dict[str, np.ndarray] = {}
        self.oof_folds_: dict[str, np.ndarray] = {}
        self.feature_set_: dict[str, str] = {}
        self.set_scores_: dict[str, dict[str, float]] = {}
        for j, (chosen, set_scores, fitted) in zip(todo, results, strict=True):
            clf, calibrator, threshold, f1, oof, oof_rows, honest, folds = fitted
            code = self.code_ids_[j]
            self.feature_set_[code] = self.sets_[chosen]
            self.set_scores_[code] = {self.sets_[k]: round(v, 4) for k, v in enumerate(set_scores)}
            self.estimators_[code] = clf
            self.calibrators_[code] = calibrator
            self.thresholds_[code] = threshold
            self.oof_f1_[code] = f1
            self.oof_proba_[code] = oof
            self.oof_rows_[code] = oof_rows
            self.oof_suggested_[code] = honest
            self.oof_folds_[code] = folds
        self.n_features_ = features.shape[1]
        self.word_names_ = self.vectorizers_["word"].get_feature_names_out()
        return self

    def _sets(self) -> tuple[str, ...]:
        sets = tuple(self.feature_sets or (TFIDF,))
        for name in sets:
            parts = name.split("+")
            if parts[0] != TFIDF or not set(parts[1:]) <= {EMBEDDING, CONTEXT}:
                raise ValueError(
                    f"feature set {name!r}: 'tfidf' optionally followed by '+embedding' "
                    "and/or '+context'"
                )
        return sets

    def _candidates(
        self, text_block: sp.csr_matrix, inputs: list[SegmentInput], *, fit: bool
    ) -> list[sp.csr_matrix]:
        """One feature matrix per candidate set; every set starts with the TF-IDF block
        (so the word coefficients come first, as :meth:`top_terms` reads them)."""
        wanted = {part for name in self.sets_ for part in name.split("+")[1:]}
        blocks: dict[str, sp.csr_matrix] = {}
        if EMBEDDING in wanted or CONTEXT in wanted:
            from themegrid.tag.embed import embed_texts

            texts = [i.text for i in inputs]
            previous = [i.before for i in inputs]
            both = embed_texts(texts + previous)
            if both is None:
                raise ValueError("feature sets with embeddings need the embedder (wordllama)")
            self.embedding_width_ = int(both.shape[1])
            if EMBEDDING in wanted:
                blocks[EMBEDDING] = sp.csr_matrix(both[: len(texts)].astype(np.float64))
            if CONTEXT in wanted:
                if fit:
                    self.previous_vectorizer_: TfidfVectorizer | None = TfidfVectorizer(
                        sublinear_tf=True, dtype=np.float32, min_df=1
                    )
                    try:
                        words = self.previous_vectorizer_.fit_transform(previous)
                    except ValueError:  # no previous turn has a word (survey answers)
                        self.previous_vectorizer_ = None
                if self.previous_vectorizer_ is None:
                    words = sp.csr_matrix((len(inputs), 0), dtype=np.float64)
                elif not fit:
                    words = self.previous_vectorizer_.transform(previous)
                share = np.array(
                    [[repeated_share(i.text, i.before)] for i in inputs], dtype=np.float64
                )
                blocks[CONTEXT] = sp.hstack(
                    [
                        words * self.context_weight,
                        sp.csr_matrix(both[len(texts) :].astype(np.float64) * self.context_weight),
                        sp.csr_matrix(share),
                    ],
                    format="csr",
                )
        out = []
        ranges: list[tuple[tuple[int, int], ...]] = []
        for name in self.sets_:
            parts = [text_block, *(blocks[p] for p in name.split("+")[1:])]
            matrix = (
                sp.hstack(parts, format="csr", dtype=np.float64) if len(parts) > 1 else text_block
            )
            matrix.sort_indices()
            out.append(matrix)
            ranges.append(self._tfidf_ranges(name, text_block.shape[1]))
        if fit:
            self.blocks_ = ranges
        return out

    def _tfidf_ranges(self, name: str, text_width: int) -> tuple[tuple[int, int], ...]:
        """The column ranges of set ``name``'s TF-IDF blocks (each row L2-normalised over
        the block's words, then scaled): those :func:`as_new_documents` renormalises."""
        out, start = [], 0
        for vec in self.vectorizers_.values():
            out.append((start, start + len(vec.vocabulary_)))
            start += len(vec.vocabulary_)
        at = text_width
        for part in name.split("+")[1:]:
            if part == EMBEDDING:
                at += self.embedding_width_
            elif part == CONTEXT:
                previous = self.previous_vectorizer_
                words = 0 if previous is None else len(previous.vocabulary_)
                out.append((at, at + words))
                at += words + self.embedding_width_ + 1
        return tuple(out)

    def _mode(self, n: int) -> str:
        if self.size not in ("auto", "small", "large"):
            raise ValueError(f"size must be 'auto', 'small' or 'large', not {self.size!r}")
        if self.size != "auto":
            return self.size
        return "large" if n >= self.large_threshold else "small"

    def _make_vectorizers(self) -> dict[str, TfidfVectorizer]:
        common = {"sublinear_tf": True, "dtype": np.float32}
        if self.mode_ == "large":
            vecs = {
                "word": TfidfVectorizer(
                    ngram_range=(1, 2),
                    min_df=2,
                    max_features=300_000,
                    **common,
                )
            }
        else:
            vecs = {
                "word": TfidfVectorizer(ngram_range=(1, 2), **common),
                "char": TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common),
            }
        if self.context:
            vecs["context"] = TfidfVectorizer(
                min_df=2 if self.mode_ == "large" else 1,
                max_features=50_000 if self.mode_ == "large" else None,
                **common,
            )
        return vecs

    def _fit_features(self, inputs: list[SegmentInput]) -> sp.csr_matrix:
        blocks = []
        texts = [i.text for i in inputs]
        for name, vec in self.vectorizers_.items():
            if name == "context":
                block = (
                    vec.fit_transform([f"{i.before} {i.after}" for i in inputs])
                    * self.context_weight
                )
            else:
                block = vec.fit_transform(texts)
            blocks.append(block)
        features = sp.hstack(blocks, format="csr", dtype=np.float64)
        features.sort_indices()  # liblinear and SGD want sorted float64 CSR; do it once
        return features

    def _features(self, inputs: list[SegmentInput]) -> sp.csr_matrix:
        blocks = []
        texts = [i.text for i in inputs]
        for name, vec in self.vectorizers_.items():
            if name == "context":
                block = (
                    vec.transform([f"{i.before} {i.after}" for i in inputs]) * self.context_weight
                )
            else:
                block = vec.transform(texts)
            blocks.append(block)
        features = sp.hstack(blocks, format="csr", dtype=np.float64)
        features.sort_indices()  # liblinear and SGD want sorted float64 CSR; do it once
        return features

    def _skip_reason(self, y: np.ndarray) -> str:
        n_pos = int((y == 1).sum())
        n_neg = int((y == 0).sum())
        if n_pos < self.min_positive:
            return f"{n_pos} positive example(s); at least {self.min_positive} needed"
        if n_neg < 2:
            return f"{n_neg} negative example(s); at least 2 needed"
        return ""

    # --- predicting -----------------------------------------------------------------

    def predict_proba(self, X: Sequence[Any]) -> np.ndarray:
        """Calibrated probabilities, shape (n_samples, n_codes); 0 for skipped codes."""
        check_is_fitted(self, "estimators_")
        inputs = _as_inputs(X)
        text_block = self._features(inputs)
        out = np.zeros((text_block.shape[0], len(self.code_ids_)), dtype=np.float64)
        if text_block.shape[0] == 0 or not self.estimators_:
            return out
        used = set(self.feature_set_.values())
        if used == {TFIDF}:
            by_set = {TFIDF: text_block}
        else:
            by_set = dict(
                zip(self.sets_, self._candidates(text_block, inputs, fit=False), strict=True)
            )
        for j, code in enumerate(self.code_ids_):
            clf = self.estimators_.get(code)
            if clf is None:
                continue
            features = by_set[self.feature_set_[code]]
            scores = clf.decision_function(features).reshape(-1, 1)
            out[:, j] = self.calibrators_[code].predict_proba(scores)[:, 1]
        return out

    def predict(self, X: Sequence[Any]) -> np.ndarray:
        """Indicator matrix: probability at or above each code's threshold."""
        proba = self.predict_proba(X)
        thresholds = np.array([self.thresholds_.get(c, np.inf) for c in self.code_ids_])
        return (proba >= thresholds).astype(np.int8)

    def word_matrix(self, texts: Sequence[str]) -> Any:
        """The word TF-IDF rows of ``texts`` (CSR), transformed once for many reasons."""
        check_is_fitted(self, "estimators_")
        return self.vectorizers_["word"].transform(list(texts)).tocsr()

    def top_terms(self, text: str, code: str, k: int = 5) -> list[str]:
        """The words/bigrams of ``text`` that push ``code`` up most (for the reason string)."""
        return self.top_terms_in(self.word_matrix([text]), 0, code, k)

    def top_terms_in(self, words: Any, row: int, code: str, k: int = 5) -> list[str]:
        """:meth:`top_terms` of row ``row`` of a :meth:`word_matrix` result."""
        check_is_fitted(self, "estimators_")
        clf = self.estimators_.get(code)
        if clf is None:
            return []
        start, end = words.indptr[row], words.indptr[row + 1]
        cols = words.indices[start:end]
        coef = np.ravel(clf.coef_)[: len(self.word_names_)]  # the word block comes first
        contrib = words.data[start:end] * coef[cols]
        names = self.word_names_
        order = np.argsort(-contrib)
        return [str(names[cols[i]]) for i in order[:k] if contrib[i] > 0]

    @property
    def modelled_codes(self) -> tuple[str, ...]:
        check_is_fitted(self, "estimators_")
        return tuple(c for c in self.code_ids_ if c in self.estimators_)


@dataclass(frozen=True)
class _CodeFitter:
    """Fits one code's classifier, calibrator and threshold; small, so it pickles cheaply
    when codes are trained in parallel processes."""

    mode: str
    C: float
    alpha: float
    threshold_cv: int
    random_state: int
    precision_floor: float | None = None

    def classifier(self) -> Any:
        if self.mode == "large":
            return SGDClassifier(
                loss="log_loss",
                alpha=self.alpha,
                class_weight="balanced",
                max_iter=8,
                tol=None,
                random_state=self.random_state,
            )
        return LogisticRegression(
            C=self.C,
            class_weight="balanced",
            solver="liblinear",
            dual=True,
            random_state=self.random_state,  # liblinear shuffles: the same fit on every run
        )

    def fit_one(self, X: sp.csr_matrix, y: np.ndarray) -> Any:
        with warnings.catch_warnings():
            # SGD runs a fixed number of epochs on purpose (speed); it is not a failure.
            warnings.simplefilter("ignore", ConvergenceWarning)
            return self.classifier().fit(X, y)

    def folds(
        self, y: np.ndarray, groups: np.ndarray | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        n_pos = int(y.sum())
        n_neg = len(y) - n_pos
        k = 2 if self.mode == "large" else self.threshold_cv
        k = max(2, min(k, n_pos, n_neg))
        if groups is not None and len(np.unique(groups)) >= k:
            splitter = StratifiedGroupKFold(
                n_splits=k, shuffle=True, random_state=self.random_state
            )
            return list(splitter.split(np.zeros(len(y)), y, groups))
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=self.random_state)
        return list(splitter.split(np.zeros(len(y)), y))

    def choose_and_fit(
        self,
        candidates: list[sp.csr_matrix],
        y_all: np.ndarray,
        groups: np.ndarray | None,
        blocks: Sequence[tuple[tuple[int, int], ...]] | None = None,
    ) -> tuple[int, list[float], Any]:
        """Fit on each candidate feature set; keep the one with the best out-of-fold
        average precision (a later, richer set must beat the kept one by ``RICHER_BY``).
        ``blocks``: per set, its TF-IDF column ranges (:func:`as_new_documents`).
        Returns (index of the set, each set's score, :meth:`fit_code`'s result)."""
        ranges = list(blocks) if blocks is not None else [()] * len(candidates)
        if len(candidates) == 1 or int((y_all == 1).sum()) < SELECT_MIN_POSITIVE:
            return 0, [float("nan")], self.fit_code(candidates[0], y_all, groups, None, ranges[0])
        rows = np.flatnonzero(y_all != UNKNOWN)
        y = (y_all[rows] == 1).astype(np.int8)
        folds = self.folds(y, None if groups is None else groups[rows])  # the same for every set
        fits = [
            self.fit_code(c, y_all, groups, folds, r)
            for c, r in zip(candidates, ranges, strict=True)
        ]
        scores = [_average_precision(f[4]) for f in fits]
        best = _pick(scores)
        # The gate's figures: each inner fold's suggestions come from the set chosen on
        # the other folds (as its threshold is), so choosing the set is part of what
        # is estimated instead of a selection on the very rows that are scored.
        fold_of = fits[best][7]
        honest = fits[best][6].copy()
        for k in np.unique(fold_of):
            rest = fold_of != k
            chosen = _pick([_average_precision((f[4][0][rest], f[4][1][rest])) for f in fits])
            honest[~rest] = fits[chosen][6][~rest]
        return best, scores, (*fits[best][:6], honest, fold_of)

    def fit_code(
        self,
        features: sp.csr_matrix,
        y_all: np.ndarray,
        groups: np.ndarray | None,
        folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
        blocks: Sequence[tuple[int, int]] = (),
    ) -> tuple[
        Any,
        LogisticRegression,
        float,
        float,
        tuple[np.ndarray, np.ndarray],
        np.ndarray,
        np.ndarray,
        np.ndarray,
    ]:
        rows = np.flatnonzero(y_all != UNKNOWN)
        X = features[rows]
        y = (y_all[rows] == 1).astype(np.int8)
        g = None if groups is None else groups[rows]
        oof = np.zeros(len(y), dtype=np.float64)
        seen = np.zeros(len(y), dtype=bool)
        fold_of = np.full(len(y), -1, dtype=np.int64)
        fold_models = []
        for k, (train, test) in enumerate(folds if folds is not None else self.folds(y, g)):
            if len(np.unique(y[train])) < 2:
                continue
            clf = self.fit_one(X[train], y[train])
            oof[test] = clf.decision_function(as_new_documents(X[test], X[train], blocks))
            seen[test] = True
            fold_of[test] = k
            fold_models.append(clf)
        calibrator = LogisticRegression(C=1e4, solver="newton-cholesky")
        if seen.any() and len(np.unique(y[seen])) == 2:
            calibrator.fit(oof[seen].reshape(-1, 1), y[seen])
            probs = calibrator.predict_proba(oof[seen].reshape(-1, 1))[:, 1]
            threshold, f1 = _best_threshold(y[seen], probs, self.precision_floor)
            oof_pair = (y[seen], probs)
            oof_rows = rows[seen]
            honest = _honest_suggestions(y[seen], probs, fold_of[seen], self.precision_floor)
            final = _averaged(fold_models)
            folds_seen = fold_of[seen]
        else:  # too few rows for cross-validation: identity-like sigmoid, threshold 0.5
            calibrator.fit(np.array([[-1.0], [1.0]]), np.array([0, 1]))
            threshold, f1 = 0.5, float("nan")
            oof_pair = (y[:0], np.zeros(0))
            oof_rows = rows[:0]
            honest = np.zeros(0, dtype=np.int8)
            final = self.fit_one(X, y)
            folds_seen = fold_of[:0]
        return final, calibrator, threshold, f1, oof_pair, oof_rows, honest, folds_seen


def as_new_documents(
    held_out: sp.csr_matrix, train: sp.csr_matrix, blocks: Sequence[tuple[int, int]]
) -> sp.csr_matrix:
    """An inner fold's held-out rows as a new document's rows look to the classifier.

    The vectorisers learn their vocabulary from all training texts, so a held-out row
    keeps the words its fold's classifier never saw, and each TF-IDF block's L2 norm
    counts them; a new document's unseen words are not in the vocabulary, so its norm
    is spread over the words the model knows, which weigh more: its scores are more
    extreme, and more of them cross the threshold than the inner folds measured
    (qabstracts, 400 decisions, code "objective" in one outer fold: 8.8% of the inner
    folds' sentences suggested at an estimated precision of 0.80, then 11.8% of the
    unseen abstracts' at 0.57; with this, 9.5% estimated, 9.0% held out, at 0.64). Here
    each block of ``held_out`` (column ranges ``blocks``) loses the columns no ``train``
    row uses and is rescaled to its former norm, as the vectoriser would have made it
    (the IDF weights still come from all rows)."""
    if not blocks or held_out.shape[0] == 0:
        return held_out
    X = held_out.tocsr(copy=True)
    n_rows, n_blocks = X.shape[0], len(blocks)
    block_of = np.full(X.shape[1], -1, dtype=np.int64)
    for b, (start, end) in enumerate(blocks):
        block_of[start:end] = b
    row = np.repeat(np.arange(n_rows), np.diff(X.indptr))
    blk = block_of[X.indices]
    inside = blk >= 0
    cell = row[inside] * n_blocks + blk[inside]
    size = n_rows * n_blocks
    before = np.bincount(cell, weights=X.data[inside] ** 2, minlength=size)
    unseen = inside & (train.getnnz(axis=0) == 0)[X.indices]
    X.data[unseen] = 0.0
    after = np.bincount(cell, weights=X.data[inside] ** 2, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(after > 0, np.sqrt(before / after), 0.0)
    X.data[inside] *= scale[cell]
    X.eliminate_zeros()
    return X


def _pick(scores: list[float]) -> int:
    """The simplest set unless a richer one's score is higher by :data:`RICHER_BY`."""
    best = 0
    for k in range(1, len(scores)):
        if scores[k] >= scores[best] + RICHER_BY:
            best = k
    return best


def _averaged(models: list[Any]) -> Any:
    """One linear classifier whose decision score is the mean of ``models``' scores
    (the mean of their coefficients and intercepts): the inner-fold models the gate's
    figures were measured on, not a refit on all rows, whose scores are more extreme
    than those the calibration and threshold were fitted to (more of them cross the
    threshold on new documents, at a lower precision than the gate measured)."""
    first = models[0]
    if len(models) > 1:
        first.coef_ = np.mean([m.coef_ for m in models], axis=0)
        first.intercept_ = np.mean([m.intercept_ for m in models], axis=0)
    return first


def _average_precision(oof: tuple[np.ndarray, np.ndarray]) -> float:
    """Average precision of out-of-fold probabilities (-1 when undefined)."""
    from sklearn.metrics import average_precision_score

    y, probs = oof
    if len(y) == 0 or len(np.unique(y)) < 2:
        return -1.0
    return float(average_precision_score(y, probs))


def _honest_suggestions(
    y: np.ndarray, probs: np.ndarray, fold_of: np.ndarray, floor: float | None
) -> np.ndarray:
    """Out-of-fold 0/1 suggestions, each fold cut at the threshold chosen on the other
    folds: what choosing a threshold and then suggesting on unseen documents yields
    (choosing it on the rows it is scored on overstates precision)."""
    out = np.zeros(len(y), dtype=np.int8)
    for k in np.unique(fold_of):
        here = fold_of == k
        rest = ~here
        if len(np.unique(y[rest])) < 2:
            continue
        threshold, _ = _best_threshold(y[rest], probs[rest], floor)
        out[here] = probs[here] >= threshold
    return out


def _best_threshold(
    y: np.ndarray, probs: np.ndarray, floor: float | None = None
) -> tuple[float, float]:
    """The probability threshold with the highest F1 on (out-of-fold) predictions;
    with ``floor``, among the thresholds where the Wilson lower bound of precision
    (:func:`precision_lower_bound`) reaches it over at least :data:`MIN_SUPPORT`
    predicted positives (if any does), so that a few lucky top scores cannot set it."""
    precision, recall, thresholds = precision_recall_curve(y, probs)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    if floor is not None:
        ranked = np.sort(probs)
        predicted = len(ranked) - np.searchsorted(ranked, thresholds, side="left")
        low = precision_lower_bound(np.round(p * predicted), predicted)
        ok = (low >= floor) & (predicted >= MIN_SUPPORT)
        if ok.any():
            f1 = np.where(ok, f1, -1.0)
    best = int(np.argmax(f1))
    return float(thresholds[best]), float(f1[best])


# --- the store side -------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledSet:
    """Segments with labels over ``code_ids`` (rows of ``Y``: 1, 0 or -1 unknown)."""

    segment_ids: tuple[str, ...]
    inputs: tuple[SegmentInput, ...]
    groups: tuple[int, ...]  # document id; codebook examples get their own negative ids
    code_ids: tuple[str, ...]
    Y: np.ndarray

    def __len__(self) -> int:
        return len(self.segment_ids)


def segment_inputs(
    store: Store, segment_ids: Sequence[str] | None = None
) -> dict[str, tuple[int, SegmentInput]]:
    """Segment id -> (document id, text with neighbouring active turns)."""
    wanted = None if segment_ids is None else set(segment_ids)
    return {
        s.id: (s.document_id, SegmentInput(s.text, s.before, s.after))
        for s in store_segments.segments_in_context(store)
        if wanted is None or s.id in wanted
    }


def human_labels(store: Store, coder: str | None = None) -> dict[str, set[str]]:
    """Segment id -> codes accepted, for every segment a human saw or coded.

    With ``coder``: that coder's own decisions only. Without: every human's,
    the latest human decision per (segment, code) counting.
    """
    seen = store_codings.segments_seen_by_humans(store, coder)
    accepted = store_codings.human_accepted(store, coder)
    labels: dict[str, set[str]] = {seg: set() for seg in seen}
    for seg, code in accepted:
        labels[seg].add(code)
    return labels


def labelled_set(
    store: Store,
    codebook: Codebook,
    labels: Mapping[str, set[str]],
    *,
    include_examples: bool = True,
) -> LabelledSet:
    """Labelled rows for :class:`SuggestionModel`: human labels plus the codebook's examples."""
    code_ids = tuple(c.id for c in codebook.codable)
    col = {c: j for j, c in enumerate(code_ids)}
    inputs_by_id = segment_inputs(store, list(labels)) if labels else {}
    seg_ids, inputs, groups, rows = [], [], [], []
    for seg_id in sorted(labels):
        if seg_id not in inputs_by_id:
            continue
        doc_id, inp = inputs_by_id[seg_id]
        y = np.zeros(len(code_ids), dtype=np.int8)
        for code_id in labels[seg_id]:
            if code_id in col:
                y[col[code_id]] = 1
        seg_ids.append(seg_id)
        inputs.append(inp)
        groups.append(int(doc_id))
        rows.append(y)
    if include_examples:
        for code in codebook.codable:
            for i, (texts, value) in enumerate(((code.examples, 1), (code.counterexamples, 0))):
                for n, text in enumerate(texts):
                    y = np.full(len(code_ids), UNKNOWN, dtype=np.int8)
                    y[col[code.id]] = value
                    seg_ids.append(f"codebook:{code.id}:{'ex' if i == 0 else 'counter'}:{n}")
                    inputs.append(SegmentInput(text))
                    groups.append(-len(groups) - 1)
                    rows.append(y)
    Y = np.vstack(rows) if rows else np.zeros((0, len(code_ids)), dtype=np.int8)
    return LabelledSet(tuple(seg_ids), tuple(inputs), tuple(groups), code_ids, Y)


def train_from_store(
    store: Store, codebook: Codebook, model: SuggestionModel | None = None
) -> SuggestionModel | None:
    """Train on human decisions and the codebook's examples; ``None`` when nothing to learn.

    Labelled segments are those a human saw (``segment_views``) or coded; a
    human's accepted codes are positives, every other codable code a negative
    (a rejected row is therefore a negative too). ``None`` when no human has
    labelled any segment or no code has ``min_positive`` positives.
    """
    labels = human_labels(store)
    if not labels:
        return None
    data = labelled_set(store, codebook, labels)
    model = model if model is not None else SuggestionModel()
    model.fit(list(data.inputs), data.Y, groups=list(data.groups), code_ids=data.code_ids)
    return model if model.estimators_ else None


def train_and_gate(
    store: Store, codebook: Codebook, model: SuggestionModel | None = None
) -> tuple[SuggestionModel | None, tuple[CodeGate, ...]]:
    """Train as :func:`train_from_store` does, then gate each code (:func:`gate_codes`)
    with the codebook's ``model_precision_floor`` and ``model_min_positives``."""
    settings = codebook.settings
    labels = human_labels(store)
    data = labelled_set(store, codebook, labels)
    fitted: SuggestionModel | None = None
    if labels:
        fitted = model if model is not None else SuggestionModel(feature_sets=auto_feature_sets())
        if fitted.precision_floor is None:
            fitted.set_params(precision_floor=settings.model_precision_floor)
        fitted.fit(list(data.inputs), data.Y, groups=list(data.groups), code_ids=data.code_ids)
        if not fitted.estimators_:
            fitted = None
    gates = gate_codes(
        fitted,
        data,
        floor=settings.model_precision_floor,
        min_positives=settings.model_min_positives,
    )
    return fitted, gates


def suggest_with_model(
    store: Store,
    codebook: Codebook,
    model: SuggestionModel | None,
    run_id: int | None,
    *,
    gates: Sequence[CodeGate] | None = None,
) -> dict[str, Any]:
    """Write ``model`` suggestions for active segments no human has seen or coded.

    Never suggests a (segment, code) a human rejected. A live model suggestion
    on such a segment that the model no longer predicts is retired; model rows
    on segments a human has since decided are left as they were (the human
    decision already counts). With ``gates``, only codes whose gate is
    ``active`` are suggested, and every live model suggestion of any other code
    is retired, saying why. Nothing is suggested in documents whose ``source_type``
    attribute no human decision was made in (their live model suggestions are retired):
    the gate's figures describe the source types decided. Call inside the command's
    transaction.
    Returns a summary for the run record.
    """
    summary: dict[str, Any] = {
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
        "segments_scored": 0,
    }
    if model is None:
        summary["codes_modelled"] = []
        summary["codes_skipped"] = {}
    else:
        summary["codes_modelled"] = list(model.modelled_codes)
        summary["codes_skipped"] = dict(model.skipped_)
        summary["feature_sets"] = dict(model.feature_set_)
    closed = {g.code_id: g for g in gates or () if g.state != ACTIVE}
    summary["codes_active"] = (
        [c for c in summary["codes_modelled"] if c not in closed] if gates is not None else None
    )
    decided = set(human_labels(store))
    rejected = store_codings.human_rejected(store)
    every = segment_inputs(store)
    inputs = {k: v for k, v in every.items() if k not in decided}
    active = store_segments.codable_segment_ids(store)
    unfamiliar = (
        _unfamiliar_source_types(store, {every[k][0] for k in decided if k in every})
        if decided
        else {}
    )
    elsewhere = {k for k, (doc, _) in inputs.items() if doc in unfamiliar}
    summary["source_types_not_suggested"] = dict(
        sorted(Counter(unfamiliar[inputs[k][0]] for k in elsewhere if k in active).items())
    )
    candidates = sorted(k for k in inputs if k in active and k not in elsewhere)
    wanted: dict[tuple[str, str], tuple[float, str]] = {}
    if model is not None and candidates:
        wanted = _predictions(
            model, [inputs[k][1] for k in candidates], candidates, rejected, skip=set(closed)
        )
    summary["segments_scored"] = len(candidates)
    existing = store_codings.machine_suggestions(store, "model", MODEL_CODER)
    stamp = now()
    candidate_set = set(candidates)
    suggest: list[store_codings.Suggestion] = []
    retire: list[tuple[str, str, str | None]] = []
    for key, (p, reason) in sorted(wanted.items()):
        old = existing.get(key)
        if old is not None and old.status == "suggested" and old.reason == reason:
            summary["unchanged"] += 1
            continue
        summary["new" if old is None else "updated"] += 1
        suggest.append(store_codings.Suggestion(key[0], key[1], p, reason))
    for key, old in existing.items():
        if old.status != "suggested" or key in wanted:
            continue
        if key[1] in closed:
            gate = closed[key[1]]
            retire.append((key[0], key[1], f"retired: model {gate.state} ({gate.reason})"))
            summary["retired"] += 1
        elif key[0] in elsewhere:
            why = unfamiliar[inputs[key[0]][0]]
            retire.append((key[0], key[1], f"retired: no human decision in source type {why!r}"))
            summary["retired"] += 1
        elif key[0] in candidate_set or key in rejected or key[0] not in active:
            retire.append((key[0], key[1], None))
            summary["retired"] += 1
    with store.transaction():
        store_codings.record_suggestions(
            store, "model", MODEL_CODER, suggest, run_id=run_id, at=stamp
        )
        store_codings.retire_suggestions(
            store, "model", MODEL_CODER, retire, run_id=run_id, at=stamp
        )
    return summary


def _unfamiliar_source_types(store: Store, decided_documents: Set[int]) -> dict[int, str]:
    """Document id -> its ``source_type`` attribute, for the present documents whose source
    type has no human decision: the gate's figures were measured on the types decided, and
    say nothing about the model's precision on others (observer notes, another study's
    documents), so it does not suggest there. Documents without the attribute are one type
    ('' here), so a project without source types is not restricted."""
    docs = store_documents.list_documents(store)
    kind = {d.id: str(d.attributes.get("source_type") or "").strip() for d in docs}
    decided_kinds = {kind.get(d, "") for d in decided_documents}
    return {
        d.id: kind[d.id] for d in docs if d.status == "present" and kind[d.id] not in decided_kinds
    }


def _predictions(
    model: SuggestionModel,
    inputs: list[SegmentInput],
    segment_ids: list[str],
    rejected: set[tuple[str, str]],
    skip: Set[str] = frozenset(),
) -> dict[tuple[str, str], tuple[float, str]]:
    """The model's suggestions above each code's threshold, with their reasons, leaving out
    the codes in ``skip`` (gate closed) and the pairs a human rejected."""
    if all(code in skip or model.thresholds_.get(code) is None for code in model.code_ids_):
        return {}  # every gate closed: nothing to score or explain
    proba = model.predict_proba(inputs)
    words = model.word_matrix([x.text for x in inputs])
    out = {}
    for j, code in enumerate(model.code_ids_):
        threshold = model.thresholds_.get(code)
        if threshold is None or code in skip:
            continue
        for i in np.flatnonzero(proba[:, j] >= threshold):
            key = (segment_ids[i], code)
            if key in rejected:
                continue
            p = round(float(proba[i, j]), 2)
            terms = model.top_terms_in(words, int(i), code)
            reason = f"model p={p:.2f}" + (f"; terms: {', '.join(terms)}" if terms else "")
            out[key] = (p, reason)
    return out
