"""Measure machine suggestions on the real coded sets in ../shared/devdata/.

* ``qabstracts``: both coders' *initial* codings of software-engineering abstracts
  (``qabstracts_two_coder_irr/initial_codings``), one document per abstract; the
  codebook gets each base code's definition from the study's ``codebook.md``. Prints
  machine-vs-coder-A kappa per code next to coder-B-vs-coder-A, and the learning
  curve against coder A (rules, model, gated model, semantic, their combination, and
  the TF-IDF + logistic regression baseline on the same folds).
* ``napire``: the NaPiRE 2018 free-text survey answers (one coder): the learning curve.

    .venv/bin/python scripts/measure_suggestions.py [--only qabstracts|napire] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from themegrid.aggregate.evaluate import LearningCurve, evaluate, learning_curve
from themegrid.exchange.coded import Layout, import_coded
from themegrid.project import Project, init_project
from themegrid.store import codings as store_codings
from themegrid.tag.model import human_labels

sys.path.insert(0, str(Path(__file__).parent))
from try_devdata import inline_blocks  # the data tour's parser: one copy

DEVDATA = Path("../shared/devdata")
MIN_USES = 20
DECLARED = re.compile(r"^- code `([a-z][a-z-]*)[^`]*`:\s*(.*)$")


def inline_rows(path: Path) -> list[tuple[str, str]]:
    """(sentence, codes) of an inline-coded abstract, its text decoded as UTF-8 (else
    cp1252) with HTML entities resolved; parsed as the data tour does."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    return inline_blocks(html.unescape(text))


def definitions(codebook_md: Path) -> dict[str, str]:
    """Code name -> its definition text, from the study's codebook.md declarations."""
    out: dict[str, str] = {}
    current: str | None = None
    for line in codebook_md.read_text(encoding="utf-8").splitlines():
        m = DECLARED.match(line.strip())
        if m:
            current = m.group(1)
            out[current] = m.group(2).strip()
            continue
        if current is None:
            continue
        if not line.strip() or line.lstrip().startswith(("- code", "#")):
            current = None if not line.strip() or line.startswith("#") else current
            if line.strip().startswith("- code"):
                current = None
            continue
        out[current] = (out[current] + " " + line.strip()).strip()
    return {k: " ".join(v.split())[:600] for k, v in out.items()}


def qabstracts_project(tmp: Path) -> tuple[Project, dict[str, Any]]:
    root = DEVDATA / "qabstracts_two_coder_irr"
    project, _ = init_project(tmp / "qabstracts", empty_codebook=True)
    side_a = {p.name: p for p in (root / "initial_codings" / "abstracts.A").glob("*.txt")}
    side_b = {p.name: p for p in (root / "initial_codings" / "abstracts.B").glob("*.txt")}
    names = sorted(n for n in side_a if n in side_b)
    kept = []
    for name in names:
        a, b = inline_rows(side_a[name]), inline_rows(side_b[name])
        if len(a) == len(b) and [t for t, _ in a] == [t for t, _ in b]:
            kept.append(name)
    used = Counter(
        c for n in kept for _, codes in inline_rows(side_a[n]) for c in codes.split(";") if c
    )
    defs = definitions(root / "codebook.md")
    # the study's declared codes used at least MIN_USES times by coder A; other labels
    # (typos such as "conculsion", rare codes) are left out of both coders' codings
    chosen = [c for c, n in used.most_common() if n >= MIN_USES and defs.get(c)]
    codes = [{"id": c.replace("-", "_"), "name": c, "definition": defs[c]} for c in chosen]
    book = project.codebook_dir / "codebook.yaml"
    for f in project.codebook_dir.glob("*.yaml"):
        f.unlink()
    header = {"name": "qabstracts", "version": "1", "description": "codebook.md base codes"}
    book.write_text(yaml.safe_dump({"codebook": header, "codes": codes}, sort_keys=False))
    for side, files in (("A", side_a), ("B", side_b)):
        out = tmp / f"coder_{side}"
        out.mkdir()
        paths = []
        for name in kept:
            target = out / (Path(name).stem + ".csv")
            with target.open("w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["text", "codes"])
                for text, c in inline_rows(files[name]):
                    keep = [x.replace("-", "_") for x in c.split(";") if x in chosen]
                    w.writerow([text, ";".join(keep)])
            paths.append(target)
        with project.open_store() as store:
            import_coded(
                store,
                paths,
                coder=f"coder_{side.lower()}",
                codebook=project.load_codebook(),
                layout=Layout(text_column="text", code_columns=("codes",)),
                rows_are_documents=False,
                skip_bad_rows=True,
                report_dir=project.reports_dir,
            )
    return project, {"abstracts": len(kept), "of": len(names), "codes": len(codes)}


def b_vs_a(project: Project) -> dict[str, float | None]:
    """Per code: Cohen's kappa of coder B against coder A on the sentences both coded."""
    from sklearn.metrics import cohen_kappa_score

    with project.open_store() as store:
        a, b = human_labels(store, "coder_a"), human_labels(store, "coder_b")
    shared = sorted(set(a) & set(b))
    codes = [c.id for c in project.load_codebook().codable]
    out: dict[str, float | None] = {}
    for code in codes:
        ya = [int(code in a[s]) for s in shared]
        yb = [int(code in b[s]) for s in shared]
        out[code] = float(cohen_kappa_score(ya, yb)) if any(ya) or any(yb) else None
    return out


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_curve(curve: LearningCurve) -> None:
    methods = list(curve.points[0].methods)
    print("| decisions | " + " | ".join(methods) + " |")
    print("|---:|" + "---:|" * len(methods))
    for p in curve.points:
        cells = " | ".join(fmt(p.methods[m].macro_kappa) for m in methods)
        print(f"| {p.decisions} | {cells} |")
    last = curve.points[-1]
    opened = ", ".join(f"{c} {n}/{curve.n_folds}" for c, n in last.gate_open.items() if n)
    print(f"\ngates open at {last.decisions} decisions: {opened or 'none'}")
    for note in curve.notes:
        print(f"note: {note}")


def print_curve_frequent(curve: LearningCurve, min_support: int) -> None:
    """The curve's macro kappa over the codes the coder applied at least ``min_support``
    times (napire: 496 codes, most used a few times, pull the all-codes mean to ~0)."""
    methods = list(curve.points[0].methods)
    first = curve.points[0].methods[methods[0]].per_code
    codes = {c.code_id for c in first if c.support >= min_support}
    print(f"\nMacro kappa over the {len(codes)} codes applied at least {min_support} times\n")
    print("| decisions | " + " | ".join(methods) + " |")
    print("|---:|" + "---:|" * len(methods))
    for p in curve.points:
        cells = []
        for m in methods:
            ks = [c.kappa for c in p.methods[m].per_code if c.code_id in codes]
            defined = [k for k in ks if k is not None]
            cells.append(fmt(float(np.mean(defined)) if defined else None))
        print(f"| {p.decisions} | {' | '.join(cells)} |")


def gate_honesty(curve: LearningCurve) -> None:
    """Held-out precision of the gated model per size (what the gate promised: >= floor).

    Per code whose gate opened in some fold: its suggestions on the test folds pooled, with
    a one-sided 90% Wilson upper bound of their precision; a code counts as *below* the
    floor only when that upper bound is (a held-out precision under the floor over a few
    suggestions is not evidence that the gate promised too much)."""
    from themegrid.tag.gate import PRECISION_Z, precision_lower_bound

    floor = curve.precision_floor
    print(
        "\n| decisions | codes suggested | held-out suggestions | pooled precision "
        "| min precision (code, n) | codes under the floor | of them significantly |"
    )
    print("|---:|---:|---:|---:|---|---:|---:|")
    for p in curve.points:
        scored = [c for c in p.methods["gated model"].per_code if c.predicted]
        if not scored:
            print(f"| {p.decisions} | 0 | 0 | - | - | 0 | 0 |")
            continue
        hits = [round(c.precision * c.predicted) for c in scored]
        total = sum(c.predicted for c in scored)
        worst = min(scored, key=lambda c: c.precision)
        under = [c for c in scored if c.precision < floor]
        significant = [
            c
            for c, h in zip(scored, hits, strict=True)
            if c.precision < floor
            and 1 - float(precision_lower_bound(c.predicted - h, c.predicted, PRECISION_Z)) < floor
        ]
        print(
            f"| {p.decisions} | {len(scored)} | {total} | {sum(hits) / total:.2f} "
            f"| {worst.precision:.2f} ({worst.code_id}, {worst.predicted}) | {len(under)} "
            f"| {len(significant)} |"
        )
        for c in under:
            print(f"|  | under: {c.code_id} | {c.predicted} | {c.precision:.2f} | | | |")
    gate_openings(curve)


def gate_openings(curve: LearningCurve) -> None:
    """Each (fold, code) opening of a gate: the gate's estimate on the training decisions
    next to the held-out precision of the model's suggestions on that fold's test documents
    (an honest gate: estimate and held-out agree on average, and few openings fall under
    the floor on held-out documents)."""
    floor = curve.precision_floor
    print(
        "\n| decisions | openings | mean estimate | mean lower bound | mean held-out "
        "| held-out < floor | held-out < lower bound |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for p in curve.points:
        checks = [c for c in p.gate_checks if c.opened and c.held_out_suggested]
        if not checks:
            print(f"| {p.decisions} | 0 | - | - | - | 0 | 0 |")
            continue
        held = [c.held_out_hits / c.held_out_suggested for c in checks]
        print(
            f"| {p.decisions} | {len(checks)} | {np.mean([c.precision for c in checks]):.2f} "
            f"| {np.mean([c.precision_low for c in checks]):.2f} | {np.mean(held):.2f} "
            f"| {sum(h < floor for h in held)} "
            f"| {sum(h < c.precision_low for h, c in zip(held, checks, strict=True))} |"
        )
        for c, h in zip(checks, held, strict=True):
            if h < floor:
                print(
                    f"|  | {c.code_id} (fold {c.fold}) | {c.precision:.2f} over "
                    f"{c.estimated_over} | {c.precision_low:.2f} | {h:.2f} over "
                    f"{c.held_out_suggested} | | |"
                )


def held_out_by_code(checks: list[Any]) -> dict[str, dict[str, Any]]:
    """Per code whose gate opened in some fold: its held-out suggestions pooled over those
    folds' test documents, with a one-sided 90% upper bound of their precision that allows
    for their clustering in documents (:func:`clustered_lower_bound` of the misses, as the
    gate bounds its estimate). ``checks``: GateCheck objects or their JSON dicts."""
    from themegrid.tag.gate import clustered_lower_bound

    out: dict[str, dict[str, Any]] = {}
    for c in checks:
        c = c if isinstance(c, dict) else vars(c)
        row = out.setdefault(
            c["code_id"], {"folds": 0, "estimate": [], "low": [], "n": 0, "hits": 0, "docs": []}
        )
        row["folds"] += 1
        row["estimate"].append(c["precision"])
        row["low"].append(c["precision_low"])
        row["n"] += c["held_out_suggested"]
        row["hits"] += c["held_out_hits"]
        row["docs"].extend((c["fold"], tuple(d)) for d in c.get("held_out_documents", ()))
    for row in out.values():
        misses, clusters = [], []
        for k, (_fold, (said, right)) in enumerate(row["docs"]):
            misses += [0] * right + [1] * (said - right)
            clusters += [k] * said
        row["precision"] = row["hits"] / row["n"] if row["n"] else None
        row["upper"] = (
            1 - clustered_lower_bound(np.array(misses), np.array(clusters)) if misses else None
        )
        row["n_docs"] = len(row["docs"])
    return out


def open_code_table(points: list[dict[str, Any]], floor: float) -> None:
    """Per size: each open code's gate estimate next to its held-out precision and that
    precision's clustered upper bound (under the floor *within its uncertainty* when the
    upper bound reaches the floor, *significantly* when it does not)."""
    print(
        "\n| decisions | codes open | held-out suggestions | pooled | min (code, n) "
        "| under floor | of them significantly |"
    )
    print("|---:|---:|---:|---:|---|---:|---:|")
    details = []
    for p in points:
        rows = {
            k: v
            for k, v in held_out_by_code(
                [c for c in p["gate_checks"] if c.get("opened", True)]
            ).items()
            if v["n"]
        }
        if not rows:
            print(f"| {p['decisions']} | 0 | 0 | - | - | 0 | 0 |")
            continue
        n = sum(r["n"] for r in rows.values())
        hits = sum(r["hits"] for r in rows.values())
        worst = min(rows, key=lambda k: rows[k]["precision"])
        under = [k for k, r in rows.items() if r["precision"] < floor]
        sig = [k for k in under if rows[k]["upper"] is not None and rows[k]["upper"] < floor]
        print(
            f"| {p['decisions']} | {len(rows)} | {n} | {hits / n:.2f} "
            f"| {rows[worst]['precision']:.2f} ({worst}, {rows[worst]['n']}) | {len(under)} "
            f"| {len(sig)} |"
        )
        details.append((p["decisions"], rows))
    print(
        "\n| decisions | code | folds open | gate estimate (lower bound) | held-out "
        "| over (documents) | held-out upper bound |"
    )
    print("|---:|---|---:|---|---:|---|---:|")
    for decisions, rows in details:
        for code, r in sorted(rows.items(), key=lambda kv: kv[1]["precision"]):
            upper = "-" if r["upper"] is None else f"{r['upper']:.2f}"
            print(
                f"| {decisions} | {code} | {r['folds']} | {np.mean(r['estimate']):.2f} "
                f"({np.mean(r['low']):.2f}) | {r['precision']:.2f} | {r['n']} ({r['n_docs']}) "
                f"| {upper} |"
            )


def measure_qabstracts(
    tmp: Path, sizes: list[int], folds: int, *, table: bool = True
) -> dict[str, Any]:
    project, info = qabstracts_project(tmp)
    print(f"\n## qabstracts: {info['abstracts']} of {info['of']} abstracts, {info['codes']} codes")
    book = project.load_codebook()
    if not table:
        with project.open_store() as store:
            curve = learning_curve(store, book, "coder_a", folds=folds, sizes=sizes, n_jobs=1)
        print(f"\nLearning curve against coder A (macro kappa, {folds} folds by abstract)\n")
        print_curve(curve)
        gate_honesty(curve)
        open_code_table(curve.to_dict()["points"], curve.precision_floor)
        return {"curve": curve.to_dict()}
    kappa_b = b_vs_a(project)
    with project.open_store() as store:
        auto = evaluate(store, book, "coder_a", folds=folds, n_jobs=1)
        plain = evaluate(store, book, "coder_a", folds=folds, n_jobs=1, feature_sets=None)
    methods = {
        "rules+model (per-code features)": auto.methods["rules+model"],
        "model (per-code features)": auto.methods["model"],
        "model (TF-IDF only)": plain.methods["model"],
        "semantic": auto.methods["semantic"],
        "baseline": auto.methods["baseline"],
    }
    print(f"\nKappa against coder A ({auto.n_segments} sentences, {folds} folds by abstract)\n")
    print("| code | support | coder B | " + " | ".join(methods) + " |")
    print("|---|---:|---:|" + "---:|" * len(methods))
    per = {name: {c.code_id: c for c in m.per_code} for name, m in methods.items()}
    for code in auto.codes:
        support = per["baseline"][code].support
        cells = " | ".join(fmt(per[name][code].kappa) for name in methods)
        print(f"| {code} | {support} | {fmt(kappa_b[code])} | {cells} |")
    defined = [v for v in kappa_b.values() if v is not None]
    macro = " | ".join(fmt(m.macro_kappa) for m in methods.values())
    print(f"| (macro) | | {fmt(float(np.mean(defined)))} | {macro} |")
    for note in auto.notes:
        print(f"note: {note}")
    with project.open_store() as store:
        curve = learning_curve(store, book, "coder_a", folds=folds, sizes=sizes, n_jobs=1)
    print(f"\nLearning curve against coder A (macro kappa, {folds} folds by abstract)\n")
    print_curve(curve)
    gate_honesty(curve)
    open_code_table(curve.to_dict()["points"], curve.precision_floor)
    return {"evaluate": auto.to_dict(), "plain": plain.to_dict(), "curve": curve.to_dict()}


def measure_napire(tmp: Path, sizes: list[int], folds: int) -> dict[str, Any]:
    from try_devdata import Outcome, napire

    project, _ = init_project(tmp / "napire", empty_codebook=True)
    napire(DEVDATA / "napire2018_coded_survey", project, Outcome())
    book = project.load_codebook()
    with project.open_store() as store:
        n = len(human_labels(store, "napire"))
        curve = learning_curve(store, book, "napire", folds=folds, sizes=sizes, n_jobs=1)
        decided = store_codings.human_accepted(store, "napire")
    print(f"\n## napire2018: {n} answers, {len({c for _, c in decided})} codes applied\n")
    print_curve(curve)
    for min_support in (20, 50):
        print_curve_frequent(curve, min_support)
    gate_honesty(curve)
    open_code_table(curve.to_dict()["points"], curve.precision_floor)
    return {"curve": curve.to_dict()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("qabstracts", "napire"))
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--sizes", default="25,50,100,200,400,800,1600,100000")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--curve-only",
        action="store_true",
        help="qabstracts: only the learning curve (not the kappa table next to coder B)",
    )
    parser.add_argument(
        "--tables-from",
        type=Path,
        help="print the open-code tables of an earlier --json output and stop",
    )
    args = parser.parse_args()
    if args.tables_from:
        for name, result in json.loads(args.tables_from.read_text()).items():
            curve = result["curve"]
            print(f"\n## {name}")
            open_code_table(curve["points"], curve["precision_floor"])
        return 0
    if not DEVDATA.is_dir():
        print(f"skipped: {DEVDATA} is absent (the shared devdata sits beside the clone)")
        return 0
    sizes = [int(x) for x in args.sizes.split(",")]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "qabstracts"):
            results["qabstracts"] = measure_qabstracts(
                Path(tmp), sizes, args.folds, table=not args.curve_only
            )
        if args.only in (None, "napire"):
            results["napire"] = measure_napire(Path(tmp), sizes, args.folds)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
