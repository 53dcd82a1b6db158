"""Inter-coder agreement per code: percent agreement, Cohen's kappa, Krippendorff's alpha.

Which decisions count
---------------------
The units are the segments *every* named coder has seen: a segment is seen
by a coder when it is in ``segment_views`` for them or when they have any
human coding row on it (accepted or rejected). On those segments a coder's
code set is their ``accepted`` rows (``rejected`` rows mean "not this code").
For each code each coder gives a yes/no per segment; a segment seen and left
uncoded is a "no".

Codes compared: every codable code in the store's ``codes`` table that at
least one named coder applied on a shared segment, plus codes a coder applied
that the codebook no longer has. Codes nobody applied are counted in
``codes_unused`` (everyone agrees trivially; listing them would inflate the
percent agreement).

Edge cases (reported, never a crash)
------------------------------------
* **A code one coder never used**: kappa and alpha are computed as usual
  (usually 0 or negative: the coders do not agree beyond chance).
* **A code applied, or not applied, identically everywhere by all coders**:
  expected agreement is 1, so kappa and alpha are undefined; reported as
  ``None`` (JSON ``null``) with a note. Percent agreement is 100%.
* **Cohen's kappa with three or more coders** is not defined; it is
  ``None`` and Krippendorff's alpha (any number of coders) is the figure.
* **Fewer than 2 shared segments**: no figures, a note says so.

Overall figures: the mean over codes (ignoring undefined values) and the
pooled figure, computed on all (segment, code) decisions at once.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import krippendorff
import numpy as np
import pandas as pd

from themegrid.errors import ThemegridError, UnknownCoder
from themegrid.store import codes as store_codes
from themegrid.store import views
from themegrid.store.connection import Store

EXCERPT_CHARS = 160


def known_coders(store: Store) -> list[str]:
    """Human coders with at least one coding or segment view, sorted."""
    return views.coders_with_decisions_or_views(store)


def check_coders(store: Store, coders: Sequence[str]) -> None:
    """Raise :class:`UnknownCoder` naming the unknown coder(s) and the known ones."""
    known = known_coders(store)
    unknown = [c for c in coders if c not in known]
    if unknown:
        listed = ", ".join(known) if known else "none yet (import or review codings first)"
        raise UnknownCoder(
            f"{store.path}: unknown coder {', '.join(repr(c) for c in unknown)}; known coders: {listed}"
        )


def seen_segments(store: Store, coder: str) -> set[str]:
    return views.seen_segment_ids(store, coder)


def accepted_codes(store: Store, coder: str) -> dict[str, set[str]]:
    return views.accepted_codes_by_segment(store, coder)


@dataclass(frozen=True)
class Figures:
    """Agreement on one code (or pooled over codes)."""

    n_units: int
    percent: float | None
    kappa: float | None
    alpha: float | None
    note: str = ""


@dataclass(frozen=True)
class CodeAgreement:
    code_id: str
    figures: Figures
    applied: dict[str, int]  # coder -> segments they applied the code to


@dataclass(frozen=True)
class Disagreement:
    segment_id: str
    document: str
    excerpt: str
    code_id: str
    applied_by: tuple[str, ...]
    not_applied_by: tuple[str, ...]


@dataclass(frozen=True)
class AgreementReport:
    coders: tuple[str, ...]
    n_segments: int
    per_code: tuple[CodeAgreement, ...]
    mean: Figures
    pooled: Figures
    disagreements: tuple[Disagreement, ...]
    codes_unused: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "coders": list(self.coders),
            "n_segments": self.n_segments,
            "codes_unused": self.codes_unused,
            "notes": list(self.notes),
            "per_code": [
                {"code": c.code_id, "applied": c.applied, **_figures_dict(c.figures)}
                for c in self.per_code
            ],
            "overall": {
                "mean_over_codes": _figures_dict(self.mean),
                "pooled": _figures_dict(self.pooled),
            },
            "disagreements": [
                {
                    "segment_id": d.segment_id,
                    "document": d.document,
                    "excerpt": d.excerpt,
                    "code": d.code_id,
                    "applied_by": list(d.applied_by),
                    "not_applied_by": list(d.not_applied_by),
                }
                for d in self.disagreements
            ],
        }


def _figures_dict(f: Figures) -> dict[str, Any]:
    return {
        "n_units": f.n_units,
        "percent": f.percent,
        "kappa": f.kappa,
        "alpha": f.alpha,
        "note": f.note,
    }


def figures(ratings: np.ndarray) -> Figures:
    """Agreement figures for a (coders × units) 0/1 matrix."""
    n_coders, n_units = ratings.shape
    if n_units < 2:
        return Figures(n_units, None, None, None, "fewer than 2 shared segments")
    percent = float(np.mean(np.all(ratings == ratings[0], axis=0)) * 100)
    notes = []
    kappa: float | None = None
    if n_coders == 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from sklearn.metrics import cohen_kappa_score  # ~2 s to import: only when needed

            value = cohen_kappa_score(ratings[0], ratings[1], labels=[0, 1])
        kappa = None if math.isnan(value) else float(value)
    if len(np.unique(ratings)) < 2:
        alpha = None
        notes.append("every coder gave the same answer on every segment: kappa and alpha undefined")
    else:
        alpha = float(krippendorff.alpha(reliability_data=ratings, level_of_measurement="nominal"))
        if n_coders == 2 and kappa is None:
            notes.append("kappa undefined (expected agreement is 1)")
        applied = int(ratings.sum())
        if applied < FEW_APPLIED:
            notes.append(
                f"applied {applied} time(s) in all: one segment more or less swings kappa "
                "and alpha a long way; read them with the counts"
            )
    return Figures(n_units, percent, kappa, alpha, "; ".join(notes))


#: Fewer applications of a code (by all coders together) than this: its kappa and alpha
#: rest on a handful of segments, and the note says so.
FEW_APPLIED = 5


def _mean(per_code: Sequence[CodeAgreement], n_units: int) -> Figures:
    def avg(values: list[float | None]) -> float | None:
        defined = [v for v in values if v is not None]
        return float(np.mean(defined)) if defined else None

    fs = [c.figures for c in per_code]
    undefined = sum(1 for f in fs if f.alpha is None)
    note = (
        f"{undefined} code(s) with undefined kappa/alpha left out of the mean" if undefined else ""
    )
    return Figures(
        n_units,
        avg([f.percent for f in fs]),
        avg([f.kappa for f in fs]),
        avg([f.alpha for f in fs]),
        note,
    )


def compute_agreement(store: Store, coders: Sequence[str]) -> AgreementReport:
    """Agreement between ``coders`` (two or more) on the segments all of them have seen."""
    coders = tuple(dict.fromkeys(coders))
    if len(coders) < 2:
        raise ThemegridError(
            "agreement needs at least two different coders, e.g. --coders alice bob"
        )
    check_coders(store, coders)
    shared = set.intersection(*(seen_segments(store, c) for c in coders))
    units = sorted(shared)
    applied = {c: accepted_codes(store, c) for c in coders}
    used = sorted({code for c in coders for s in units for code in applied[c].get(s, ())})
    codable = store_codes.active_codable_code_ids(store)
    unused = len(codable - set(used))
    notes: list[str] = []
    if len(units) < 2:
        notes.append(
            f"the coders share {len(units)} segment(s); agreement needs at least 2 segments all of them have seen"
        )
        empty = Figures(len(units), None, None, None, notes[0])
        return AgreementReport(coders, len(units), (), empty, empty, (), unused, tuple(notes))
    matrices = {code: _ratings(coders, units, applied, code) for code in used}
    per_code = tuple(
        CodeAgreement(code, figures(m), {c: int(m[i].sum()) for i, c in enumerate(coders)})
        for code, m in matrices.items()
    )
    if len(coders) > 2:
        notes.append("Cohen's kappa is for two coders; use Krippendorff's alpha for three or more")
    if not used:
        notes.append("no coder applied any code on the shared segments")
    pooled = (
        figures(np.hstack(list(matrices.values())))
        if used
        else Figures(0, None, None, None, notes[-1])
    )
    return AgreementReport(
        coders,
        len(units),
        per_code,
        _mean(per_code, len(units)),
        pooled,
        _disagreements(store, coders, units, applied, used),
        unused,
        tuple(notes),
    )


def _ratings(
    coders: Sequence[str], units: Sequence[str], applied: dict[str, dict[str, set[str]]], code: str
) -> np.ndarray:
    return np.array(
        [[int(code in applied[c].get(s, ())) for s in units] for c in coders],
        dtype=np.int64,
    )


def _disagreements(
    store: Store,
    coders: Sequence[str],
    units: Sequence[str],
    applied: dict[str, dict[str, set[str]]],
    codes: Sequence[str],
) -> tuple[Disagreement, ...]:
    rows = []
    for s in units:
        for code in codes:
            yes = tuple(c for c in coders if code in applied[c].get(s, ()))
            if yes and len(yes) < len(coders):
                rows.append((s, code, yes, tuple(c for c in coders if c not in yes)))
    if not rows:
        return ()
    info = _segment_info(store, sorted({r[0] for r in rows}))
    out = [Disagreement(s, info[s][0], info[s][1], code, yes, no) for s, code, yes, no in rows]
    out.sort(key=lambda d: (d.document, info[d.segment_id][2], d.code_id))
    return tuple(out)


def _segment_info(store: Store, segment_ids: Sequence[str]) -> dict[str, tuple[str, str, int]]:
    places = views.segment_places(store, segment_ids)
    return {s: (p.document, _excerpt(p.text), p.seq) for s, p in places.items()}


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def agreement_frames(report: AgreementReport) -> dict[str, pd.DataFrame]:
    """DataFrames for a workbook's Agreement sheet: ``per_code``, ``overall``, ``disagreements``."""
    per_code = pd.DataFrame(
        [
            {
                "code": c.code_id,
                **{f"applied by {k}": v for k, v in c.applied.items()},
                **_figures_dict(c.figures),
            }
            for c in report.per_code
        ],
        columns=[
            "code",
            *[f"applied by {k}" for k in report.coders],
            "n_units",
            "percent",
            "kappa",
            "alpha",
            "note",
        ],
    )
    overall = pd.DataFrame(
        [
            {"figure": "mean over codes", **_figures_dict(report.mean)},
            {"figure": "pooled", **_figures_dict(report.pooled)},
        ]
    )
    disagreements = pd.DataFrame(
        [
            {
                "segment_id": d.segment_id,
                "document": d.document,
                "excerpt": d.excerpt,
                "code": d.code_id,
                "applied by": ", ".join(d.applied_by),
                "not applied by": ", ".join(d.not_applied_by),
            }
            for d in report.disagreements
        ],
        columns=["segment_id", "document", "excerpt", "code", "applied by", "not applied by"],
    )
    return {"per_code": per_code, "overall": overall, "disagreements": disagreements}
