"""Whether the learned model may suggest a code: the gate, and what happens when it closes.

Kept apart from :mod:`themegrid.tag.model` so that ``themegrid code --no-model``
and ``status`` need neither scikit-learn nor training. :func:`gate_codes` reads
a fitted :class:`~themegrid.tag.model.SuggestionModel`'s out-of-fold figures.

What the bound promises, as measured
------------------------------------
A code opens when the one-sided 90% lower bound of its nested out-of-fold precision
(:func:`clustered_lower_bound`) reaches the floor, so about one opening in ten may
fall short of the floor on new documents. On the qabstracts learning curve (3 outer
folds by abstract, coder A, floor 0.6) the openings whose held-out precision fell
under the floor were 1 of 13 at 400 decisions, 2 of 27 at 1,600 and 0 of 28 at
2,374; none of those codes is under the floor beyond its own uncertainty (a one-sided
90% upper bound clustered by abstract, as the gate's bound is: 0.64, 0.64 and 0.63).
The one at 400 decisions ("conclusion", one fold) shows what no rule on the training
decisions can see: 15 of its 17 out-of-fold suggestions were right, in 16 abstracts,
and 4/5, 5/6 and 6/6 in the three inner folds, yet 17 of its 33 suggestions on the
unseen abstracts were; in the other two outer folds, trained on other abstracts, the
same code estimated 0.08 and 0.13 and stayed closed. The spread comes from which
documents were reviewed first, and the decisions so far hold one such sample.
Other rules were judged on the same fits (scripts/measure_suggestions.py records
every gate's figures, opened or not); openings each closed that cleared the floor on
the unseen abstracts, at 400 / 1,600 / 2,374 decisions:

* a 95% bound: 2 / 3 / 2; 97.5%: 5 / 4 / 4; "conclusion" stays open at 400;
* each code's estimate shrunk towards a beta prior fitted over the codes (empirical
  Bayes, a 90% posterior bound): no gate changes (the codes' precisions range from
  0.1 to 1.0, so the fitted prior is weak); with a 95% bound 1 / 3 / 1;
* at least 10 documents among the right suggestions: 2 / 0 / 0, "conclusion" open;
  at least 15: closes "conclusion" at 400, and with it the four heading codes open
  there (held-out 0.75-1.00; 7-10 documents each), none later;
* every inner fold's precision at the floor: 0 / 3 / 5; the inner folds as clusters
  (design effect, or Student's t over them): 2 / 4 / 4 and 5 / 8 / 7; "conclusion"
  open in each.

So the 90% bound stays.

Where the gate costs agreement: on the NaPiRE survey (one coder, the 19 codes applied
at least 50 times) macro kappa at 800 / 1,600 decisions was 0.31 / 0.35 for the
ungated model, 0.09 / 0.19 gated, 0.07 / 0.09 for the TF-IDF baseline. At 1,600 only
4 of the 19 codes had a held-out precision (ungated) at the floor, and those 4 were
open in all three folds; the others' kappa came from recall at precisions of
0.07-0.50, which the floor refuses by design. At 800 two of the 4 (66 and 61 uses)
had no gate figures yet (about 9 positives in 800 decisions; 10 needed). Over all 496 codes at 1,600,
3 closed gates (of 68 with held-out suggestions) had a held-out precision whose
clustered lower bound reached the floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import t as student_t

from themegrid.models import MODEL_CODER
from themegrid.store import codings as store_codings
from themegrid.store.connection import Store, now

#: A precision is estimated over at least this many out-of-fold suggestions.
MIN_SUPPORT = 5
#: One-sided 90% normal quantile: the gate and the threshold use the Wilson lower
#: bound of precision at this level, so a code is not let through by an estimate
#: that is above the floor by chance (passing is otherwise a selection on noise).
PRECISION_Z = 1.2816
PRECISION_LEVEL = 0.9  # the same one-sided level, for the t quantile over documents


def precision_lower_bound(hits: Any, n: Any, z: float = PRECISION_Z) -> Any:
    """Wilson score lower bound of a proportion ``hits / n`` (0 where ``n`` is 0)."""
    hits = np.asarray(hits, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, hits / n, 0.0)
        centre = p + z * z / (2 * n)
        spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        low = (centre - spread) / (1 + z * z / n)
    return np.where(n > 0, low, 0.0)


def clustered_lower_bound(hits: Any, clusters: Any, level: float = PRECISION_LEVEL) -> float:
    """Wilson lower bound of the share of ``hits`` (0/1 per suggestion), over the
    effective number of suggestions when they are clustered in documents.

    A document's segments share its topic and its coder's habits, so its suggestions
    are right or wrong together, and precision varies from one set of documents to
    another more than independent draws would (which the plain Wilson bound assumes).
    The cluster-robust (ratio-estimator) variance over documents gives the design
    effect ``deff`` = clustered variance / binomial variance (at least 1); the bound is
    Wilson's over ``n / deff`` suggestions, at the one-sided ``level`` quantile of Student's t
    with (documents - 1) degrees of freedom instead of the normal one: the clustered
    variance is estimated from that many documents, and from few of them it is often
    too small. With suggestions spread over dozens of documents the two quantiles are
    close (qabstracts: the same gates at 400, 1,600 and 2,374 decisions); with a few
    interviews the t quantile is much wider (3.08 for two documents, 1.89 for three).
    Suggestions from a single document count as one."""
    hits = np.asarray(hits, dtype=np.float64)
    clusters = np.asarray(clusters)
    n = len(hits)
    if n == 0:
        return 0.0
    p = float(hits.mean())
    _, index = np.unique(clusters, return_inverse=True)
    n_clusters = int(index.max()) + 1
    if n_clusters < 2:
        n_eff = 1.0
    else:
        residual = np.bincount(index, weights=hits - p, minlength=n_clusters)
        clustered = n_clusters / (n_clusters - 1) * float((residual**2).sum()) / (n * n)
        binomial = p * (1 - p) / n
        deff = max(1.0, clustered / binomial) if binomial > 0 else 1.0
        n_eff = n / deff
    z = float(student_t.ppf(level, max(1, n_clusters - 1)))
    return float(precision_lower_bound(p * n_eff, n_eff, z))


ACTIVE, LEARNING, OFF = "active", "learning", "off"


@dataclass(frozen=True)
class CodeGate:
    """Whether the learned model may suggest one code, and the figures that decided it.

    ``state``: ``active`` (it suggests), ``learning`` (too few positive human
    decisions; ``needs`` estimates how many more decisions, at the share of
    positives seen so far, bring it to the minimum) or ``off`` (it had enough
    but its cross-validated precision is below the floor, or it was switched off).
    ``precision``/``recall``: out-of-fold (folds grouped by document) on the
    human-decided segments, at ``threshold``; ``precision_low``: the Wilson lower
    bound of that precision (one-sided 90%) over the effective number of
    suggestions once their clustering in documents is allowed for
    (:func:`clustered_lower_bound`), which is what must reach the floor;
    ``suggested``: how many out-of-fold suggestions those figures are over;
    ``by_document``: (suggestions, right) per document among them; ``by_fold``: the
    same per inner fold.
    """

    code_id: str
    state: str
    decisions: int
    positives: int
    precision: float | None
    recall: float | None
    threshold: float | None
    needs: int | None
    reason: str
    precision_low: float | None = None
    suggested: int | None = None
    by_document: tuple[tuple[int, int], ...] = ()
    by_fold: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code_id,
            "state": self.state,
            "decisions": self.decisions,
            "positives": self.positives,
            "precision": None if self.precision is None else round(self.precision, 3),
            "precision_low": None if self.precision_low is None else round(self.precision_low, 3),
            "recall": None if self.recall is None else round(self.recall, 3),
            "threshold": None if self.threshold is None else round(self.threshold, 3),
            "needs": self.needs,
            "reason": self.reason,
        }


def switched_off(code_id: str) -> CodeGate:
    """The gate of a code whose model was switched off by ``--no-model``."""
    return CodeGate(code_id, OFF, 0, 0, None, None, None, None, "switched off (--no-model)")


def gate_codes(
    model: Any,
    data: Any,
    *,
    floor: float,
    min_positives: int,
) -> tuple[CodeGate, ...]:
    """Each code's gate from the model's out-of-fold probabilities on ``data``.

    ``model``: a fitted :class:`~themegrid.tag.model.SuggestionModel` or None;
    ``data``: the :class:`~themegrid.tag.model.LabelledSet` it was fitted on
    (typed loosely here: this module must not import the model's module).

    ``data`` must be the set ``model`` was fitted on (its rows are what
    ``oof_rows_`` numbers); only human-decided rows (document group >= 0, not the
    codebook's examples) count towards decisions, positives and precision.
    Precision and recall are those of ``oof_suggested_``: out-of-fold scores,
    each inner fold (grouped by document) cut at the threshold chosen on the
    other folds (as is its feature set), so choosing them is part of what is
    estimated (the threshold used is chosen on all of them). Precision is
    estimated over at least :data:`MIN_SUPPORT` suggestions, and its lower bound
    (:func:`clustered_lower_bound`, by document) must reach the floor.
    """
    groups = np.asarray(data.groups, dtype=np.int64)
    human = groups >= 0
    decisions = int(human.sum())
    out = []
    for j, code in enumerate(data.code_ids):
        positives = int((data.Y[human, j] == 1).sum())
        if positives < min_positives:
            short = min_positives - positives
            needs = int(np.ceil(short * decisions / positives)) if positives else None
            why = f"{positives} of {min_positives} positive decisions"
            out.append(CodeGate(code, LEARNING, decisions, positives, None, None, None, needs, why))
            continue
        if model is None or code not in model.estimators_:
            why = "not modelled: " + (model.skipped_.get(code, "no model") if model else "no model")
            out.append(CodeGate(code, OFF, decisions, positives, None, None, None, None, why))
            continue
        rows = model.oof_rows_[code]
        y_oof, _ = model.oof_proba_[code]
        keep = groups[rows] >= 0
        y_h = y_oof[keep]
        threshold = model.thresholds_[code]
        predicted = model.oof_suggested_[code][keep].astype(bool)
        true_pos = int((predicted & (y_h == 1)).sum())
        recall = true_pos / int((y_h == 1).sum()) if (y_h == 1).any() else None
        if int(predicted.sum()) < MIN_SUPPORT:
            why = (
                f"{int(predicted.sum())} out-of-fold suggestions; "
                f"{MIN_SUPPORT} needed to estimate precision"
            )
            out.append(
                CodeGate(code, OFF, decisions, positives, None, recall, threshold, None, why)
            )
            continue
        n_suggested = int(predicted.sum())
        precision = true_pos / n_suggested
        right = y_h[predicted] == 1
        docs = groups[rows][keep][predicted]
        low = clustered_lower_bound(right, docs)
        by_document = tuple(
            (int((docs == d).sum()), int(right[docs == d].sum())) for d in np.unique(docs)
        )
        folds = getattr(model, "oof_folds_", {}).get(code)  # absent in an older cached model
        inner = folds[keep][predicted] if folds is not None else np.zeros(len(docs), np.int64)
        by_fold = tuple(
            (int((inner == f).sum()), int(right[inner == f].sum())) for f in np.unique(inner)
        )
        figures = f"at least {low:.2f} over {n_suggested} suggestions"
        if low >= floor:
            state, why = ACTIVE, f"precision {figures} >= floor {floor:.2f}"
        else:
            state, why = OFF, f"precision {figures} < floor {floor:.2f}"
        out.append(
            CodeGate(
                code,
                state,
                decisions,
                positives,
                precision,
                recall,
                threshold,
                None,
                why,
                low,
                n_suggested,
                by_document,
                by_fold,
            )
        )
    return tuple(out)


def retire_model_suggestions(store: Store, reason: str, run_id: int | None) -> int:
    """Retire every live model suggestion with ``reason``; returns how many."""
    live = [
        (seg, code, reason)
        for (seg, code), row in store_codings.machine_suggestions(
            store, "model", MODEL_CODER
        ).items()
        if row.status == "suggested"
    ]
    with store.transaction():
        store_codings.retire_suggestions(store, "model", MODEL_CODER, live, run_id=run_id, at=now())
    return len(live)


__all__ = [
    "ACTIVE",
    "LEARNING",
    "MIN_SUPPORT",
    "OFF",
    "CodeGate",
    "clustered_lower_bound",
    "gate_codes",
    "precision_lower_bound",
    "retire_model_suggestions",
    "switched_off",
]
