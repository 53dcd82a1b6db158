"""The shareable HTML report (``reports/theme_matrix.html``): one self-contained file.

Plots are Plotly figures; Plotly's JavaScript comes from the installed ``plotly`` wheel
and is written inline once, so the file opens with no network (no CDN, no fonts, no
images fetched). Sections: About facts, the matrix as heatmaps (confirmed, then
unreviewed suggestions; click a cell for its quotes), per-case theme bars (confirmed
and unreviewed stacked, a menu picks the case), the co-occurrence heatmaps and the
codebook.

Every text from the data (code names, case names, quotes, definitions) is
HTML-escaped before it reaches the page or a plot; quotes shown on click are put in
the page with ``textContent``, never parsed as HTML. The embedded JSON has ``<``
written as ``\\u003c`` so no text can end a ``<script>`` element.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from themegrid import __version__
from themegrid.aggregate import matrix as mx
from themegrid.atomic import atomic_path
from themegrid.errors import WorkbookError

if TYPE_CHECKING:
    from themegrid.export.workbook import Report
    from themegrid.store.memos import ReportMemo

CONFIRMED_SCALE = [[0.0, "#ffffff"], [1.0, "#2f6f9f"]]
UNREVIEWED_SCALE = [[0.0, "#ffffff"], [1.0, "#d9772b"]]
PARENT_SCALE = [[0.0, "#ffffff"], [1.0, "#8c8c8c"]]
CONFIRMED_COLOUR = "#4f8f3a"
UNREVIEWED_COLOUR = "#e08a3c"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1300px;
  color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #ddebf7; }
.note { color: #555; font-size: 0.9em; }
.tag-confirmed { color: #2e6b1f; font-weight: bold; }
.tag-unreviewed { color: #a85a12; font-weight: bold; }
#quotes { border: 1px solid #ccc; padding: 0.6em 1em; min-height: 3em; background: #fafafa; }
#quotes p { margin: 0.4em 0; }
nav a { margin-right: 1em; }
"""

SCRIPT = """
(function () {
  var quotes = JSON.parse(document.getElementById('tg-quotes').textContent);
  var box = document.getElementById('quotes');
  function show(code, caseName) {
    box.replaceChildren();
    var head = document.createElement('p');
    var b = document.createElement('b');
    b.textContent = (quotes.names[code] || code) + ' \\u2014 ' + (quotes.cases[caseName] || caseName);
    head.appendChild(b);
    box.appendChild(head);
    var cell = (quotes.cells[code] || {})[caseName];
    if (!cell || !cell.length) {
      var none = document.createElement('p');
      none.textContent = 'No quotes for this cell.';
      box.appendChild(none);
      return;
    }
    cell.forEach(function (q) {
      var p = document.createElement('p');
      var tag = document.createElement('span');
      tag.className = q.confirmed ? 'tag-confirmed' : 'tag-unreviewed';
      tag.textContent = q.confirmed ? '[confirmed] ' : '[unreviewed suggestion] ';
      p.appendChild(tag);
      p.appendChild(document.createTextNode(q.text));
      box.appendChild(p);
    });
  }
  document.querySelectorAll('.tg-heatmap .plotly-graph-div').forEach(function (div) {
    div.on('plotly_click', function (ev) {
      var pt = ev.points[0];
      show(pt.y, pt.x);
      box.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    });
  });
})();
"""


def _e(value: Any) -> str:
    """Text for HTML (and for Plotly labels, which read a little HTML): escaped."""
    return html.escape("" if value is None else str(value), quote=True)


def _script_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


def write_html(
    report: Report,
    path: Path,
    *,
    project_name: str,
    facts: Sequence[tuple[str, Any]],
    memos: Sequence[ReportMemo] = (),
) -> Path:
    """Write the report as one self-contained HTML file (atomically); ``memos``: the
    project's memos, listed in their own section when there are any."""
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    cases = [c for c in report.counts.columns if c != mx.TOTAL]
    codes = report.cf.codes
    leaves = report.leaf_codes
    labels = {
        _e(c): _e(("\u2003" * int(codes.at[c, "depth"])) + str(codes.at[c, "name"]))
        for c in codes.index
    }
    leaves = {_e(c) for c in leaves}
    raw_ids = list(codes.index)
    code_ids = [_e(c) for c in raw_ids]

    figures: list[tuple[str, str, str, Any]] = []  # (anchor, title, note, figure)
    height = max(400, 22 * len(code_ids) + 160)
    case_text = [_e(c) for c in cases]

    def heatmap(table: pd.DataFrame, scale: list[list[Any]], title: str) -> Any:
        # Float arrays with NaN for the other kind's rows (a gap in the trace): plotly
        # checks a numpy array at once, a list of lists value by value (seconds at 100 codes).
        values = table.loc[raw_ids, cases].to_numpy(dtype=float)
        is_leaf = np.array([c in leaves for c in code_ids], dtype=bool)[:, None]
        leaf_z = np.where(is_leaf, values, np.nan)
        parent_z = np.where(is_leaf, np.nan, values)
        fig = go.Figure()
        fig.add_trace(
            go.Heatmap(
                z=leaf_z,
                x=case_text,
                y=code_ids,
                colorscale=scale,
                **_zero_based(leaf_z),
                texttemplate="%{z}",
                name="codes",
                hovertemplate="%{y}<br>%{x}: %{z} segments<extra></extra>",
                colorbar={"title": {"text": "segments"}},
            )
        )
        fig.add_trace(
            go.Heatmap(
                z=parent_z,
                x=case_text,
                y=code_ids,
                colorscale=PARENT_SCALE,
                **_zero_based(parent_z),
                texttemplate="%{z}",
                showscale=False,
                name="parent codes",
                hovertemplate="%{y} (parent)<br>%{x}: %{z} segments<extra></extra>",
            )
        )
        _code_axis(fig, code_ids, labels, leaves, height, title)
        return fig

    counts = report.split_counts
    figures.append(
        (
            "matrix-confirmed",
            "Matrix: confirmed codings",
            "Segments a human accepted each code on, per case. Parent codes (bold) are shaded "
            "grey on their own scale. Click a cell to read its quotes below.",
            heatmap(counts.confirmed, CONFIRMED_SCALE, "Confirmed (human-accepted) segments"),
        )
    )
    if counts.unreviewed is not None:
        figures.append(
            (
                "matrix-unreviewed",
                "Matrix: unreviewed machine suggestions (not findings)",
                "Segments where the code is only a machine suggestion nobody has reviewed yet.",
                heatmap(counts.unreviewed, UNREVIEWED_SCALE, "Unreviewed suggestions"),
            )
        )
    figures.append(
        (
            "bars",
            "Themes per case",
            "Choose the case in the menu at the top left.",
            _case_bars(report, cases, raw_ids, code_ids, labels, leaves, height),
        )
    )
    cooc = report.split_cooccurrence
    for kind, table, scale in (
        ("confirmed", cooc.confirmed, CONFIRMED_SCALE),
        ("unreviewed", cooc.unreviewed, UNREVIEWED_SCALE),
    ):
        if table is None:
            continue
        z = table.loc[raw_ids, raw_ids].to_numpy()
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=code_ids,
                y=code_ids,
                colorscale=scale,
                **_zero_based(z),
                hovertemplate="%{y} and %{x}: %{z} segments<extra></extra>",
            )
        )
        _code_axis(fig, code_ids, labels, leaves, height, f"Co-occurrence ({kind})")
        fig.update_xaxes(tickangle=-60, tickfont={"size": 9})
        figures.append(
            (
                f"cooccurrence-{kind}",
                f"Co-occurrence: {kind}",
                "Segments coded with both codes; the diagonal is the segments with the code. "
                + (
                    "Both codes accepted by a human."
                    if kind == "confirmed"
                    else "At least one of the two is an unreviewed suggestion."
                ),
                fig,
            )
        )

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(project_name)}: theme matrix</title>",
        f"<style>{STYLE}</style>",
        f"<script>{get_plotlyjs()}</script>",
        "</head><body>",
        f"<h1>{_e(project_name)}: theme matrix</h1>",
        "<nav>"
        + "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t, _n, _f in figures)
        + '<a href="#codebook">Codebook</a>'
        + ('<a href="#memos">Memos</a>' if memos else "")
        + '<a href="#about">About</a></nav>',
    ]
    for anchor, title, note, fig in figures:
        klass = "tg-heatmap" if anchor.startswith("matrix") else "tg-plot"
        parts.append(f'<h2 id="{anchor}">{_e(title)}</h2><p class="note">{_e(note)}</p>')
        parts.append(f'<div class="{klass}">')
        parts.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                config={"displaylogo": False, "responsive": True},
            )
        )
        parts.append("</div>")
        if anchor == "matrix-confirmed" or (anchor == "matrix-unreviewed"):
            parts.append(
                '<div id="quotes" aria-live="polite"><p class="note">Click a cell of a matrix for its quotes.</p></div>'
                if anchor == "matrix-confirmed"
                else ""
            )
    parts.append('<h2 id="codebook">Codebook</h2>')
    parts.append(_codebook_table(report))
    if memos:
        parts.append('<h2 id="memos">Memos</h2>')
        parts.append(_memos_table(memos))
    parts.append('<h2 id="about">About</h2><table>')
    parts.extend(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
    parts.append(
        f"<tr><th>Written</th><td>{_e(datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC'))} by themegrid {_e(__version__)}</td></tr></table>"
    )
    parts.append(
        f'<script type="application/json" id="tg-quotes">{_script_json(_quotes(report, cases))}</script>'
    )
    parts.append(f"<script>{SCRIPT}</script>")
    parts.append("</body></html>")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text("\n".join(parts), encoding="utf-8")
    except OSError as exc:
        raise WorkbookError(
            f"{path}: cannot write the HTML report ({exc.strerror or exc}); choose another --html path"
        ) from exc
    return path


def _zero_based(z: np.ndarray) -> dict[str, int]:
    """The colour scale from 0 (white) to the largest count (at least 1): a matrix of zeros
    stays white instead of taking the middle colour of a scale that has no range."""
    top = np.nanmax(z) if z.size and not np.isnan(z).all() else 0
    return {"zmin": 0, "zmax": max(int(top), 1)}


def _code_axis(
    fig: Any, code_ids: list[str], labels: dict[str, str], leaves: set[str], height: int, title: str
) -> None:
    ticktext = [labels[c] if c in leaves else f"<b>{labels[c]}</b>" for c in code_ids]
    fig.update_layout(
        title={"text": _e(title)},
        height=height,
        margin={"l": 280, "r": 40, "t": 60, "b": 120},
        plot_bgcolor="#ffffff",
    )
    fig.update_yaxes(
        autorange="reversed",
        tickmode="array",
        tickvals=code_ids,
        ticktext=ticktext,
        type="category",
    )
    fig.update_xaxes(type="category", side="top")


def _case_bars(
    report: Report,
    cases: list[str],
    raw_ids: list[str],
    code_ids: list[str],
    labels: dict[str, str],
    leaves: set[str],
    height: int,
) -> Any:
    import plotly.graph_objects as go

    counts = report.split_counts
    confirmed = counts.confirmed
    unreviewed = counts.unreviewed

    def column(table: pd.DataFrame | None, case: str) -> list[int]:
        if table is None:
            return [0] * len(code_ids)
        return [int(v) for v in table.loc[raw_ids, case]]

    first = cases[0] if cases else None
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=code_ids,
            x=column(confirmed, first) if first else [],
            orientation="h",
            name="confirmed",
            marker_color=CONFIRMED_COLOUR,
        )
    )
    fig.add_trace(
        go.Bar(
            y=code_ids,
            x=column(unreviewed, first) if first else [],
            orientation="h",
            name="unreviewed",
            marker_color=UNREVIEWED_COLOUR,
        )
    )
    buttons = [
        {
            "label": _e(case),
            "method": "update",
            "args": [
                {"x": [column(confirmed, case), column(unreviewed, case)]},
                {"title.text": f"Themes in {_e(case)}"},
            ],
        }
        for case in cases
    ]
    fig.update_layout(
        barmode="stack",
        updatemenus=[
            {
                "buttons": buttons,
                "direction": "down",
                "x": 0,
                "xanchor": "left",
                "y": 1.06,
                "yanchor": "bottom",
            }
        ],
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right"},
    )
    _code_axis(fig, code_ids, labels, leaves, height, f"Themes in {first}" if first else "Themes")
    fig.update_xaxes(title={"text": "segments"}, side="bottom", type="linear")
    return fig


def _quotes(report: Report, cases: list[str]) -> dict[str, Any]:
    """{names: {code id: name}, cells: {code id: {case: [{confirmed, text}]}}}."""
    cells: dict[str, dict[str, list[dict[str, Any]]]] = {}
    table = report.framework
    confirmed_tag = mx.QUOTE_LABELS[True] + " "
    unreviewed_tag = mx.QUOTE_LABELS[False] + " "
    for code_id, row in zip(table.index, table.to_numpy().tolist(), strict=True):
        for case, cell in zip(table.columns, row, strict=True):
            if not cell:
                continue
            items = []
            for quote in str(cell).split("\n\n"):
                if quote.startswith(confirmed_tag):
                    items.append({"confirmed": True, "text": quote[len(confirmed_tag) :]})
                elif quote.startswith(unreviewed_tag):
                    items.append({"confirmed": False, "text": quote[len(unreviewed_tag) :]})
                else:
                    items.append({"confirmed": False, "text": quote})
            cells.setdefault(_e(code_id), {})[_e(case)] = items
    names = {_e(c): str(n) for c, n in report.cf.codes["name"].items()}
    return {"names": names, "cases": {_e(c): str(c) for c in cases}, "cells": cells}


def _memos_table(memos: Sequence[ReportMemo]) -> str:
    kinds = {"project": "project", "document": "document", "segment": "passage", "code": "code"}
    rows = [
        "<table><tr><th>On</th><th>Document or code</th><th>Passage</th><th>Memo</th>"
        "<th>Coder</th><th>Written</th></tr>"
    ]
    for m in memos:
        passage = _e(m.passage[:400] + ("…" if len(m.passage) > 400 else ""))
        if m.speaker:
            passage = f"<b>{_e(m.speaker)}:</b> {passage}"
        if not m.still_in_file:
            passage += " <i>(no longer in the edited file; kept)</i>"
        rows.append(
            f"<tr><td>{_e(kinds.get(m.kind, m.kind))}</td><td>{_e(m.on)}</td><td>{passage}</td>"
            f'<td style="white-space:pre-wrap">{_e(m.text)}</td><td>{_e(m.coder)}</td>'
            f"<td>{_e(m.created_at[:16].replace('T', ' '))}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)


def _codebook_table(report: Report) -> str:
    rows = [
        "<table><tr><th>Code id</th><th>Name</th><th>Definition</th><th>Use when</th><th>Do not use when</th></tr>"
    ]
    for code_id, rec in report.cf.codes.iterrows():
        depth = int(rec["depth"])
        name = _e(rec["name"])
        if code_id not in report.leaf_codes:
            name = f"<b>{name}</b>"
        rows.append(
            f'<tr><td>{_e(code_id)}</td><td style="padding-left:{8 + 16 * depth}px">{name}</td>'
            f"<td>{_e(rec['definition'])}</td><td>{_e(rec['include'])}</td><td>{_e(rec['exclude'])}</td></tr>"
        )
    rows.append("</table>")
    return "\n".join(rows)
