"""``themegrid evaluate`` and ``themegrid agreement``: how far to trust the machine and each other."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from themegrid.cli.app import JsonOpt, ProjectOpt, app, wide_console

if TYPE_CHECKING:
    from themegrid.aggregate.agreement import AgreementReport
    from themegrid.aggregate.evaluate import EvaluationReport, LearningCurve


@app.command("evaluate")
def evaluate_cmd(
    against: Annotated[
        str,
        typer.Option(
            "--against", metavar="CODER", help="The human coder whose codes are the truth."
        ),
    ],
    folds: Annotated[
        int, typer.Option("--folds", metavar="K", help="Number of folds, grouped by document.")
    ] = 5,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline/--no-baseline",
            help="Also score the plain TF-IDF + logistic regression baseline.",
        ),
    ] = True,
    context: Annotated[
        bool,
        typer.Option(
            "--context",
            help="Let the model also read the neighbouring turns (to measure if it helps).",
        ),
    ] = False,
    curve: Annotated[
        bool,
        typer.Option(
            "--curve",
            help="Learning curve: scores after 25, 50, 100, 200, ... decisions, with the "
            "model gated as 'themegrid code' gates it.",
        ),
    ] = False,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Cross-validate the machine's suggestions against a human coder.

    K-fold by document: the model learns from the other folds' codings and the
    codebook's examples; rules, model, both, and a plain TF-IDF + logistic
    regression baseline are scored per code (precision, recall, F1, Cohen's kappa).
    """
    from themegrid.api import evaluate, learning_curve

    console = wide_console(stderr=True)
    progress = None if as_json else (lambda m: console.print(f"[dim]{m}[/dim]", highlight=False))
    if curve:
        result = learning_curve(project, against, folds=folds, baseline=baseline, progress=progress)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        else:
            _print_curve(result)
        return
    report = evaluate(
        project, against, folds=folds, baseline=baseline, context=context, progress=progress
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_evaluation(report)


def _num(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.1f}%" if pct else f"{value:.2f}"
    return text.removeprefix("-") if float(text.rstrip("%")) == 0 else text  # not "-0.00"


def _print_evaluation(report: EvaluationReport) -> None:
    console = wide_console()
    main = report.methods["rules+model"]
    table = Table(
        title=f"Suggestions vs {report.coder} (rules + model; each method's means below): "
        f"{report.n_segments} segments, {report.n_documents} documents, "
        f"{len(report.folds)} folds by document"
    )
    for col in ("code", "support", "predicted", "precision", "recall", "F1", "kappa"):
        table.add_column(col, justify="left" if col == "code" else "right")
    for c in main.per_code:
        if c.support or c.predicted:
            table.add_row(
                escape(c.code_id),
                str(c.support),
                str(c.predicted),
                _num(c.precision),
                _num(c.recall),
                _num(c.f1),
                _num(c.kappa),
            )
    console.print(table)
    summary = Table(title="Macro means (codes the coder applied)")
    for col in ("method", "precision", "recall", "F1", "kappa"):
        summary.add_column(col, justify="left" if col == "method" else "right")
    for name, m in report.methods.items():
        summary.add_row(
            name,
            _num(m.macro_precision),
            _num(m.macro_recall),
            _num(m.macro_f1),
            _num(m.macro_kappa),
        )
    console.print(summary)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    console.print(
        "note: 'model' here is every code's model, trained on each fold whether or not its "
        "gate would open; 'themegrid code' suggests only for codes whose gate opens (the "
        "'gated model' column of 'themegrid evaluate --curve' scores what it would suggest)",
        highlight=False,
        markup=False,
    )
    console.print(
        f"model settings: {report.model_mode} data; {report.seconds:.1f} s", highlight=False
    )


@app.command("agreement")
def agreement_cmd(
    coders: Annotated[
        list[str],
        typer.Option(
            "--coders",
            metavar="CODER",
            help="Two or more human coders: --coders alice bob [carol ...].",
        ),
    ],
    more: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
    project: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Agreement between human coders per code: percent, Cohen's kappa, Krippendorff's alpha.

    Over the segments every named coder has seen or coded; lists the
    disagreements for the reconciliation meeting.
    """
    from themegrid.api import agreement

    names = [n.strip() for c in [*coders, *(more or [])] for n in c.split(",") if n.strip()]
    report = agreement(project, names)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_agreement(report)


def _print_agreement(report: AgreementReport) -> None:
    console = wide_console()
    table = Table(
        title=f"Agreement of {', '.join(report.coders)} on {report.n_segments} shared segments"
    )
    table.add_column("code")
    for coder in report.coders:
        table.add_column(f"applied by {coder}", justify="right")
    for col in ("agreement", "kappa", "alpha", "note"):
        table.add_column(col, justify="left" if col == "note" else "right")
    rows = [
        (c.code_id, c.figures, [str(c.applied[k]) for k in report.coders]) for c in report.per_code
    ]
    rows += [("(mean over codes)", report.mean, [""] * len(report.coders))]
    rows += [("(pooled)", report.pooled, [""] * len(report.coders))]
    for label, f, applied in rows:
        table.add_row(
            escape(label),
            *applied,
            _num(f.percent, pct=True),
            _num(f.kappa),
            _num(f.alpha),
            escape(f.note),
        )
    console.print(table)
    for note in report.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    if report.codes_unused:
        console.print(
            f"{report.codes_unused} codable code(s) not applied by anyone on these segments."
        )
    if not report.disagreements:
        return
    dis = Table(title=f"{len(report.disagreements)} disagreement(s) to reconcile")
    for col in ("document", "segment", "code", "applied by", "not by", "excerpt"):
        dis.add_column(col)
    for d in report.disagreements:
        cells = (
            d.document,
            d.segment_id,
            d.code_id,
            ", ".join(d.applied_by),
            ", ".join(d.not_applied_by),
            d.excerpt,
        )
        dis.add_row(*(escape(c) for c in cells))
    console.print(dis)


def _print_curve(curve: LearningCurve) -> None:
    console = wide_console()

    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}"

    methods = list(curve.points[0].methods) if curve.points else []
    table = Table(
        title=f"Learning curve vs {escape(curve.coder)}: macro kappa ({curve.n_segments} segments, "
        f"{curve.n_documents} documents, {curve.n_folds} folds by document)"
    )
    table.add_column("decisions", justify="right")
    for m in methods:
        table.add_column(m, justify="right")
    for p in curve.points:
        table.add_row(str(p.decisions), *(fmt(p.methods[m].macro_kappa) for m in methods))
    console.print(table)
    table = Table(
        title=f"Gated model per code: precision/recall on the test folds (gate open in k of "
        f"{curve.n_folds} folds; floor {curve.precision_floor:.2f}, at least "
        f"{curve.min_positives} positives)"
    )
    table.add_column("decisions", justify="right")
    for code in curve.codes:
        table.add_column(code, justify="right")
    for p in curve.points:
        scores = {c.code_id: c for c in p.methods["gated model"].per_code}
        cells = []
        for code in curve.codes:
            c = scores[code]
            cells.append(
                f"{c.precision:.2f}/{c.recall:.2f} ({p.gate_open[code]})"
                if c.predicted
                else f"- ({p.gate_open[code]})"
            )
        table.add_row(str(p.decisions), *cells)
    console.print(table)
    for note in curve.notes:
        console.print(f"note: {note}", highlight=False, markup=False)
    console.print("Per-code precision and recall of every method at every size: --json.")
