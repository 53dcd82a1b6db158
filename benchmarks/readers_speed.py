"""Reading + repairing + segmenting speed against spaCy's tokenizer, on generated interviews.

Run: PYTHONPATH=src .venv/bin/python benchmarks/readers_speed.py [--words 1000000]
The requirement: ingest runs at >= 25% of ``spacy.blank('en').tokenizer`` words/second.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import spacy

from themegrid.read import read_document
from themegrid.segment.units import segment_document

VOCAB = [
    "the",
    "state",
    "district",
    "pilot",
    "teachers",
    "students",
    "learning",
    "competency",
    "based",
    "personalized",
    "we",
    "they",
    "it",
    "was",
    "is",
    "and",
    "but",
    "so",
    "because",
    "time",
    "money",
    "trust",
    "school",
    "leaders",
    "network",
    "coaching",
    "policy",
    "legislature",
    "waiver",
    "seat",
    "graduate",
    "profile",
    "equity",
    "support",
    "needs",
    "really",
    "think",
    "know",
    "café",
    "naïve",
    "résumé",
    "—",
    "“quoted”",
    "it’s",
]
STYLES = [
    ("Interviewer: ", "Respondent: "),
    ("Q: ", "A: "),
    ("[00:01:02] Jane Doe: ", "[00:01:09] Dr. Smith: "),
    ("**Moderator:** ", "**P3:** "),
]


def sentence(rng: random.Random) -> str:
    words = rng.choices(VOCAB, k=rng.randint(6, 24))
    return " ".join(words).capitalize() + rng.choice([".", ".", "?", "!"])


def interview(rng: random.Random, words: int) -> str:
    a, b = rng.choice(STYLES)
    turns, count, i = [], 0, 0
    while count < words:
        text = " ".join(sentence(rng) for _ in range(rng.randint(1, 12 if i % 2 else 2)))
        turns.append((a if i % 2 == 0 else b) + text)
        count += len(text.split())
        i += 1
    return "\n\n".join(turns) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=8_000)
    args = parser.parse_args()
    rng = random.Random(7)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for n in range(args.words // args.per_file):
            path = Path(tmp) / f"interview_{n:04d}.txt"
            path.write_text(interview(rng, args.per_file), encoding="utf-8")
            paths.append(path)
        texts = [p.read_text(encoding="utf-8") for p in paths]
        words = sum(len(t.split()) for t in texts)

        start = time.perf_counter()
        tokens = sum(len(doc) for doc in spacy.blank("en").tokenizer.pipe(texts))
        tokenizer_s = time.perf_counter() - start

        start = time.perf_counter()
        segments = 0
        for path in paths:
            raw = read_document(path)
            segments += len(segment_document(raw, nlp))
        ingest_s = time.perf_counter() - start

    print(f"{len(paths)} files, {words:,} words ({tokens:,} tokens), {segments:,} segments")
    print(f"tokenizer: {tokenizer_s:.2f} s = {words / tokenizer_s:,.0f} words/s")
    print(f"read+repair+segment: {ingest_s:.2f} s = {words / ingest_s:,.0f} words/s")
    print(f"ratio: {tokenizer_s / ingest_s:.0%} of the tokenizer's speed (need >= 25%)")


if __name__ == "__main__":
    main()
