"""Property: any text, coded anywhere, survives a REFI-QDA export and import unchanged."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import add_coding, add_document
from test_refi_fixtures import accepted_codings, fresh_project, write_codebook
from themegrid.exchange.refi import export_qdpx, import_qdpx
from themegrid.store.connection import Store

# Any printable text, astral characters and combining marks included; no line breaks
# inside a turn (turns are joined by blank lines) and no surrogates (not encodable).
TURN = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda t: t.strip() == t and t)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns=st.lists(TURN, min_size=1, max_size=6), coded=st.sets(st.integers(0, 5), max_size=4))
def test_quoted_text_survives_export_and_import(turns: list[str], coded: set[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        src = write_codebook(root / "src")
        with Store(src.store_path) as store:
            ids = add_document(
                store, "a.txt", [("Respondent", t) for t in turns], {"state": "Ohio"}
            )
            for i in sorted(coded):
                if i < len(ids):
                    add_coding(
                        store, ids[i], "equity", source="human", coder="ana", status="accepted"
                    )
            before = {(text, code, coder) for _, text, code, coder in accepted_codings(store)}
        export_qdpx(src, root / "p.qdpx")
        dst = fresh_project(root / "dst")
        import_qdpx(dst, root / "p.qdpx")
        with Store(dst.store_path) as store:
            after = {(text, code, coder) for _, text, code, coder in accepted_codings(store)}
        assert {t for t, _, _ in after} == {t for t, _, _ in before}
        assert len(after) == len(before)
