"""Guards the suite did not catch when they were removed on purpose (issue 9).

Each test here failed with its bug planted and passes without it:
re-importing a coded file must not withdraw codes a reviewer added; interviewer
inference needs one speaker to ask many more questions; a speaker label is at
most a few words; zip entry names with backslashes are normalised before the
path-safety check and when looking entries up.
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from factories import TWO_BARRIERS_CODEBOOK, add_coding
from themegrid.aggregate.matrix import load_codings
from themegrid.codebook import Codebook, load_codebook
from themegrid.exchange.coded import import_coded
from themegrid.exchange.refi import UnsafeArchive, import_qdpx
from themegrid.project import Project
from themegrid.segment.interviewer import infer_interviewers
from themegrid.segment.labels import find_turns
from themegrid.store import Store

# --- 1. re-importing a coded spreadsheet keeps what reviewers added -------------------------

CODEBOOK = TWO_BARRIERS_CODEBOOK
ROWS = [
    ("R_1", "The budget was cut twice.", "Funding constraints"),
    ("R_2", "We could not hire anyone.", "Staffing shortages"),
]


@pytest.fixture
def codebook(tmp_path: Path) -> Codebook:
    path = tmp_path / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(path)


def coded_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ResponseId", "Response", "Code 1"])
        writer.writerows(ROWS)
    return path


def counting(store: Store, codebook: Codebook, coder: str) -> set[tuple[str, str]]:
    """(segment, code) pairs of ``coder`` that count in the matrices."""
    frame = load_codings(store, codebook, include="accepted", coders=[coder]).codings
    return set(zip(frame["segment_id"], frame["code_id"], strict=True))


def status_of(store: Store, segment: str, code: str, coder: str) -> str:
    return store.scalar(
        "SELECT status FROM codings WHERE segment_id = ? AND code_id = ? AND coder = ?"
        " AND source = 'human'",
        (segment, code, coder),
    )


@pytest.mark.parametrize(
    ("reviewer", "reason"),
    [
        ("Rita", "added in review"),
        ("Rita", "imported from rita.csv row 2"),
        ("Ana", "added in review"),
    ],
    ids=["second-coder-in-review", "second-coder-imported", "same-coder-in-review"],
)
def test_reimporting_the_same_file_keeps_codes_a_reviewer_added(
    codebook: Codebook, tmp_path: Path, reviewer: str, reason: str
) -> None:
    store = Store(":memory:")
    path = coded_csv(tmp_path / "coded.csv")
    import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)
    seg = store.scalar("SELECT id FROM segments WHERE row_id = 'R_1'")
    imported, added = "barriers.funding", "barriers.staffing"  # R_1 is coded Funding
    assert status_of(store, seg, imported, "Ana") == "accepted"
    add_coding(store, seg, added, source="human", coder=reviewer, status="accepted", reason=reason)
    assert (seg, added) in counting(store, codebook, reviewer)

    again = import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)

    assert again.codings_withdrawn == 0
    assert status_of(store, seg, added, reviewer) == "accepted"
    assert (seg, added) in counting(store, codebook, reviewer)
    assert (seg, imported) in counting(store, codebook, "Ana")


# --- 3. interviewer inference: one speaker must ask many more questions ---------------------


def turns(asks: dict[str, tuple[int, int]]) -> list[tuple[str, str]]:
    """Alternating turns; ``asks[speaker] = (questions, turns)``."""
    per_speaker = {
        s: ["Why is that?"] * q + ["That is how it went."] * (n - q) for s, (q, n) in asks.items()
    }
    out = []
    for i in range(max(n for _, n in asks.values())):
        for speaker, texts in per_speaker.items():
            if i < len(texts):
                out.append((speaker, texts[i]))
    return out


def test_the_speaker_who_asks_many_more_questions_is_the_interviewer() -> None:
    assert infer_interviewers(turns({"Maria": (4, 4), "Tom": (1, 4)})) == {"Maria"}


def test_asking_exactly_twice_as_often_is_enough() -> None:
    assert infer_interviewers(turns({"Maria": (2, 4), "Tom": (1, 4)})) == {"Maria"}


@pytest.mark.parametrize(
    "asks",
    [
        {"Maria": (3, 4), "Tom": (2, 4)},  # 75% vs 50%: asks more, not many more
        {"Maria": (3, 5), "Tom": (2, 5)},  # 60% vs 40%: just under twice as often
        {"Maria": (2, 2), "Tom": (2, 2)},  # both only ask
    ],
)
def test_a_speaker_who_asks_some_questions_but_not_many_more_is_not_the_interviewer(
    asks: dict[str, tuple[int, int]],
) -> None:
    assert infer_interviewers(turns(asks)) == frozenset()


# --- 4. a speaker label is a few words, not a sentence --------------------------------------


def transcript(label: str) -> str:
    return (
        "Interviewer: What did the parents say?\n\n"
        "Dr. Maria Lopez: They wrote to us often.\n\n"
        f"{label}: we want more time.\n\n"
        "Interviewer: And then?\n\n"
        "Dr. Maria Lopez: We listened.\n\n"
        f"{label}: we want more support.\n"
    )


def speakers(text: str) -> list[str | None]:
    units = find_turns(text)
    assert units is not None
    return [u.speaker for u in units]


def test_a_five_word_label_is_not_a_speaker_but_stays_in_the_turn() -> None:
    text = transcript("Parents In Our District Said")
    units = find_turns(text)
    assert units is not None
    assert [u.speaker for u in units] == ["Interviewer", "Dr. Maria Lopez"] * 2
    assert "Parents In Our District Said: we want more time." in text[units[1].start : units[1].end]


def test_a_four_word_name_is_a_speaker() -> None:
    assert (
        speakers(transcript("Ana Maria Lopez Garcia"))
        == [
            "Interviewer",
            "Dr. Maria Lopez",
            "Ana Maria Lopez Garcia",
        ]
        * 2
    )


# --- 5. zip entry names with backslashes ----------------------------------------------------

SRC = "0f8fad5b-d9cb-469f-a165-70867728950e"
CODE = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
TEXT = "Funding problems, again."
QDE = f"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Study">
  <CodeBook><Codes><Code guid="{CODE}" name="Funding" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="{SRC}" name="Interview" plainTextPath="internal://{SRC}.txt">
      <PlainTextSelection guid="7c9e6679-7425-40de-944b-e07fc1f90ae7" startPosition="0"
          endPosition="{len(TEXT)}">
        <Coding guid="{CODE}"><CodeRef targetGUID="{CODE}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""


def archive(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("project.qde", QDE.encode("utf-8"))
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name), data)  # kept as written, backslashes included
    with zipfile.ZipFile(path) as zf:
        assert set(entries) <= set(zf.namelist())
    return path


def new_project(root: Path) -> Project:
    (root / "codebook").mkdir(parents=True)
    return Project(root.resolve())


def test_backslash_entry_that_climbs_out_is_refused(tmp_path: Path) -> None:
    entry = "sources\\..\\..\\evil.txt"
    path = archive(
        tmp_path / "bad.qdpx", {f"sources/{SRC}.txt": TEXT.encode("utf-8"), entry: b"gotcha"}
    )
    project = new_project(tmp_path / "proj")
    with pytest.raises(UnsafeArchive) as err:
        import_qdpx(project, path)
    assert entry in str(err.value) and "'..'" in str(err.value)
    assert not project.store_path.exists() or _codings(project) == 0
    assert not list(tmp_path.rglob("evil.txt"))


def test_backslash_entry_for_a_source_is_found(tmp_path: Path) -> None:
    path = archive(tmp_path / "win.qdpx", {f"sources\\{SRC}.txt": TEXT.encode("utf-8")})
    project = new_project(tmp_path / "proj")
    summary = import_qdpx(project, path)
    assert len(summary.documents) == 1 and summary.codings == 1
    assert not summary.skipped
    with Store(project.store_path) as store:
        assert store.scalar("SELECT text FROM documents") == TEXT


def _codings(project: Project) -> int:
    with Store(project.store_path) as store:
        return store.scalar("SELECT COUNT(*) FROM codings")
