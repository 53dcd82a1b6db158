"""The language classifier loaded from themegrid's decompressed copy of its model answers
exactly as the one py3langid loads itself; a damaged copy is replaced, never trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from themegrid.tag import langid_cache

# Run by .ci/run (its slow line), kept out of `make test` to hold it under two minutes.
pytestmark = pytest.mark.slow

TEXTS = [
    "The district piloted competency-based grading in three high schools last year.",
    "Der Schulbezirk hat die kompetenzbasierte Bewertung an drei Schulen erprobt.",
    "El distrito probó la evaluación por competencias en tres escuelas el año pasado.",
    "Le district a testé l'évaluation par compétences dans trois lycées l'an dernier.",
    "Okay.",
    "",
    "学区在三所高中试行了基于能力的评分。",
]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(langid_cache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def package() -> list[tuple[str, float]]:
    """The answers of the classifier py3langid loads itself."""
    return _answers(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))


def _answers(identifier: object) -> list[tuple[str, float]]:
    return [identifier.classify(t) for t in TEXTS]  # type: ignore[attr-defined]


def test_the_cached_classifier_answers_as_the_packages_and_a_damaged_copy_is_replaced(
    cache: Path, monkeypatch: pytest.MonkeyPatch, package: list[tuple[str, float]]
) -> None:
    first = langid_cache.load_identifier()  # the package's loader, and the copy written
    [folder] = cache.glob("langid-*")
    assert {p.name for p in folder.iterdir()} == {f"{n}.npy" for n in langid_cache._ARRAYS}
    with monkeypatch.context() as mp:

        def no_package_loader(*args: object, **kwargs: object) -> None:
            raise AssertionError("the package's loader ran although the cache holds the model")

        mp.setattr(LanguageIdentifier, "from_model_file", no_package_loader)
        cached = langid_cache.load_identifier()
    assert _answers(cached) == package == _answers(first)
    assert [cached.rank(t)[:5] for t in TEXTS[:4]] == [first.rank(t)[:5] for t in TEXTS[:4]]
    ptc = folder / "ptc.npy"
    ptc.write_bytes(ptc.read_bytes()[:1000])  # truncated (a disk filled while copying)
    assert _answers(langid_cache.load_identifier()) == package
    assert ptc.stat().st_size > 1_000_000  # written again, whole
    assert _answers(langid_cache.load_identifier()) == package


def test_no_writable_cache_folder_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: list[tuple[str, float]]
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(langid_cache.CACHE_DIR_ENV, str(blocked / "cache"))
    assert _answers(langid_cache.load_identifier()) == package
    assert not any(p.name.startswith(".langid") for p in tmp_path.iterdir())
