"""The browser workspace over one project: overview, reader, review queue, codebook, matrix.

Server-rendered (Starlette + Jinja2 with autoescape, htmx served from
``static/``); every page reads through the store's query functions and
every write goes through :mod:`themegrid.web.decisions`.
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from html import escape as _esc
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from themegrid.codebook.model import Codebook
from themegrid.errors import SpanError, StoreBusy
from themegrid.exchange.coded import InvalidCoder, check_coder
from themegrid.exchange.labels import check_coder_known
from themegrid.exchange.review import ReviewItem
from themegrid.store import codes as codes_store
from themegrid.store import codings as codings_store
from themegrid.store import memos as memos_store
from themegrid.store import segments as segs_store
from themegrid.store import views, workspace
from themegrid.store.connection import Store, now
from themegrid.web import accounts, decisions
from themegrid.web.markdown import render_markdown
from themegrid.web.queue import ReviewQueue
from themegrid.web.security import (
    CODER_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    USER_KEY,
    Secrets,
    SecurityMiddleware,
)

HERE = Path(__file__).parent
# Colours for codes the codebook gives none; no grey, which reads as "no colour" (#999 is the
# fallback where a code is unknown).
PALETTE = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
    "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324", "#800000", "#aaffc3",
    "#808000", "#ffd8b1", "#000075", "#b8860b",
)  # fmt: skip
_HEX = re.compile(r"^#[0-9a-fA-F]{3,8}$")
_CUE = re.compile(r'matched "(.+?)" at (\d+)-(\d+)')
T = TypeVar("T")
MATRIX_CASES = 150  # columns the matrix shows at most (aggregate.matrix.MAX_SHOWN_CASES)
OVERVIEW_DOCS = 200  # document rows the overview shows unless asked for all


@dataclass(frozen=True)
class CodeInfo:
    id: str
    name: str
    css: str  # class name carrying the code's colour
    color: str
    parent_id: str | None
    depth: int
    codable: bool
    definition: str
    include: str
    exclude: str
    examples: tuple[str, ...]


def _code_infos(store: Store, codebook: Codebook) -> dict[str, CodeInfo]:
    by_id = {c.id: c for c in codebook.codes}
    stored = codes_store.all_codes(store)
    parents = {c.id: c.parent_id for c in stored}
    out: dict[str, CodeInfo] = {}
    for i, c in enumerate(stored):
        book = by_id.get(c.id)
        depth, p = 0, c.parent_id
        while p and depth < 10:
            depth, p = depth + 1, parents.get(p)
        color = c.color if c.color and _HEX.match(c.color) else PALETTE[i % len(PALETTE)]
        out[c.id] = CodeInfo(
            c.id,
            c.name,
            f"code-{i}",
            color,
            c.parent_id,
            depth,
            c.codable,
            c.definition,
            c.include_note,
            c.exclude_note,
            book.examples if book else (),
        )
    return out


_NOT_CASE = ("note", "source")  # metadata columns that describe a file, not its case


def _pick_code(infos: dict[str, CodeInfo], code_id: str, query: str) -> str | None:
    """The codable code a quick-add names: its id, else the first whose name or id
    contains the typed text (codebook order)."""
    codable = [c for c in infos.values() if c.codable]
    if code_id:
        return code_id if any(c.id == code_id for c in codable) else None
    q = query.strip().casefold()
    if not q:
        return None
    for c in codable:
        if q in (c.id.casefold(), c.name.casefold()):
            return c.id
    return next((c.id for c in codable if q in c.name.casefold() or q in c.id.casefold()), None)


def percent_shown(value: float) -> str:
    """A percentage to one decimal, rounded down: 99.96% of segments agreeing reads 99.9%,
    never 100% beside a list of disagreements."""
    return f"{math.floor(round(value * 10, 6)) / 10:.1f}"  # round first: 0.57 * 100 is 56.99…


#: How a run's summary figures read on the overview (figures not named here: their key).
RUN_FACTS = {
    "segments_tagged": "segments tagged",
    "suggestions_new": "new suggestions",
    "suggestions_retired": "suggestions retired",
    "suggestions_kept": "suggestions kept",
    "skipped_human_rejected": "not suggested again (a human rejected them)",
    "accepted": "accepted",
    "rejected": "rejected",
    "added": "codes added",
    "unchanged": "unchanged",
    "views_added": "segments marked seen",
    "segments": "segments",
    "codings": "codings",
    "memos": "memos",
    "moved": "codings moved",
    "combined": "combined",
    "retired": "codes retired",
    "restored": "codings restored",
}
#: Figures that identify rather than count.
_NOT_FACTS = {"run_id", "undone_run"}


def run_facts(summary: dict[str, Any]) -> str:
    """A run's non-zero figures in words: '1018 segments tagged, 974 new suggestions'."""
    facts = []
    for key, value in summary.items():
        if key in _NOT_FACTS or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if value:
            facts.append(f"{value:,} {RUN_FACTS.get(key, key.replace('_', ' '))}")
    return ", ".join(facts) or "nothing changed"


# --- rendering a turn with its codings -------------------------------------------------------


def _piece(text: str, marks: list[codings_store.DocumentCoding], info: dict[str, CodeInfo]) -> str:
    if not marks:
        return _esc(text)
    first = marks[0]
    css = info[first.code_id].css if first.code_id in info else "code-x"
    kinds = {"human" if m.source == "human" else "machine" for m in marks}
    kind = "human" if "human" in kinds else "machine"
    tip = "; ".join(
        f"{info[m.code_id].name if m.code_id in info else m.code_id} ({m.coder}): {m.reason}"
        for m in marks
    )
    return (
        f'<mark class="span {css} {kind}" tabindex="0" title="{escape(tip)}"'
        f' data-codes="{escape(" ".join(m.code_id for m in marks))}">{escape(text)}</mark>'
    )


def _memo_piece(piece: str, memos: list[memos_store.Memo]) -> str:
    tip = "; ".join(f"memo ({m.coder}): {m.text}" for m in memos)
    ids = " ".join(f"memo-{m.id}" for m in memos)
    return f'<span class="memo-span" title="{_esc(tip)}" data-memos="{ids}">{piece}</span>'


def _covers(start: int | None, end: int | None, lo: int, hi: int) -> bool:
    """Whether the passage ``start``-``end`` (None: none) covers ``lo``-``hi``."""
    return start is not None and end is not None and start <= lo and hi <= end


def render_turn(
    turn: workspace.ReaderTurn,
    spans: list[codings_store.DocumentCoding],
    info: dict[str, CodeInfo],
    memos: list[memos_store.Memo] | None = None,
) -> Markup:
    """The turn's text, HTML-escaped, with each span coding as a ``<mark>`` of its code's colour
    and each passage a memo is on underlined (the memo on hover)."""
    on_passages = [m for m in memos or () if m.span_start is not None and m.span_end is not None]
    if not spans and not on_passages:
        return Markup(_esc(turn.text))
    cuts = {0, len(turn.text)}
    for s in spans:
        assert s.span_start is not None and s.span_end is not None
        cuts.add(max(0, min(len(turn.text), s.span_start - turn.start)))
        cuts.add(max(0, min(len(turn.text), s.span_end - turn.start)))
    for m in on_passages:
        assert m.span_start is not None and m.span_end is not None
        cuts.add(max(0, min(len(turn.text), m.span_start - turn.start)))
        cuts.add(max(0, min(len(turn.text), m.span_end - turn.start)))
    points = sorted(cuts)
    out = []
    for a, b in pairwise(points):
        lo, hi = a + turn.start, b + turn.start
        covering = [s for s in spans if _covers(s.span_start, s.span_end, lo, hi)]
        piece = _piece(turn.text[a:b], covering, info)
        noted = [m for m in on_passages if _covers(m.span_start, m.span_end, lo, hi)]
        out.append(_memo_piece(piece, noted) if noted else piece)
    return Markup("".join(out))


def render_article(
    turn: workspace.ReaderTurn,
    text_html: Markup,
    codings: list[codings_store.DocumentCoding],
    memos: list[memos_store.Memo],
    info: dict[str, CodeInfo],
    me: str | None,
    csrf_input: str,
) -> str:
    """One turn of the reader as HTML: speaker, text with its marks, memos, codings (each
    with its reason on hover or focus, and a remove button on the reader's own codings).

    Written out here rather than in the template: a 2,000-turn transcript renders
    several times faster this way. Every value from data goes through ``_esc``.
    """
    tid = _esc(turn.id)
    out = [
        f'<article class="turn{" interviewer" if turn.is_interviewer else ""}" id="seg-{tid}">'
        '<div class="speaker">'
        f"{'<span class=tag>interviewer</span> ' if turn.is_interviewer else ''}"
        f"{_esc(turn.speaker or '')}</div>"
        f'<div class="text" data-start="{turn.start}" data-end="{turn.end}">{text_html}</div>'
    ]
    if memos:
        out.append('<div class="memos passage-memos">')
        for m in memos:
            on = ""
            if m.span_start is not None and m.span_end is not None:
                quote = turn.text[m.span_start - turn.start : m.span_end - turn.start]
                on = f" on “{_esc(quote)}” <small>({m.span_start}–{m.span_end})</small>"
            out.append(
                f'<blockquote class="memo" id="memo-{m.id}"><div class="md">{render_markdown(m.text)}</div>'
                f"<footer>memo{on} · {_esc(m.coder)}, {_esc(m.created_at[:16])}"
                f"</footer></blockquote>"
            )
        out.append("</div>")
    if codings:
        out.append('<ul class="codings">')
        for c in codings:
            ci = info.get(c.code_id)
            css = ci.css if ci else ""
            kind = "human" if c.source == "human" else "machine"
            who = (
                f"{_esc(c.coder)} · {_esc(c.status)}"
                if c.source == "human"
                else f"suggested ({_esc(c.source)})"
            )
            if c.span_start is not None:
                who += f" · passage {c.span_start}–{c.span_end}"
            reason = _esc(c.reason)
            # "Ana · accepted" then the reason "accepted in review": the status once
            said = c.reason or ""
            if c.source == "human" and said.startswith(f"{c.status} "):
                said = said[len(c.status) + 1 :]
            out.append(
                f'<li class="coding {css} {kind} {_esc(c.status)}" tabindex="0" title="{reason}">'
                f'<span class="swatch {css}"></span>{_esc(ci.name if ci else c.code_id)}'
                f' <small>{who}</small> <span class="reason">{_esc(said)}</span>'
                + (f' <span class="note">{_esc(c.note)}</span>' if c.note else "")
            )
            if c.source == "human" and c.coder == me and c.status == "accepted":
                out.append(
                    f'<form method="post" action="/remove" class="inline">{csrf_input}'
                    f'<input type="hidden" name="segment_id" value="{tid}">'
                    f'<input type="hidden" name="code_id" value="{_esc(c.code_id)}">'
                    '<button type="submit" class="remove" title="remove my coding">remove</button>'
                    "</form>"
                )
            out.append("</li>")
        out.append("</ul>")
    out.append("</article>\n")
    return "".join(out)


def highlight_cue(text: str, reason: str) -> Markup:
    """The segment text, escaped, with the first cue the reason names marked."""
    m = _CUE.search(reason)
    if m:
        start, end = int(m.group(2)), int(m.group(3))
        if text[start:end].casefold() != m.group(1).casefold():
            found = text.casefold().find(m.group(1).casefold())
            start, end = (found, found + len(m.group(1))) if found >= 0 else (0, 0)
        if end > start:
            return Markup(
                f'{escape(text[:start])}<mark class="cue">{escape(text[start:end])}</mark>'
                f"{escape(text[end:])}"
            )
    return Markup(escape(text))


# --- the application -------------------------------------------------------------------------


class Workspace:
    """The state behind the pages: the project's store, codebook, secrets and templates."""

    def __init__(
        self,
        store: Store,
        codebook: Codebook,
        secrets_: Secrets,
        name: str,
        metadata_order: Sequence[str] = (),
    ) -> None:
        self.writer = decisions.Writer(store)
        self.codebook = codebook
        self.metadata_order = tuple(metadata_order)
        self._frame: tuple[tuple[int, int, int], Any] | None = None
        self._frame_lock = threading.Lock()
        self._kept: dict[str, tuple[tuple[int, int, int], Any]] = {}
        self.queue = ReviewQueue(codebook)
        self.secrets = secrets_
        self.name = name
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
        )
        self.env.globals["csrf"] = secrets_.csrf
        self.env.globals["csrf_field"] = CSRF_FIELD
        self.env.globals["project_name"] = name
        self.env.filters["percent"] = percent_shown
        self.env.filters["md"] = render_markdown
        self.env.filters["run_facts"] = run_facts
        self.env.filters["qs"] = lambda d: urlencode(
            {k: v for k, v in d.items() if v not in ("", None)}
        )
        for template in self.env.list_templates(extensions=["html"]):
            self.env.get_template(template)  # compiled now, not on a researcher's first visit

    @property
    def store(self) -> Store:
        return self.writer.store

    def decide(
        self,
        coder: str,
        action: Callable[[Store], T],
        keys: Callable[[T], Iterable[tuple[str, str]]],
    ) -> T:
        """Write ``action``, ``coder``'s human decision on each (segment, code) ``keys`` names
        from its result, and tell the review queue inside the same transaction."""

        def run(store: Store) -> T:
            before = workspace.store_version(store)
            out = action(store)
            self.queue.decided(store, before, coder, keys(out))
            return out

        return self.writer.write(run)

    def coding_frame(self) -> Any:
        """The codings that count as the workbook reads them
        (:func:`themegrid.aggregate.matrix.load_codings`), kept while the store's version
        is unchanged (any decision or run moves it)."""
        from themegrid.aggregate import matrix as mx  # pandas: only when a matrix is asked for

        with self._frame_lock:
            version = self.writer.read(workspace.store_version)
            if self._frame is None or self._frame[0] != version:

                def load(s: Store) -> tuple[tuple[int, int, int], Any]:
                    return workspace.store_version(s), mx.load_codings(s, self.codebook)

                self._frame = self.writer.read(load)
            return self._frame[1]

    def kept(self, read: Callable[[Store], T]) -> T:
        """``read(store)``, kept while the store's version is unchanged (the overview's
        counts scan every coding: 660 ms of CPU at 1M words; a visit with nothing changed
        since reads the kept result)."""
        name = f"{read.__module__}.{read.__qualname__}"
        with self._frame_lock:
            version = self.writer.read(workspace.store_version)
            found = self._kept.get(name)
            if found is None or found[0] != version:

                def load(s: Store) -> tuple[tuple[int, int, int], Any]:
                    return workspace.store_version(s), read(s)

                found = self._kept[name] = self.writer.read(load)
            return found[1]

    def codes(self) -> dict[str, CodeInfo]:
        return self.writer.read(lambda s: _code_infos(s, self.codebook))

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> Response:
        ctx.setdefault("coder", _coder(request) or "")
        if "codes" not in ctx:
            ctx["codes"] = self.codes()
        ctx.setdefault(
            "code_memos", self.writer.read(partial(memos_store.memos_by_target, kind="code"))
        )
        query = f"?{request.url.query}" if request.url.query else ""
        ctx.setdefault("here", request.url.path + query)
        html = self.env.get_template(template).render(**ctx)
        return HTMLResponse(html, status_code=status)


def _coder(request: Request) -> str | None:
    """Who decides: the logged-in user (accounts), else the name chosen at the first visit."""
    if USER_KEY in request.scope:
        return str(request.scope[USER_KEY])
    if request.app.state.workspace.secrets.accounts:
        return None
    name = request.cookies.get(CODER_COOKIE)
    if not name:
        return None
    try:
        return check_coder(name)
    except InvalidCoder:
        return None


def _need_coder(request: Request) -> Response | None:
    if _coder(request) is None:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/coder?" + urlencode({"next": back}), status_code=303)
    return None


def _local(url: str) -> str:
    """``url`` if it is a path on this server (never another site), else ""."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


def _busy(ws: Workspace, request: Request, exc: StoreBusy) -> Response:
    return ws.page(request, "busy.html", status=503, message=str(exc))


def create_app(
    store: Store,
    codebook: Codebook,
    *,
    secrets_: Secrets,
    name: str,
    metadata_order: Sequence[str] = (),
) -> Starlette:
    """The workspace as an ASGI application (wrapped in the security middleware).

    ``metadata_order``: the case attributes of ``corpus/metadata.csv`` in header order,
    which choose the matrix's cases as they choose the workbook's."""
    ws = Workspace(store, codebook, secrets_, name, metadata_order)

    async def overview(request: Request) -> Response:
        if (r := _need_coder(request)) is not None:
            return r
        docs = ws.kept(workspace.document_progress)
        counts = ws.kept(workspace.code_counts)
        runs = ws.writer.read(workspace.recent_runs)
        orphaned = ws.writer.read(memos_store.orphaned_memos)
        orphaned_codings = ws.writer.read(segs_store.orphaned_codings)
        project_memos = ws.writer.read(
            partial(memos_store.memos_on, kind="project", target_id=memos_store.PROJECT)
        )
        keys = sorted({k for d in docs for k in d.attributes})
        show_all = request.query_params.get("all") == "1"
        return ws.page(
            request,
            "overview.html",
            docs=docs if show_all else docs[:OVERVIEW_DOCS],
            docs_total=len(docs),
            counts=counts,
            runs=runs,
            attr_keys=keys,
            orphaned_memos=orphaned,
            orphaned_codings=orphaned_codings,
            code_names={c.id: c.name for c in ws.codebook.codes},
            project_memos=project_memos,
        )

    async def login(request: Request) -> Response:
        if not ws.secrets.accounts:
            return RedirectResponse("/", status_code=303)
        if request.method == "POST":
            form = await request.form()
            name, password = str(form.get("name", "")), str(form.get("password", ""))
            if ws.writer.read(lambda s: accounts.login(s, name, password)):
                resp = RedirectResponse("/", status_code=303)
                resp.set_cookie(
                    SESSION_COOKIE, ws.secrets.new_session(name), httponly=True, samesite="strict"
                )
                return resp
            return ws.page(request, "login.html", status=403, error="wrong name or password")
        return ws.page(request, "login.html", error="")

    async def coder_form(request: Request) -> Response:
        if ws.secrets.accounts:  # the logged-in user decides; no name to choose
            return RedirectResponse("/", status_code=303)
        nxt = request.query_params.get("next", "/")
        if request.method == "POST":
            form = await request.form()
            nxt = str(form.get("next") or "/")
            try:
                # "ana" beside the known coder "Ana" is refused with "did you mean 'Ana'?"
                name = check_coder_known(
                    str(form.get("coder") or ""),
                    ws.writer.read(views.coders_with_decisions_or_views),
                    option="name",
                )
            except InvalidCoder as exc:
                return ws.page(request, "coder.html", status=400, error=str(exc), next=nxt)
            if not nxt.startswith("/") or nxt.startswith("//"):
                nxt = "/"
            resp = RedirectResponse(nxt, status_code=303)
            resp.set_cookie(
                CODER_COOKIE, name, httponly=True, samesite="strict", max_age=3600 * 24 * 365
            )
            return resp
        return ws.page(request, "coder.html", error="", next=nxt)

    async def reader(request: Request) -> Response:
        if (r := _need_coder(request)) is not None:
            return r
        doc_id = int(request.path_params["doc_id"])
        show_rejected = request.query_params.get("rejected") == "1"
        doc = ws.writer.read(lambda s: workspace.reader_document(s, doc_id))
        if doc is None:
            return PlainTextResponse(f"404: no document {doc_id}", status_code=404)
        turns = ws.writer.read(lambda s: workspace.reader_turns(s, doc_id))
        found = ws.writer.read(lambda s: codings_store.document_codings(s, doc_id))
        info = ws.codes()
        by_seg: dict[str, list[codings_store.DocumentCoding]] = defaultdict(list)
        for c in found:
            if c.status == "rejected" and not show_rejected:
                continue
            if c.source != "human" and not c.counts:
                continue  # a machine guess a human decided on shows as the human's decision
            by_seg[c.segment_id].append(c)
        memos = ws.writer.read(lambda s: memos_store.memos_on(s, "document", str(doc_id)))
        on_passages = ws.writer.read(lambda s: memos_store.passage_memos(s, doc_id))
        by_turn: dict[str, list[memos_store.Memo]] = defaultdict(list)
        for pm in on_passages:
            if pm.active:
                by_turn[pm.segment_id].append(pm.memo)
        me = _coder(request)
        csrf_input = f'<input type="hidden" name="{CSRF_FIELD}" value="{_esc(ws.secrets.csrf)}">'
        articles = []
        for t in turns:
            cs = by_seg.get(t.id, [])
            spans = [c for c in cs if c.span_start is not None and c.status == "accepted"]
            articles.append(
                render_article(
                    t,
                    render_turn(t, spans, info, by_turn.get(t.id)),
                    cs,
                    by_turn.get(t.id, []),
                    info,
                    me,
                    csrf_input,
                )
            )
        return ws.page(
            request,
            "reader.html",
            codes=info,
            memos=memos,
            retired_memos=[pm for pm in on_passages if not pm.active],
            orphaned_codings=[
                o for o in ws.writer.read(segs_store.orphaned_codings) if o.document_id == doc_id
            ],
            doc=doc,
            turns_html=Markup("".join(articles)),
            show_rejected=show_rejected,
            error=request.query_params.get("error", ""),
        )

    async def code_span(request: Request) -> Response:
        coder = _coder(request)
        if coder is None:
            return PlainTextResponse("400: choose your coder name first (/coder)", status_code=400)
        form = await request.form()
        try:
            doc_id = int(str(form["document_id"]))
            start, end = int(str(form["start"])), int(str(form["end"]))
            code_id = str(form["code_id"])
        except (KeyError, ValueError):
            return PlainTextResponse("400: document_id, start, end and code_id are needed", 400)
        if code_id not in ws.codes():
            return PlainTextResponse(f"400: {code_id!r} is not a code id", status_code=400)
        back = f"/doc/{doc_id}"
        try:
            seg = ws.decide(
                coder,
                lambda s: decisions.code_span(s, coder, doc_id, start, end, code_id),
                lambda seg: [(seg, code_id)],
            )
        except SpanError as exc:
            return RedirectResponse(back + "?" + urlencode({"error": str(exc)}), status_code=303)
        except StoreBusy as exc:
            return _busy(ws, request, exc)
        return RedirectResponse(f"{back}#seg-{seg}", status_code=303)

    async def add_memo(request: Request) -> Response:
        coder = _coder(request)
        if coder is None:
            return PlainTextResponse("400: choose your coder name first (/coder)", status_code=400)
        form = await request.form()
        kind, target, text = (str(form.get(k, "")) for k in ("kind", "target", "text"))
        span: tuple[int, int] | None = None
        if kind not in memos_store.KINDS or not text.strip():
            return PlainTextResponse(
                "400: a memo is on the project, a document, a code or a passage, and needs some"
                " text",
                400,
            )
        if kind == "project":
            target = memos_store.PROJECT
            back = "/#project-memos"
        elif kind == "document":
            doc_id = int(target) if target.isdigit() else -1
            if ws.writer.read(lambda s: workspace.reader_document(s, doc_id)) is None:
                return PlainTextResponse(f"400: no document {target!r}", status_code=400)
            back = f"/doc/{doc_id}#memos"
        elif kind == "segment":
            seg_doc = ws.writer.read(lambda s: workspace.segment_document(s, target))
            if seg_doc is None:
                return PlainTextResponse(f"400: no passage (segment) {target!r}", status_code=400)
            back = f"/doc/{seg_doc}#seg-{target}"
            start, end = str(form.get("start", "")), str(form.get("end", ""))
            if start or end:
                if not (start.isdigit() and end.isdigit()):
                    return PlainTextResponse("400: a passage's start and end are numbers", 400)
                span = (int(start), int(end))
        else:
            if target not in ws.codes():
                return PlainTextResponse(f"400: {target!r} is not a code id", status_code=400)
            back = (_local(str(form.get("next", ""))) or "/codebook") + f"#code-{target}"
        try:
            ws.writer.write(
                lambda s: memos_store.add_memo(s, kind, target, coder, text.strip(), now(), span)
            )
        except SpanError as exc:  # the reader shows why, above the turns
            page = back.partition("#")[0]
            return RedirectResponse(page + "?" + urlencode({"error": str(exc)}), status_code=303)
        except StoreBusy as exc:
            return _busy(ws, request, exc)
        return RedirectResponse(back, status_code=303)

    async def remove(request: Request) -> Response:
        coder = _coder(request)
        if coder is None:
            return PlainTextResponse("400: choose your coder name first (/coder)", status_code=400)
        form = await request.form()
        seg, code = str(form.get("segment_id", "")), str(form.get("code_id", ""))
        doc_id = ws.writer.read(lambda s: workspace.segment_document(s, seg))
        if doc_id is None:
            return PlainTextResponse(f"400: no segment {seg!r}", status_code=400)
        mine = ws.writer.read(lambda s: codings_store.human_codings(s, coder, [seg]))
        if (seg, code) not in mine:
            return PlainTextResponse("400: you can remove only your own codings", 400)
        try:
            ws.decide(
                coder, lambda s: decisions.remove(s, coder, seg, code), lambda _: [(seg, code)]
            )
        except StoreBusy as exc:
            return _busy(ws, request, exc)
        return RedirectResponse(f"/doc/{doc_id}#seg-{seg}", status_code=303)

    def _queue_items(
        coder: str, code: str, doc: str, attr: str
    ) -> tuple[list[ReviewItem], list[str], list[str]]:
        """``coder``'s pending suggestions the filters keep, in review-sheet order; the
        ``key=value`` case attributes and the documents found on all of them (for the
        filters: a document with nothing to review is not offered; 6,113 of them made the
        page 325 KB)."""
        items = ws.writer.read(lambda s: ws.queue.pending(s, coder))
        found = sorted(
            {f"{k}={v}" for i in items for k, v in i.attributes.items() if k not in _NOT_CASE}
        )
        with_pending = sorted({i.document for i in items} | ({doc} if doc else set()))
        key, _, value = attr.partition("=")
        items = [
            i
            for i in items
            if (not code or i.code_id == code)
            and (not doc or i.document == doc)
            and (not attr or i.attributes.get(key) == value)
        ]
        return items, found, with_pending

    def _queue_ctx(
        request: Request, code: str, doc: str, attr: str, i: int, message: str = ""
    ) -> dict[str, Any]:
        me = _coder(request) or ""
        items, attrs, docs = _queue_items(me, code, doc, attr)
        i = max(0, min(i, len(items) - 1)) if items else 0
        item = items[i] if items else None
        doc_ids = ws.writer.read(workspace.document_ids)
        here: list[codings_store.DocumentCoding] = []
        item_memos: list[memos_store.PassageMemo] = []
        if item is not None:
            seg = item.segment_id
            doc_id = ws.writer.read(lambda s: workspace.segment_document(s, seg))
            if doc_id is not None:
                on_doc = ws.writer.read(partial(memos_store.passage_memos, document_id=doc_id))
                # Blind: the queue shows only this coder's own codings and memos on the turn,
                # never another coder's (their decision on this very suggestion, or a note
                # that gives it away); the reader shows everyone's.
                item_memos = [pm for pm in on_doc if pm.segment_id == seg and pm.memo.coder == me]
                found = ws.writer.read(partial(codings_store.document_codings, document_id=doc_id))
                here = [
                    c
                    for c in found
                    if c.segment_id == seg
                    and c.source == "human"
                    and c.coder == me
                    and c.status == "accepted"
                ]
        return {
            "doc_ids": doc_ids,
            "item": item,
            "i": i,
            "n": len(items),
            "code": code,
            "doc": doc,
            "attr": attr,
            "attrs": attrs,
            "docs": docs,
            "message": message,
            "item_memos": item_memos,
            "item_human": here,
            "cue": highlight_cue(item.text, item.reason) if item else "",
        }

    async def queue(request: Request) -> Response:
        if (r := _need_coder(request)) is not None:
            return r
        q = request.query_params
        code, doc, attr = (q.get(k, "") for k in ("code", "doc", "attr"))
        ctx = _queue_ctx(request, code, doc, attr, int(q.get("i", "0") or 0))
        template = "queue_item.html" if request.headers.get("hx-request") else "queue.html"
        return ws.page(request, template, **ctx)

    def _after_decision(request: Request, form: Any, message: str) -> Response:
        code, doc, attr = (str(form.get(f"q_{k}", "")) for k in ("code", "doc", "attr"))
        i = int(str(form.get("i", "0")) or 0)
        if request.headers.get("hx-request"):
            ctx = _queue_ctx(request, code, doc, attr, i, message=message)
            return ws.page(request, "queue_item.html", **ctx)
        query = {"code": code, "doc": doc, "attr": attr, "i": i}
        return RedirectResponse("/queue?" + urlencode(query), status_code=303)

    async def decide(request: Request) -> Response:
        coder = _coder(request)
        if coder is None:
            return PlainTextResponse("400: choose your coder name first (/coder)", status_code=400)
        form = await request.form()
        seg, code = str(form.get("segment_id", "")), str(form.get("code_id", ""))
        status = str(form.get("decision", ""))
        if status not in decisions.REASONS:
            return PlainTextResponse("400: decision is accepted or rejected", status_code=400)
        try:
            ws.decide(
                coder,
                lambda s: decisions.decide(s, coder, seg, code, status),
                lambda _: [(seg, code)],
            )
        except StoreBusy as exc:
            return PlainTextResponse(f"503: {exc}", status_code=503)
        return _after_decision(request, form, f"{status}: {code}")

    async def add_code(request: Request) -> Response:
        """The queue's quick add: ``coder`` codes the turn under review with another code."""
        coder = _coder(request)
        if coder is None:
            return PlainTextResponse("400: choose your coder name first (/coder)", status_code=400)
        form = await request.form()
        seg = str(form.get("segment_id", ""))
        infos = ws.codes()
        code = _pick_code(infos, str(form.get("code_id", "")), str(form.get("code_query", "")))
        if code is None:
            return PlainTextResponse(
                "400: no codable code matches; type part of a code's name or id", status_code=400
            )
        if ws.writer.read(lambda s: workspace.segment_document(s, seg)) is None:
            return PlainTextResponse(f"400: no segment {seg!r}", status_code=400)
        try:
            ws.decide(
                coder, lambda s: decisions.add_code(s, coder, seg, code), lambda _: [(seg, code)]
            )
        except StoreBusy as exc:
            return PlainTextResponse(f"503: {exc}", status_code=503)
        return _after_decision(request, form, f"added: {infos[code].name}")

    def _matrix_choice(cf: Any, by: str) -> Any:
        """The matrix's cases: :func:`~themegrid.aggregate.matrix.choose_by`, as the
        workbook's Matrix sheet chooses them (``by``: the page's choice, else none)."""
        from themegrid.aggregate import matrix as mx

        choice = mx.choose_by(cf, [by] if by else None, ws.metadata_order)
        mx.case_labels(cf, choice.by)  # an attribute no document has: MatrixError
        return choice

    def _document_titles(cf: Any, by: tuple[str, ...]) -> dict[str, str]:
        """Documents as cases: each case's full path (the column head shows its file name)."""
        from themegrid.aggregate import matrix as mx

        labels = mx.case_labels(cf, by)
        paths = dict(zip(cf.documents["document_id"], cf.documents["document"], strict=True))
        return {str(label): str(paths[doc]) for doc, label in labels.items()}

    def _heads(shown: Any, documents: bool) -> dict[str, str]:
        """Column heads: documents as cases show their file name (the path on hover), unless
        another case has the same file name (an ingested copy beside an imported one)."""
        every = [*shown.shown, *shown.empty, *shown.cut]
        if not documents:
            return {c: c for c in every}
        names: dict[str, int] = defaultdict(int)
        for c in every:
            names[c.rsplit("/", 1)[-1]] += 1
        short = {c: c.rsplit("/", 1)[-1] for c in every}
        return {c: short[c] if names[short[c]] == 1 else c for c in every}

    async def matrix(request: Request) -> Response:
        if (r := _need_coder(request)) is not None:
            return r
        from themegrid.aggregate import matrix as mx
        from themegrid.errors import MatrixError

        by = request.query_params.get("by", "")
        cf = ws.coding_frame()
        ctx: dict[str, Any] = {
            "by": by,
            "by_options": [*cf.attributes, mx.DOCUMENT_CASE],
            "problem": "",
            "cases": [],
            "empty_cases": [],
            "cut_cases": 0,
            "all_cases": 0,
            "heat": {},
            "any_code": {},
            "reason": "",
            "heads": {},
            "max_cases": MATRIX_CASES,
            "titles": {},
        }
        try:
            choice = _matrix_choice(cf, by)
        except MatrixError as exc:
            ctx["problem"] = str(exc)
            return ws.page(request, "matrix.html", **ctx)
        confirmed = mx.count_matrix(cf, choice.by, which="confirmed")
        unreviewed = mx.count_matrix(cf, choice.by, which="unreviewed")
        shown = mx.shown_cases(cf, choice.by, MATRIX_CASES)
        # The workbook's "Segments with any code" rows: each segment once, whatever its codes.
        any_conf = mx.coded_segments_by_case(cf, choice.by, which="confirmed")
        any_unrev = mx.coded_segments_by_case(cf, choice.by, which="unreviewed")
        any_code = {c: (int(any_conf[c]), int(any_unrev[c])) for c in shown.shown}
        table: dict[tuple[str, str], tuple[int, int]] = {}
        conf_rows = confirmed[list(shown.shown)].to_dict("index")
        unrev_rows = unreviewed[list(shown.shown)].to_dict("index")
        for code_id, row in conf_rows.items():
            for case, n in row.items():
                m = int(unrev_rows[code_id][case])
                if n or m:
                    table[(str(code_id), str(case))] = (int(n), m)
        top = max((v[0] for v in table.values()), default=1) or 1
        # The colour shows what humans confirmed only: a machine guess is never a finding.
        heat = {
            k: (v[0], v[1], 0 if v[0] == 0 else max(1, min(5, v[0] * 5 // top)))
            for k, v in table.items()
        }
        ctx.update(
            by=choice.by[0] if by else "",
            # the CLI's flag means the selector above on this page
            reason=choice.reason.replace("choose another with --by", "choose another above"),
            cases=list(shown.shown),
            empty_cases=list(shown.empty),
            cut_cases=len(shown.cut),
            all_cases=len(shown.shown) + len(shown.empty) + len(shown.cut),
            heat=heat,
            any_code=any_code,
            heads=_heads(shown, choice.by == (mx.DOCUMENT_CASE,)),
            titles=_document_titles(cf, choice.by) if choice.by == (mx.DOCUMENT_CASE,) else {},
        )
        return ws.page(request, "matrix.html", **ctx)

    async def matrix_cell(request: Request) -> Response:
        from themegrid.aggregate import matrix as mx
        from themegrid.errors import MatrixError

        q = request.query_params
        code, case, by = q.get("code", ""), q.get("case", ""), q.get("by", "")
        cf = ws.coding_frame()
        try:
            choice = _matrix_choice(cf, by)
        except MatrixError as exc:
            return PlainTextResponse(f"400: {exc}", status_code=400)
        found = mx.cell_segments(cf, choice.by, code, case)
        docs = {d.id: d for d in ws.kept(workspace.document_progress)}
        turns: dict[int, dict[str, workspace.ReaderTurn]] = {}
        marks: dict[int, dict[tuple[str, str], codings_store.DocumentCoding]] = {}
        passages = []
        for seg, doc_id, carried in zip(
            found["segment_id"], found["document_id"], found["code_id"], strict=True
        ):
            d = docs.get(int(doc_id))
            if d is None:
                continue
            if d.id not in turns:
                turns[d.id] = {
                    t.id: t
                    for t in ws.writer.read(partial(workspace.reader_turns, document_id=d.id))
                }
                on_doc = ws.writer.read(partial(codings_store.document_codings, document_id=d.id))
                marks[d.id] = {(c.segment_id, c.code_id): c for c in on_doc if c.counts}
            t = turns[d.id].get(seg)
            c = marks[d.id].get((seg, carried))
            if t is None or c is None:
                continue
            text = t.text
            if c.span_start is not None and c.span_end is not None:
                text = t.text[c.span_start - t.start : c.span_end - t.start]
            passages.append({"doc": d, "turn": t, "text": text, "coding": c})
        return ws.page(request, "matrix_cell.html", code=code, case=case, passages=passages)

    async def agreement_page(request: Request) -> Response:
        """Two coders side by side on the segments both have seen: figures per code, then
        each passage where one applied a code the other did not."""
        if (r := _need_coder(request)) is not None:
            return r
        from themegrid.aggregate import agreement  # numpy: only when the page is asked for

        known = ws.writer.read(agreement.known_coders)
        a = request.query_params.get("a") or (known[0] if known else "")
        b = request.query_params.get("b") or next((k for k in known if k != a), "")
        ctx: dict[str, Any] = {"known": known, "a": a, "b": b, "report": None, "rows": []}
        if a in known and b in known and a != b:
            report = ws.writer.read(lambda s: agreement.compute_agreement(s, [a, b]))
            by_seg: dict[str, dict[str, Any]] = {}
            for d in report.disagreements:
                row = by_seg.setdefault(
                    d.segment_id,
                    {"d": d, "a": [], "b": [], "doc_id": None},
                )
                row["a" if a in d.applied_by else "b"].append(d.code_id)
            docs = {p.path: p.id for p in ws.writer.read(workspace.document_progress)}
            for row in by_seg.values():
                row["doc_id"] = docs.get(row["d"].document)
            order = {code: n for n, code in enumerate(ws.codes())}  # codebook order
            per_code = sorted(report.per_code, key=lambda c: order.get(c.code_id, len(order)))
            ctx.update(report=report, per_code=per_code, rows=list(by_seg.values()))
        return ws.page(request, "agreement.html", **ctx)

    async def memos_page(request: Request) -> Response:
        """Every memo of the project in one list (a memo manager): the project's, each
        document's and its passages' in reading order, then the codes'; filter by coder
        or by words in the memo or the passage it is on."""
        if (r := _need_coder(request)) is not None:
            return r
        memos = ws.writer.read(memos_store.report_memos)
        coders = sorted({m.coder for m in memos})
        who = request.query_params.get("coder", "")
        words = request.query_params.get("q", "").strip()
        shown = [
            m
            for m in memos
            if (not who or m.coder == who)
            and (not words or words.casefold() in f"{m.text} {m.passage}".casefold())
        ]
        docs = {p.path: p.id for p in ws.writer.read(workspace.document_progress)}
        return ws.page(
            request,
            "memos.html",
            memos=shown,
            n_all=len(memos),
            coders=coders,
            who=who,
            words=words,
            doc_ids=docs,
        )

    async def codebook_page(request: Request) -> Response:
        if (r := _need_coder(request)) is not None:
            return r
        return ws.page(request, "codebook.html")

    async def codes_css(request: Request) -> Response:
        lines = [
            f".{c.css} {{ --code: {c.color}; }}" for c in ws.codes().values()
        ]  # colours checked against _HEX: no text from data reaches the stylesheet otherwise
        return Response("\n".join(lines) + "\n", media_type="text/css")

    routes = [
        Route("/", overview),
        Route("/coder", coder_form, methods=["GET", "POST"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/doc/{doc_id:int}", reader),
        Route("/code-span", code_span, methods=["POST"]),
        Route("/remove", remove, methods=["POST"]),
        Route("/memo", add_memo, methods=["POST"]),
        Route("/queue", queue),
        Route("/decide", decide, methods=["POST"]),
        Route("/add-code", add_code, methods=["POST"]),
        Route("/matrix", matrix),
        Route("/matrix/cell", matrix_cell),
        Route("/agreement", agreement_page),
        Route("/codebook", codebook_page),
        Route("/memos", memos_page),
        Route("/codes.css", codes_css),
        # every browser asks for one; none is shipped, so answer "nothing" rather than 404
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SecurityMiddleware, secrets_=secrets_)
    app.state.workspace = ws
    return app


__all__ = [
    "CodeInfo",
    "Workspace",
    "create_app",
    "highlight_cue",
    "percent_shown",
    "render_article",
    "render_turn",
]
