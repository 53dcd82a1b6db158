"""Embedding throughput, and what the learned model and semantic suggestions cost in `code`.

Called by ``make bench`` (benchmarks/bench.py) and runnable alone:

    python benchmarks/bench_semantic.py [--words 1000000] [--sentences 40000] [--decisions 400]

* **Embedding throughput** (tag/embed.py, wordllama): load time, then sentences/s
  and words/s over ``--sentences`` respondent sentences of the example interviews,
  in this process (imports excluded).
* **At ``--words`` words** (the generated corpus of bench.py): a cold ``code`` with
  semantic suggestions off (the default); then, on the same store, the semantic
  step alone (``pipeline.coding.run_semantic``: embed every machine-coded segment,
  score, write) and its share of the cold run [target <= 30%]; then ``--decisions``
  human decisions (rule suggestions accepted or rejected at random) and the model
  step alone (``pipeline.coding._run_model``: train with per-code feature choice,
  gate, suggest).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench import WORK, cpu_seconds, make_corpus, preload, respondent_sentences


def embedding_throughput(n_sentences: int) -> dict[str, Any]:
    from themegrid.tag import embed

    start = time.perf_counter()
    embedder = embed.load_embedder()
    load_s = time.perf_counter() - start
    if embedder is None:
        return {"unavailable": embed.unavailable_reason()}
    pool = respondent_sentences()
    rng = random.Random(3)
    texts = [rng.choice(pool) for _ in range(n_sentences)]
    words = sum(len(t.split()) for t in texts)
    wall, cpu = time.perf_counter(), cpu_seconds()
    embedder.embed(texts)
    seconds, cpu_s = time.perf_counter() - wall, cpu_seconds() - cpu
    return {
        "load_s": load_s,
        "sentences": n_sentences,
        "words": words,
        "seconds": seconds,
        "cpu": cpu_s,
        "sentences_per_s": n_sentences / seconds,
        "words_per_s": words / seconds,
    }


def code_costs(words: int, decisions: int) -> dict[str, Any]:
    from themegrid.models import RULE_CODER
    from themegrid.pipeline import coding
    from themegrid.project import open_project
    from themegrid.store import codings as store_codings
    from themegrid.store.connection import now
    from themegrid.store.runs import start_run

    root = WORK / f"semantic_{words}"
    actual = make_corpus(root, words)
    preload()
    project = open_project(root)
    codebook = project.load_codebook()
    out: dict[str, Any] = {"words": actual}
    with project.open_store() as store:
        wall = time.perf_counter()
        cold = coding.run_coding(project, store, codebook, workers=1)
        out["cold_code_s"] = time.perf_counter() - wall
        out["segments_tagged"] = cold.segments_tagged
        with store.transaction():
            run_id = start_run(store, "bench", codebook)
            wall = time.perf_counter()
            semantic = coding.run_semantic(store, codebook, run_id, True, [])
            out["semantic_s"] = time.perf_counter() - wall
        out["semantic_suggestions"] = semantic.get("new", 0)
        out["semantic_segments"] = semantic.get("segments_scored", 0)
        rng = random.Random(5)
        live = sorted(store_codings.machine_suggestions(store, "rule", RULE_CODER))
        picked = rng.sample(live, min(decisions, len(live)))
        with store.transaction():
            store_codings.record_human_codings(
                store,
                "bench",
                [
                    store_codings.HumanDecision(
                        seg, code, "accepted" if rng.random() < 0.7 else "rejected", "bench"
                    )
                    for seg, code in picked
                ],
                run_id=None,
                at=now(),
            )
        with store.transaction():
            run_id = start_run(store, "bench", codebook)
            wall = time.perf_counter()
            model = coding._run_model(store, codebook, run_id)
            out["model_s"] = time.perf_counter() - wall
        out["decisions"] = len(picked)
        out["model_active"] = sum(g["state"] == "active" for g in model.get("gates", []))
        out["feature_sets"] = sorted(set(model.get("feature_sets", {}).values()))
    return out


def print_semantic(tp: dict[str, Any], costs: dict[str, Any] | None) -> None:
    print("\n== embeddings (wordllama, tag/embed.py) and semantic suggestions ==")
    if "unavailable" in tp:
        print(f"embedder unavailable: {tp['unavailable']}")
        return
    print(f"load: {tp['load_s']:.2f} s")
    print(
        f"embed {tp['sentences']:,} sentences ({tp['words']:,} words): {tp['seconds']:.2f} s wall, "
        f"{tp['cpu']:.2f} s CPU; {tp['sentences_per_s']:,.0f} sentences/s, "
        f"{tp['words_per_s']:,.0f} words/s"
    )
    if costs is None:
        return
    c = costs
    print(
        f"at {c['words']:,} words: cold code (semantic off, --workers 1) {c['cold_code_s']:.1f} s, "
        f"{c['segments_tagged']:,} segments"
    )
    print(
        f"  semantic step: {c['semantic_s']:.2f} s over {c['semantic_segments']:,} segments, "
        f"{c['semantic_suggestions']:,} suggestions; "
        f"with the embedder's load ({tp['load_s']:.2f} s) "
        f"{100 * (c['semantic_s'] + tp['load_s']) / c['cold_code_s']:.1f}% of the cold code "
        "[target <= 30%]"
    )
    print(
        f"  model step after {c['decisions']} human decisions: {c['model_s']:.2f} s "
        f"({100 * c['model_s'] / c['cold_code_s']:.1f}% of the cold code); "
        f"{c['model_active']} code(s) active; feature sets chosen: {', '.join(c['feature_sets'])}"
    )


def bench_semantic(words: int, sentences: int, decisions: int) -> None:
    tp = embedding_throughput(sentences)
    costs = code_costs(words, decisions) if words and "unavailable" not in tp else None
    print_semantic(tp, costs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--sentences", type=int, default=40_000)
    parser.add_argument("--decisions", type=int, default=400)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    bench_semantic(args.words, args.sentences, args.decisions)


if __name__ == "__main__":
    main()
