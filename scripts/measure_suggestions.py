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

import csv
import html
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from themegrid.exchange.coded import Layout, import_coded
from themegrid.project import Project, init_project

DEVDATA = Path("../shared/devdata")
MIN_USES = 20
INLINE = re.compile(r"^\{\{(.*)\}\}\s*$")
DECLARED = re.compile(r"^- code `([a-z][a-z-]*)[^`]*`:\s*(.*)$")


def inline_rows(path: Path) -> list[tuple[str, str]]:
    """(sentence, codes) of an inline-coded abstract: text lines, then a ``{{codes}}`` line."""
    rows, lines = [], []
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    text = html.unescape(text)
    for line in text.splitlines():
        m = INLINE.match(line)
        if m is None:
            if not line.strip():
                lines = []  # a blank line ends the title block
            elif line.strip() != "---":
                lines.append(line.strip())
            continue
        codes = [c.split(":")[0].strip() for c in m.group(1).split(",")]
        codes = [c for c in codes if c and not c.startswith("-")]
        if lines:
            rows.append((" ".join(lines), ";".join(codes)))
        lines = []
    return rows


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
