"""Reproduce issue 10's "flood" on real interviews: what ``themegrid code`` suggests after 50 decisions.

A fresh project gets the 7 PDPilot interview transcripts (MAXQDA PDF exports; with
``--extra``, also the 17 SERDIF think-aloud sessions and the podcast WebVTT transcript,
uncoded, and two German notes of the NaPiRE coders, the only non-English text found in
devdata), and a small codebook written for the interviews: one code per top-level code
of the authors' MAXQDA code system (8 codes, definitions written from the code names).
The authors' Coded Segments export (``coded-segments.pdf``) is read, each row's code is
mapped to its top-level code, and rows are taken in a seeded random order until the
project holds exactly ``--decisions`` human codings (segment, code); that subset is
imported with ``import quotes`` as coder ``pdpilot authors``. Then ``themegrid code``
and ``themegrid status`` run as a user would (their output is printed), and the store
is measured:

* live model suggestions per code, split by the code's gate state (closed: must be 0);
* model suggestions on back-channel/filler turns, judged here independently of the
  product's filter: three words or fewer, or only words from a short filler list;
* model suggestions on segments py3langid calls non-English (prob >= 0.9, 8+ words);
* for codes whose gate is open: the cross-validated precision and its lower bound
  (the gate table) against the floor;
* suggestions awaiting review per code.

    .venv/bin/python scripts/measure_flood.py [--decisions 50] [--seed 1] [--extra]
        [--json out.json] [--keep DIR]

The devdata files are only read; every project lives in a temporary folder (or DIR).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from themegrid import api
from themegrid.exchange.quotes import QuoteRow, import_quotes, read_quote_rows
from themegrid.models import MODEL_CODER, SEMANTIC_CODER
from themegrid.project import Project, init_project
from themegrid.store import codings as store_codings
from themegrid.store.views import segments_table

DEVDATA = Path("../shared/devdata")
PDPILOT = DEVDATA / "pdpilot_maxqda_interviews" / "results"
CODER = "pdpilot authors"
#: top-level code of the MAXQDA code system -> (id, definition written for this measurement)
CODES: dict[str, tuple[str, str]] = {
    "PDPilot Techniques Usage": (
        "techniques_usage",
        "How the participant used PDPilot's plots and views (PDP, ICE, clustering, "
        "ranking of features, interactions) while working with their model.",
    ),
    "Explainability techniques": (
        "xai_techniques",
        "Explainability methods the participant knows or uses in their own work "
        "(SHAP, LIME, feature importance, partial dependence, other tools).",
    ),
    "PDPilot improvements": (
        "improvements",
        "Changes, missing features or problems the participant names for PDPilot.",
    ),
    "Benefits of PDPilot": (
        "benefits",
        "What the participant says PDPilot helped with or did better than other tools.",
    ),
    "PDPilot General Usage": (
        "general_usage",
        "How the participant went about the session in general: workflow, order of "
        "exploration, setting the tool up.",
    ),
    "Explainability purposes": (
        "xai_purposes",
        "Why the participant explains models: debugging, understanding feature-outcome "
        "relationships, communicating with stakeholders, validating.",
    ),
    "Interaction": (
        "interaction",
        "Feature interactions: how features act together on the prediction, and how "
        "the participant looks for or reads them.",
    ),
    "Study limitations": (
        "limitations",
        "Ways the study setting limited what the participant did or said (unfamiliar "
        "data, time, remote session).",
    ),
}
FILLERS = frozenset(
    [
        "okay",
        "ok",
        "yeah",
        "yes",
        "yep",
        "no",
        "mm",
        "hmm",
        "mhm",
        "mm-hmm",
        "uh",
        "um",
        "uh-huh",
        "right",
        "sure",
        "perfect",
        "great",
        "cool",
        "alright",
        "all",
        "good",
        "so",
        "and",
        "oh",
        "ah",
        "well",
        "i",
        "see",
        "got",
        "it",
        "thanks",
        "thank",
        "you",
        "gotcha",
    ]
)
WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:[-'\u2019][A-Za-z]+)*")
SHORT = 3  # a turn of this many words or fewer is a back-channel turn (the measure)
LANG_MIN_WORDS = 8
LANG_PROB = 0.9


def write_codebook(project: Project, *, semantic: bool) -> None:
    book = {
        "codebook": {
            "name": "PDPilot user study (top-level codes of the authors' code system)",
            "version": "0.1.0",
            "description": "Written for measure_flood.py: one code per top-level MAXQDA code.",
            "semantic": semantic,
        },
        "codes": [
            {"id": cid, "name": name, "definition": definition}
            for name, (cid, definition) in CODES.items()
        ],
    }
    path = project.codebook_dir / "codebook.yaml"
    path.write_text(json.dumps(book, indent=1), encoding="utf-8")  # JSON is YAML


def ingest_corpus(project: Project, extra: bool) -> list[str]:
    files = sorted((PDPILOT / "transcripts").glob("P*.pdf"))
    if extra:
        files += sorted(
            (DEVDATA / "serdif_usability_taguette" / "data" / "transcripts" / "raw").glob("*.odt")
        )
        vtt = DEVDATA / "podcast_transcript_formats" / "example.vtt"
        if vtt.exists():
            files.append(vtt)
        # real German: the NaPiRE coders' notes to each other (the only non-English text found)
        notes = DEVDATA / "napire2018_coded_survey" / "data" / "freetext_coded"
        for name in (
            "0 - Found Errors for Problem Coding (to be fixed).txt",
            "v_2_sectors_87_Remarks.txt",
        ):
            if (notes / name).exists():
                files.append(notes / name)
    for f in files:
        shutil.copy2(f, project.root / "corpus" / f.name)
    # as the first ingest advises: name the interviewer ("Dan") so their turns are not coded
    metadata = project.root / "corpus" / "metadata.csv"
    with metadata.open("a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        for f in files:
            if f.suffix == ".pdf":
                w.writerow([f.name, "", "", "", "", "interview", "Dan", "", ""])
    return [f.name for f in files]


def write_rows(rows: list[QuoteRow], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Document name", "Code", "Segment"])
        for r in rows:
            w.writerow([r.document, r.code.split(" > ")[0].strip(), r.quote])


def codings_after(base: Path, rows: list[QuoteRow], scratch: Path) -> int:
    """Human codings the import of ``rows`` would leave in a copy of project ``base``."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(base, scratch)
    project = Project(scratch)
    table = scratch / "rows.csv"
    write_rows(rows, table)
    import_quotes(project, table, coder=CODER)
    with project.open_store() as store:
        return len(store_codings.human_accepted(store, CODER))


def choose_rows(base: Path, rows: list[QuoteRow], target: int, scratch: Path) -> list[QuoteRow]:
    """Rows, in the given order, whose import gives exactly ``target`` codings.

    A row whose import would overshoot is skipped. Prefix counts never fall, so each
    step binary-searches the longest prefix of the remaining rows that still fits."""
    chosen: list[QuoteRow] = []
    rest = list(rows)
    have = 0
    while have < target and rest:
        lo, hi = 0, len(rest)  # the longest fitting prefix length is in [lo, hi]
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if codings_after(base, chosen + rest[:mid], scratch) <= target:
                lo = mid
            else:
                hi = mid - 1
        chosen += rest[:lo]
        have = codings_after(base, chosen, scratch) if chosen else 0
        rest = rest[lo + 1 :]  # rest[lo] overshoots: skip it
    if have != target:
        raise SystemExit(f"could not reach exactly {target} codings (got {have})")
    return chosen


def run_cli(*args: str) -> str:
    exe = Path(sys.executable).parent / "themegrid"
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run([str(exe), *args], capture_output=True, text=True, check=False, env=env)
    out = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.stderr.strip() else "")
    if done.returncode:
        raise SystemExit(f"themegrid {' '.join(args)} failed ({done.returncode}):\n{out}")
    return out


def back_channel(text: str) -> bool:
    words = [w.lower() for w in WORD.findall(text.replace("\u2019", "'"))]
    return len(words) <= SHORT or all(w in FILLERS for w in words)


@lru_cache(maxsize=1)
def identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def other_language(text: str) -> str | None:
    """The language of ``text`` when py3langid is sure it is not English."""
    if len(WORD.findall(text)) < LANG_MIN_WORDS:
        return None
    lang, prob = identifier().classify(text[:2000])
    return str(lang) if lang != "en" and prob >= LANG_PROB else None


def table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "-|-".join("-" * w for w in widths))
    return "\n".join(lines)


def gold_codings(base: Path, rows: list[QuoteRow], where: Path) -> set[tuple[str, str]]:
    """(segment, code) of the authors' whole Coded Segments export, in a copy of ``base``."""
    shutil.copytree(base, where)
    table = where / "all_rows.csv"
    write_rows(rows, table)
    import_quotes(Project(where), table, coder=CODER, complete=True)
    with Project(where).open_store() as store:
        return store_codings.human_accepted(store, CODER)


def review_decisions(flood: Path, gold: set[tuple[str, str]], decisions: int) -> int:
    """Export a review sheet, decide its first rows as the authors coded, import it."""
    import openpyxl

    sheet_path = flood / "review.xlsx"
    print(run_cli("review", "export", str(sheet_path), "--project", str(flood)))
    book = openpyxl.load_workbook(sheet_path)
    sheet = book["Review"]
    header = [c.value for c in sheet[1]]
    key_col, dec_col = header.index("Key") + 1, header.index("Decision") + 1
    done = 0
    for row in range(2, sheet.max_row + 1):
        if done == decisions:
            break
        seg, _, code = str(sheet.cell(row, key_col).value).partition("|")
        sheet.cell(row, dec_col).value = "accept" if (seg, code) in gold else "reject"
        done += 1
    book.save(sheet_path)
    print(run_cli("review", "import", str(sheet_path), "--coder", CODER, "--project", str(flood)))
    return done


def measure(root: Path, decisions: int, seed: int, extra: bool, via: str) -> dict[str, Any]:
    base, _ = init_project(root / "base", empty_codebook=True)
    write_codebook(base, semantic=via == "review")
    files = ingest_corpus(base, extra)
    print(run_cli("code", "--project", str(base.root)))  # first pass: no decisions yet
    rows = read_quote_rows(PDPILOT / "coded-segments.pdf")
    gold = gold_codings(base.root, rows, root / "gold")
    random.Random(seed).shuffle(rows)
    flood = root / "flood"
    if via == "review":
        shutil.copytree(base.root, flood)
        chosen = review_decisions(flood, gold, decisions)
    else:
        if decisions <= 0 or decisions >= len(rows):
            picked = rows
        else:
            picked = choose_rows(base.root, rows, decisions, root / "scratch")
            shutil.rmtree(root / "scratch")
        shutil.copytree(base.root, flood)
        table_csv = flood / "decisions.csv"
        write_rows(picked, table_csv)
        chosen = len(picked)
        print(
            run_cli("import", "quotes", str(table_csv), "--coder", CODER, "--project", str(flood))
        )
    code_out = run_cli("code", "--project", str(flood))
    print(code_out)
    status_out = run_cli("status", "--project", str(flood))
    print(status_out)
    summary = api.status(flood)
    project = Project(flood)
    with project.open_store() as store:
        decided = store_codings.human_accepted(store, CODER)
        seen = store_codings.segments_seen_by_humans(store, CODER)
        pending = store_codings.pending_suggestions(store)
        learned = store_codings.machine_suggestions(store, "model", MODEL_CODER)
        semantic = store_codings.machine_suggestions(store, "model", SEMANTIC_CODER)
        seg = segments_table(store)
    gates = [dict(g) for g in summary.model_gates]
    state = {g["code"]: g for g in gates}

    # the learned model's live suggestions (semantic ones are stored as source 'model' too,
    # by their own coder, and are not gated by the model gate: they are counted apart)
    def live(rows: dict[tuple[str, str], Any]) -> list[Any]:
        keys = {k for k, r in rows.items() if r.status == "suggested"}
        return [p for p in pending if (p.segment_id, p.code_id) in keys]

    model = live(learned)
    per_semantic = Counter(p.code_id for p in live(semantic))
    per_code = Counter(p.code_id for p in model)
    # precision against the authors' whole export: only on their 7 transcripts
    on_pdpilot = [p for p in model if p.path.endswith(".pdf")]
    pd_count = Counter(p.code_id for p in on_pdpilot)
    right = Counter(p.code_id for p in on_pdpilot if (p.segment_id, p.code_id) in gold)
    awaiting = Counter(p.code_id for p in pending)
    positives = Counter(code for _, code in decided)
    seg_text = dict(zip(seg["segment_id"], seg["text"], strict=True)) if len(seg) else {}
    bc = [p for p in model if back_channel(p.text)]
    langs = {
        sid: lang
        for sid, text in seg_text.items()
        if (lang := other_language(str(text))) is not None
    }
    lang_hits = [p for p in model if p.segment_id in langs]
    floor = project.load_codebook().settings.model_precision_floor
    rows_out = []
    for cid, _ in CODES.values():
        g = state.get(cid, {})
        rows_out.append(
            (
                cid,
                positives.get(cid, 0),
                g.get("state", "-"),
                g.get("decisions", "-"),
                g.get("positives", "-"),
                g.get("precision", "-"),
                g.get("precision_low", "-"),
                g.get("recall", "-"),
                per_code.get(cid, 0),
                f"{right[cid]}/{pd_count[cid]}" if pd_count.get(cid) else "-",
                per_semantic.get(cid, 0),
                awaiting.get(cid, 0),
            )
        )
    kind = "review rows" if via == "review" else "quote rows"
    print(
        f"\n## flood via {via}: {len(decided)} human accepted codings, {len(seen)} segments "
        f"seen by {CODER} ({chosen} {kind}), seed {seed}; "
        f"the authors' whole export: {len(gold)} codings\n"
    )
    print(f"corpus: {len(files)} files, {len(seg_text)} active segments")
    print(
        table(
            (
                "code",
                "human +",
                "gate",
                "gate dec.",
                "gate +",
                "cv precision",
                "precision low",
                "cv recall",
                "model sugg.",
                "right/on P1-P7 (authors)",
                "semantic sugg.",
                "awaiting review",
            ),
            rows_out,
        )
    )
    closed = [cid for cid, *_ in rows_out if state.get(cid, {}).get("state") != "active"]
    on_closed = sum(per_code.get(c, 0) for c in closed)
    open_codes = [cid for cid, *_ in rows_out if state.get(cid, {}).get("state") == "active"]
    print()
    print(f"model suggestions on codes whose gate is closed: {on_closed} (must be 0)")
    print(
        f"model suggestions on back-channel turns (<= {SHORT} words or fillers only): "
        f"{len(bc)} (must be 0); such turns in the corpus: "
        f"{sum(back_channel(str(t)) for t in seg_text.values())}"
    )
    print(
        f"segments py3langid calls non-English (p >= {LANG_PROB}, {LANG_MIN_WORDS}+ words): "
        f"{len(langs)} {dict(Counter(langs.values()))}; model suggestions on them: "
        f"{len(lang_hits)} (must be 0)"
    )
    for cid in open_codes:
        g = state[cid]
        print(
            f"open gate {cid}: cv precision {g.get('precision')} (lower bound "
            f"{g.get('precision_low')}) vs floor {floor}: "
            f"{g.get('reason')}"
        )
    for p in bc[:10]:
        print(f"  back-channel suggestion: {p.code_id} on {p.path}#{p.seq}: {p.text!r}")
    return {
        "decisions": len(decided),
        "via": via,
        "rows": chosen,
        "seen": len(seen),
        "model_right_vs_authors": dict(right),
        "segments": len(seg_text),
        "gates": gates,
        "model_per_code": dict(per_code),
        "semantic_per_code": dict(per_semantic),
        "awaiting_per_code": dict(awaiting),
        "on_closed": on_closed,
        "on_back_channel": len(bc),
        "non_english_segments": len(langs),
        "on_non_english": len(lang_hits),
        "status_pending": getattr(summary, "pending", None),
        "code_output": code_out,
        "status_output": status_out,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--extra", action="store_true", help="add the other real transcripts")
    parser.add_argument(
        "--via",
        choices=("review", "quotes"),
        default="review",
        help="review: decide the first rows of a review sheet (semantic suggestions on); "
        "quotes: import a subset of the authors' quotes (0 or less than --decisions: all)",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="build the projects here and keep them")
    args = parser.parse_args()
    if not PDPILOT.is_dir():
        print(f"skipped: {PDPILOT} is absent (the shared devdata sits beside the clone)")
        return 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = measure(args.keep, args.decisions, args.seed, args.extra, args.via)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = measure(Path(tmp), args.decisions, args.seed, args.extra, args.via)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
