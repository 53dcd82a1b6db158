"""A case typed by hand in several spellings ("ohio", "Ohio ", "OHIO") is one case, and the
researcher is told which metadata lines differ."""

from __future__ import annotations

from pathlib import Path

import report_fixtures as fx
from conftest import write_project
from factories import add_coding, add_document
from themegrid.aggregate import matrix as mx
from themegrid.read.metadata import read_metadata
from themegrid.spelling import same_spellings
from themegrid.store.connection import Store

STATES = ["ohio ", "Ohio ", " OHIO", "Ohio", "Texas", "texas", "Texas "]


def test_spellings_that_differ_in_capitals_or_spaces_go_to_the_most_used_one() -> None:
    found = same_spellings(["ohio", "Ohio", "OHIO", "Ohio", "New  York", "New York", "Utah"])
    assert found == {"ohio": "Ohio", "OHIO": "Ohio", "New York": "New  York"}
    assert same_spellings(["Ohio", "Texas", "Utah"]) == {}


def test_matrix_counts_one_case_per_state_whatever_the_spelling() -> None:
    store = Store(":memory:")
    for n, state in enumerate(STATES):
        first = add_document(store, f"d{n}.txt", [("R", "Budget talk.")], {"state": state})
        add_coding(store, first[0], "ctx.local", source="human", status="accepted")
    cf = mx.load_codings(store, fx.CODEBOOK)
    sizes = mx.case_sizes(cf, ("state",))
    assert dict(sizes) == {"Ohio": 4, "Texas": 3, mx.TOTAL: 7}


def test_metadata_names_the_lines_of_each_spelling(tmp_path: Path) -> None:
    rows = "".join(f"f{n}.txt,{s},x\n" for n, s in enumerate(STATES))
    project = write_project(tmp_path / "s", {}, "file,state,role\n" + rows)
    warnings = read_metadata(project.metadata_path, "metadata.csv").warnings
    assert len(warnings) == 2, warnings
    ohio = next(w for w in warnings if "'Ohio'" in w)
    assert "'ohio' (line 2)" in ohio and "'OHIO' (line 4)" in ohio and "(lines 3, 5)" in ohio
    assert ohio.startswith("metadata.csv: state:") and "write them the same" in ohio
    assert "'texas' (line 7)" in next(w for w in warnings if "'Texas'" in w)
