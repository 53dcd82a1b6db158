"""``themegrid code``: ingest, tag every codable segment, store the suggestions as one run.

Incremental by construction. A segment is tagged only when its ``tagged_hash``
differs from the codebook's cue hash: new and changed segments, or every
segment after the cues changed. With unchanged files and codebook, nothing is
tagged (the spaCy pipeline is not even built). Machine rows are updated in
place or retired; human rows are never written here, and a (segment, code)
that a human rejected is not suggested again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from themegrid import __version__
from themegrid.codebook.model import Codebook
from themegrid.models import RULE_CODER
from themegrid.pipeline.ingest import IngestSummary, ProgressFn, ingest
from themegrid.project import Project
from themegrid.store import segments as segs_store
from themegrid.store.connection import Store, dumps, now
from themegrid.tag.tagger import RuleTagger

BATCH = 2000


@dataclass(frozen=True)
class CodingSummary:
    run_id: int
    ingest: IngestSummary
    codebook_changed: bool
    segments_tagged: int
    suggestions_new: int
    suggestions_retired: int
    suggestions_kept: int
    skipped_rejected: int
    per_theme: dict[str, int] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)

    @property
    def did_nothing(self) -> bool:
        return (
            not self.ingest.changed_anything
            and not self.segments_tagged
            and not self.suggestions_retired
            and not self.model.get("changed")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ingest": self.ingest.to_dict(),
            "codebook_changed": self.codebook_changed,
            "segments_tagged": self.segments_tagged,
            "suggestions_new": self.suggestions_new,
            "suggestions_retired": self.suggestions_retired,
            "suggestions_kept": self.suggestions_kept,
            "skipped_human_rejected": self.skipped_rejected,
            "live_suggestions_per_theme": self.per_theme,
            "model": self.model,
        }


def sync_codes(store: Store, codebook: Codebook) -> None:
    """Mirror the codebook into the ``codes`` table; codes gone from it become inactive."""
    rows = [
        (c.id, c.name, c.parent_id, c.definition, c.include, c.exclude, int(c.codable), c.color, i)
        for i, c in enumerate(codebook.tree_order())
    ]
    store.conn.executemany(
        "INSERT INTO codes (id, name, parent_id, definition, include_note, exclude_note, codable, color,"
        " position, origin, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'codebook', 1)"
        " ON CONFLICT(id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id,"
        " definition = excluded.definition, include_note = excluded.include_note,"
        " exclude_note = excluded.exclude_note, codable = excluded.codable, color = excluded.color,"
        " position = excluded.position, origin = 'codebook', active = 1",
        rows,
    )
    ids = [c.id for c in codebook.codes]
    marks = ",".join("?" * len(ids))
    store.execute(
        f"UPDATE codes SET active = 0 WHERE origin = 'codebook' AND id NOT IN ({marks})", tuple(ids)
    )


def start_run(store: Store, command: str, codebook: Codebook | None) -> int:
    cur = store.execute(
        "INSERT INTO runs (command, started_at, tool_version, codebook_name, codebook_version,"
        " codebook_hash, cue_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            command,
            now(),
            __version__,
            codebook.name if codebook else None,
            codebook.version if codebook else None,
            codebook.hash if codebook else None,
            codebook.cue_hash if codebook else None,
        ),
    )
    return int(cur.lastrowid or 0)


def finish_run(
    store: Store, run_id: int, summary: dict[str, Any], inputs: dict[str, str] | None = None
) -> None:
    store.execute(
        "UPDATE runs SET finished_at = ?, summary = ?, input_hashes = ? WHERE id = ?",
        (now(), dumps(summary), dumps(inputs or {}), run_id),
    )


def run_coding(
    project: Project,
    store: Store,
    codebook: Codebook,
    *,
    include_interviewers: bool = False,
    use_model: bool = True,
    prune: bool = False,
    progress: ProgressFn | None = None,
    tagger_factory: Callable[[Codebook], RuleTagger] = RuleTagger,
) -> CodingSummary:
    """Ingest and tag in one transaction, recorded as one run. See the module docstring."""
    with store.transaction():
        previous_cues = store.get_meta("cue_hash")
        run_id = start_run(store, "code", codebook)
        ingested = ingest(project, store, prune=prune, progress=progress)
        sync_codes(store, codebook)
        retired = _retire_stale(store, codebook, run_id, include_interviewers)
        todo = _segments_to_tag(store, codebook.cue_hash, include_interviewers)
        new, kept, skipped, tagged_retired = 0, 0, 0, 0
        if todo:
            tagger = tagger_factory(codebook)
            new, kept, skipped, tagged_retired = _tag(
                store, tagger, todo, codebook.cue_hash, run_id, progress
            )
        store.set_meta("cue_hash", codebook.cue_hash)
        model_summary = _run_model(store, codebook, run_id) if use_model else {"used": False}
        summary = CodingSummary(
            run_id=run_id,
            ingest=ingested,
            codebook_changed=previous_cues is not None and previous_cues != codebook.cue_hash,
            segments_tagged=len(todo),
            suggestions_new=new,
            suggestions_retired=retired + tagged_retired,
            suggestions_kept=kept,
            skipped_rejected=skipped,
            per_theme=live_suggestions_per_theme(store, codebook),
            model=model_summary,
        )
        inputs = {
            r[0]: r[1]
            for r in store.query(
                "SELECT path, content_hash FROM documents WHERE status = 'present'"
            )
        }
        finish_run(store, run_id, summary.to_dict(), inputs)
    return summary


def _run_model(store: Store, codebook: Codebook, run_id: int) -> dict[str, Any]:
    """Retrain the learned suggester when human decisions changed since it last ran."""
    from themegrid.tag import model as learn

    fingerprint = json.dumps(
        [
            codebook.hash,
            store.get_meta("cue_hash"),
            list(
                store.query("SELECT COUNT(*), MAX(updated_at) FROM codings WHERE source = 'human'")[
                    0
                ]
            ),
            store.scalar("SELECT COUNT(*) FROM segments WHERE active = 1"),
        ]
    )
    if store.get_meta("model_fingerprint") == fingerprint:
        return {
            "used": True,
            "changed": False,
            "note": "no new human decisions: model suggestions unchanged",
        }
    model = learn.train_from_store(store, codebook)
    store.set_meta("model_fingerprint", fingerprint)
    result = learn.suggest_with_model(store, codebook, model, run_id)
    changed = bool(result.get("new") or result.get("updated") or result.get("retired"))
    if model is None:
        note = "not enough human-confirmed codings to train a model yet (rules only)"
    else:
        note = (
            f"trained on human decisions for {len(result['codes_modelled'])} code(s); "
            f"{result['new']} new, {result['updated']} updated, {result['retired']} retired suggestions"
        )
    return {"used": True, "changed": changed, "note": note, **result}


def _retire_stale(store: Store, codebook: Codebook, run_id: int, include_interviewers: bool) -> int:
    """Retire machine suggestions that no longer apply, saying why in the reason.

    Their code left the codebook (or became a grouping), their segment left its
    document or its file is missing, or their segment is not codable in this run
    (an interviewer turn or a transcript preamble).
    """
    codable = [c.id for c in codebook.codable]
    marks = ",".join("?" * len(codable)) or "''"
    not_codable = (
        "s.is_interviewer = 0 AND s.codable = 0" if include_interviewers else "s.codable = 0"
    )
    why = (
        "CASE WHEN code_id NOT IN (" + marks + ") THEN 'code removed from the codebook'"
        " WHEN segment_id IN (SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id"
        "   WHERE s.active = 0 OR d.status = 'missing') THEN 'segment no longer in its document'"
        " ELSE 'segment not coded (interviewer turn or transcript preamble)' END"
    )
    cur = store.execute(
        "UPDATE codings SET status = 'retired', run_id = ?, updated_at = ?, reason = 'retired: ' || "
        + why
        + " WHERE source IN ('rule', 'model') AND status = 'suggested' AND ("
        " code_id NOT IN (" + marks + ")"
        " OR segment_id IN (SELECT s.id FROM segments s JOIN documents d ON d.id = s.document_id"
        f"                   WHERE s.active = 0 OR d.status = 'missing' OR ({not_codable})))",
        (run_id, now(), *codable, *codable),
    )
    return cur.rowcount


def _segments_to_tag(
    store: Store, cue_hash: str, include_interviewers: bool
) -> list[tuple[str, str]]:
    sql = (
        "SELECT s.id, s.text FROM segments s JOIN documents d ON d.id = s.document_id"
        " WHERE s.active = 1 AND d.status = 'present' AND (s.tagged_hash IS NULL OR s.tagged_hash != ?)"
    )
    sql += (
        " AND (s.codable = 1 OR s.is_interviewer = 1)"
        if include_interviewers
        else " AND s.codable = 1"
    )
    sql += " ORDER BY d.path, s.seq"
    return [(r[0], r[1]) for r in store.query(sql, (cue_hash,))]


@dataclass
class _Changes:
    """What tagging one batch changes among the rule suggestions (rows ready for SQL)."""

    inserts: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)
    retires: list[tuple[Any, ...]] = field(default_factory=list)
    new: int = 0
    kept: int = 0
    skipped: int = 0


def _tag(
    store: Store,
    tagger: RuleTagger,
    todo: list[tuple[str, str]],
    cue_hash: str,
    run_id: int,
    progress: ProgressFn | None,
) -> tuple[int, int, int, int]:
    """Tag ``todo`` in batches; returns (new, kept, skipped as human-rejected, retired)."""
    new = kept = skipped = retired = 0
    for start in range(0, len(todo), BATCH):
        if progress:
            progress(start, len(todo), "tagging")
        batch = todo[start : start + BATCH]
        changes = _diff_batch(store, tagger, batch, run_id)
        _write_changes(store, changes)
        segs_store.set_tagged_hash(store, (i for i, _ in batch), cue_hash)
        new, kept, skipped = new + changes.new, kept + changes.kept, skipped + changes.skipped
        retired += len(changes.retires)
    if progress:
        progress(len(todo), len(todo), "tagging")
    return new, kept, skipped, retired


def _diff_batch(
    store: Store, tagger: RuleTagger, batch: list[tuple[str, str]], run_id: int
) -> _Changes:
    """Compare the tagger's suggestions with the stored rule rows of these segments."""
    ids = [seg_id for seg_id, _ in batch]
    existing = _machine_rows(store, ids)
    rejected = _human_rejected(store, ids)
    out = _Changes()
    stamp = now()
    for (seg_id, _text), suggestions in zip(
        batch, tagger.tag_many(t for _, t in batch), strict=True
    ):
        wanted = {s.code_id: s for s in suggestions if (seg_id, s.code_id) not in rejected}
        out.skipped += len(suggestions) - len(wanted)
        old = existing.get(seg_id, {})
        for code_id, s in wanted.items():
            prior = old.get(code_id)
            if prior is None:
                out.inserts.append(
                    (seg_id, code_id, RULE_CODER, s.score, s.reason, run_id, stamp, stamp)
                )
                out.new += 1
            elif prior != ("suggested", s.reason, s.score):
                out.updates.append((s.score, s.reason, run_id, stamp, seg_id, code_id, RULE_CODER))
                out.new += prior[0] != "suggested"
                out.kept += prior[0] == "suggested"
            else:
                out.kept += 1
        for code_id, prior in old.items():
            if code_id not in wanted and prior[0] == "suggested":
                why = (
                    "a human rejected it"
                    if (seg_id, code_id) in rejected
                    else "cues no longer match"
                )
                out.retires.append((f"retired: {why}", run_id, stamp, seg_id, code_id, RULE_CODER))
    return out


def _write_changes(store: Store, changes: _Changes) -> None:
    store.conn.executemany(
        "INSERT INTO codings (segment_id, code_id, source, coder, status, confidence, reason, run_id,"
        " created_at, updated_at) VALUES (?, ?, 'rule', ?, 'suggested', ?, ?, ?, ?, ?)",
        changes.inserts,
    )
    store.conn.executemany(
        "UPDATE codings SET status = 'suggested', confidence = ?, reason = ?, run_id = ?, updated_at = ?"
        " WHERE segment_id = ? AND code_id = ? AND source = 'rule' AND coder = ?",
        changes.updates,
    )
    store.conn.executemany(
        "UPDATE codings SET status = 'retired', reason = ?, run_id = ?, updated_at = ?"
        " WHERE segment_id = ? AND code_id = ? AND source = 'rule' AND coder = ?",
        changes.retires,
    )


def _in_chunks(ids: list[str], size: int = 900) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _machine_rows(store: Store, ids: list[str]) -> dict[str, dict[str, tuple[str, str, float]]]:
    out: dict[str, dict[str, tuple[str, str, float]]] = {}
    for chunk in _in_chunks(ids):
        marks = ",".join("?" * len(chunk))
        for r in store.query(
            "SELECT segment_id, code_id, status, reason, confidence FROM codings"
            f" WHERE source = 'rule' AND coder = ? AND segment_id IN ({marks})",
            (RULE_CODER, *chunk),
        ):
            out.setdefault(r[0], {})[r[1]] = (r[2], r[3], r[4])
    return out


def _human_rejected(store: Store, ids: list[str]) -> set[tuple[str, str]]:
    """(segment, code) pairs whose latest human decision is a rejection."""
    out: set[tuple[str, str]] = set()
    for chunk in _in_chunks(ids):
        marks = ",".join("?" * len(chunk))
        for r in store.query(
            "SELECT segment_id, code_id FROM effective_codings"
            f" WHERE source = 'human' AND status = 'rejected' AND segment_id IN ({marks})",
            tuple(chunk),
        ):
            out.add((r[0], r[1]))
    return out


def live_suggestions_per_theme(store: Store, codebook: Codebook) -> dict[str, int]:
    """Segments coded per theme, counted as the report's Matrix counts them.

    Accepted codings and unreviewed suggestions on present, active segments
    (machine suggestions only on codable ones); a segment counts once per theme.
    Themes are the top-level codes, or their children when the codebook has
    fewer than three top-level codes.
    """
    tops = [c.id for c in codebook.children(None)]
    level = 0 if len(tops) >= 3 else 1
    segments: dict[str, set[str]] = {}
    for seg_id, code_id in store.query(
        "SELECT e.segment_id, e.code_id FROM effective_codings e JOIN segments s ON s.id = e.segment_id"
        " JOIN documents d ON d.id = s.document_id"
        " WHERE e.status IN ('suggested', 'accepted') AND s.active = 1 AND d.status = 'present'"
        " AND (s.codable = 1 OR e.source = 'human')"
    ):
        chain = (
            [*reversed(codebook.ancestors(code_id)), code_id] if code_id in codebook else [code_id]
        )
        theme = chain[min(level, len(chain) - 1)]
        name = codebook.get(theme).name if theme in codebook else theme
        segments.setdefault(name, set()).add(seg_id)
    order = {c.name: i for i, c in enumerate(codebook.tree_order())}
    ranked = sorted(segments.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return {name: len(ids) for name, ids in ranked}
