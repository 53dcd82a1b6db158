"""Embedding throughput, and what the learned model and semantic suggestions cost in `code`.

Called by ``make bench`` (benchmarks/bench.py) and runnable alone:

    python benchmarks/bench_semantic.py [--words 1000000] [--sentences 40000] [--decisions 400]

* **Embedding throughput** (tag/embed.py, wordllama): load time, then texts/s
  and words/s over ``--sentences`` distinct texts (a respondent sentence of the
  example interviews and a number: the embedder embeds a repeated text once),
  in this process (imports excluded).
* **At ``--words`` words**, on the generated corpus of bench.py and on the real
  one (the devdata files copied to that size, when ``../shared/devdata`` is
  there): a cold ``code`` with semantic suggestions off (the default); then, on
  the same store, the semantic step alone (``pipeline.coding.run_semantic``:
  embed every machine-coded segment, score, write; no embeddings kept yet) and
  its share of the cold run, by CPU time and by wall time [target <= 30%]; then
  the same step again, its vectors read from ``.themegrid-cache/embeddings.npz``
  (suggestions unchanged, so nothing written). On the generated corpus only:
  ``--decisions`` human decisions (rule suggestions accepted or rejected at
  random) and the model step alone (``pipeline.coding._run_model``: train with
  per-code feature choice, gate, suggest).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench import (
    SHARED,
    WORK,
    cpu_seconds,
    make_corpus,
    make_real_corpus,
    preload,
    respondent_sentences,
)


def embedding_throughput(n_sentences: int) -> dict[str, Any]:
    from themegrid.tag import embed

    start, cpu_start = time.perf_counter(), cpu_seconds()
    embedder = embed.load_embedder()
    load_s, load_cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    if embedder is None:
        return {"unavailable": embed.unavailable_reason()}
    pool = respondent_sentences()
    rng = random.Random(3)
    texts = [f"{rng.choice(pool)} ({k})" for k in range(n_sentences)]
    words = sum(len(t.split()) for t in texts)
    wall, cpu = time.perf_counter(), cpu_seconds()
    embedder.embed(texts)
    seconds, cpu_s = time.perf_counter() - wall, cpu_seconds() - cpu
    return {
        "load_s": load_s,
        "load_cpu": load_cpu,
        "sentences": n_sentences,
        "words": words,
        "seconds": seconds,
        "cpu": cpu_s,
        "sentences_per_s": n_sentences / seconds,
        "words_per_s": words / seconds,
    }


def code_costs(kind: str, words: int, decisions: int) -> dict[str, Any]:
    from themegrid.models import RULE_CODER
    from themegrid.pipeline import coding
    from themegrid.project import open_project
    from themegrid.store import codings as store_codings
    from themegrid.store.connection import now
    from themegrid.store.runs import start_run

    root = WORK / f"semantic_{kind}_{words}"
    actual = make_corpus(root, words) if kind == "generated" else make_real_corpus(root, words)
    preload()
    project = open_project(root)
    codebook = project.load_codebook()
    out: dict[str, Any] = {"kind": kind, "words": actual}

    def timed(name: str, step: Any) -> Any:
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = step()
        out[f"{name}_s"], out[f"{name}_cpu"] = time.perf_counter() - wall, cpu_seconds() - cpu
        return result

    with project.open_store() as store:
        cold = timed("cold_code", lambda: coding.run_coding(project, store, codebook, workers=1))
        out["segments_tagged"] = cold.segments_tagged
        for name in ("semantic", "semantic_cached"):
            with store.transaction():
                run_id = start_run(store, "bench", codebook)
                semantic = timed(
                    name, lambda rid=run_id: coding.run_semantic(store, codebook, rid, True, [])
                )
            if name == "semantic":
                out["semantic_suggestions"] = semantic.get("new", 0)
                out["semantic_segments"] = semantic.get("segments_scored", 0)
        if kind != "generated":
            return out
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
            model = timed("model", lambda: coding._run_model(store, codebook, run_id))
        out["decisions"] = len(picked)
        out["model_active"] = sum(g["state"] == "active" for g in model.get("gates", []))
        out["feature_sets"] = sorted(set(model.get("feature_sets", {}).values()))
    return out


def print_semantic(tp: dict[str, Any], all_costs: list[dict[str, Any]]) -> None:
    print("\n== embeddings (wordllama, tag/embed.py) and semantic suggestions ==")
    if "unavailable" in tp:
        print(f"embedder unavailable: {tp['unavailable']}")
        return
    print(f"load: {tp['load_cpu']:.2f} s CPU, {tp['load_s']:.2f} s wall")
    print(
        f"embed {tp['sentences']:,} distinct texts ({tp['words']:,} words): "
        f"{tp['cpu']:.2f} s CPU, {tp['seconds']:.2f} s wall; per CPU second "
        f"{tp['sentences'] / tp['cpu']:,.0f} texts, {tp['words'] / tp['cpu']:,.0f} words; "
        f"per wall second {tp['sentences_per_s']:,.0f} texts, {tp['words_per_s']:,.0f} words"
    )
    for c in all_costs:
        print(
            f"{c['kind']}, {c['words']:,} words: cold code (semantic off, --workers 1) "
            f"{c['cold_code_cpu']:.1f} s CPU, {c['cold_code_s']:.1f} s wall, "
            f"{c['segments_tagged']:,} segments"
        )
        # the embedder was loaded in this process before (throughput): add its load time
        cpu, wall = c["semantic_cpu"] + tp["load_cpu"], c["semantic_s"] + tp["load_s"]
        print(
            f"  semantic step, embedder load included: {cpu:.2f} s CPU, "
            f"{wall:.2f} s wall over {c['semantic_segments']:,} segments, "
            f"{c['semantic_suggestions']:,} suggestions; "
            f"{100 * cpu / c['cold_code_cpu']:.1f}% of the cold code's CPU, "
            f"{100 * wall / c['cold_code_s']:.1f}% of its wall time [target <= 30%]"
        )
        print(
            f"  again, vectors from .themegrid-cache (nothing new to write): "
            f"{c['semantic_cached_cpu']:.2f} s CPU, {c['semantic_cached_s']:.2f} s wall"
        )
        if "model_s" not in c:
            continue
        print(
            f"  model step after {c['decisions']} human decisions: {c['model_cpu']:.2f} s CPU, "
            f"{c['model_s']:.2f} s wall ({100 * c['model_cpu'] / c['cold_code_cpu']:.1f}% of the "
            f"cold code's CPU); {c['model_active']} code(s) active; "
            f"feature sets chosen: {', '.join(c['feature_sets'])}"
        )


def bench_semantic(
    words: int, sentences: int, decisions: int, kinds: str = "generated,real"
) -> None:
    tp = embedding_throughput(sentences)
    wanted = [k for k in kinds.split(",") if k == "generated" or SHARED.is_dir()]
    costs = []
    if words and "unavailable" not in tp:
        costs = [code_costs(kind, words, decisions) for kind in wanted]
    print_semantic(tp, costs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--sentences", type=int, default=40_000)
    parser.add_argument("--decisions", type=int, default=400)
    parser.add_argument("--corpora", default="generated,real")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    bench_semantic(args.words, args.sentences, args.decisions, args.corpora)


if __name__ == "__main__":
    main()
