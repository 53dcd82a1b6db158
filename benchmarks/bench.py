"""`make bench`: speed and memory figures for ingest and coding, printed, never asserted.

Builds generated interview corpora (100k and 1M words by default) from the
respondent turns of the bundled example interviews, reshuffled with a fixed
seed, then measures in separate processes (so peak memory is per stage):

- ingest throughput (words/s) next to the bare spaCy tokenizer on the same text;
- cold ``code`` end to end (in-process library call and the CLI's wall time);
- a naive loop of one compiled regular expression per cue over every segment;
- a warm re-run with nothing changed;
- peak memory (max RSS) of each stage at each size;
- the workbook for 50 cases x 100 codes x 100,000 codings (``bench_workbook``), when present.

Usage: python benchmarks/bench.py [--sizes 100000,1000000] [--skip-workbook]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "_work"
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


def make_corpus(root: Path, words: int, seed: int = 7) -> int:
    """A project with ~``words`` words of interviews; returns the exact word count."""
    if root.exists():
        shutil.rmtree(root)
    (root / "corpus").mkdir(parents=True)
    (root / "reports").mkdir()
    shutil.copytree(REPO / "codebook", root / "codebook")
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


# --- stages, each run in its own process ----------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage_tokenizer(root: Path) -> dict[str, float]:
    from themegrid.tag.nlp import make_nlp

    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "corpus").rglob("*.txt"))]
    words = sum(len(t.split()) for t in texts)
    nlp = make_nlp()
    start = time.perf_counter()
    n_tokens = sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=256))
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    sum(len(doc) for doc in nlp.tokenizer.pipe(texts, batch_size=256))
    warm = time.perf_counter() - start
    return {
        "words": words,
        "tokens": n_tokens,
        "seconds": seconds,
        "warm_seconds": warm,
        "peak_mb": peak_mb(),
    }


def stage_ingest(root: Path) -> dict[str, float]:
    from themegrid.pipeline.ingest import ingest
    from themegrid.project import open_project
    from themegrid.tag.nlp import shared_nlp

    project = open_project(root, need=("corpus",))
    shared_nlp()
    with project.open_store() as store:
        start = time.perf_counter()
        summary = ingest(project, store)
        seconds = time.perf_counter() - start
    return {
        "words": summary.words,
        "seconds": seconds,
        "files": summary.count("added"),
        "peak_mb": peak_mb(),
    }


def stage_code(root: Path) -> dict[str, float]:
    from themegrid.pipeline.coding import run_coding
    from themegrid.project import open_project
    from themegrid.tag.nlp import shared_nlp

    project = open_project(root)
    codebook = project.load_codebook()
    shared_nlp()
    with project.open_store() as store:
        start = time.perf_counter()
        summary = run_coding(project, store, codebook, use_model=False)
        seconds = time.perf_counter() - start
        words = store.scalar("SELECT SUM(n_words) FROM documents")
    return {
        "words": words,
        "seconds": seconds,
        "segments_tagged": summary.segments_tagged,
        "suggestions": summary.suggestions_new,
        "peak_mb": peak_mb(),
    }


def stage_regex(root: Path) -> dict[str, float]:
    """The naive baseline: one compiled regex per cue, searched in every segment."""
    from themegrid.project import open_project

    project = open_project(root)
    codebook = project.load_codebook()
    with project.open_store() as store:
        texts = [r[0] for r in store.query("SELECT text FROM segments WHERE is_interviewer = 0")]
    regexes = []
    for code in codebook.codable:
        for cue in (*code.cues.phrases, *code.cues.lemmas):
            words = [re.escape(w) for w in cue.split()]
            regexes.append(
                (code.id, re.compile(r"\b" + r"\W+".join(words) + r"\w*\b", re.IGNORECASE))
            )
    words = sum(len(t.split()) for t in texts)
    start = time.perf_counter()
    hits = 0
    for text in texts:
        found = {code_id for code_id, rx in regexes if rx.search(text)}
        hits += len(found)
    seconds = time.perf_counter() - start
    return {
        "words": words,
        "seconds": seconds,
        "regexes": len(regexes),
        "hits": hits,
        "peak_mb": peak_mb(),
    }


def stage_filter(root: Path) -> dict[str, float]:
    """The machine filter alone (content words and language; tag/codable.py): its share of code."""
    from themegrid.project import open_project
    from themegrid.tag.codable import MachineFilter

    project = open_project(root)
    codebook = project.load_codebook()
    with project.open_store() as store:
        rows = store.query("SELECT text, speaker FROM segments WHERE codable = 1")
    machine_filter = MachineFilter(codebook.settings)
    machine_filter.examine("warm up the language model", speaker_turn=True)
    start = time.perf_counter()
    skipped = sum(
        machine_filter.examine(text, speaker_turn=speaker is not None).skip is not None
        for text, speaker in rows
    )
    seconds = time.perf_counter() - start
    return {
        "words": sum(len(r[0].split()) for r in rows),
        "segments": len(rows),
        "skipped": skipped,
        "seconds": seconds,
        "peak_mb": peak_mb(),
    }


STAGES = {
    "filter": stage_filter,
    "tokenizer": stage_tokenizer,
    "ingest": stage_ingest,
    "code": stage_code,
    "regex": stage_regex,
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


def run_cli(root: Path) -> float:
    exe = Path(sys.executable).with_name("themegrid")
    start = time.perf_counter()
    subprocess.run(
        [str(exe), "code", "--no-model", "--project", str(root)], capture_output=True, check=True
    )
    return time.perf_counter() - start


# --- report -----------------------------------------------------------------------------------


def measure(words: int) -> dict[str, object]:
    root = WORK / f"corpus_{words}"
    actual = make_corpus(root, words)
    tok = run_stage("tokenizer", root)
    ingest = run_stage("ingest", root)
    (root / "themegrid.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{root / 'themegrid.sqlite'}{suffix}").unlink(missing_ok=True)
    cold = run_stage("code", root)
    warm = run_stage("code", root)
    regex = run_stage("regex", root)
    machine_filter = run_stage("filter", root)
    warm_cli = run_cli(root)
    return {
        "words": actual,
        "tokenizer": tok,
        "ingest": ingest,
        "cold": cold,
        "warm": warm,
        "regex": regex,
        "filter": machine_filter,
        "warm_cli_seconds": warm_cli,
    }


def report(results: list[dict]) -> None:
    def wps(stage: dict) -> float:
        return stage["words"] / stage["seconds"] if stage["seconds"] else float("inf")

    for r in results:
        tok, ing, cold, warm, rx = r["tokenizer"], r["ingest"], r["cold"], r["warm"], r["regex"]
        print(f"\n== generated corpus: {r['words']:,} words ==")
        print(
            f"bare spaCy tokenizer        {wps(tok):>12,.0f} words/s  ({tok['seconds']:.2f} s, fresh process;"
            f" a second pass with its cache warm: {tok['words'] / tok['warm_seconds']:,.0f} words/s)"
        )
        print(
            f"ingest                      {wps(ing):>12,.0f} words/s  ({ing['seconds']:.2f} s, "
            f"{ing['files']} files) = {100 * wps(ing) / wps(tok):.0f}% of tokenizer  [target >= 25%]"
        )
        print(
            f"code, cold (ingest+tag)     {wps(cold):>12,.0f} words/s  ({cold['seconds']:.2f} s, "
            f"{cold['segments_tagged']} segments, {cold['suggestions']} suggestions) = "
            f"{100 * wps(cold) / wps(tok):.0f}% of tokenizer  [target >= 15%]"
        )
        print(
            f"naive regex loop            {wps(rx):>12,.0f} words/s  ({rx['seconds']:.2f} s, {rx['regexes']} regexes)"
            f"; cold code is {wps(cold) / wps(rx):.1f}x faster  [target >= 5x]"
        )
        mf = r["filter"]
        print(
            f"machine filter (in cold)    {wps(mf):>12,.0f} words/s  ({mf['seconds']:.2f} s, "
            f"{mf['segments']} segments, {mf['skipped']} not machine-coded) = "
            f"{100 * mf['seconds'] / cold['seconds']:.0f}% of cold code"
        )
        print(
            f"code, warm (nothing new)    {warm['seconds']:.3f} s = {100 * warm['seconds'] / cold['seconds']:.1f}% "
            f"of cold  [target < 5%]; CLI wall time incl. Python start-up {r['warm_cli_seconds']:.2f} s"
        )
        print(
            f"peak memory (max RSS, MB)   tokenizer {tok['peak_mb']:.0f}, ingest {ing['peak_mb']:.0f}, "
            f"cold code {cold['peak_mb']:.0f}, warm code {warm['peak_mb']:.0f}"
        )
    if len(results) >= 2:
        small, big = results[0], results[-1]
        for stage in ("ingest", "cold"):
            ratio = big[stage]["peak_mb"] / small[stage]["peak_mb"]
            print(
                f"peak memory {stage}: {small[stage]['peak_mb']:.0f} MB at {small['words']:,} words, "
                f"{big[stage]['peak_mb']:.0f} MB at {big['words']:,} words: x{ratio:.2f}  [target < 2x]"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--skip-workbook", action="store_true")
    parser.add_argument("--stage", nargs=2, metavar=("NAME", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        name, root = args.stage
        print(json.dumps(STAGES[name](Path(root))))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    results = [measure(int(s)) for s in args.sizes.split(",")]
    report(results)
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
        "\nAlso: python benchmarks/bench_import.py (import-coded, ~200,000 rows in 300 .xlsx files) and"
        " python benchmarks/bench_learn.py (evaluate, 5 folds, ~200,000 rows; learned model vs baseline)."
    )


if __name__ == "__main__":
    main()
