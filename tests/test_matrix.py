"""The cross-case matrices, checked against expectations computed from the fixture's inputs."""

from __future__ import annotations

from collections import defaultdict

import pytest

import report_fixtures as fx
from factories import add_coding, add_document
from themegrid.aggregate import matrix as mx
from themegrid.store.connection import Store


@pytest.fixture
def built() -> fx.Built:
    return fx.build_store(Store(":memory:"))


@pytest.fixture
def cf(built: fx.Built) -> mx.CodingFrame:
    return mx.load_codings(built.store, fx.CODEBOOK)


def as_dict(table, drop_total: bool = True) -> dict[tuple[str, str], int]:
    out = {}
    for code, row in table.iterrows():
        for case, value in row.items():
            if drop_total and case == mx.TOTAL:
                continue
            if value:
                out[(code, case)] = int(value)
    return out


def test_counts_match_the_fixture_with_roll_up(cf: mx.CodingFrame) -> None:
    table = mx.count_matrix(cf)
    assert as_dict(table) == fx.expected_counts()
    assert list(table.index) == [c.id for c in fx.CODEBOOK.tree_order()]
    assert (table[mx.TOTAL] == table.drop(columns=mx.TOTAL).sum(axis=1)).all()


def test_counts_without_roll_up(cf: mx.CodingFrame) -> None:
    assert as_dict(mx.count_matrix(cf, roll_up=False)) == fx.expected_counts(roll_up=False)


def test_roll_up_counts_a_segment_once_per_parent(cf: mx.CodingFrame) -> None:
    table = mx.count_matrix(cf)
    # az_01 turn 1 carries ctx.local and ctx.politics: one segment for ctx, not two.
    children = table.loc["ctx.local", "Arizona"] + table.loc["ctx.politics", "Arizona"]
    assert table.loc["ctx", "Arizona"] == children - 1
    # az_01 turn 2 carries equity.ses.rural and equity itself: equity counts it once.
    segments = {
        (p, i)
        for p, i, code in fx.counted_pairs()
        if fx.state_of(p) == "Arizona" and code.startswith("equity")
    }
    assert table.loc["equity", "Arizona"] == len(segments)


def test_accepted_only(built: fx.Built) -> None:
    cf = mx.load_codings(built.store, fx.CODEBOOK, include="accepted")
    assert set(cf.codings["status"]) == {"accepted"}
    assert as_dict(mx.count_matrix(cf)) == fx.expected_counts("accepted")
    assert "human-accepted codings only" in mx.count_matrix(cf).attrs["basis"]


def test_rejected_retired_interviewer_missing_and_inactive_are_not_counted(
    built: fx.Built, cf: mx.CodingFrame
) -> None:
    got = set(zip(cf.codings["segment_id"], cf.codings["code_id"], strict=True))
    want = {(built.segment_ids[(p, i)], code) for p, i, code in fx.counted_pairs()}
    assert got == want
    excluded = {
        (built.segment_ids[(p, i)], code)
        for p, i, code, kind in fx.CODINGS
        if kind in ("reject", "retired", "overruled")
    }
    assert excluded and not excluded & got
    interviewer = cf.codings[cf.codings["is_interviewer"]]
    assert set(interviewer["source"]) == {"human"}
    assert "interviews/gone.txt" not in set(cf.documents["document"])


def test_respondents_n_of_n(cf: mx.CodingFrame) -> None:
    table = mx.respondent_matrix(cf)
    sizes = fx.documents_per_state()
    docs = fx.expected_documents()
    for code in table.index:
        for state, n_docs in sizes.items():
            assert table.loc[code, state] == f"{docs.get((code, state), 0)} of {n_docs}"
    assert table.loc["ctx", mx.TOTAL].endswith(f" of {sum(sizes.values())}")
    assert "basis" in table.attrs


def test_combined_attributes_and_none(cf: mx.CodingFrame) -> None:
    def case(path: str) -> str:
        attrs = fx.DOCUMENTS[path][0]
        return f"{attrs.get('state', '(none)')} / {attrs.get('role', '(none)')}"

    table = mx.count_matrix(cf, ("state", "role"))
    assert as_dict(table) == fx.expected_counts(case=case)
    assert "Nevada / (none)" in table.columns  # the document review has no role
    assert table.columns[-2] == "(none) / teacher"  # cases with "(none)" sort last


def test_by_source_type_string(cf: mx.CodingFrame) -> None:
    def case(path: str) -> str:
        return fx.DOCUMENTS[path][0]["source_type"]

    assert as_dict(mx.count_matrix(cf, "source_type")) == fx.expected_counts(case=case)
    assert as_dict(mx.source_type_matrix(cf)) == fx.expected_counts(case=case)


def test_unknown_attribute_names_it_and_lists_known(cf: mx.CodingFrame) -> None:
    with pytest.raises(mx.MatrixError, match=r"'stat'.*attributes in this project: role, "):
        mx.count_matrix(cf, "stat")


def test_bad_include() -> None:
    with pytest.raises(mx.MatrixError, match="include='all'"):
        mx.load_codings(Store(":memory:"), include="all")  # type: ignore[arg-type]


def test_framework_quotes(cf: mx.CodingFrame) -> None:
    table = mx.framework_matrix(cf, k=2)
    for code, row in table.iterrows():
        for case, cell in row.items():
            quotes = [q for q in cell.split("\n\n") if q]
            assert len(quotes) <= 2
            paths = [q.rsplit(", ", 1)[-1] if ", " in q.rsplit(" — ", 1)[-1] else q for q in quotes]
            assert len(set(paths)) == len(paths), (code, case)
            expected_docs = {
                p
                for p, _i, c in fx.counted_pairs()
                if fx.state_of(p) == case and code in fx.with_parents(c)
            }
            assert len(quotes) == min(2, len(expected_docs))
    pilots = table.loc["pilots", "Arizona"].split("\n\n")
    # The human-accepted pilot quote (az_01) ranks above the rule suggestion (az_02).
    assert pilots[0].endswith("— Dr. Alvarez, interviews/az_01.txt")
    assert pilots[1].endswith("— Ms. Brown, interviews/az_02.txt")
    assert table.loc["pilots", "Nevada"] == (
        "\u201cThe state plan funds pilots in rural districts.\u201d \u2014 docs/nv_plan.txt"
    )


def test_format_quote_shortens_long_text() -> None:
    quote = mx.format_quote(" ".join(f"w{i}" for i in range(200)), None, "a.txt")
    assert quote.startswith("\u201cw0 w1") and "w119 \u2026\u201d" in quote and "w120" not in quote


def test_cooccurrence(cf: mx.CodingFrame) -> None:
    table = mx.cooccurrence_matrix(cf)
    assert (table.to_numpy() == table.to_numpy().T).all()
    segments: dict[str, set] = defaultdict(set)
    for p, i, code in fx.counted_pairs():
        segments[code].add((p, i))
    for a in table.index:
        for b in table.columns:
            assert table.loc[a, b] == len(segments[a] & segments[b]), (a, b)
    assert table.loc["ctx.local", "ctx.politics"] == 1


def test_case_sizes_and_coded_segments(cf: mx.CodingFrame) -> None:
    assert mx.case_sizes(cf).drop(mx.TOTAL).to_dict() == fx.documents_per_state()
    coded = mx.coded_segments_by_case(cf)
    by_state: dict[str, set] = defaultdict(set)
    for p, i, _code in fx.counted_pairs():
        by_state[fx.state_of(p)].add((p, i))
    assert {k: v for k, v in coded.drop(mx.TOTAL).items() if v} == {
        k: len(v) for k, v in by_state.items()
    }


def test_codes_outside_the_codebook_are_kept(built: fx.Built) -> None:
    seg = built.segment_ids[("interviews/nd_01.txt", 1)]
    add_coding(built.store, seg, "imported.thing", source="human", coder="ana", status="accepted")
    cf = mx.load_codings(built.store, fx.CODEBOOK)
    table = mx.count_matrix(cf)
    assert table.index[-1] == "imported.thing"
    assert table.loc["imported.thing", "North Dakota"] == 1
    assert cf.codes.loc["imported.thing", "origin"] == "unknown"


def test_empty_store() -> None:
    store = Store(":memory:")
    assert not mx.has_codings(store)
    add_document(store, "a.txt", [("Ann", "hello")], {"state": "Ohio"})
    cf = mx.load_codings(store, fx.CODEBOOK)
    assert cf.codings.empty
    assert mx.count_matrix(cf).to_numpy().sum() == 0
    assert (mx.framework_matrix(cf) == "").all().all()
    assert mx.cooccurrence_matrix(cf).to_numpy().sum() == 0
    assert mx.respondent_matrix(cf).loc["ctx", "Ohio"] == "0 of 1"


def test_attribute_named_like_a_coding_column() -> None:
    store = Store(":memory:")
    attrs = {"state": "Ohio", "source": "Smith 2020", "text": "x"}
    [seg] = add_document(store, "a.txt", [("Ann", "hello")], attrs)
    add_coding(store, seg, "pilots")
    cf = mx.load_codings(store, fx.CODEBOOK)
    assert cf.attribute_columns["source"] == "source (document)"
    row = cf.codings.iloc[0]
    assert (row["source"], row["source (document)"], row["text"]) == ("rule", "Smith 2020", "hello")
    assert list(mx.count_matrix(cf, "source").columns) == ["Smith 2020", mx.TOTAL]


def test_cases_are_ordered_with_numbers_by_value() -> None:
    """Participants P1 ... P17 in the order a reader counts them (a real Taguette study's
    matrix put P10 to P17 between P1 and P2)."""
    from themegrid.aggregate.matrix import CASE_SEPARATOR, NONE_LABEL, case_order

    assert case_order(["P10", "P2", "p3", "P1"]) == ["P1", "P2", "p3", "P10"]
    assert case_order(["Nevada", "arizona", NONE_LABEL]) == ["arizona", "Nevada", NONE_LABEL]
    combined = [f"Ohio{CASE_SEPARATOR}{NONE_LABEL}", f"Ohio{CASE_SEPARATOR}group 10"]
    combined.append(f"Ohio{CASE_SEPARATOR}group 9")
    assert case_order(combined) == [combined[2], combined[1], combined[0]]


def test_by_document_counts_each_document_as_its_case(cf: mx.CodingFrame) -> None:
    """``--by document``: the fixture's counts with each document's path (less the
    folders all share) as its case."""
    table = mx.count_matrix(cf, "document")
    assert as_dict(table) == fx.expected_counts(case=lambda path: path)
    assert mx.choose_by(cf, ["document"]).by == ("document",)


def test_a_study_with_no_case_attribute_falls_back_to_documents() -> None:
    """A project whose documents carry no attribute yet (an imported Taguette project)
    gets a document-by-code matrix, not an error; the reason says how to add cases."""
    store = Store(":memory:")
    first = add_document(store, "taguette/Study/P2.odt", [(None, "Budget talk.")])
    add_document(store, "taguette/Study/P10.odt", [(None, "More budget talk.")])
    add_coding(store, first[0], "ctx.local", source="human", status="accepted")
    cf = mx.load_codings(store, fx.CODEBOOK)
    choice = mx.choose_by(cf, None)
    assert choice.by == ("document",) and "corpus/metadata.csv" in choice.reason
    table = mx.count_matrix(cf, choice.by)
    assert [c for c in table.columns if c != mx.TOTAL] == ["P2.odt", "P10.odt"]


def test_too_many_documents_to_be_cases_is_an_error_naming_the_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = Store(":memory:")
    for n in range(3):
        add_document(store, f"imported/row{n}.csv", [(None, "Budget talk.")])
    cf = mx.load_codings(store, fx.CODEBOOK)
    monkeypatch.setattr(mx, "MAX_DOCUMENT_CASES", 2)
    with pytest.raises(mx.MatrixError, match=r"3 documents are too many.*--by document"):
        mx.choose_by(cf, None)
    assert mx.choose_by(cf, ["document"]).by == ("document",)


def test_an_attribute_naming_each_document_is_not_chosen_as_the_cases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A respondent number kept as an attribute (NaPiRE's lfdn: a value of its own for every
    response) would make one column per response: the default passes over it to the next
    attribute, and says so; asked for with --by, it is used."""
    store = Store(":memory:")
    for n in range(6):
        attrs = {"lfdn": f"{n}.0", "question": "v_1" if n < 3 else "v_2"}
        add_document(store, f"imported/q.csv#{n}", [(None, "Budget talk.")], attrs)
    cf = mx.load_codings(store, fx.CODEBOOK)
    monkeypatch.setattr(mx, "MAX_DOCUMENT_CASES", 4)
    choice = mx.choose_by(cf, None, metadata_order=("lfdn", "question"))
    assert choice.by == ("question",)
    assert "'lfdn' left out: a value of its own for nearly every document" in choice.reason
    assert mx.choose_by(cf, ["lfdn"]).by == ("lfdn",)
    monkeypatch.setattr(mx, "MAX_DOCUMENT_CASES", 10)  # few enough to show side by side
    assert mx.choose_by(cf, None, metadata_order=("lfdn", "question")).by == ("lfdn",)


def test_the_basis_says_when_several_coders_decisions_are_counted_together() -> None:
    store = Store(":memory:")
    first = add_document(store, "a.txt", [(None, "Budget talk."), (None, "More budget talk.")])
    add_coding(store, first[0], "ctx.local", source="human", coder="Ana", status="accepted")
    cf = mx.load_codings(store, fx.CODEBOOK)
    assert "human coders" not in cf.basis
    add_coding(store, first[1], "ctx.local", source="human", coder="Ben", status="accepted")
    cf = mx.load_codings(store, fx.CODEBOOK)
    assert "the decisions of 2 human coders (Ana, Ben) together" in cf.basis
    assert "--coder NAME counts one coder's" in cf.basis
    only = mx.load_codings(store, fx.CODEBOOK, coders=("Ana",))
    assert "human coders" not in only.basis and "by Ana only" in only.basis
