"""Cross-case theme matrices (pandas) from the store's ``effective_codings``.

:func:`load_codings` reads the codings that count into a :class:`CodingFrame`
(one row per counted coding, with its segment, document, case attributes and
code). The matrix functions aggregate it by any case attribute or combination:

- :func:`count_matrix`: segments coded with each code per case;
- :func:`document_matrix` / :func:`respondent_matrix`: distinct documents per
  case carrying the code, and the same as "n of N" text;
- :func:`framework_matrix`: the strongest quotes per case and code;
- :func:`cooccurrence_matrix`: segments carrying both of two codes;
- :func:`source_type_matrix`: codes by source type, for triangulation.

Which codings count is the ``include`` parameter: ``"suggested"`` (accepted
codings plus unreviewed machine suggestions) or ``"accepted"`` (human-accepted
only). Rejected and retired codings never count. ``coders`` limits human
decisions to some coders (for instance the study's coder, not a second coder
who double-coded for reliability). Every frame carries the choice as
``frame.attrs["basis"]``.

Confirmed and unreviewed apart: every count function takes ``which``: ``"all"``
(the default), ``"confirmed"`` (the coding that counts is a human acceptance) or
``"unreviewed"`` (it is a live machine suggestion nobody has decided). For one
(segment, code) pair the two are a partition: the pair is confirmed when any of
its counted codings (with roll-up, any child's) is a human acceptance, else
unreviewed, so ``confirmed + unreviewed == all`` cell by cell. A document carries
a code "confirmed" when one of its pairs is confirmed; two codes co-occur
"confirmed" on a segment when both pairs are confirmed.

With ``roll_up=True`` a code counts for its parents too, once per segment: a
segment coded with two children of one parent counts once for the parent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from themegrid.codebook import Codebook
from themegrid.errors import MatrixError
from themegrid.spelling import same_spellings
from themegrid.store import codes as store_codes
from themegrid.store import views
from themegrid.store.connection import Store

Include = Literal["suggested", "accepted"]
Which = Literal["all", "confirmed", "unreviewed"]
WHICH = ("all", "confirmed", "unreviewed")
#: How a quote says where it comes from (Framework cells).
QUOTE_LABELS = {True: "[confirmed]", False: "[unreviewed suggestion]"}
NONE_LABEL = "(none)"
#: The case every document has: itself. ``--by document``, and the columns of a study
#: whose documents carry no case attribute yet.
DOCUMENT_CASE = "document"
#: With no case attribute, documents are the cases only up to this many (a survey's rows
#: as documents would make thousands of columns); ``--by document`` has no limit.
MAX_DOCUMENT_CASES = 150
TOTAL = "Total"
CASE_SEPARATOR = " / "
QUOTE_MAX_WORDS = 120
SWEET_SPOT = (20, 80)
QUOTE_COLUMNS = (
    "segment_id", "document_id", "code_id", "document", "seq", "speaker", "passage", "text"
)  # fmt: skip

BASIS = {
    "suggested": "accepted codings and unreviewed machine suggestions "
    "(rejected and retired codings excluded)",
    "accepted": "human-accepted codings only "
    "(unreviewed machine suggestions, rejected and retired codings excluded)",
}

#: Columns of :attr:`CodingFrame.codings` before the case-attribute columns.
CODING_COLUMNS = (
    "segment_id",
    "document_id",
    "document",
    "seq",
    "speaker",
    "is_interviewer",
    "code_id",
    "code_name",
    "parent_id",
    "status",
    "source",
    "coder",
    "confidence",
    "reason",
    "note",
    "passage",
    "text",
)


@dataclass(frozen=True, eq=False)
class CodingFrame:
    """The codings that count, ready to aggregate.

    ``codings``: one row per counted coding (:data:`CODING_COLUMNS` plus one
    column per case attribute, see :attr:`attribute_columns`).
    ``documents``: one row per present document (``document_id``, ``document``
    and the attribute columns), the denominators of "n of N".
    ``codes``: every known code in codebook tree order (index ``code_id``;
    columns ``name``, ``parent_id``, ``depth``, ``definition``, ``include``,
    ``exclude``, ``codable``, ``origin``).
    """

    codings: pd.DataFrame
    documents: pd.DataFrame
    codes: pd.DataFrame
    include: Include
    attribute_columns: Mapping[str, str]
    n_segments: int
    coders: tuple[str, ...] = ()
    #: Intermediate frames and arrays computed once per frame (see :func:`_pairs`); never
    #: part of results.
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def basis(self) -> str:
        if self.coders:
            return f"{BASIS[self.include]}; human decisions by {', '.join(self.coders)} only"
        human = self.codings.loc[self.codings["source"] == "human", "coder"]
        coders = sorted({str(c) for c in human.dropna()})
        if len(coders) < 2:
            return BASIS[self.include]
        shown = ", ".join(coders[:4]) + (f" and {len(coders) - 4} more" if len(coders) > 4 else "")
        return (
            f"{BASIS[self.include]}; the decisions of {len(coders)} human coders ({shown}) "
            "together, the latest one where two decided the same segment and code "
            "(--coder NAME counts one coder's)"
        )

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(self.attribute_columns)

    def ancestors(self, code_id: str) -> tuple[str, ...]:
        """Parent, grandparent, ... of a code (nearest first); unknown codes have none."""
        parents = self.codes["parent_id"]
        out: list[str] = []
        current = parents.get(code_id)
        while isinstance(current, str) and current not in out and current != code_id:
            out.append(current)
            current = parents.get(current)
        return tuple(out)


# --- loading ---------------------------------------------------------------------------------


def has_codings(store: Store) -> bool:
    """Whether the store holds any coding at all (suggested, decided or retired)."""
    return views.has_codings(store)


def load_codings(
    store: Store,
    codebook: Codebook | None = None,
    *,
    include: Include = "suggested",
    coders: Sequence[str] | None = None,
) -> CodingFrame:
    """Read the codings that count (see the module docstring) into a :class:`CodingFrame`.

    Machine suggestions on interviewer segments are ignored; a human coding on
    one counts.
    """
    if include not in BASIS:
        raise MatrixError(f"include={include!r} is not valid; use 'suggested' or 'accepted'")
    statuses = ("accepted", "suggested") if include == "suggested" else ("accepted",)
    if coders:
        _check_coders(store, coders)
    codings = views.counted_codings_frame(store, statuses, coders)
    documents, attribute_columns = _load_documents(store)
    codes = _code_table(store, codebook, codings["code_id"].unique())
    codings["code_name"] = codings["code_id"].map(codes["name"])
    codings["parent_id"] = codings["code_id"].map(codes["parent_id"])
    codings["is_interviewer"] = codings["is_interviewer"].astype(bool)
    codings["confidence"] = pd.to_numeric(codings["confidence"], errors="coerce")
    attrs = documents.drop(columns=["document"])
    codings = codings.merge(attrs, on="document_id", how="left")
    codings = codings[[*CODING_COLUMNS, *attribute_columns.values()]]
    n_segments = views.active_segment_count(store)
    return CodingFrame(
        codings=codings.reset_index(drop=True),
        documents=documents,
        codes=codes,
        include=include,
        attribute_columns=attribute_columns,
        n_segments=int(n_segments or 0),
        coders=tuple(coders or ()),
    )


def _check_coders(store: Store, coders: Sequence[str]) -> None:
    known = views.human_coders(store)
    unknown = [c for c in coders if c not in known]
    if unknown:
        raise MatrixError(
            f"no human decisions by {', '.join(repr(c) for c in unknown)}; "
            f"coders in this project: {', '.join(known) or 'none yet'}"
        )


def _load_documents(store: Store) -> tuple[pd.DataFrame, dict[str, str]]:
    rows = views.present_document_attributes(store)
    parsed: list[dict[str, object]] = []
    keys: dict[str, None] = {}
    for row in rows:
        try:
            attrs = json.loads(row.attributes or "{}")
        except json.JSONDecodeError as exc:
            raise MatrixError(
                f"document {row.path}: its stored attributes are not valid JSON ({exc}); "
                "run 'themegrid ingest' again to rebuild them from corpus/metadata.csv"
            ) from exc
        attrs = attrs if isinstance(attrs, dict) else {}
        for key in attrs:
            keys.setdefault(str(key), None)
        parsed.append({str(k): v for k, v in attrs.items()})
    taken = set(CODING_COLUMNS)
    columns = {key: (f"{key} (document)" if key in taken else key) for key in sorted(keys)}
    data = {
        "document_id": [r.id for r in rows],
        "document": [r.path for r in rows],
    }
    for key, column in columns.items():
        values = [_attr_text(a.get(key)) for a in parsed]
        # "ohio", "Ohio " and "OHIO" are one case, under the spelling most documents use
        # (ingest warns about them, naming metadata.csv's lines)
        spelling = same_spellings(v for v in values if v is not None)
        data[column] = [spelling.get(v, v) if v is not None else None for v in values]
    frame = pd.DataFrame(data, columns=["document_id", "document", *columns.values()])
    return frame, columns


def _attr_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _code_table(store: Store, codebook: Codebook | None, used: Iterable[str]) -> pd.DataFrame:
    """Every known code, codebook codes first in tree order, then store-only and unknown ones."""
    records: dict[str, dict[str, object]] = {}
    if codebook is not None:
        for code in codebook.tree_order():
            records[code.id] = {
                "name": code.name,
                "parent_id": code.parent_id,
                "definition": code.definition,
                "include": code.include,
                "exclude": code.exclude,
                "codable": code.codable,
                "origin": "codebook",
            }
    for row in store_codes.all_codes(store):
        gone = codebook is not None and row.origin == "codebook" and row.id not in records
        records.setdefault(
            row.id,
            {
                # a code the codebook had and no longer has (an id renamed in the YAML) is
                # never a second row under the same name as the code it became
                "name": f"{row.name} (not in the codebook)" if gone else row.name,
                "parent_id": row.parent_id,
                "definition": row.definition,
                "include": row.include_note,
                "exclude": row.exclude_note,
                "codable": row.codable,
                "origin": row.origin,
            },
        )
    for code_id in sorted(set(used) - set(records)):
        records[code_id] = {
            "name": code_id,
            "parent_id": None,
            "definition": "",
            "include": "",
            "exclude": "",
            "codable": True,
            "origin": "unknown",
        }
    order = _tree_order(records)
    frame = pd.DataFrame.from_dict({k: records[k] for k in order}, orient="index")
    frame.index.name = "code_id"
    frame["depth"] = [_depth(k, records) for k in order]
    return frame


def _tree_order(records: Mapping[str, Mapping[str, object]]) -> list[str]:
    """Parents before children, siblings in the order given; codes with unknown parents are roots."""
    children: dict[str | None, list[str]] = {}
    for code_id, rec in records.items():
        parent = rec["parent_id"]
        key = parent if isinstance(parent, str) and parent in records else None
        children.setdefault(key, []).append(code_id)
    out: list[str] = []
    seen: set[str] = set()

    def walk(parent: str | None) -> None:
        for code_id in children.get(parent, []):
            if code_id not in seen:
                seen.add(code_id)
                out.append(code_id)
                walk(code_id)

    walk(None)
    out.extend(k for k in records if k not in seen)  # parent cycles in the codes table
    return out


def _depth(code_id: str, records: Mapping[str, Mapping[str, object]]) -> int:
    depth, seen = 0, {code_id}
    parent = records[code_id]["parent_id"]
    while isinstance(parent, str) and parent in records and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = records[parent]["parent_id"]
    return depth


# --- cases -------------------------------------------------------------------------------------


def normalise_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """``"state"`` or ``("state", "role")`` as a tuple; at least one attribute."""
    out = (by,) if isinstance(by, str) else tuple(by)
    if not out:
        raise MatrixError("give at least one case attribute to group by, e.g. 'state'")
    return out


def case_labels(cf: CodingFrame, by: str | Sequence[str], *, strict: bool = True) -> pd.Series:
    """The case of each present document (index ``document_id``), e.g. "Arizona / teacher".

    Documents missing an attribute go under "(none)". With ``strict``, an
    attribute no document has is an error (usually a typo).
    """
    attrs = normalise_by(by)
    unknown = [a for a in attrs if a not in cf.attribute_columns and a != DOCUMENT_CASE]
    if strict and unknown and not cf.documents.empty:
        known = ", ".join(cf.attributes) or "(none)"
        raise MatrixError(
            f"no document has the case attribute {', '.join(map(repr, unknown))}; "
            f"attributes in this project: {known} (set them in corpus/metadata.csv)"
        )
    parts = []
    for attr in attrs:
        column = cf.attribute_columns.get(attr)
        if column is None and attr == DOCUMENT_CASE:
            values = _document_names(cf.documents["document"])
        elif column is None:
            values = pd.Series(NONE_LABEL, index=cf.documents.index)
        else:
            values = cf.documents[column].fillna(NONE_LABEL).astype(str)
        parts.append(values)
    label = parts[0]
    for part in parts[1:]:
        label = label + CASE_SEPARATOR + part
    return pd.Series(label.to_numpy(), index=cf.documents["document_id"].to_numpy(), name="case")


def _document_names(paths: pd.Series) -> pd.Series:
    """Documents as cases: their paths without the folders every document shares
    (``taguette/Study/P2.odt`` and ``taguette/Study/P3.odt`` show as ``P2.odt``, ``P3.odt``)."""
    parts = [str(p).split("/") for p in paths]
    shared = 0
    if parts:
        shortest = min(len(p) for p in parts)
        while shared < shortest - 1 and len({p[shared] for p in parts}) == 1:
            shared += 1
    return pd.Series(["/".join(p[shared:]) for p in parts], index=paths.index, dtype=object)


def case_order(labels: Iterable[str]) -> list[str]:
    """Cases alphabetically attribute by attribute, numbers in them by value (P2 before
    P10, as a reader counts participants), "(none)" after the values of its attribute."""

    def key(case: str) -> tuple[tuple[bool, tuple[tuple[int, int, str], ...]], ...]:
        return tuple((p == NONE_LABEL, _natural(p)) for p in case.split(CASE_SEPARATOR))

    return sorted(set(labels), key=lambda c: (key(c), c))


_RUNS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key: runs of digits compare as numbers, the rest without case."""
    return tuple(
        (0, int(run), "") if run.isdigit() else (1, 0, run.casefold())
        for run in _RUNS.split(text)
        if run
    )


# --- aggregation helpers ---------------------------------------------------------------------


def _pairs(
    cf: CodingFrame, roll_up: bool, extra: Sequence[str] = (), which: Which = "all"
) -> pd.DataFrame:
    """(segment, code) pairs, one per segment and code; with roll-up, parents added once.

    Column ``confirmed``: whether any counted coding of the pair is a human acceptance.
    ``which`` keeps all pairs, or only the confirmed or only the unreviewed ones.
    Columns ``_segment`` and ``_code`` number the segment and the code (the code's place
    in :func:`_code_universe`), so that the matrices count integers, not text.
    """
    _check_which(which)
    key = ("pairs", roll_up, tuple(extra))
    frame = cf.cache.get(key)
    if frame is None:
        cols = ["segment_id", "document_id", "code_id", *extra]
        frame = cf.codings[cols].assign(
            confirmed=cf.codings["status"].eq("accepted").to_numpy(),
            _segment=segment_numbers(cf),
        )
        frame = _explode_codes(cf, frame, roll_up)
        frame = frame.sort_values("confirmed", ascending=False, kind="stable")
        pair = frame["_segment"].to_numpy() * len(_code_universe(cf)) + frame["_code"].to_numpy()
        frame = cf.cache[key] = frame[~pd.Series(pair).duplicated().to_numpy()]
    return _keep(frame, which)


def segment_numbers(cf: CodingFrame) -> np.ndarray:
    """Each coding's segment as a number (the same number for the same segment id, in
    order of first appearance: ``pd.factorize`` of ``segment_id``), computed once."""
    found = cf.cache.get("segment_numbers")
    if found is None:
        found = cf.cache["segment_numbers"] = pd.factorize(cf.codings["segment_id"])[0]
    return np.asarray(found)


def _code_universe(cf: CodingFrame) -> pd.Index:
    """Every code a pair can carry: the code table's codes (in its order, so that a code's
    number is its row in every matrix), then parent ids the table does not hold."""
    found = cf.cache.get("code_universe")
    if found is None:
        known = list(cf.codes.index)
        held = set(known)
        extra: list[str] = []
        for code_id in known:
            for parent in cf.ancestors(code_id):
                if parent not in held:
                    held.add(parent)
                    extra.append(parent)
        found = cf.cache["code_universe"] = pd.Index([*known, *extra], dtype=object)
    return pd.Index(found)


def _explode_codes(cf: CodingFrame, frame: pd.DataFrame, roll_up: bool) -> pd.DataFrame:
    """``frame`` (one row per coding, column ``code_id``) with column ``_code`` (the code's
    number); with ``roll_up``, each row repeated for the code's parent, grandparent, ...
    right after it (what ``explode`` of the ancestor chains gives, index included)."""
    universe = _code_universe(cf)
    number = universe.get_indexer(frame["code_id"])
    if (number < 0).any():  # a code the code table does not know: not from load_codings
        raise MatrixError("internal error: a coding's code is missing from the code table")
    if not roll_up:
        return frame.assign(_code=number)
    chains = [universe.get_indexer([c, *cf.ancestors(c)]) for c in universe]
    lengths = np.array([len(c) for c in chains], dtype=np.int64)
    flat = np.concatenate(chains) if chains else np.zeros(0, dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    repeat = lengths[number]
    rows = np.repeat(np.arange(len(frame)), repeat)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    codes = flat[np.repeat(starts[number], repeat) + within]
    out = frame.take(rows)
    return out.assign(code_id=universe.to_numpy()[codes], _code=codes)


def _keep(frame: pd.DataFrame, which: Which) -> pd.DataFrame:
    if which == "confirmed":
        return frame[frame["confirmed"]]
    if which == "unreviewed":
        return frame[~frame["confirmed"]]
    return frame


def _check_which(which: str) -> None:
    if which not in WHICH:
        raise MatrixError(f"which={which!r} is not valid; use 'all', 'confirmed' or 'unreviewed'")


def _stamp(frame: pd.DataFrame, cf: CodingFrame, **extra: object) -> pd.DataFrame:
    frame.attrs.update({"basis": cf.basis, "include": cf.include, **extra})
    return frame


def _code_index(cf: CodingFrame) -> pd.Index:
    return pd.Index(cf.codes.index, name="code_id")


def _code_by_case(cf: CodingFrame, pairs: pd.DataFrame, cases: Sequence[str]) -> pd.DataFrame:
    """Rows of ``pairs`` per code (index: the code table's codes) and case (columns:
    ``cases``): what ``pd.crosstab`` gives reindexed to them, counted with ``bincount``
    over the codes' and cases' numbers (crosstab is 10 times slower at 100,000 codings)."""
    codes = _code_index(cf)
    columns = pd.Index(cases)
    code = pairs["_code"].to_numpy()
    case = columns.get_indexer(pairs["case"])
    keep = (code < len(codes)) & (case >= 0)
    cell = code[keep] * len(columns) + case[keep]
    counts = np.bincount(cell, minlength=len(codes) * len(columns)).astype("int64")
    return pd.DataFrame(counts.reshape(len(codes), len(columns)), index=codes, columns=columns)


def _with_cases(
    cf: CodingFrame, pairs: pd.DataFrame, by: Sequence[str], strict: bool = True
) -> pd.DataFrame:
    labels = case_labels(cf, by, strict=strict)
    return pairs.assign(case=pairs["document_id"].map(labels))


# --- matrices ----------------------------------------------------------------------------------


def count_matrix(
    cf: CodingFrame,
    by: str | Sequence[str] = ("state",),
    *,
    roll_up: bool = True,
    strict: bool = True,
    which: Which = "all",
) -> pd.DataFrame:
    """Segments coded with each code (rows, codebook order) per case (columns), plus ``Total``."""
    by = normalise_by(by)
    pairs = _with_cases(cf, _pairs(cf, roll_up, which=which), by, strict)
    cases = case_order(case_labels(cf, by, strict=strict))
    table = _code_by_case(cf, pairs, cases)
    table[TOTAL] = table.sum(axis=1)
    table.columns.name = "case"
    return _stamp(table, cf, by=by, roll_up=roll_up, measure="segments", which=which)


def coded_segments_by_case(
    cf: CodingFrame, by: str | Sequence[str] = ("state",), which: Which = "all"
) -> pd.Series:
    """Distinct segments carrying any counted code, per case and in ``Total``.

    A segment is confirmed when any of its counted codings is a human acceptance.
    """
    _check_which(which)
    by = normalise_by(by)
    frame = cf.codings[["segment_id", "document_id"]].assign(
        confirmed=cf.codings["status"].eq("accepted").to_numpy(), _segment=segment_numbers(cf)
    )
    frame = frame.sort_values("confirmed", ascending=False, kind="stable")
    frame = _keep(frame[~frame["_segment"].duplicated().to_numpy()], which)
    pairs = _with_cases(cf, frame, by)
    counts = pairs.groupby("case").size()
    counts = counts.reindex(case_order(case_labels(cf, by)), fill_value=0).astype("int64")
    counts[TOTAL] = int(counts.sum())
    return counts


def case_sizes(cf: CodingFrame, by: str | Sequence[str] = ("state",)) -> pd.Series:
    """N: present documents in each case, plus ``Total``."""
    labels = case_labels(cf, by)
    sizes = labels.value_counts().reindex(case_order(labels), fill_value=0).astype("int64")
    sizes[TOTAL] = len(labels)
    return sizes


def document_matrix(
    cf: CodingFrame,
    by: str | Sequence[str] = ("state",),
    *,
    roll_up: bool = True,
    which: Which = "all",
) -> pd.DataFrame:
    """n: distinct documents per case carrying each code (with ``Total``).

    Confirmed: the document has a confirmed pair of the code; unreviewed: only
    unreviewed ones.
    """
    by = normalise_by(by)
    pairs = _pairs(cf, roll_up)  # sorted confirmed first
    code = pairs["_code"].to_numpy()
    document = pairs["document_id"].to_numpy().astype(np.int64)
    first = ~pd.Series(document * len(_code_universe(cf)) + code).duplicated().to_numpy()
    pairs = _with_cases(cf, _keep(pairs[first], which), by)
    cases = case_order(case_labels(cf, by))
    table = _code_by_case(cf, pairs, cases)
    table[TOTAL] = table.sum(axis=1)
    table.columns.name = "case"
    return _stamp(table, cf, by=by, roll_up=roll_up, measure="documents", which=which)


def respondent_matrix(
    cf: CodingFrame,
    by: str | Sequence[str] = ("state",),
    *,
    roll_up: bool = True,
    which: Which = "all",
) -> pd.DataFrame:
    """Documents carrying each code as "n of N" text, N the documents in the case."""
    counts = document_matrix(cf, by, roll_up=roll_up, which=which)
    sizes = case_sizes(cf, by).reindex(counts.columns)
    # "n" and " of N" joined cell by cell in numpy (object arrays add as Python strings).
    of = np.array([f" of {sizes[c]}" for c in counts.columns], dtype=object)
    cells = counts.to_numpy().astype(str).astype(object) + of
    text = pd.DataFrame(cells, index=counts.index, columns=counts.columns).astype(str)
    text.attrs = dict(counts.attrs, measure="documents (n of N)")
    return text


def framework_matrix(
    cf: CodingFrame,
    by: str | Sequence[str] = ("state",),
    *,
    k: int = 3,
    roll_up: bool = True,
    labels: bool = False,
    quotes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Case × code cells with up to ``k`` strongest quotes, each from a different document.

    Ranking: human-accepted first, then confidence, then closeness of the length to
    20–80 words. Each quote reads ``[confirmed] "text" — Speaker, path`` (or
    ``[unreviewed suggestion] ...`` for a live machine suggestion), with ``labels``.
    ``quotes``: :func:`framework_quotes` already computed with the same arguments.
    """
    by = normalise_by(by)
    best = quotes if quotes is not None else framework_quotes(cf, by, k=k, roll_up=roll_up)
    texts = [
        format_quote(t, s, d)
        for t, s, d in zip(
            best["text"].tolist(), best["speaker"].tolist(), best["document"].tolist(), strict=True
        )
    ]
    if labels:
        texts = [
            f"{QUOTE_LABELS[confirmed]} {q}"
            for q, confirmed in zip(texts, best["confirmed"].tolist(), strict=True)
        ]
    joined: dict[tuple[str, str], list[str]] = {}
    pairs = zip(best["code_id"].tolist(), best["case"].tolist(), texts, strict=True)
    for code_id, case, quote in pairs:
        joined.setdefault((code_id, case), []).append(quote)
    codes = _code_index(cf)
    cases = case_order(case_labels(cf, by))
    grid = [["\n\n".join(joined.get((c, k), ())) for k in cases] for c in codes]
    table = pd.DataFrame(grid, index=codes, columns=pd.Index(cases, name="case"), dtype=object)
    return _stamp(table, cf, by=by, roll_up=roll_up, measure=f"up to {k} quotes")


def framework_quotes(
    cf: CodingFrame, by: str | Sequence[str] = ("state",), *, k: int = 3, roll_up: bool = True
) -> pd.DataFrame:
    """The quotes of :func:`framework_matrix`, one row each, best first within a cell:
    ``code_id``, ``case``, ``text``, ``speaker``, ``document``, ``confirmed`` (a human
    accepted the code on the segment)."""
    ranked = _ranked_quotes(cf, normalise_by(by), roll_up)
    best = ranked.drop_duplicates(["code_id", "case", "document_id"])
    best = best.groupby(["code_id", "case"], sort=False).head(k)
    out = best[["code_id", "case", "text", "speaker", "document"]]
    return out.assign(confirmed=~best["_human"].to_numpy(dtype=bool)).reset_index(drop=True)


def _ranked_quotes(cf: CodingFrame, by: Sequence[str], roll_up: bool) -> pd.DataFrame:
    """Counted (segment, code) pairs with their case, best quote first.

    The ranking is done on numbers (the coding's row, the code's and the segment's
    numbers); the quote's text columns are taken once, for the pairs kept."""
    codings = cf.codings
    low, high = SWEET_SPOT
    segment = segment_numbers(cf)
    # Segment numbers run in order of first appearance: the k-th first row is segment k's.
    first = pd.Series(segment).drop_duplicates().index.to_numpy()
    texts = codings["text"].to_numpy()[first].tolist()
    words = np.array([len(str(t).split()) for t in texts], dtype=np.int64)
    penalty = np.maximum(low - words, 0) + np.maximum(words - high, 0)
    keys = pd.DataFrame(
        {
            "_row": np.arange(len(codings)),
            "code_id": codings["code_id"].to_numpy(),
            # The document path's place in path order: the sort below compares numbers.
            "_document": pd.factorize(codings["document"], sort=True)[0],
            "seq": codings["seq"].to_numpy(),
            "_human": codings["status"].ne("accepted").to_numpy(),
            "_conf": -codings["confidence"].fillna(0.0).to_numpy(),
            "_len": penalty[segment] if len(segment) else np.zeros(0, dtype=np.int64),
            "_segment": segment,
        },
        index=codings.index,
    )
    keys = _explode_codes(cf, keys, roll_up)
    order = np.lexsort(  # stable, the last key first: what sort_values of these columns gives
        [keys[c].to_numpy() for c in ("seq", "_document", "_len", "_conf", "_human")]
    )
    keys = keys.iloc[order]
    pair = keys["_segment"].to_numpy() * len(_code_universe(cf)) + keys["_code"].to_numpy()
    keys = keys[~pd.Series(pair).duplicated().to_numpy()]
    taken = codings[list(QUOTE_COLUMNS)].take(keys["_row"].to_numpy())
    taken.index = keys.index
    # A passage coded inside its segment is the quote, not the whole turn around it.
    passage = taken["passage"]
    taken["text"] = passage.where(passage.notna(), taken["text"]).to_numpy()
    ranked = taken.assign(
        code_id=keys["code_id"].to_numpy(),
        _human=keys["_human"].to_numpy(),
        _conf=keys["_conf"].to_numpy(),
        _len=keys["_len"].to_numpy(),
    )
    return _with_cases(cf, ranked, by)


def format_quote(
    text: str, speaker: str | None, document: str, max_words: int = QUOTE_MAX_WORDS
) -> str:
    """``"text" — Speaker, path`` (the text shortened to ``max_words`` words with "…")."""
    words = str(text).split()
    body = " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")
    who = f"{speaker}, {document}" if isinstance(speaker, str) and speaker else document
    return f"\u201c{body}\u201d \u2014 {who}"


def cooccurrence_matrix(
    cf: CodingFrame, *, roll_up: bool = False, which: Which = "all"
) -> pd.DataFrame:
    """Code × code: segments carrying both codes (the diagonal: segments with the code).

    Off by default, roll-up would make every child co-occur with its parent.
    ``which="confirmed"``: both codes confirmed on the segment; ``"unreviewed"``: at
    least one of the two is an unreviewed suggestion (the two add up to ``"all"``).
    """
    _check_which(which)
    codes = _code_index(cf)
    pairs = _pairs(cf, roll_up)
    number = pairs["_code"].to_numpy()
    frame = pd.DataFrame(
        {
            "segment": pairs["_segment"].to_numpy(),
            "code": np.where(number < len(codes), number, -1).astype(np.int64),
            "confirmed": pairs["confirmed"].to_numpy(dtype=bool),
        }
    )

    def both_codes(part: pd.DataFrame) -> np.ndarray:
        """codes x codes: segments of ``part`` carrying both (each (segment, code) once)."""
        joined = part.merge(part, on="segment")  # every pair of codes on a segment
        cell = joined["code_x"].to_numpy() * len(codes) + joined["code_y"].to_numpy()
        return np.bincount(cell, minlength=len(codes) ** 2).reshape(len(codes), len(codes))

    confirmed = both_codes(frame[frame["confirmed"]])
    if which == "confirmed":
        both = confirmed
    else:
        both = both_codes(frame)
        if which == "unreviewed":
            both = both - confirmed
    table = pd.DataFrame(both, index=codes, columns=pd.Index(codes, name="code"))
    return _stamp(table, cf, roll_up=roll_up, measure="segments with both codes", which=which)


def source_type_matrix(
    cf: CodingFrame,
    attribute: str = "source_type",
    *,
    roll_up: bool = True,
    which: Which = "all",
) -> pd.DataFrame:
    """Segments per code and source type (interview, focus group, document review, ...).

    Documents without the attribute go under "(none)" (all of them if no document has it).
    """
    return count_matrix(cf, (attribute,), roll_up=roll_up, strict=False, which=which)


DEFAULT_BY = "state"


@dataclass(frozen=True)
class CaseChoice:
    """Which case attribute(s) the columns use, and why (for the user to read)."""

    by: tuple[str, ...]
    reason: str


def choose_by(
    cf: CodingFrame, requested: Sequence[str] | None, metadata_order: Sequence[str] = ()
) -> CaseChoice:
    """``--by`` when given; else ``state`` if documents have it; else the first case
    attribute of ``corpus/metadata.csv`` (``metadata_order``, its header order) that
    documents have; else the first attribute any document has."""
    if requested:
        by = normalise_by(requested)
        return CaseChoice(by, f"{' + '.join(repr(b) for b in by)} (as given with --by)")
    if DEFAULT_BY in cf.attributes:
        return CaseChoice((DEFAULT_BY,), f"'{DEFAULT_BY}' (the default)")
    # An attribute with a value of its own for (nearly) every document that has it (a
    # respondent number, an interview id) names documents; it is no case to compare by.
    ids = [a for a in cf.attributes if _names_documents(cf, a)]
    present = [a for a in cf.attributes if a not in ids]
    left_out = (
        f"; {', '.join(map(repr, ids))} left out: a value of its own for nearly every document"
        if ids
        else ""
    )
    first = next((a for a in metadata_order if a in present), None)
    if first is not None:
        return CaseChoice(
            (first,),
            f"'{first}', the first case attribute in corpus/metadata.csv (no document has "
            f"'{DEFAULT_BY}'{left_out}; choose another with --by)",
        )
    if present:
        return CaseChoice(
            (present[0],),
            f"'{present[0]}' (no document has '{DEFAULT_BY}'{left_out}; choose another with --by)",
        )
    documents = len(cf.documents)
    if documents > MAX_DOCUMENT_CASES:
        named = f" ({', '.join(map(repr, ids))} has a value of its own per document)" if ids else ""
        raise MatrixError(
            f"no document has a case attribute to compare by{named}, and {documents} "
            f"documents are too many to be a column each (at most {MAX_DOCUMENT_CASES}); "
            "give --by ATTRIBUTE, or add columns such as state or source_type to "
            "corpus/metadata.csv (an imported document's row names its stored path) and run "
            "'themegrid ingest' again; for coded spreadsheets, 'themegrid import-coded ... "
            "--attribute-column COLUMN' keeps a column as an attribute; or give --by document"
        )
    return CaseChoice(
        (DOCUMENT_CASE,),
        f"'{DOCUMENT_CASE}': each document is its own case, as no document has a case "
        "attribute yet (add columns such as state to corpus/metadata.csv, where an imported "
        "document's row names its stored path, and run 'themegrid ingest' again)",
    )


def _names_documents(cf: CodingFrame, attribute: str) -> bool:
    """Whether ``attribute`` identifies documents rather than grouping them: more values
    than a matrix shows side by side, nearly one per document that has it."""
    column = cf.attribute_columns.get(attribute, attribute)
    if column not in cf.documents:
        return False
    values = cf.documents[column].dropna()
    values = values[~values.astype(str).str.strip().isin(("", NONE_LABEL))]
    distinct = values.nunique()
    return distinct > MAX_DOCUMENT_CASES and distinct >= 0.9 * len(values)


#: The most case columns a view shows (the browser's matrix): the documents-as-cases limit
#: of :func:`choose_by`, so neither view puts more than this many documents side by side
#: unless asked (``--by document``; the workbook then has every column).
MAX_SHOWN_CASES = MAX_DOCUMENT_CASES


@dataclass(frozen=True)
class ShownCases:
    """The case columns a capped view shows, in :func:`case_order`, and those it leaves out."""

    shown: tuple[str, ...]
    #: Cases with no counted coding (every present document is in a case, coded or not).
    empty: tuple[str, ...]
    #: Cases with codings left out past the limit (the fewest confirmed segments).
    cut: tuple[str, ...]


def shown_cases(
    cf: CodingFrame, by: str | Sequence[str], limit: int = MAX_SHOWN_CASES
) -> ShownCases:
    """The cases of :func:`count_matrix` a view of at most ``limit`` columns shows: those
    with any counted coding, the ``limit`` with the most confirmed segments (then the most
    unreviewed, then case order) when there are more."""
    by = normalise_by(by)
    cases = case_order(case_labels(cf, by))
    confirmed = coded_segments_by_case(cf, by, which="confirmed")
    unreviewed = coded_segments_by_case(cf, by, which="unreviewed")
    coded = [c for c in cases if confirmed[c] + unreviewed[c] > 0]
    ranked = sorted(
        range(len(coded)), key=lambda i: (-confirmed[coded[i]], -unreviewed[coded[i]], i)
    )
    kept = {coded[i] for i in ranked[: max(limit, 0)]}
    return ShownCases(
        shown=tuple(c for c in coded if c in kept),
        empty=tuple(c for c in cases if c not in set(coded)),
        cut=tuple(c for c in coded if c not in kept),
    )


def cell_segments(
    cf: CodingFrame, by: str | Sequence[str], code_id: str, case: str, *, roll_up: bool = True
) -> pd.DataFrame:
    """The segments one :func:`count_matrix` cell counts, one row each (confirmed first,
    then document and turn order): ``segment_id``, ``document_id``, ``code_id`` (the code
    the segment carries: ``code_id`` itself or, with ``roll_up``, a descendant of it) and
    ``confirmed`` (a human accepted it; else it is an unreviewed suggestion)."""
    by = normalise_by(by)
    codings = cf.codings
    labels = case_labels(cf, by)
    present = codings["code_id"].unique()
    under = {c for c in present if c == code_id or (roll_up and code_id in cf.ancestors(str(c)))}
    rows = codings[
        codings["code_id"].isin(under) & codings["document_id"].map(labels).eq(case).to_numpy()
    ]
    rows = rows.assign(confirmed=rows["status"].eq("accepted").to_numpy())
    rows = rows.sort_values(
        ["confirmed", "document", "seq"], ascending=[False, True, True], kind="stable"
    )
    rows = rows.drop_duplicates("segment_id")
    return rows[["segment_id", "document_id", "code_id", "confirmed"]].reset_index(drop=True)
