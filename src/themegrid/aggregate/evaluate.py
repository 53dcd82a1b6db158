"""How far to trust the machine: suggestions cross-validated against one human coder.

The segments are those the coder has seen or coded; the truth is the coder's
accepted codes (a segment seen and left uncoded says "none of the codes").
Folds are grouped by document (``GroupKFold``): a document's turns are all in
the training part or all in the test part, so the model is never scored on a
document it learned from. For each fold the learned model
(:class:`~themegrid.tag.model.SuggestionModel`) is trained on the other folds'
segments plus the codebook's examples; the rules need no training. Scored are

* ``rules+model`` — the union, which is what ``themegrid code`` suggests;
* ``rules`` and ``model`` alone;
* ``semantic`` — semantic suggestions (:mod:`themegrid.tag.semantic`: similarity
  to each code's definition and examples at the codebook's
  ``semantic_threshold``; no training, so the same on every fold; all zeros, with
  a note, when the embedder is unavailable);
* ``baseline`` — plain TF-IDF word 1–2-grams and ``LogisticRegression`` per
  code with the default 0.5 threshold, trained on the same folds (codebook
  examples as positives of their code and negatives of the others), so the
  learned model can be shown to beat it.

Predictions are pooled over the folds, then per code precision, recall, F1
(``precision_recall_fscore_support``) and Cohen's kappa
(:func:`binary_kappa`, the value of ``cohen_kappa_score``) are computed; macro means
are over the codes the coder applied at least once (support > 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from themegrid.aggregate.agreement import check_coders
from themegrid.codebook import Codebook
from themegrid.errors import CodesNotInCodebook, ThemegridError
from themegrid.store import views
from themegrid.store.connection import Store
from themegrid.tag.model import UNKNOWN, LabelledSet, SuggestionModel, human_labels, labelled_set
from themegrid.tag.tagger import RuleTagger

METHODS = ("rules+model", "rules", "model", "semantic", "baseline")


@dataclass(frozen=True)
class CodeScore:
    code_id: str
    support: int
    predicted: int
    precision: float
    recall: float
    f1: float
    kappa: float | None


@dataclass(frozen=True)
class MethodScores:
    method: str
    per_code: tuple[CodeScore, ...]
    macro_precision: float | None
    macro_recall: float | None
    macro_f1: float | None
    macro_kappa: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "macro": {
                "precision": self.macro_precision,
                "recall": self.macro_recall,
                "f1": self.macro_f1,
                "kappa": self.macro_kappa,
            },
            "per_code": [
                {
                    "code": c.code_id,
                    "support": c.support,
                    "predicted": c.predicted,
                    "precision": c.precision,
                    "recall": c.recall,
                    "f1": c.f1,
                    "kappa": c.kappa,
                }
                for c in self.per_code
            ],
        }


@dataclass(frozen=True)
class Fold:
    index: int
    train_documents: frozenset[int]
    test_documents: frozenset[int]
    n_train: int
    n_test: int
    model_skipped: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationReport:
    coder: str
    n_segments: int
    n_documents: int
    codes: tuple[str, ...]
    folds: tuple[Fold, ...]
    methods: Mapping[str, MethodScores]
    model_mode: str
    seconds: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "coder": self.coder,
            "n_segments": self.n_segments,
            "n_documents": self.n_documents,
            "n_folds": len(self.folds),
            "model_mode": self.model_mode,
            "seconds": round(self.seconds, 2),
            "notes": list(self.notes),
            "folds": [
                {
                    "fold": f.index,
                    "n_train": f.n_train,
                    "n_test": f.n_test,
                    "test_documents": len(f.test_documents),
                    "model_skipped": dict(f.model_skipped),
                }
                for f in self.folds
            ],
            "methods": {name: m.to_dict() for name, m in self.methods.items()},
        }


def evaluate(
    store: Store,
    codebook: Codebook,
    coder: str,
    *,
    folds: int = 5,
    model_factory: Callable[[], SuggestionModel] | None = None,
    n_jobs: int | None = None,
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
    feature_sets: Sequence[str] | str | None = "auto",
) -> EvaluationReport:
    """Cross-validate rules, model, both and a baseline against ``coder`` (see module doc).

    ``n_jobs`` processes train codes in parallel (-1: all cores); ``model_factory``
    makes the learned model for each fold (default ``SuggestionModel(n_jobs=n_jobs)``).
    ``baseline=False`` skips the baseline (on large data it takes as long as the rest).
    ``feature_sets``: the candidate sets each code chooses from (``"auto"``: what
    ``themegrid code`` uses; None: TF-IDF only).
    """
    started = time.perf_counter()
    check_coders(store, [coder])
    say = progress or (lambda _msg: None)
    labels = human_labels(store, coder)
    missing = _codes_missing(codebook, coder, labels)
    data = labelled_set(store, codebook, labels, include_examples=False)
    examples = labelled_set(store, codebook, {}, include_examples=True)
    splits = _splits(store, data, folds, coder)
    texts = [i.text for i in data.inputs]
    say(f"rules on {len(texts)} segments")
    predictions = {m: np.zeros_like(data.Y) for m in METHODS}
    predictions["rules"] = _rule_matrix(codebook, texts, data.code_ids)
    semantic, semantic_note = _semantic_matrix(codebook, texts, data.code_ids)
    predictions["semantic"] = semantic
    fold_info = []
    mode = ""
    groups = np.asarray(data.groups)
    for k, (train, test) in enumerate(splits, 1):
        say(f"fold {k}/{len(splits)}: training on {len(train)} segments")
        model = (
            model_factory()
            if model_factory
            else SuggestionModel(n_jobs=n_jobs, feature_sets=_feature_sets(feature_sets))
        )
        X_train = [data.inputs[i] for i in train] + list(examples.inputs)
        Y_train = np.vstack([data.Y[train], examples.Y])
        g_train = [data.groups[i] for i in train] + list(examples.groups)
        model.fit(X_train, Y_train, groups=g_train, code_ids=data.code_ids)
        mode = model.mode_
        predictions["model"][test] = model.predict([data.inputs[i] for i in test])
        if baseline:
            say(f"fold {k}/{len(splits)}: baseline")
            predictions["baseline"][test] = _baseline(
                [texts[i] for i in train] + [i.text for i in examples.inputs],
                np.vstack([data.Y[train], np.where(examples.Y == UNKNOWN, 0, examples.Y)]),
                [texts[i] for i in test],
                min_df=2 if mode == "large" else 1,
                n_jobs=n_jobs,
            )
        fold_info.append(
            Fold(
                k,
                frozenset(int(d) for d in groups[train]),
                frozenset(int(d) for d in groups[test]),
                len(train),
                len(test),
                dict(model.skipped_),
            )
        )
    predictions["rules+model"] = np.maximum(predictions["rules"], predictions["model"])
    names = METHODS if baseline else METHODS[:-1]
    methods = {m: score(data.Y, predictions[m], data.code_ids, m) for m in names}
    notes = (
        *_notes(data, fold_info),
        *_selection_note(store, data, coder),
        *missing,
        *semantic_note,
    )
    return EvaluationReport(
        coder,
        len(data),
        len(set(data.groups)),
        data.code_ids,
        tuple(fold_info),
        methods,
        mode,
        time.perf_counter() - started,
        notes,
    )


def _codes_missing(
    codebook: Codebook, coder: str, labels: Mapping[str, set[str]]
) -> tuple[str, ...]:
    """A note naming the coder's codes the codebook lacks; raises when it has none of them."""
    applied = {c for codes in labels.values() for c in codes}
    codable = {c.id for c in codebook.codable}
    missing = sorted(applied - codable)
    if not missing:
        return ()
    shown = ", ".join(missing[:10]) + (
        f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    )
    how = (
        "add them to codebook/ (import-coded --add-codes writes codebook/imported_<coder>.yaml "
        "for codes it creates)"
    )
    if not applied & codable:
        raise CodesNotInCodebook(
            f"none of the {len(applied)} code(s) {coder} applied is a codable code of the codebook "
            f"(missing: {shown}), so there is nothing to score; {how}"
        )
    return (
        f"{len(missing)} code(s) {coder} applied are not in the codebook and not scored: {shown}; {how}",
    )


def _splits(
    store: Store, data: LabelledSet, folds: int, coder: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    n_docs = len(set(data.groups))
    if folds < 2:
        raise ThemegridError(f"--folds must be at least 2 (got {folds})")
    if n_docs < folds:
        raise ThemegridError(
            f"{store.path}: coder {coder!r} has seen or coded segments in {n_docs} document(s); "
            f"{folds}-fold evaluation grouped by document needs at least {folds}; use --folds {max(2, n_docs)}"
            if n_docs >= 2
            else f"{store.path}: coder {coder!r} has seen or coded segments in {n_docs} document(s); "
            "evaluation needs codings in at least 2 documents"
        )
    splitter = GroupKFold(n_splits=folds)
    return list(splitter.split(np.zeros(len(data)), groups=np.asarray(data.groups)))


def _rule_matrix(codebook: Codebook, texts: Sequence[str], code_ids: Sequence[str]) -> np.ndarray:
    col = {c: j for j, c in enumerate(code_ids)}
    out = np.zeros((len(texts), len(code_ids)), dtype=np.int8)
    for i, suggestions in enumerate(RuleTagger(codebook).tag_many(texts)):
        for s in suggestions:
            if s.code_id in col:
                out[i, col[s.code_id]] = 1
    return out


def _feature_sets(wanted: Sequence[str] | str | None) -> Sequence[str] | None:
    if wanted == "auto":
        from themegrid.tag.model import auto_feature_sets

        return auto_feature_sets()
    return None if wanted is None else tuple(wanted)


def _semantic_matrix(
    codebook: Codebook, texts: Sequence[str], code_ids: Sequence[str]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Semantic suggestions on ``texts`` (0/1 per code), or zeros and a note when the
    embedder is unavailable."""
    from themegrid.tag import semantic as sem
    from themegrid.tag.embed import load_embedder, unavailable_reason

    out = np.zeros((len(texts), len(code_ids)), dtype=np.int8)
    embedder = load_embedder()
    if embedder is None:
        return out, (f"semantic suggestions not scored: {unavailable_reason()}",)
    protos = sem.prototypes(codebook, embedder)
    chosen = sem.predict(
        sem.score(protos, embedder.embed(list(texts))), codebook.settings.semantic_threshold
    )
    col = {c: j for j, c in enumerate(protos.code_ids)}
    for j, code in enumerate(code_ids):
        if code in col:
            out[:, j] = chosen[:, col[code]]
    described = {
        protos.code_ids[o]
        for o, k in zip(protos.owner, protos.kinds, strict=True)
        if k != sem.COUNTER
    }
    bare = [c for c in code_ids if c not in described]
    if bare:
        return out, (
            f"semantic: {len(bare)} code(s) have no definition or example to compare segments "
            f"with (e.g. {', '.join(bare[:3])}; imported codes until you describe them), so "
            "they are never suggested",
        )
    return out, ()


def _baseline(
    train_texts: list[str],
    Y: np.ndarray,
    test_texts: list[str],
    *,
    min_df: int = 1,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Plain TF-IDF word 1-2-grams + default LogisticRegression per code, threshold 0.5.

    ``min_df=2`` on large data (the rule the learned model uses too): word
    bigrams seen once are most of a large vocabulary and only cost time.
    """
    out = np.zeros((len(test_texts), Y.shape[1]), dtype=np.int8)
    if not test_texts:
        return out
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df)
    X = vec.fit_transform(train_texts)
    X_test = vec.transform(test_texts)

    def one(y: np.ndarray) -> np.ndarray:
        if len(np.unique(y)) < 2:
            return np.full(len(test_texts), int(y[0]) if len(y) else 0, dtype=np.int8)
        clf = LogisticRegression().fit(X, y)
        return (clf.predict_proba(X_test)[:, 1] >= 0.5).astype(np.int8)

    columns = Parallel(n_jobs=n_jobs)(delayed(one)(Y[:, j]) for j in range(Y.shape[1]))
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


def score(
    Y_true: np.ndarray, Y_pred: np.ndarray, code_ids: Sequence[str], method: str
) -> MethodScores:
    """Per-code precision, recall, F1 and kappa; macro means over codes with support > 0."""
    if len(Y_true) == 0:
        return MethodScores(method, (), None, None, None, None)
    p, r, f, s = precision_recall_fscore_support(
        Y_true, Y_pred, average=None, zero_division=0, labels=None
    )
    per_code = []
    for j, code in enumerate(code_ids):
        per_code.append(
            CodeScore(
                code,
                int(s[j]),
                int(Y_pred[:, j].sum()),
                float(p[j]),
                float(r[j]),
                float(f[j]),
                _kappa(Y_true[:, j], Y_pred[:, j]),
            )
        )
    present = [c for c in per_code if c.support > 0]

    def macro(values: list[float | None]) -> float | None:
        defined = [v for v in values if v is not None]
        return float(np.mean(defined)) if defined else None

    return MethodScores(
        method,
        tuple(per_code),
        macro([c.precision for c in present]),
        macro([c.recall for c in present]),
        macro([c.f1 for c in present]),
        macro([c.kappa for c in present]),
    )


def _kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    return binary_kappa(a, b)


def binary_kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cohen's kappa of two 0/1 vectors (None where it is undefined), from their 2x2 table.

    The value scikit-learn's ``cohen_kappa_score(a, b, labels=[0, 1])`` gives, without its
    input validation, which cost ~27 ms a call: the learning curve makes one call per code,
    method and size (napire: 496 codes x 7 methods x 8 sizes)."""
    x = np.asarray(a).astype(bool)
    y = np.asarray(b).astype(bool)
    n = x.size
    if n == 0:
        return None
    both, only_x, only_y = int(np.sum(x & y)), int(np.sum(x & ~y)), int(np.sum(~x & y))
    neither = n - both - only_x - only_y
    observed = (only_x + only_y) / n  # disagreements
    expected = ((both + only_x) * (neither + only_x) + (both + only_y) * (neither + only_y)) / (
        n * n
    )
    if expected == 0:
        return None
    return float(1 - observed / expected)


def _selection_note(store: Store, data: LabelledSet, coder: str) -> tuple[str, ...]:
    """Warn when the coder judged mostly segments the machine had flagged (a biased sample)."""
    seen = [s for s in data.segment_ids if not s.startswith("codebook:")]
    if not seen:
        return ()
    flagged = views.machine_suggested_segments(store, seen)
    share = len(flagged) / len(seen)
    if share < 0.9:
        return ()
    return (
        f"{len(flagged)} of the {len(seen)} segments {coder} judged carried a machine suggestion: "
        "if they were chosen for review because of it, recall is overstated; evaluate against "
        "a coder who coded whole documents",
    )


def _notes(data: LabelledSet, folds: Sequence[Fold]) -> tuple[str, ...]:
    notes = []
    skipped: dict[str, int] = {}
    applied = {c for j, c in enumerate(data.code_ids) if data.Y[:, j].any()}
    for fold in folds:
        for code in fold.model_skipped:
            if code in applied:  # codes the coder never applied are counted below
                skipped[code] = skipped.get(code, 0) + 1
    if skipped:
        notes.append(
            "the model skipped codes with too few positive examples in some folds: "
            + ", ".join(f"{c} ({n}/{len(folds)})" for c, n in sorted(skipped.items()))
        )
    absent = [c for j, c in enumerate(data.code_ids) if not data.Y[:, j].any()]
    if absent:
        notes.append(
            f"{len(absent)} code(s) never applied by the coder are left out of the macro means"
        )
    return tuple(notes)


# --- the learning curve -------------------------------------------------------------------

CURVE_METHODS = (
    "rules",
    "model",
    "gated model",
    "rules+gated model",
    "semantic",
    "rules+model+semantic",
    "baseline",
)


@dataclass(frozen=True)
class GateCheck:
    """One code's gate figures in one fold (``opened``: whether it let the model suggest):
    what the gate estimated on the training decisions (``precision``, its lower bound
    ``precision_low``, over ``estimated_over`` out-of-fold suggestions, per document
    ``estimate_documents``) next to what the model did, or would have done, on the fold's
    test documents (``held_out_hits`` right of ``held_out_suggested``;
    ``held_out_documents``: (suggested, right) per test document with a suggestion, for a
    bound that allows for their clustering, as the gate's does). Closed gates are kept
    so that another gate rule can be judged on the same fits."""

    fold: int
    code_id: str
    precision: float
    precision_low: float
    estimated_over: int
    held_out_suggested: int
    held_out_hits: int
    held_out_documents: tuple[tuple[int, int], ...] = ()
    opened: bool = True
    estimate_documents: tuple[tuple[int, int], ...] = ()
    estimate_folds: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class CurvePoint:
    """Scores after ``decisions`` human decisions (per fold), pooled over the test folds.

    ``gate_open``: code -> in how many folds its gate let the model suggest it;
    ``gate_checks``: each gate's estimate next to its held-out precision (opened or not).
    """

    decisions: int
    methods: Mapping[str, MethodScores]
    gate_open: Mapping[str, int]
    gate_checks: tuple[GateCheck, ...] = ()


@dataclass(frozen=True)
class LearningCurve:
    coder: str
    n_segments: int
    n_documents: int
    n_folds: int
    codes: tuple[str, ...]
    precision_floor: float
    min_positives: int
    points: tuple[CurvePoint, ...]
    seconds: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "coder": self.coder,
            "notes": list(self.notes),
            "n_segments": self.n_segments,
            "n_documents": self.n_documents,
            "n_folds": self.n_folds,
            "precision_floor": self.precision_floor,
            "min_positives": self.min_positives,
            "seconds": round(self.seconds, 2),
            "points": [
                {
                    "decisions": p.decisions,
                    "gate_open": dict(p.gate_open),
                    "gate_checks": [vars(c) for c in p.gate_checks],
                    "methods": {m: s.to_dict() for m, s in p.methods.items()},
                }
                for p in self.points
            ],
        }


def curve_sizes(n_train: int, start: int = 25) -> list[int]:
    """25, 50, 100, 200, ... below ``n_train``, then ``n_train`` itself."""
    sizes, n = [], start
    while n < n_train:
        sizes.append(n)
        n *= 2
    return [*sizes, n_train]


def learning_curve(
    store: Store,
    codebook: Codebook,
    coder: str,
    *,
    folds: int = 5,
    sizes: Sequence[int] | None = None,
    seed: int = 0,
    n_jobs: int | None = None,
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
    feature_sets: Sequence[str] | str | None = "auto",
) -> LearningCurve:
    """Scores after 25, 50, 100, 200, ... of ``coder``'s decisions, on folds grouped by document.

    Within each fold the training documents are taken in a random (seeded)
    order, as a researcher would review them document by document; the first
    *n* of their segments are the decisions so far. Each size trains the model
    (plus the codebook's examples) on those, gates each code as ``themegrid
    code`` does (the codebook's ``model_precision_floor`` and
    ``model_min_positives``), and scores on the fold's test documents: rules,
    the model alone, the gated model (what ``code`` would suggest), rules plus
    the gated model, semantic suggestions (no training: the same at every size),
    ``rules+model+semantic`` (rules, the gated model, and semantic suggestions for
    the codes whose gate is closed: what ``code`` suggests with semantic
    suggestions on), and the TF-IDF + logistic regression baseline trained on
    the same decisions. The test folds are the same for every size and method.
    """
    from themegrid.tag.gate import ACTIVE, gate_codes

    started = time.perf_counter()
    check_coders(store, [coder])
    say = progress or (lambda _msg: None)
    settings = codebook.settings
    data = labelled_set(store, codebook, human_labels(store, coder), include_examples=False)
    examples = labelled_set(store, codebook, {}, include_examples=True)
    splits = _splits(store, data, folds, coder)
    texts = [i.text for i in data.inputs]
    rules = _rule_matrix(codebook, texts, data.code_ids)
    semantic, semantic_note = _semantic_matrix(codebook, texts, data.code_ids)
    groups = np.asarray(data.groups)
    rng = np.random.default_rng(seed)
    orders = []
    for train, _test in splits:
        docs = np.unique(groups[train])
        rng.shuffle(docs)
        rank = {int(d): k for k, d in enumerate(docs)}
        orders.append(sorted(train, key=lambda i: (rank[int(groups[i])], i)))
    max_train = min(len(t) for t, _ in splits)
    wanted = sorted({min(int(n), max_train) for n in (sizes or curve_sizes(max_train))})
    methods = CURVE_METHODS if baseline else CURVE_METHODS[:-1]
    candidate_sets = _feature_sets(feature_sets)
    points = []
    for n in wanted:
        predictions = {m: np.zeros_like(data.Y) for m in methods}
        opened: dict[str, int] = dict.fromkeys(data.code_ids, 0)
        checks: list[GateCheck] = []
        for k, ((_train, test), order) in enumerate(zip(splits, orders, strict=True), 1):
            say(f"{n} decisions, fold {k}/{len(splits)}")
            chosen = order[:n]
            X_train = [data.inputs[i] for i in chosen] + list(examples.inputs)
            Y_train = np.vstack([data.Y[chosen], examples.Y])
            g_train = tuple(int(data.groups[i]) for i in chosen) + examples.groups
            X_test = [data.inputs[i] for i in test]
            model = SuggestionModel(
                n_jobs=n_jobs,
                precision_floor=settings.model_precision_floor,
                feature_sets=candidate_sets,
            )
            model.fit(X_train, Y_train, groups=list(g_train), code_ids=data.code_ids)
            fitted = LabelledSet(
                tuple(str(i) for i in range(len(X_train))),
                tuple(X_train),
                g_train,
                data.code_ids,
                Y_train,
            )
            gates = gate_codes(
                model if model.estimators_ else None,
                fitted,
                floor=settings.model_precision_floor,
                min_positives=settings.model_min_positives,
            )
            active = np.array([g.state == ACTIVE for g in gates])
            for g in gates:
                opened[g.code_id] += g.state == ACTIVE
            raw = model.predict(X_test) if X_test else np.zeros((0, len(data.code_ids)), np.int8)
            truth = data.Y[test] == 1
            for j, g in enumerate(gates):
                if g.precision_low is not None and g.suggested:
                    assert g.precision is not None
                    said = raw[:, j] == 1
                    test_docs = groups[test][said]
                    right = truth[said, j]
                    per_doc = tuple(
                        (int((test_docs == d).sum()), int(right[test_docs == d].sum()))
                        for d in np.unique(test_docs)
                    )
                    checks.append(
                        GateCheck(
                            k,
                            g.code_id,
                            g.precision,
                            g.precision_low,
                            g.suggested,
                            int(said.sum()),
                            int((said & truth[:, j]).sum()),
                            per_doc,
                            g.state == ACTIVE,
                            g.by_document,
                            g.by_fold,
                        )
                    )
            predictions["model"][test] = raw
            predictions["gated model"][test] = raw * active
            predictions["rules"][test] = rules[test]
            predictions["rules+gated model"][test] = np.maximum(rules[test], raw * active)
            predictions["semantic"][test] = semantic[test]
            predictions["rules+model+semantic"][test] = np.maximum(
                np.maximum(rules[test], raw * active), semantic[test] * ~active
            )
            if baseline:
                predictions["baseline"][test] = _baseline(
                    [texts[i] for i in chosen] + [i.text for i in examples.inputs],
                    np.vstack([data.Y[chosen], np.where(examples.Y == UNKNOWN, 0, examples.Y)]),
                    [texts[i] for i in test],
                    n_jobs=n_jobs,
                )
        points.append(
            CurvePoint(
                n,
                {m: score(data.Y, predictions[m], data.code_ids, m) for m in methods},
                opened,
                tuple(checks),
            )
        )
    return LearningCurve(
        coder,
        len(data),
        len(set(data.groups)),
        len(splits),
        data.code_ids,
        settings.model_precision_floor,
        settings.model_min_positives,
        tuple(points),
        time.perf_counter() - started,
        semantic_note,
    )
