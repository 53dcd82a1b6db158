"""import-coded: spreadsheets of coded segments into the store as a human coder's codings."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner, Result

from factories import add_document
from themegrid.cli import app
from themegrid.codebook import Codebook, load_codebook
from themegrid.errors import InputFileError, ValidationError
from themegrid.exchange.coded import InvalidCoder, Layout, codes_as_yaml, import_coded
from themegrid.store.connection import Store

CODEBOOK = """\
codebook:
  name: Import test
  version: "1"
codes:
  - id: barriers
    name: Barriers
    codable: false
    children:
      - id: barriers.funding
        name: Funding constraints
        definition: Money limits.
      - id: barriers.staffing
        name: Staffing shortages
        definition: Too few people.
      - id: barriers.other
        name: Other
        definition: Any other barrier.
  - id: vision
    name: State vision
    codable: false
    children:
      - id: vision.graduate
        name: Portrait of a Graduate
        definition: Graduate profiles.
      - id: vision.other
        name: Other
        definition: Any other vision.
"""
QUESTION = "What has helped or hindered competency-based learning in your district?"
TABLES = ("documents", "segments", "codings", "coding_history", "segment_views", "codes", "runs")


@pytest.fixture(scope="module")
def codebook(tmp_path_factory: pytest.TempPathFactory) -> Codebook:
    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return load_codebook(path)


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def qualtrics(path: Path, rows: list[tuple[str, str, list[str]]]) -> Path:
    """A Qualtrics-style export: ResponseId, the question text as header, Code 1..Code 8."""
    header = ["ResponseId", QUESTION, *[f"Code {i}" for i in range(1, 9)]]
    body = [[rid, text, *(codes + [""] * (8 - len(codes)))] for rid, text, codes in rows]
    return write_csv(path, header, body)


def counts(store: Store) -> dict[str, int]:
    return {t: store.scalar(f"SELECT COUNT(*) FROM {t}") for t in TABLES}


def codings(store: Store, coder: str) -> set[tuple[str, str]]:
    rows = store.query(
        "SELECT segment_id, code_id FROM codings WHERE source = 'human' AND coder = ? AND status = 'accepted'",
        (coder,),
    )
    return {(r[0], r[1]) for r in rows}


def segment_of(store: Store, row_id: str) -> str:
    return store.scalar("SELECT id FROM segments WHERE row_id = ?", (row_id,))


SURVEY = [
    ("R_1", "The budget was cut twice.", ["Barriers->Funding constraints"]),
    (
        "R_2",
        "Our Portrait of a Graduate guided everything.",
        ["vision->Portrait of a Graduate", ""],
    ),
    ("R_3", "Nothing much to say.", []),
    (
        "R_4",
        "No subs and no money.",
        ["Barriers->Staffing shortages", "Barriers->Funding constraints"],
    ),
]


def test_two_coders_attach_to_the_same_segments(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    a = qualtrics(tmp_path / "coder_a.csv", SURVEY)
    b_rows = [
        (rid, text, codes[:1] if rid != "R_3" else ["Barriers -> Other"])
        for rid, text, codes in SURVEY
    ]
    b = qualtrics(tmp_path / "coder_b.csv", list(reversed(b_rows)))
    first = import_coded(store, [a], coder="Ana", codebook=codebook, rows_are_documents=True)
    assert first.documents_created == len(SURVEY) and first.segments_created == len(SURVEY)
    before = counts(store)
    second = import_coded(store, [b], coder="Ben", codebook=codebook, rows_are_documents=True)
    assert second.documents_created == 0 and second.segments_matched == len(SURVEY)
    after = counts(store)
    assert after["documents"] == before["documents"] and after["segments"] == before["segments"]
    for rid, _, codes in SURVEY:
        seg = segment_of(store, rid)
        ana = {c for s, c in codings(store, "Ana") if s == seg}
        assert len(ana) == len([c for c in codes if c])
    ben = codings(store, "Ben")
    assert (segment_of(store, "R_3"), "barriers.other") in ben
    assert (segment_of(store, "R_1"), "barriers.funding") in ben
    # both coders saw every response, coded or not
    for coder in ("Ana", "Ben"):
        seen = store.scalar("SELECT COUNT(*) FROM segment_views WHERE coder = ?", (coder,))
        assert seen == len(SURVEY)
    doc = store.query("SELECT path, kind, text FROM documents ORDER BY path")[0]
    assert doc["path"] == "imported/coder_a.csv#R_1" and doc["text"] == SURVEY[0][1]
    reason = store.scalar("SELECT reason FROM codings WHERE coder = 'Ana' ORDER BY id LIMIT 1")
    assert reason == "imported from coder_a.csv row 2"


def test_code_range_and_paths(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    header = ["id", "answer", *[f"Code {i}" for i in range(1, 9)], "Notes"]
    rows = [
        [
            "1",
            "text one",
            "Barriers->Funding constraints",
            "",
            "",
            "",
            "",
            "",
            "",
            "vision/other",
            "x",
        ]
    ]
    path = write_csv(tmp_path / "s.csv", header, rows)
    layout = Layout(id_column="id", text_column="answer", code_columns=("Code 1..Code 8",))
    summary = import_coded(
        store, [path], coder="Ana", codebook=codebook, layout=layout, rows_are_documents=True
    )
    assert summary.codings_added == 2
    assert {c for _, c in codings(store, "Ana")} == {"barriers.funding", "vision.other"}


def import_labels(
    store: Store, book: Codebook, tmp_path: Path, labels: list[str]
) -> dict[str, str]:
    """Import one survey row per label (row ids R_0, R_1, ...); return row id -> code applied."""
    rows = [(f"R_{i}", f"text {i}", [label]) for i, label in enumerate(labels)]
    import_coded(
        store,
        [qualtrics(tmp_path / "s.csv", rows)],
        coder="Ana",
        codebook=book,
        rows_are_documents=True,
    )
    return {
        store.scalar("SELECT row_id FROM segments WHERE id = ?", (s,)): c
        for s, c in codings(store, "Ana")
    }


def test_names_match_ignoring_case_and_whitespace(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    labels = {
        "  funding   CONSTRAINTS ": "barriers.funding",
        "BARRIERS.STAFFING": "barriers.staffing",
        "state vision :: portrait  of a graduate": "vision.graduate",
        "barriers > other": "barriers.other",
        "Vision/Other": "vision.other",
    }
    got = import_labels(store, codebook, tmp_path, list(labels))
    assert got == {f"R_{i}": code for i, code in enumerate(labels.values())}


def test_unknown_codes_listed_all_at_once(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    a = qualtrics(
        tmp_path / "a.csv",
        [("R_1", "t1", ["Transport"]), ("R_2", "t2", ["Funding constraints", "Zoning"])],
    )
    b = qualtrics(
        tmp_path / "b.csv", [("R_9", "t9", ["", "", "transport"]), ("R_8", "t8", ["Other"])]
    )
    before = counts(store)
    with pytest.raises(ValidationError) as err:
        import_coded(store, [a, b], coder="Ana", codebook=codebook, rows_are_documents=True)
    message = str(err.value)
    assert "a.csv row 2 column Code 1" in message and "b.csv row 2 column Code 3" in message
    assert (
        "'Transport'" in message
        and "'Zoning'" in message
        and "a.csv row 3 column Code 2" in message
    )
    assert (
        "'Other' is ambiguous (barriers.other, vision.other)" in message
        and "b.csv row 3" in message
    )
    assert "--add-codes" in message
    assert counts(store) == before


def test_add_codes_creates_them_in_the_store(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    rows = [
        ("R_1", "buses", ["Transport->Bus routes"]),
        ("R_2", "fares", ["Barriers->Transport costs", "transport -> bus routes"]),
    ]
    path = qualtrics(tmp_path / "s.csv", rows)
    summary = import_coded(
        store, [path], coder="Ana", codebook=codebook, rows_are_documents=True, add_codes=True
    )
    codes = {r["id"]: r for r in store.query("SELECT * FROM codes WHERE origin = 'import'")}
    assert set(codes) == {"transport", "transport.bus_routes", "barriers.transport_costs"}
    assert (
        codes["transport"]["codable"] == 0
        and codes["transport.bus_routes"]["parent_id"] == "transport"
    )
    assert codes["barriers.transport_costs"]["parent_id"] == "barriers"
    assert {c.id for c in summary.codes_created} == set(codes)
    assert codings(store, "Ana") == {
        (segment_of(store, "R_1"), "transport.bus_routes"),
        (segment_of(store, "R_2"), "barriers.transport_costs"),
        (segment_of(store, "R_2"), "transport.bus_routes"),
    }
    assert "- id: transport.bus_routes" in codes_as_yaml(summary.codes_created)
    # a later import knows the created codes without --add-codes
    later = qualtrics(tmp_path / "later.csv", [("R_1", "buses", ["Bus routes"])])
    again = import_coded(store, [later], coder="Ben", codebook=codebook, rows_are_documents=True)
    assert again.codings_added == 1 and again.codes_created == ()


def test_whole_file_transcript_offsets_and_second_coder(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    header = ["Speaker", "Text", "Codes", "State"]
    rows = [
        ["Interviewer", "What got in the way?", "", "AZ"],
        ["Ana", "The budget.  Always the budget.", "Funding constraints; Barriers->Other", "AZ"],
        ["Interviewer", "Anything else?", "", "AZ"],
        ["Ana", "Turnover.", "staffing shortages", "AZ"],
    ]
    a = write_csv(tmp_path / "az_01_ana.csv", header, rows)
    layout = Layout(attribute_columns=("State",))
    summary = import_coded(store, [a], coder="Ana", codebook=codebook, layout=layout)
    assert (summary.documents_created, summary.segments_created, summary.codings_added) == (1, 4, 3)
    doc = store.query("SELECT id, path, kind, text, attributes FROM documents")[0]
    assert doc["path"] == "imported/az_01_ana.csv" and doc["kind"] == "interview"
    assert doc["attributes"] == '{"state": "AZ"}'
    segs = store.query(
        'SELECT start, "end", text, speaker, is_interviewer FROM segments ORDER BY seq'
    )
    assert [s["text"] for s in segs] == [r[1] for r in rows]
    assert all(doc["text"][s["start"] : s["end"]] == s["text"] for s in segs)
    assert [s["is_interviewer"] for s in segs] == [1, 0, 1, 0]
    assert store.scalar("SELECT COUNT(*) FROM segment_views WHERE coder = 'Ana'") == 4
    # the second coder's file has another name but the same text: same document, same segments
    b_rows = [
        [s, t, "Barriers->Funding constraints" if "budget" in t else "", st] for s, t, _, st in rows
    ]
    b = write_csv(tmp_path / "az_01_ben.csv", header, b_rows)
    second = import_coded(store, [b], coder="Ben", codebook=codebook, layout=layout)
    assert (second.documents_created, second.documents_matched, second.segments_matched) == (
        0,
        1,
        4,
    )
    assert {c for _, c in codings(store, "Ben")} == {"barriers.funding"}
    ana_seg = {s for s, c in codings(store, "Ana") if c == "barriers.funding"}
    assert {s for s, _ in codings(store, "Ben")} == ana_seg


def test_reimport_is_idempotent_and_withdraws_dropped_codes(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    path = qualtrics(tmp_path / "s.csv", SURVEY)
    import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)
    before = counts(store)
    again = import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)
    after = counts(store)
    assert again.codings_added == 0 and again.codings_unchanged == sum(
        len([c for c in r[2] if c]) for r in SURVEY
    )
    assert {k: after[k] for k in after if k != "runs"} == {
        k: before[k] for k in before if k != "runs"
    }
    # the coder re-exports with one code removed from R_4: that coding becomes rejected
    edited = [(rid, text, codes[:1] if rid == "R_4" else codes) for rid, text, codes in SURVEY]
    qualtrics(path, edited)
    third = import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)
    assert third.codings_withdrawn == 1
    status = store.scalar(
        "SELECT status FROM codings WHERE segment_id = ? AND code_id = 'barriers.funding' AND coder = 'Ana'",
        (segment_of(store, "R_4"),),
    )
    assert status == "rejected"


def test_xlsx_input_with_sheet_and_single_code_column(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Coded")
    sheet.append(["Respondent", "Response", "All codes", "District"])
    sheet.append([101, "Budget woes", "barriers.funding | barriers.staffing", "D1"])
    sheet.append([102, "Profile of a graduate", "vision.graduate", "D2"])
    path = tmp_path / "coded.xlsx"
    book.save(path)
    layout = Layout(
        id_column="Respondent",
        text_column="Response",
        code_columns=("All codes",),
        attribute_columns=("District",),
        delimiter="|",
    )
    summary = import_coded(
        store,
        [path],
        coder="Ana",
        codebook=codebook,
        layout=layout,
        rows_are_documents=True,
        sheet="Coded",
    )
    assert summary.codings_added == 3
    attrs = [r[0] for r in store.query("SELECT attributes FROM documents ORDER BY path")]
    assert attrs == ['{"district": "D1"}', '{"district": "D2"}']
    assert store.scalar("SELECT row_id FROM segments ORDER BY row_id LIMIT 1") == "101"


def test_document_name_attaches_to_a_corpus_document(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    turns = [("Interviewer", "What got in the way?"), ("Ana", "The budget, mostly.")]
    ids = add_document(store, "interviews/az_01.txt", turns)
    path = write_csv(
        tmp_path / "nvivo.csv", ["Text", "Code"], [["The   budget, mostly.", "Funding constraints"]]
    )
    summary = import_coded(
        store, [path], coder="Cy", codebook=codebook, document_name="interviews/az_01.txt"
    )
    assert summary.segments_created == 0 and summary.documents_created == 0
    assert codings(store, "Cy") == {(ids[1], "barriers.funding")}


@pytest.mark.parametrize("coder", ["", "  ", "themegrid:rules"])
def test_bad_coder(store: Store, codebook: Codebook, tmp_path: Path, coder: str) -> None:
    path = qualtrics(tmp_path / "s.csv", SURVEY)
    before = counts(store)
    with pytest.raises(InvalidCoder, match="--coder"):
        import_coded(store, [path], coder=coder, codebook=codebook)
    assert counts(store) == before


def test_missing_named_column_lists_columns(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    path = qualtrics(tmp_path / "s.csv", SURVEY)
    before = counts(store)
    with pytest.raises(ValidationError) as err:
        import_coded(
            store, [path], coder="Ana", codebook=codebook, layout=Layout(text_column="Answer")
        )
    message = str(err.value)
    assert (
        "s.csv: no column 'Answer' (columns: ResponseId, " in message
        and "Code 8); fix --text-column" in message
    )
    assert counts(store) == before


def test_not_a_workbook(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    good = qualtrics(tmp_path / "good.csv", SURVEY)
    bad = tmp_path / "coded.xlsx"
    bad.write_text("ResponseId,Text\n", encoding="utf-8")
    before = counts(store)
    with pytest.raises(InputFileError) as err:
        import_coded(store, [good, bad], coder="Ana", codebook=codebook)
    assert str(err.value).startswith(f"{bad}: not an Excel workbook") and "\n" not in str(err.value)
    assert counts(store) == before


def test_codes_without_text_and_varying_attributes(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    header = ["Text", "Codes", "State"]
    path = write_csv(
        tmp_path / "t.csv",
        header,
        [["hello", "", "AZ"], ["", "barriers.funding", "AZ"], ["x", "", "NV"]],
    )
    with pytest.raises(ValidationError) as err:
        import_coded(
            store,
            [path],
            coder="Ana",
            codebook=codebook,
            layout=Layout(attribute_columns=("State",)),
            rows_are_documents=False,
        )
    message = str(err.value)
    assert "t.csv, row 3: codes but no text" in message
    assert "attribute column 'state' has different values ('AZ' on row 2, 'NV' on row 4)" in message
    assert counts(store)["documents"] == 0


def run_cli(args: list[str]) -> Result:
    return CliRunner().invoke(app, args)


def error_text(result: Result) -> str:
    return result.stderr + (str(result.exception) if result.exception else "")


def test_cli(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert run_cli(["init", str(root)]).exit_code == 0
    (root / "codebook" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    path = qualtrics(tmp_path / "s.csv", [*SURVEY, ("R_5", "Buses", ["Transport"])])
    result = run_cli(
        ["import-coded", str(path), "--coder", "Ana", "--rows-are-documents", "-p", str(root)]
    )
    assert (
        result.exit_code == 1
        and "'Transport'" in error_text(result)
        and "s.csv row 6 column Code 1" in error_text(result)
    )
    with Store(root / "themegrid.sqlite") as s:
        assert s.scalar("SELECT COUNT(*) FROM codings") == 0
    result = run_cli(
        [
            "import-coded",
            str(path),
            "--coder",
            "Ana",
            "--rows-are-documents",
            "--add-codes",
            "-p",
            str(root),
        ]
    )
    assert result.exit_code == 0, error_text(result)
    written = root / "codebook" / "imported_ana.yaml"
    assert "Created 1 code(s)" in result.output and str(written) in result.output
    assert "transport" in {c.id for c in load_codebook(root / "codebook").codes}
    result = run_cli(["import-coded", str(path), "--coder", "", "-p", str(root)])
    assert result.exit_code == 1 and "--coder" in error_text(result)


def test_qualtrics_extra_header_rows_are_skipped(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    header = ["ResponseId", QUESTION, "Code 1", "Code 2"]
    rows = [
        ["Response ID", QUESTION, "Code 1", "Code 2"],
        ['{"ImportId":"_recordId"}', '{"ImportId":"QID4_TEXT"}', "", ""],
        ["R_1", "Budget.", "Funding constraints", ""],
    ]
    path = write_csv(tmp_path / "q.csv", header, rows)
    summary = import_coded(store, [path], coder="Ana", codebook=codebook, rows_are_documents=True)
    assert summary.rows == 1 and summary.codings_added == 1


def test_changed_transcript_appends_new_rows(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    header = ["Speaker", "Text", "Codes"]
    rows = [["Interviewer", "Hi?", ""], ["Ana", "The budget.", "barriers.funding"]]
    path = write_csv(tmp_path / "t.csv", header, rows)
    import_coded(store, [path], coder="Ana", codebook=codebook)
    old = {r[0] for r in store.query("SELECT id FROM segments")}
    write_csv(path, header, [*rows, ["Ana", "And turnover.", "barriers.staffing"]])
    summary = import_coded(store, [path], coder="Ana", codebook=codebook)
    assert (summary.segments_matched, summary.segments_created, summary.codings_added) == (2, 1, 1)
    assert old < {r[0] for r in store.query("SELECT id FROM segments")}
    text = store.scalar("SELECT text FROM documents")
    segs = store.query('SELECT start, "end", text FROM segments ORDER BY seq')
    assert [s["text"] for s in segs] == ["Hi?", "The budget.", "And turnover."]
    assert all(text[s["start"] : s["end"]] == s["text"] for s in segs)


def test_labels_match_ids_ignoring_punctuation(tmp_path: Path) -> None:
    """'Barriers->Buy-in' names the code with id barriers.buy_in (a slug of its label)."""
    path = tmp_path / "codebook.yaml"
    path.write_text(
        "codebook:\n  name: t\n  version: '1'\ncodes:\n"
        "  - id: barriers\n    name: Barriers\n    codable: false\n    children:\n"
        "      - id: barriers.buy_in\n        name: Stakeholder buy-in\n"
        "        definition: Pushback.\n"
        "      - id: barriers.pd_time\n        name: Time for PD\n        definition: Time.\n",
        encoding="utf-8",
    )
    book = load_codebook(path)
    store = Store(":memory:")
    labels = {"Barriers->Buy-in": "barriers.buy_in", "BARRIERS > buy in": "barriers.buy_in"}
    labels |= {"PD time": "barriers.pd_time", "stakeholder buy-in": "barriers.buy_in"}
    got = import_labels(store, book, tmp_path, list(labels))
    assert got == {f"R_{i}": code for i, code in enumerate(labels.values())}


def test_unknown_code_spellings_reported_as_one_code_with_a_suggestion(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    rows = [
        ("R_1", "t1", ["Barriers->Fundng"]),
        ("R_2", "t2", ["barriers -> fundng "]),
        ("R_3", "t3", ["BARRIERS > FUNDNG"]),
    ]
    with pytest.raises(ValidationError) as err:
        import_coded(
            store,
            [qualtrics(tmp_path / "s.csv", rows)],
            coder="Ana",
            codebook=codebook,
            rows_are_documents=True,
        )
    message = str(err.value)
    assert message.startswith("1 code(s) not in the codebook")
    assert message.count("unknown code") == 1
    assert "'BARRIERS > FUNDNG'" in message and "s.csv row 4 column Code 1" in message
    assert "did you mean barriers.funding" in message


def test_survey_rows_are_documents_unless_there_are_speakers(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    survey = import_coded(
        store, [qualtrics(tmp_path / "s.csv", SURVEY)], coder="Ana", codebook=codebook
    )
    texts = [t for _, t, _ in SURVEY if t]
    assert survey.rows_are_documents and survey.documents_created == len(texts)
    header = ["Speaker", "Text", "Codes"]
    rows = [["Interviewer", "Hi?", ""], ["Ana", "The budget.", "barriers.funding"]]
    turns = import_coded(
        store, [write_csv(tmp_path / "t.csv", header, rows)], coder="Ana", codebook=codebook
    )
    assert not turns.rows_are_documents and turns.documents_created == 1
    one = import_coded(
        store,
        [qualtrics(tmp_path / "one.csv", SURVEY)],
        coder="Ana",
        codebook=codebook,
        rows_are_documents=False,
    )
    assert one.documents_created == 1 and one.segments_created == len(texts)


def test_cli_says_how_rows_were_read(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    assert run_cli(["init", str(root)]).exit_code == 0
    (root / "codebook" / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    path = qualtrics(tmp_path / "s.csv", SURVEY)
    result = run_cli(["import-coded", str(path), "--coder", "Ana", "-p", str(root)])
    assert result.exit_code == 0, result.output
    assert "each row as a document" in result.output and "--one-document" in result.output
    again = run_cli(["import-coded", str(path), "--coder", "Bo", "--one-document", "-p", str(root)])
    assert again.exit_code == 0, again.output
    assert "the file as one document" in again.output


def test_attribute_columns_can_be_renamed(store: Store, codebook: Codebook, tmp_path: Path) -> None:
    header = ["ResponseId", "Q2", "Role", QUESTION, "Code 1"]
    rows = [["R_1", "Nevada", "Teacher", "No money.", "Funding constraints"]]
    rows += [["R_2", "Arizona", "Principal", "No subs.", "Staffing shortages"]]
    path = write_csv(tmp_path / "s.csv", header, rows)
    layout = Layout(attribute_columns=("state=Q2", "Role"))
    import_coded(store, [path], coder="Ana", codebook=codebook, layout=layout)
    docs = store.query("SELECT path, attributes FROM documents")
    assert {r["path"]: json.loads(r["attributes"]) for r in docs} == {
        "imported/s.csv#R_1": {"state": "Nevada", "role": "Teacher"},
        "imported/s.csv#R_2": {"state": "Arizona", "role": "Principal"},
    }
    with pytest.raises(ValidationError) as err:
        import_coded(
            store,
            [path],
            coder="Ana",
            codebook=codebook,
            layout=Layout(attribute_columns=("state=Q9",)),
        )
    assert "s.csv: no column 'Q9' (columns: ResponseId, Q2, " in str(err.value)
    assert "fix --attribute-column" in str(err.value)


def test_reimport_with_attribute_columns_updates_imported_documents(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    """Forgot --attribute-column the first time: importing again adds the attributes."""
    header = ["ResponseId", "Q2", QUESTION, "Code 1"]
    rows = [
        ["R_1", "NV", "We have no money at all.", "Funding constraints"],
        ["R_2", "AZ", "We cannot find substitutes.", ""],
    ]
    path = write_csv(tmp_path / "s.csv", header, rows)
    import_coded(store, [path], coder="Ana", codebook=codebook)
    layout = Layout(attribute_columns=("state=Q2",))
    again = import_coded(store, [path], coder="Ana", codebook=codebook, layout=layout)
    docs = store.query("SELECT path, attributes FROM documents ORDER BY path")
    assert [json.loads(d["attributes"]) for d in docs] == [
        {"state": "NV"},
        {"state": "AZ"},
    ]
    assert again.documents_updated == 2
    other = write_csv(tmp_path / "b.csv", header, [[*rows[0][:3], ""]])
    third = import_coded(store, [other], coder="Ben", codebook=codebook, layout=layout)
    assert third.documents_updated == 0
    # a transcript's constant attributes too
    t_header = ["Speaker", "Text", "Codes", "State"]
    t_rows = [["Interviewer", "Hi?", "", ""], ["Ana", "The budget.", "barriers.funding", ""]]
    t = write_csv(tmp_path / "t.csv", t_header, t_rows)
    import_coded(store, [t], coder="Ana", codebook=codebook)
    write_csv(t, t_header, [[*r[:3], "AZ"] for r in t_rows])
    t_layout = Layout(attribute_columns=("State",))
    fourth = import_coded(store, [t], coder="Ana", codebook=codebook, layout=t_layout)
    assert fourth.documents_updated == 1
    got = store.scalar("SELECT attributes FROM documents WHERE path = 'imported/t.csv'")
    assert json.loads(got) == {"state": "AZ"}


def test_survey_rows_attach_to_corpus_responses_by_id(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    """The survey is in corpus/ (one document per response): codings land on its segments."""
    corpus = {}
    for rid, text, _ in SURVEY:
        seg = add_document(store, f"survey.csv#row={rid}", [(None, text)], kind="document")[0]
        store.execute("UPDATE segments SET row_id = ? WHERE id = ?", (rid, seg))
        corpus[rid] = seg
    before = store.scalar("SELECT COUNT(*) FROM documents")
    summary = import_coded(
        store, [qualtrics(tmp_path / "coded.csv", SURVEY)], coder="Ana", codebook=codebook
    )
    assert summary.documents_created == 0 and summary.segments_matched == len(SURVEY)
    assert store.scalar("SELECT COUNT(*) FROM documents") == before
    assert codings(store, "Ana") == {
        (corpus["R_1"], "barriers.funding"),
        (corpus["R_2"], "vision.graduate"),
        (corpus["R_4"], "barriers.staffing"),
        (corpus["R_4"], "barriers.funding"),
    }
    seen = store.scalar("SELECT COUNT(*) FROM segment_views WHERE coder = 'Ana'")
    assert seen == len(SURVEY)
    # the same id with another text is reported, not silently duplicated
    changed = [("R_1", "A different answer altogether.", ["Funding constraints"])]
    with pytest.raises(ValidationError) as err:
        import_coded(
            store, [qualtrics(tmp_path / "other.csv", changed)], coder="Bo", codebook=codebook
        )
    message = str(err.value)
    assert "other.csv, row 2" in message and "survey.csv#row=R_1" in message


def test_files_naming_their_text_column_differently_import_together(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    """Several survey questions at once: each file's text is the first --text-column it has."""
    q1 = write_csv(
        tmp_path / "q1.csv",
        ["lfdn", "v_1", "tag"],
        [["1", "The budget was cut.", "Barriers->Funding constraints"]],
    )
    q2 = write_csv(
        tmp_path / "q2.csv",
        ["lfdn", "v_2", "tag"],
        [["1", "No subs at all.", "Barriers->Staffing shortages"]],
    )
    layout = Layout(id_column="lfdn", text_column_choices=("v_1", "v_2"), code_columns=("tag",))
    summary = import_coded(store, [q1, q2], coder="ana", codebook=codebook, layout=layout)
    assert summary.codings_added == 2
    texts = {r[0] for r in store.query("SELECT text FROM segments")}
    assert texts == {"The budget was cut.", "No subs at all."}
    # a file with none of them: see test_a_file_with_none_of_the_text_columns_given_finds_its_own


def test_one_attribute_given_several_columns_takes_each_files_own(
    store: Store, codebook: Codebook, tmp_path: Path
) -> None:
    """NaPiRE: each question's file holds its problem in a column of its own (v_246, v_248):
    one import with ``problem=v_246 problem=v_248`` gives every response its problem."""
    q1 = write_csv(
        tmp_path / "q1.csv",
        ["lfdn", "v_1", "v_246", "tag"],
        [["1", "The budget was cut.", "Time pressure", "Barriers->Funding constraints"]],
    )
    q2 = write_csv(
        tmp_path / "q2.csv",
        ["lfdn", "v_2", "v_248", "tag"],
        [["1", "No subs at all.", "Unclear goals", "Barriers->Staffing shortages"]],
    )
    layout = Layout(
        id_column="lfdn",
        text_column_choices=("v_1", "v_2"),
        attribute_columns=("problem=v_246", "problem=v_248"),
        code_columns=("tag",),
    )
    import_coded(store, [q1, q2], coder="ana", codebook=codebook, layout=layout)
    stored = {r[0]: json.loads(r[1]) for r in store.query("SELECT text, attributes FROM documents")}
    assert stored == {
        "The budget was cut.": {"problem": "Time pressure"},
        "No subs at all.": {"problem": "Unclear goals"},
    }
    # A file of another question, without any of the columns: imported, its rows get no
    # 'problem' (the matrices' "(none)"), and the summary says so, naming the file.
    q3 = write_csv(
        tmp_path / "q3.csv", ["lfdn", "v_1", "tag"], [["2", "Other.", "Barriers->Funding"]]
    )
    summary = import_coded(store, [q3], coder="ana", codebook=codebook, layout=layout)
    assert any(
        w.startswith("1 file(s): none of the columns 'v_246', 'v_248' given for the attribute")
        and "their rows have no 'problem'" in w
        and w.endswith(": q3.csv")
        for w in summary.warnings
    ), summary.warnings
    assert json.loads(store.scalar("SELECT attributes FROM documents WHERE text = 'Other.'")) == {}


def test_a_file_with_none_of_the_text_columns_given_finds_its_own(codebook, tmp_path) -> None:
    """--text-column given for some files of a survey: a file with none of them finds its
    text column as without the option (said in the summary), or is refused when it cannot."""
    store = Store(":memory:")
    q1 = write_csv(
        tmp_path / "q1.csv",
        ["lfdn", "v_1", "v_9", "tag"],
        [["1", "The budget was cut twice this year.", "x", "Barriers->Funding"]],
    )
    q2 = write_csv(
        tmp_path / "q2.csv",
        ["lfdn", "v_18", "tag"],
        [["1", "Project manager", "Barriers->Staffing shortages"]],
    )
    layout = Layout(id_column="lfdn", text_column_choices=("v_1",), code_columns=("tag",))
    summary = import_coded(store, [q1, q2], coder="ana", codebook=codebook, layout=layout)
    assert sorted(r[0] for r in store.query("SELECT text FROM documents")) == [
        "Project manager",
        "The budget was cut twice this year.",
    ]
    assert any(
        w.startswith("1 file(s): none of the --text-column columns, so the text column was found")
        and w.endswith(": q2.csv: 'v_18'")
        for w in summary.warnings
    ), summary.warnings
    q3 = write_csv(
        tmp_path / "q3.csv",
        ["lfdn", "a", "b", "tag"],
        [["1", "Some words here", "Other words there", "Barriers->Funding"]],
    )
    before = counts(store)
    with pytest.raises(ValidationError) as err:
        import_coded(store, [q3], coder="ana", codebook=codebook, layout=layout)
    assert "none of the text columns 'v_1'" in str(err.value)
    assert counts(store) == before


def test_each_new_codes_definition_names_the_files_it_came_from(tmp_path: Path) -> None:
    """Two questions' files in one import: a code's starting definition names the file whose
    rows used it (NaPiRE: every code named the batch's first three files); a grouping, the
    files of its codes."""
    root = tmp_path / "study"
    assert run_cli(["init", str(root)]).exit_code == 0
    roles = write_csv(tmp_path / "roles.csv", ["lfdn", "v_18", "tag"], [["1", "PM", "Manager"]])
    causes = write_csv(
        tmp_path / "causes.csv", ["lfdn", "v_277", "tag"], [["1", "Late.", "Causes->Time"]]
    )
    result = run_cli(
        ["import-coded", str(roles), str(causes), "--coder", "Ana", "--add-codes", "-p", str(root)]
    )
    assert result.exit_code == 0, error_text(result)
    written = yaml.safe_load((root / "codebook" / "imported_ana.yaml").read_text(encoding="utf-8"))
    definitions = {c["name"]: c["definition"] for c in written["codes"]}
    assert definitions["Manager"] == "Imported from roles.csv; write a definition."
    assert definitions["Time"] == "Imported from causes.csv; write a definition."
    assert definitions["Causes"] == "Imported from causes.csv; write a definition."
