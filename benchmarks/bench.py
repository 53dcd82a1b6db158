"""`make bench`: speed and memory of `themegrid code`, printed side by side, never asserted.

Two corpora at each size (100k and 1M words by default): a generated one (the
respondent turns of the bundled example interviews, reshuffled with a fixed
seed) and, when ``../shared/devdata`` is there, real transcripts and reports
(podcast transcripts, MAXQDA interview PDFs, federal education reports) copied
as many times as it takes to reach the size. Each figure comes from its own
process (so peak memory is per stage); imports are excluded from the in-process
figures (spaCy, scikit-learn and themegrid are imported before the clock starts):

- the bare spaCy tokenizer IN-PROCESS over the same texts (every stored segment's
  text, i.e. the documents without speaker labels), first pass with a fresh
  vocabulary: the anchor;
- cold ``code`` with ``--workers 1`` and with one worker per core: wall time, CPU
  time of the process and its workers, words/s, ratio to the tokenizer;
- a warm re-run (nothing changed): the library call and the whole ``themegrid code``
  command (Python start-up included), and whether spaCy / scikit-learn were imported;
- one new file added (heavy imports excluded, as for the cold runs);
- ``themegrid report`` (the whole command);
- peak memory (max RSS) of the cold runs, parent and largest worker.

The machine's load average is printed with the figures: on a shared machine, wall
times are noisy; CPU times less so (the CPU ratio, tokenizer CPU seconds over the
run's CPU seconds with its workers', is the work the run does per word of the
tokenizer's, whatever the load; with N workers the wall ratio is at best N times it).

Usage: python benchmarks/bench.py [--sizes 100000,1000000] [--corpora generated,real]
       [--skip-workbook]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
SHARED = REPO.parent / "shared" / "devdata"
REAL_SETS = (
    "podcast_transcript_formats",
    "pdpilot_maxqda_interviews",
    "ncd_federal_education_reports",
)
STATES = ["Arizona", "Nevada", "North Dakota", "South Carolina", "Ohio", "Virginia"]
ROLES = [
    "state policymaker",
    "department of education staff",
    "district leader",
    "teacher",
    "nonprofit staff",
]


# --- corpus generation ---------------------------------------------------------------------


def respondent_sentences() -> list[str]:
    """Sentences from the example corpus's segments (read through themegrid itself)."""
    from themegrid.read import read_document
    from themegrid.segment.units import segment_document
    from themegrid.tag.nlp import make_nlp

    nlp = make_nlp()
    sentences: list[str] = []
    for path in sorted((REPO / "corpus").rglob("*")):
        if path.suffix.lower() not in (
            ".txt",
            ".docx",
            ".vtt",
            ".srt",
        ) or path.name.lower().startswith("readme"):
            continue
        raw = read_document(path)
        for seg in segment_document(raw, nlp):
            if not seg.is_interviewer and len(seg.text.split()) > 4:
                sentences.extend(s.text for s in nlp(seg.text).sents if len(s.text.split()) > 3)
    return sentences


def new_project(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / "corpus").mkdir(parents=True)
    (root / "reports").mkdir()
    shutil.copytree(REPO / "codebook", root / "codebook")


def make_corpus(root: Path, words: int, seed: int = 7) -> int:
    """A project with ~``words`` words of interviews; returns the exact word count."""
    new_project(root)
    rng = random.Random(seed)
    pool = respondent_sentences()
    questions = [
        "Can you say more about that?",
        "How did that start?",
        "What happened next?",
        "Who led it?",
    ]
    total, n_file, rows = 0, 0, ["file,state,role,source_type"]
    while total < words:
        lines, file_words = [], 0
        while file_words < 800:
            q = rng.choice(questions)
            a = " ".join(rng.choice(pool) for _ in range(rng.randint(2, 7)))
            lines.append(f"Interviewer: {q}\nRespondent: {a}\n")
            file_words += len(q.split()) + len(a.split()) + 2
        name = f"interviews/gen_{n_file:05d}.txt"
        path = root / "corpus" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
        rows.append(f"{name},{rng.choice(STATES)},{rng.choice(ROLES)},interview")
        total += file_words
        n_file += 1
    (root / "corpus" / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return total


def real_files() -> list[Path]:
    files = []
    for name in REAL_SETS:
        for path in sorted((SHARED / name).rglob("*")):
            if path.is_file() and not path.name.lower().startswith(("readme", "license")):
                files.append(path)
    return files


def words_read(root: Path) -> int:
    """Words themegrid reads from the corpus of ``root`` (one ingest, then the store removed)."""
    out = run_stage("ingest", root)
    remove_store(root)
    return int(out["words"])


def make_real_corpus(root: Path, words: int) -> int:
    """A project of the real files, copied k times for ~``words`` words; returns words read."""
    probe = WORK / "real_probe"
    new_project(probe)
    for path in real_files():
        shutil.copy(path, probe / "corpus" / path.name)
    once = words_read(probe)
    copies = max(1, round(words / max(once, 1)))  # below one copy: the whole set once
    new_project(root)
    rows = ["file,state,role,source_type"]
    rng = random.Random(11)
    for k in range(copies):
        folder = root / "corpus" / f"copy_{k:03d}"
        folder.mkdir()
        for path in real_files():
            shutil.copy(path, folder / path.name)
            rows.append(f"copy_{k:03d}/{path.name},{rng.choice(STATES)},{rng.choice(ROLES)},real")
    (root / "corpus" / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return once * copies


# --- stages, each run in its own process ----------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the tagging workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def preload() -> None:
    """Everything heavy a cold run imports, so that imports stay out of the timings."""
    import themegrid.pipeline.coding
    import themegrid.tag.model
    import themegrid.tag.parallel
    import themegrid.tag.tagger  # noqa: F401


def stage_tokenizer(root: Path) -> dict[str, float]:
    """The anchor: spaCy's tokenizer over the text of every stored segment, in this process."""
    import sqlite3

    from themegrid.tag.nlp import make_nlp

    with sqlite3.connect(root / "themegrid.sqlite") as db:
        texts = [r[0] for r in db.execute("SELECT text FROM segments WHERE active = 1")]
    words = sum(len(t.split()) for t in texts)
    nlp = make_nlp()
    wall, cpu = time.perf_counter(), time.process_time()
    n_tokens = sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=256))
    return {
        "words": words,
        "tokens": n_tokens,
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "peak_mb": peak_mb(),
    }


def stage_ingest(root: Path) -> dict[str, float]:
    from themegrid.pipeline.ingest import ingest
    from themegrid.project import open_project

    project = open_project(root, need=("corpus",))
    with project.open_store() as store:
        summary = ingest(project, store)
    return {"words": summary.words, "files": summary.count("added")}


def _code(root: Path, workers: int | None, heavy: bool) -> dict[str, float]:
    """One ``run_coding`` call; ``heavy``: spaCy and scikit-learn imported before the clock."""
    from themegrid.pipeline.coding import run_coding
    from themegrid.project import open_project

    if heavy:
        preload()
    wall, cpu = time.perf_counter(), cpu_seconds()

    project = open_project(root)
    codebook = project.load_codebook()
    with project.open_store() as store:
        summary = run_coding(project, store, codebook, workers=workers)
        words = store.scalar("SELECT SUM(n_words) FROM documents WHERE status = 'present'")
    return {
        "words": words,
        "seconds": time.perf_counter() - wall,
        "cpu": cpu_seconds() - cpu,
        "segments_tagged": summary.segments_tagged,
        "suggestions": summary.suggestions_new,
        "files_read": summary.ingest.count("added") + summary.ingest.count("changed"),
        "did_nothing": summary.did_nothing,
        "spacy": "spacy" in sys.modules,
        "sklearn": "sklearn" in sys.modules,
        "peak_mb": peak_mb(),
        "workers_peak_mb": children_peak_mb(),
    }


def stage_code_w1(root: Path) -> dict[str, float]:
    return _code(root, 1, heavy=True)


def stage_code_wn(root: Path) -> dict[str, float]:
    return _code(root, None, heavy=True)


def stage_code_warm(root: Path) -> dict[str, float]:
    return _code(root, None, heavy=False)


STAGES = {
    "tokenizer": stage_tokenizer,
    "ingest": stage_ingest,
    "code_w1": stage_code_w1,
    "code_wn": stage_code_wn,
    "code_warm": stage_code_warm,
}


def run_stage(name: str, root: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--stage", name, str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(*args: str) -> float:
    exe = Path(sys.executable).with_name("themegrid")
    start = time.perf_counter()
    subprocess.run([str(exe), *args], capture_output=True, check=True)
    return time.perf_counter() - start


def remove_store(root: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{root / 'themegrid.sqlite'}{suffix}").unlink(missing_ok=True)


def add_one_file(root: Path) -> None:
    """A new corpus file: an existing one's text under a new name, one turn appended."""
    corpus = root / "corpus"
    source = next(p for p in sorted(corpus.rglob("*.txt")) if p.name != "metadata.csv")
    text = source.read_text(encoding="utf-8", errors="replace")
    target = corpus / "zz_new_file.txt"
    target.write_text(text + "\nRespondent: One more answer, added for the benchmark.\n", "utf-8")


# --- measuring and reporting --------------------------------------------------------------------


def measure(kind: str, words: int) -> dict[str, object]:
    root = WORK / f"{kind}_{words}"
    actual = make_corpus(root, words) if kind == "generated" else make_real_corpus(root, words)
    load_before = os.getloadavg()
    cold_w1 = run_stage("code_w1", root)
    tok = run_stage("tokenizer", root)
    remove_store(root)
    cold_wn = run_stage("code_wn", root)
    warm = run_stage("code_warm", root)
    warm_cli = run_cli("code", "--project", str(root))
    add_one_file(root)
    new_file = run_stage("code_wn", root)
    report = run_cli("report", "--project", str(root))
    return {
        "kind": kind,
        "words": actual,
        "tokenizer": tok,
        "cold_w1": cold_w1,
        "cold_wn": cold_wn,
        "warm": warm,
        "warm_cli_seconds": warm_cli,
        "new_file": new_file,
        "report_seconds": report,
        "load": [load_before, os.getloadavg()],
    }


def wps(stage: dict) -> float:
    return stage["words"] / stage["seconds"] if stage["seconds"] else float("inf")


def print_table(results: list[dict]) -> None:
    cols = [f"{r['kind']} {r['words'] / 1e6:.2f}M" for r in results]
    width = max(18, *(len(c) + 2 for c in cols))

    def row(label: str, cells: list[str]) -> None:
        print(f"{label:<44}" + "".join(f"{c:>{width}}" for c in cells))

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"\n== themegrid code: {cores} core(s) ==")
    row("", cols)
    row(
        "load average before / after",
        [f"{r['load'][0][0]:.1f} / {r['load'][1][0]:.1f}" for r in results],
    )
    row(
        "bare tokenizer in-process, words/s (wall)",
        [f"{wps(r['tokenizer']):,.0f}" for r in results],
    )
    row(
        "  same, words per CPU second",
        [f"{r['tokenizer']['words'] / r['tokenizer']['cpu']:,.0f}" for r in results],
    )
    for key, label in (
        ("cold_w1", "cold code --workers 1"),
        ("cold_wn", f"cold code --workers {cores}"),
    ):
        row(
            f"{label}, s wall (CPU incl. workers)",
            [f"{r[key]['seconds']:.2f} ({r[key]['cpu']:.2f})" for r in results],
        )
        row("  words/s (wall)", [f"{wps(r[key]):,.0f}" for r in results])
        row(
            "  ratio to the tokenizer [target >= 0.25]",
            [f"{wps(r[key]) / wps(r['tokenizer']):.3f}" for r in results],
        )
        row(
            "  same by CPU s (tokenizer CPU / code CPU)",
            [f"{r['tokenizer']['cpu'] / r[key]['cpu']:.3f}" for r in results],
        )
    row(
        "workers speed-up, wall [target >= 1.6x]",
        [f"{r['cold_w1']['seconds'] / r['cold_wn']['seconds']:.2f}x" for r in results],
    )
    row(
        "segments tagged / suggestions (cold)",
        [f"{r['cold_wn']['segments_tagged']} / {r['cold_wn']['suggestions']}" for r in results],
    )
    row(
        "warm re-run, run_coding call s (CPU) [< 0.5 s]",
        [f"{r['warm']['seconds']:.3f} ({r['warm']['cpu']:.3f})" for r in results],
    )
    row(
        "  % of cold --workers N [< 5%]",
        [f"{100 * r['warm']['seconds'] / r['cold_wn']['seconds']:.1f}%" for r in results],
    )
    row(
        "  whole command incl. Python start-up, s",
        [f"{r['warm_cli_seconds']:.2f}" for r in results],
    )
    row(
        "  spaCy / scikit-learn imported",
        [f"{r['warm']['spacy']} / {r['warm']['sklearn']}" for r in results],
    )
    row(
        "one new file, s (CPU)",
        [f"{r['new_file']['seconds']:.2f} ({r['new_file']['cpu']:.2f})" for r in results],
    )
    row(
        "  % of cold --workers N [< 10%]",
        [f"{100 * r['new_file']['seconds'] / r['cold_wn']['seconds']:.1f}%" for r in results],
    )
    row(
        "  files read / segments tagged",
        [f"{r['new_file']['files_read']} / {r['new_file']['segments_tagged']}" for r in results],
    )
    row("themegrid report (whole command), s", [f"{r['report_seconds']:.2f}" for r in results])
    row("peak MB cold w1: process", [f"{r['cold_w1']['peak_mb']:.0f}" for r in results])
    row(
        "peak MB cold wN: parent / largest worker",
        [f"{r['cold_wn']['peak_mb']:.0f} / {r['cold_wn']['workers_peak_mb']:.0f}" for r in results],
    )
    print(json.dumps(results), file=sys.stderr)


def bench_semantic_figures(sizes: str) -> None:
    """Embedding throughput and the model's and semantic suggestions' cost in ``code``
    at the largest size (benchmarks/bench_semantic.py)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_semantic import bench_semantic

    bench_semantic(max(int(s) for s in sizes.split(",")), 40_000, 400)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--corpora", default="generated,real")
    parser.add_argument("--skip-workbook", action="store_true")
    parser.add_argument("--stage", nargs=2, metavar=("NAME", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        name, root = args.stage
        print(json.dumps(STAGES[name](Path(root))))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    kinds = args.corpora.split(",")
    if "real" in kinds and not SHARED.is_dir():
        print(f"(no real-data figures: {SHARED} not found)")
        kinds.remove("real")
    results = [measure(kind, int(size)) for size in args.sizes.split(",") for kind in kinds]
    print_table(results)
    if not args.skip_workbook:
        sys.path.insert(0, str(Path(__file__).parent))
        from bench_workbook import bench_workbook

        wb = bench_workbook(n_cases=50, n_codes=100, n_codings=100_000)
        print(
            f"\nworkbook, {wb['n_cases']} cases x {wb['n_codes']} codes x {wb['n_codings_stored']:,} codings"
            f" ({wb['n_codings_counted']:,} counted): {wb['write_workbook_s']:.1f} s wall,"
            f" {wb['write_workbook_cpu_s']:.1f} s CPU, {wb['workbook_mb']} MB  [target < 15 s]"
        )
        print(
            f"report --html (workbook + HTML, one computation): {wb['report_html_s']:.1f} s wall,"
            f" {wb['report_html_cpu_s']:.1f} s CPU, HTML {wb['html_mb']} MB  [target < 15 s]"
        )
        print(
            f"themegrid report (whole command, new process) at {wb['n_codings_stored']:,} codings:"
            f" {wb['report_command_s']:.1f} s wall, {wb['report_command_cpu_s']:.1f} s CPU"
            f"  [target < {wb['report_command_target_s']} s]"
        )
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_segments import bench_segments

    seg = bench_segments()
    print(
        f"export segments, {seg['rows']:,} rows: .xlsx {seg['xlsx_cpu_s']:.2f} s CPU,"
        f" .csv {seg['csv_cpu_s']:.2f} s CPU"
    )
    bench_semantic_figures(args.sizes)
    print(
        "\n`make bench` goes on with benchmarks/bench_import.py (import-coded, ~200,000 rows in"
        " 300 .xlsx files) and benchmarks/bench_web.py (the browser workspace); also:"
        " python benchmarks/bench_learn.py (evaluate, 5 folds, ~200,000 rows; learned model vs"
        " baseline)."
    )


if __name__ == "__main__":
    main()
