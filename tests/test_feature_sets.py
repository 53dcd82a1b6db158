"""The learned model chooses its feature set per code by grouped cross-validation."""

from __future__ import annotations

import random

import numpy as np
import pytest

from themegrid.tag import embed
from themegrid.tag.model import SegmentInput, SuggestionModel, repeated_share

WORDS = [
    "river",
    "lantern",
    "orchard",
    "pebble",
    "meadow",
    "violin",
    "harbor",
    "candle",
    "thunder",
    "velvet",
    "canyon",
    "saddle",
    "marble",
    "falcon",
    "garden",
    "ribbon",
    "glacier",
    "copper",
    "willow",
    "tunnel",
    "beacon",
    "quartz",
    "timber",
    "anchor",
    "prairie",
]
SETS = ("tfidf", "tfidf+embedding+context")


def corpus(n: int = 240, seed: int = 3) -> tuple[list[SegmentInput], np.ndarray, list[int]]:
    """Two codes: ``budget`` shows in the segment's own words; ``restating`` only in how
    much of the previous turn the segment repeats (its own words are random either way)."""
    rng = random.Random(seed)
    inputs, rows, groups = [], [], []
    for i in range(n):
        before = " ".join(rng.sample(WORDS, 6))
        restating = i % 2 == 0
        pool = before.split() if restating else [w for w in WORDS if w not in before.split()]
        own = rng.sample(pool, 4)
        budget = rng.random() < 0.3
        text = "so you mean " + " ".join(own) + (" and the budget was cut" if budget else "")
        inputs.append(SegmentInput(text, before))
        rows.append([budget, restating])
        groups.append(i // 12)
    return inputs, np.array(rows, dtype=np.int8), groups


def test_repeated_share_counts_the_previous_turns_words() -> None:
    assert repeated_share("the river and the lantern", "river lantern orchard meadow") == 0.5
    assert repeated_share("anything", "") == 0.0


def test_unknown_feature_set_is_refused() -> None:
    inputs, Y, groups = corpus(60)
    with pytest.raises(ValueError, match="feature set"):
        SuggestionModel(feature_sets=("words",)).fit(inputs, Y, groups=groups)


def test_each_code_chooses_the_features_that_cross_validate_best() -> None:
    if embed.load_embedder() is None:
        pytest.skip(embed.unavailable_reason())
    inputs, Y, groups = corpus()
    model = SuggestionModel(feature_sets=SETS).fit(
        inputs, Y, groups=groups, code_ids=("budget", "restating")
    )
    assert model.feature_set_ == {"budget": "tfidf", "restating": "tfidf+embedding+context"}
    scores = model.set_scores_["restating"]
    assert scores["tfidf+embedding+context"] > scores["tfidf"] + 0.1
    # predictions use each code's own set
    test, Y_test, _ = corpus(120, seed=11)
    predicted = model.predict(test)
    for j in range(2):
        agree = float((predicted[:, j] == Y_test[:, j]).mean())
        assert agree > 0.8, (j, agree)


def test_context_set_works_without_any_previous_turn() -> None:
    if embed.load_embedder() is None:
        pytest.skip(embed.unavailable_reason())
    inputs, Y, groups = corpus(120)
    answers = [SegmentInput(i.text) for i in inputs]  # survey answers: no turn before
    model = SuggestionModel(feature_sets=SETS).fit(answers, Y, groups=groups)
    assert model.predict(answers).shape == Y.shape
