"""Benchmark: 5-fold ``evaluate`` on a synthetic coded collection of ~200,000 segments.

Run: ``.venv/bin/python benchmarks/bench_learn.py [--rows N] [--docs N] [--codes N] [--folds K]``

The collection is built directly in a fresh store with ``executemany``:
~300 documents, ~20 codes in families of four (siblings share a quarter of
their vocabulary, like sub-themes of one theme), a Zipf-distributed general
vocabulary, topic persistence between neighbouring turns, segments whose
theme words are scarce, and 8% label noise (the coder picked a sibling
code). One human coding (coder ``bench``) per segment. The codebook gets
three cue words per code (two of its own words and one family word), so the
rules are useful but imperfect.

Prints the time of ``evaluate`` and macro F1 of the learned model, the rules,
their union and the plain TF-IDF + LogisticRegression baseline on the same folds.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from themegrid.aggregate.evaluate import EvaluationReport, evaluate
from themegrid.codebook import Code, Codebook, Cues
from themegrid.store.connection import Store, now
from themegrid.tag.model import SuggestionModel

CODER = "bench"
SYLLABLES = [a + b for a in "bcdfghklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "ou")]


def _word(rng: random.Random, used: set[str]) -> str:
    while True:
        w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in used:
            used.add(w)
            return w


def synthetic_codebook(
    n_codes: int = 20, seed: int = 0
) -> tuple[Codebook, dict[str, list[str]], dict[str, list[str]]]:
    """The codebook, each code's own words and each code's family words."""
    rng = random.Random(seed)
    used: set[str] = set()
    own = {}
    family_words: dict[int, list[str]] = {}
    codes = []
    for j in range(n_codes):
        fam = j // 4
        family_words.setdefault(fam, [_word(rng, used) for _ in range(15)])
        code_id = f"family{fam}.code{j:02d}"
        own[code_id] = [_word(rng, used) for _ in range(40)]
        cues = Cues(lemmas=(own[code_id][0], own[code_id][1], family_words[fam][0]))
        codes.append(Code(id=code_id, name=f"Code {j}", parent_id=None, cues=cues))
    family = {c.id: family_words[int(c.id.split(".")[0][6:])] for c in codes}
    book = Codebook("synthetic", "1.0", "benchmark codebook", tuple(codes))
    return book, own, family


def build_store(
    store: Store, n_rows: int = 200_000, n_docs: int = 300, n_codes: int = 20, seed: int = 0
) -> Codebook:
    """Fill an empty store with a synthetic coded collection; returns its codebook."""
    rng = random.Random(seed)
    book, own, family = synthetic_codebook(n_codes, seed)
    code_ids = [c.id for c in book.codes]
    weights = [1 / (k + 1) ** 0.8 for k in range(n_codes)]
    used: set[str] = set(w for ws in own.values() for w in ws) | {
        w for ws in family.values() for w in ws
    }
    general = [_word(rng, used) for _ in range(3000)]
    general_cum = list(itertools.accumulate(1 / (k + 1) for k in range(len(general))))
    code_cum = list(itertools.accumulate(weights))
    stamp = now()
    per_doc = [n_rows // n_docs + (1 if d < n_rows % n_docs else 0) for d in range(n_docs)]
    docs, segs, codings = [], [], []
    for d in range(n_docs):
        path = f"interviews/doc{d:04d}.txt"
        code = rng.choices(code_ids, cum_weights=code_cum)[0]
        for seq in range(per_doc[d]):
            if rng.random() > 0.35:
                code = rng.choices(code_ids, cum_weights=code_cum)[0]
            n_words = rng.randint(12, 60)
            topical = rng.choice((0.03, 0.08, 0.15, 0.25))
            words = []
            for _ in range(n_words):
                if rng.random() < topical:
                    words.append(rng.choice(own[code] if rng.random() < 0.6 else family[code]))
                else:
                    words.append(rng.choices(general, cum_weights=general_cum)[0])
            text = " ".join(words).capitalize() + "."
            label = code
            if rng.random() < 0.08:
                fam = code.split(".")[0]
                label = rng.choice([c for c in code_ids if c.startswith(fam + ".")])
            seg_id = hashlib.sha1(f"{path}|{seq}".encode()).hexdigest()[:16]
            segs.append((seg_id, d + 1, seq, 0, len(text), text))
            codings.append((seg_id, label, CODER, stamp, stamp))
        docs.append((d + 1, path, f"h{d}", stamp, stamp))
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO documents (id, path, format, kind, content_hash, text, added_at, updated_at)"
            " VALUES (?, ?, 'txt', 'interview', ?, '', ?, ?)",
            docs,
        )
        conn.executemany(
            'INSERT INTO segments (id, document_id, seq, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
            segs,
        )
        conn.executemany(
            "INSERT INTO codes (id, name, codable, position) VALUES (?, ?, 1, ?)",
            [(c.id, c.name, k) for k, c in enumerate(book.codes)],
        )
        conn.executemany(
            "INSERT INTO codings (segment_id, code_id, source, coder, status, created_at, updated_at)"
            " VALUES (?, ?, 'human', ?, 'accepted', ?, ?)",
            codings,
        )
    return book


def run(n_rows: int, n_docs: int, n_codes: int, folds: int, context: bool) -> EvaluationReport:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite")
        t0 = time.perf_counter()
        book = build_store(store, n_rows, n_docs, n_codes)
        print(
            f"built {n_rows} coded segments in {n_docs} documents in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        t0 = time.perf_counter()
        marks: list[tuple[float, str]] = []

        def progress(message: str) -> None:
            marks.append((time.perf_counter() - t0, message))
            print(f"  [{marks[-1][0]:6.1f} s] {message}", flush=True)

        report = evaluate(
            store,
            book,
            CODER,
            folds=folds,
            model_factory=lambda: SuggestionModel(context=context, n_jobs=-1),
            n_jobs=-1,
            progress=progress,
        )
        marks.append((report.seconds, "end"))
        in_baseline = sum(
            b[0] - a[0] for a, b in itertools.pairwise(marks) if a[1].endswith("baseline")
        )
        store.close()
    print(
        f"evaluate, {folds} folds: {report.seconds:.1f} s, of which baseline {in_baseline:.1f} s"
        f" (model mode: {report.model_mode}, context: {context})"
    )
    for name, m in report.methods.items():
        print(
            f"  {name:12s} macro F1 {m.macro_f1:.3f}  precision {m.macro_precision:.3f}"
            f"  recall {m.macro_recall:.3f}  kappa {m.macro_kappa:.3f}"
        )
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--codes", type=int, default=20)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--context", action="store_true", help="let the model read neighbouring turns"
    )
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = parser.parse_args(argv)
    report = run(args.rows, args.docs, args.codes, args.folds, args.context)
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2))


if __name__ == "__main__":
    sys.exit(main())
