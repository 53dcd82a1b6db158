"""``themegrid code``: ingest, tag every codable segment, store the suggestions as one run.

Incremental by construction. A segment is tagged only when its ``tagged_hash``
differs from the codebook's cue hash: new and changed segments, or every
segment after the cues changed. With unchanged files and codebook, nothing is
tagged (the spaCy pipeline is not even built). Machine rows are updated in
place or retired; human rows are never written here, and a (segment, code)
that a human rejected is not suggested again.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import TYPE_CHECKING, Any

from themegrid.codebook import Codebook
from themegrid.models import RULE_CODER, SEMANTIC_CODER
from themegrid.pipeline.fingerprint import (
    CodeInputs,
    LastRun,
    code_inputs,
    last_run_if_unchanged,
    record_run,
)
from themegrid.pipeline.ingest import FileOutcome, IngestSummary, ProgressFn, ingest
from themegrid.pipeline.status import not_machine_coded
from themegrid.project import Project
from themegrid.store import codings as store_codings
from themegrid.store import documents as docs_store
from themegrid.store import segments as segs_store
from themegrid.store.codes import sync_codebook
from themegrid.store.connection import Store, now
from themegrid.store.runs import finish_run, start_run
from themegrid.tag.codable import MachineFilter

if TYPE_CHECKING:  # spaCy loads only when there is something to tag
    from themegrid.tag.parallel import Tagger
    from themegrid.tag.tagger import RuleTagger, SuggestionRow

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
    #: reason -> {document path: segments} the machine did not code (tag/codable.py)
    not_machine_coded: dict[str, dict[str, int]] = field(default_factory=dict)
    #: code id -> live machine suggestions no human has decided yet (total, of them model)
    awaiting_review: dict[str, dict[str, int]] = field(default_factory=dict)
    #: the codebook the run used
    codebook_name: str = ""
    codebook_version: str = ""
    #: semantic suggestions (tag/semantic.py): what this run did
    semantic: dict[str, Any] = field(default_factory=dict)
    #: human decisions on codes the codebook no longer has, each with its fix (set by api.code)
    codebook_warnings: tuple[str, ...] = ()

    @property
    def did_nothing(self) -> bool:
        return (
            not self.ingest.changed_anything
            and not self.segments_tagged
            and not self.suggestions_retired
            and not self.model.get("changed")
            and not self.semantic.get("changed")
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
            "not_machine_coded": self.not_machine_coded,
            "awaiting_review_per_code": self.awaiting_review,
            "semantic": self.semantic,
        }


def run_coding(
    project: Project,
    store: Store,
    codebook: Codebook,
    *,
    include_interviewers: bool = False,
    use_model: bool = True,
    prune: bool = False,
    progress: ProgressFn | None = None,
    tagger_factory: Callable[[Codebook], RuleTagger] | None = None,
    workers: int | None = None,
    semantic: bool | None = None,
) -> CodingSummary:
    """Ingest and tag in one transaction, recorded as one run. See the module docstring.

    ``workers``: processes that tag in parallel (default: the machine's cores).
    ``semantic``: semantic suggestions on or off (None: the codebook's ``semantic:``).
    """
    semantic_on = codebook.settings.semantic if semantic is None else semantic
    inputs = code_inputs(
        project,
        codebook,
        include_interviewers=include_interviewers,
        use_model=use_model,
        prune=prune,
        **({"semantic": semantic_on} if semantic_on else {}),
    )
    with store.transaction(), _fewer_collections():
        last = last_run_if_unchanged(store, inputs)
        if last is not None:
            summary = _replay(store, codebook, inputs, last, use_model)
            if semantic_on:  # a replay changes nothing, semantic suggestions included
                summary = replace(summary, semantic=dict(_SEMANTIC_UNCHANGED))
            return summary
        previous_cues = store.get_meta("cue_hash")
        run_id = start_run(store, "code", codebook)
        ingested = ingest(
            project,
            store,
            prune=prune,
            progress=progress,
            workers=workers,
            discovered=inputs.discovered,
            # reading in workers: the tagger is built meanwhile, not after (the files read
            # will almost surely have segments to tag)
            meanwhile=(lambda: _prepare_tagger(codebook)) if tagger_factory is None else None,
        )
        sync_codebook(store, codebook)
        retired = store_codings.retire_stale_suggestions(
            store,
            [c.id for c in codebook.codable],
            include_interviewers=include_interviewers,
            run_id=run_id,
            at=now(),
        )
        repeated, changed = _repeated_texts(store, codebook)
        todo = _segments_to_tag(store, codebook.cue_hash, include_interviewers, changed)
        new, kept, skipped, tagged_retired = 0, 0, 0, 0
        if todo:
            tagger = _make_tagger(codebook, tagger_factory, workers, len(todo))
            new, kept, skipped, tagged_retired = _tag(
                store,
                tagger,
                MachineFilter(codebook.settings),
                todo,
                codebook.cue_hash,
                run_id,
                progress,
                repeated,
            )
        store.set_meta("cue_hash", codebook.cue_hash)
        if use_model:
            model_summary = _run_model(store, codebook, run_id)
        else:
            model_summary = _model_off(store, codebook, run_id)
        semantic_summary = run_semantic(
            store, codebook, run_id, semantic_on, model_summary.get("gates", [])
        )
        per_theme, pending = reported_counts(store, codebook)
        summary = CodingSummary(
            run_id=run_id,
            ingest=ingested,
            codebook_changed=previous_cues is not None and previous_cues != codebook.cue_hash,
            segments_tagged=len(todo),
            suggestions_new=new,
            suggestions_retired=retired + tagged_retired,
            suggestions_kept=kept,
            skipped_rejected=skipped,
            per_theme=per_theme,
            model=model_summary,
            not_machine_coded=not_machine_coded(store),
            awaiting_review=awaiting_review_per_code(store, codebook, pending),
            codebook_name=codebook.name,
            codebook_version=codebook.version,
            semantic=semantic_summary,
        )
        finish_run(store, run_id, summary.to_dict(), docs_store.present_content_hashes(store))
        record_run(
            store,
            inputs,
            [(o.path, o.action, o.message) for o in ingested.outcomes],
            ingested.orphaned,
            ingested.words,
            summary.per_theme,
            summary.awaiting_review,
        )
    return summary


#: Python's cyclic garbage collector during a run: a first-generation pass every this many
#: new container objects (Python's default: 700), a second every 20 of those, a full pass
#: every 20 of the second (default 10 and 10).
GC_THRESHOLDS = (50_000, 20, 20)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run with the collector passing less often (:data:`GC_THRESHOLDS`), then as before.

    A run makes millions of small objects that live until it ends (rows read back,
    segments, suggestion rows, a tagging worker's results unpickled); with the default
    thresholds the collector walked them over and over, about a sixth of a cold run's
    CPU at a million words. Nothing is left uncollected: the passes only come less
    often, and forked reading and tagging workers inherit the same thresholds.
    """
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _prepare_tagger(codebook: Codebook) -> None:
    from themegrid.tag.parallel import prepare_tagger

    prepare_tagger(codebook)


def _make_tagger(
    codebook: Codebook,
    factory: Callable[[Codebook], RuleTagger] | None,
    workers: int | None,
    n_texts: int,
) -> Tagger:
    if factory is not None:
        return factory(codebook)
    from themegrid.tag.parallel import make_tagger

    return make_tagger(codebook, workers, n_texts)


#: What :func:`_run_model` reports when human decisions are unchanged (tests compare the two).
_MODEL_UNCHANGED: dict[str, Any] = {
    "used": True,
    "changed": False,
    "note": "no new human decisions: model suggestions unchanged",
}


_SEMANTIC_UNCHANGED: dict[str, Any] = {
    "used": True,
    "changed": False,
    "note": "nothing changed: semantic suggestions unchanged",
}


def _replay(
    store: Store,
    codebook: Codebook,
    inputs: CodeInputs,
    last: LastRun,
    use_model: bool,
) -> CodingSummary:
    """Nothing changed since the last run: record a run that reports what a full one would."""
    run_id = start_run(store, "code", codebook)
    outcomes = [FileOutcome(rel, "unchanged") for rel in inputs.files]
    outcomes += [FileOutcome(path, action, message) for path, action, message in last.outcomes]
    summary = CodingSummary(
        run_id=run_id,
        ingest=IngestSummary(tuple(outcomes), inputs.warnings, last.orphaned, last.words),
        codebook_changed=False,
        segments_tagged=0,
        suggestions_new=0,
        suggestions_retired=0,
        suggestions_kept=0,
        skipped_rejected=0,
        per_theme=last.per_theme,
        model=(
            {**_MODEL_UNCHANGED, "gates": json.loads(store.get_meta("model_gates") or "[]")}
            if use_model
            else _model_off(store, codebook, run_id)
        ),
        not_machine_coded=not_machine_coded(store),
        awaiting_review=(
            last.awaiting_review
            if last.awaiting_review is not None
            else awaiting_review_per_code(store, codebook)
        ),
        codebook_name=codebook.name,
        codebook_version=codebook.version,
    )
    finish_run(store, run_id, summary.to_dict(), docs_store.present_content_hashes(store))
    return summary


def _run_model(store: Store, codebook: Codebook, run_id: int) -> dict[str, Any]:
    """Retrain the learned suggester when human decisions changed since it last ran.

    Each code's gate (``tag.model.gate_codes``) decides whether the model may
    suggest it; the gates are in the returned summary (stored with the run, read
    by ``status``). Unchanged decisions: nothing is retrained and the last gates
    are carried over. Unchanged decisions but new or changed segments: the kept
    model (``tag.model_cache``) suggests on them, without training again.
    """
    from themegrid.tag import model as learn

    fingerprint = json.dumps(
        [
            codebook.hash,
            store.get_meta("cue_hash"),
            list(store_codings.human_decisions_fingerprint(store)),
            segs_store.count_active(store),
        ]
    )
    if store.get_meta("model_fingerprint") == fingerprint:
        return {
            "used": True,
            "changed": False,
            "note": "no new human decisions: model suggestions unchanged",
            "gates": json.loads(store.get_meta("model_gates") or "[]"),
        }
    from themegrid.tag import model_cache

    key = model_cache.training_key(store, codebook)
    cached = model_cache.load(store, key)
    if cached is not None:  # same labels, codebook and cues: the same model (new files only)
        model, gates = cached
    else:
        model, gates = learn.train_and_gate(store, codebook)
        model_cache.save(store, key, model, gates)
    store.set_meta("model_fingerprint", fingerprint)
    result = _still_no_model(store) if model is None else None
    if result is None:
        result = learn.suggest_with_model(store, codebook, model, run_id, gates=gates)
    gate_dicts = [g.to_dict() for g in gates]
    store.set_meta("model_gates", json.dumps(gate_dicts))
    changed = bool(result.get("new") or result.get("updated") or result.get("retired"))
    active = [g.code_id for g in gates if g.state == "active"]
    if model is None:
        note = "not enough human-confirmed codings to train a model yet (rules only)"
    else:
        learning = sum(g.state == "learning" for g in gates)
        if active:
            verdict = f"{len(active)} of {len(gates)} code(s) passed the gate"
        elif learning:
            verdict = (
                f"suggests nothing yet: none of {len(gates)} code(s) passed the gate, "
                f"{learning} still learning (more human decisions needed: see the table)"
            )
        else:
            verdict = f"suggests nothing: none of {len(gates)} code(s) passed the gate"
        note = (
            ("kept from the last training (same human decisions); " if cached else "")
            + f"trained on human decisions; {verdict} "
            f"(cross-validated precision >= {codebook.settings.model_precision_floor:.2f}); "
            f"{result['new']} new, {result['updated']} updated, {result['retired']} retired "
            "suggestions"
        )
        if result.get("source_types_not_suggested"):
            where = ", ".join(
                f"{k!r} ({n})" for k, n in result["source_types_not_suggested"].items()
            )
            note += f"; none in source types with no human decision yet: {where}"
    return {
        "used": True,
        "changed": changed,
        "note": note,
        **result,
        "trained": cached is None,
        "gates": gate_dicts,
    }


def _still_no_model(store: Store) -> dict[str, Any] | None:
    """What ``suggest_with_model`` returns with no model when it has nothing to retire.

    Without any human decision there is no model: it suggests nothing and retires every
    live model suggestion; usually there is none (a run without a model retired them),
    and the only figure to work out is how many segments it would have looked at. That
    takes a few queries instead of reading every segment's text and neighbours (the
    largest cost of coding one new file). None: there is something to retire, or there
    are human decisions (then which segments count depends on their source types).
    """
    from themegrid.models import MODEL_CODER
    from themegrid.tag.model import human_labels

    live = store_codings.machine_suggestions(store, "model", MODEL_CODER)
    if any(row.status == "suggested" for row in live.values()):
        return None
    decided = human_labels(store)
    if decided:  # which segments it would score then depends on the decided source types
        return None
    scored = segs_store.count_codable_segments(store)
    return {
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "retired": 0,
        "segments_scored": scored,
        "codes_modelled": [],
        "codes_skipped": {},
        "codes_active": [],
        "source_types_not_suggested": {},
    }


def _model_off(store: Store, codebook: Codebook, run_id: int) -> dict[str, Any]:
    """``--no-model``: retire every live model suggestion (recorded in this run)."""
    from themegrid.tag import gate as learn

    retired = learn.retire_model_suggestions(
        store, "retired: model switched off (themegrid code --no-model)", run_id
    )
    store.set_meta("model_fingerprint", "")  # the next run with the model retrains
    gates = [learn.switched_off(c.id) for c in codebook.codable]
    gate_dicts = [g.to_dict() for g in gates]
    store.set_meta("model_gates", json.dumps(gate_dicts))
    note = "switched off (--no-model)" + (
        f": {retired} live model suggestion(s) retired" if retired else ""
    )
    return {
        "used": False,
        "changed": bool(retired),
        "retired": retired,
        "note": note,
        "gates": gate_dicts,
    }


def run_semantic(
    store: Store, codebook: Codebook, run_id: int, on: bool, gates: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """Semantic suggestions (tag/semantic.py) when ``on``; otherwise, or when the embedder is
    unavailable, every live one is retired, recorded in this run."""
    from themegrid.tag import semantic as sem

    why_off = "" if on else "switched off (codebook 'semantic: false' or --no-semantic)"
    embedder = None
    if on:
        from themegrid.tag.embed import load_embedder, unavailable_reason

        embedder = load_embedder()
        why_off = "" if embedder is not None else unavailable_reason()
    if embedder is None:
        retired = sem.retire_semantic(store, f"retired: semantic suggestions {why_off}", run_id)
        if not on and not retired:
            return {}  # off, as by default, and nothing to withdraw: nothing to report
        note = why_off + (f"; {retired} live semantic suggestion(s) retired" if retired else "")
        return {"used": False, "changed": bool(retired), "retired": retired, "note": note}
    active = [str(g["code"]) for g in gates if g.get("state") == "active"]
    result = sem.suggest_semantic(store, codebook, embedder, run_id, model_active=active)
    changed = bool(result["new"] or result["updated"] or result["retired"])
    note = (
        f"{result['new']} new, {result['updated']} updated, {result['retired']} retired "
        f"(similarity >= {codebook.settings.semantic_threshold:.2f} to a code's definition "
        "or examples)"
    )
    return {"used": True, "changed": changed, "note": note, **result}


def awaiting_review_per_code(
    store: Store, codebook: Codebook, counts: dict[str, tuple[int, int]] | None = None
) -> dict[str, dict[str, int]]:
    """Code id -> live machine suggestions no human decided: total, how many from the learned
    model and how many semantic only (both are source 'model'; told apart by coder).

    ``counts``: ``store_codings.pending_counts_per_code`` as the caller already has it.
    """
    out = {c.id: {"total": 0, "model": 0, "semantic": 0} for c in codebook.codable}
    semantic = store_codings.pending_only_by_coder_per_code(store, "model", SEMANTIC_CODER)
    pending = store_codings.pending_counts_per_code(store) if counts is None else counts
    for code_id, (total, model) in pending.items():
        n_sem = semantic.get(code_id, 0)
        out[code_id] = {"total": total, "model": model - n_sem, "semantic": n_sem}
    return out


def _segments_to_tag(
    store: Store, cue_hash: str, include_interviewers: bool, also: set[str]
) -> list[tuple[str, str]]:
    return segs_store.segments_to_tag(
        store, cue_hash, include_interviewers=include_interviewers, also=also
    )


def _repeated_texts(store: Store, codebook: Codebook) -> tuple[set[str], set[str]]:
    """Segments set aside as the same text in several documents, and those to examine
    again because that changed (a third session with the same task prompts arrived)."""
    from themegrid.tag.codable import REPEATED_MIN_WORDS, SKIP_REPEATED

    least = codebook.settings.repeated_in_documents
    if least < 2:
        return set(), set(segs_store.segments_skipped_as(store, SKIP_REPEATED))
    return segs_store.repeated_text_segments(store, least, REPEATED_MIN_WORDS, SKIP_REPEATED)


@dataclass
class _Changes:
    """What tagging one batch changes among the rule suggestions."""

    suggest: list[store_codings.Suggestion] = field(default_factory=list)
    retire: list[tuple[str, str, str | None]] = field(default_factory=list)
    new: int = 0
    kept: int = 0
    skipped: int = 0


def _tag(
    store: Store,
    tagger: Tagger,
    machine_filter: MachineFilter,
    todo: list[tuple[str, str]],
    cue_hash: str,
    run_id: int,
    progress: ProgressFn | None,
    repeated: set[str] | None = None,
) -> tuple[int, int, int, int]:
    """Tag ``todo`` in batches; returns (new, kept, skipped as human-rejected, retired).

    ``repeated``: segments whose text is in several documents; the machine does not code
    them, whatever the per-segment verdict."""
    from themegrid.tag.codable import SKIP_REPEATED, Verdict
    from themegrid.tag.parallel import examine_and_tag

    new = kept = skipped = retired = 0
    # Nothing stored to compare with (a first run): no query per batch for it. Rows this
    # loop writes are of other segments than any later batch's.
    stored = store_codings.any_machine_rows(store, "rule", RULE_CODER)
    rejections = store_codings.any_human_rejection(store)
    turns: list[bool] = []
    for start in range(0, len(todo), BATCH):
        chunk = todo[start : start + BATCH]
        speakers = segs_store.speakers(store, [i for i, _ in chunk])
        turns += [speakers.get(i) is not None for i, _ in chunk]
    # One stream over every text: the machine filter and the tagger run there (in the
    # workers when parallel, which run ahead while batches are written).
    stream = examine_and_tag(
        tagger, machine_filter, ((t, turn) for (_, t), turn in zip(todo, turns, strict=True))
    )
    for start in range(0, len(todo), BATCH):
        if progress:
            progress(start, len(todo), "tagging")
        batch = todo[start : start + BATCH]
        results = list(islice(stream, len(batch)))
        if repeated:
            results = [
                (Verdict(SKIP_REPEATED, v.language, v.content_words), [])
                if seg_id in repeated and v.skip is None
                else (v, rows)
                for (seg_id, _), (v, rows) in zip(batch, results, strict=True)
            ]
        verdicts = [v for v, _ in results]
        changes = _diff_batch(
            store,
            (s for v, s in results if v.skip is None),
            batch,
            [v.skip for v in verdicts],
            stored=stored,
            rejections=rejections,
        )
        stamp = now()
        store_codings.record_suggestions(
            store, "rule", RULE_CODER, changes.suggest, run_id=run_id, at=stamp
        )
        store_codings.retire_suggestions(
            store, "rule", RULE_CODER, changes.retire, run_id=run_id, at=stamp
        )
        segs_store.set_tag_results(
            store,
            (
                segs_store.TagResult(i, v.skip, v.language)
                for (i, _), v in zip(batch, verdicts, strict=True)
            ),
            cue_hash,
        )
        new, kept, skipped = new + changes.new, kept + changes.kept, skipped + changes.skipped
        retired += len(changes.retire)
    if progress:
        progress(len(todo), len(todo), "tagging")
    return new, kept, skipped, retired


def _diff_batch(
    store: Store,
    tagged: Iterable[Sequence[SuggestionRow]],
    batch: list[tuple[str, str]],
    skips: Sequence[str | None] | None = None,
    *,
    stored: bool = True,
    rejections: bool = True,
) -> _Changes:
    """Compare the tagger's suggestions with the stored rule rows of these segments.

    ``tagged`` yields the suggestions of each segment of ``batch`` the machine codes, in
    order; ``skips`` says, per segment, why the machine does not code it (None: it does).
    Such a segment gets no rule suggestion and its live ones are retired with that reason.
    ``stored`` / ``rejections`` False: the store has no rule row / no human rejection at
    all, and is not asked about these segments.
    """
    skips = list(skips) if skips is not None else [None] * len(batch)
    ids = [seg_id for seg_id, _ in batch]
    existing: dict[str, dict[str, store_codings.StoredSuggestion]] = {}
    found = store_codings.machine_suggestions(store, "rule", RULE_CODER, ids) if stored else {}
    for (seg_id, code_id), row in found.items():
        existing.setdefault(seg_id, {})[code_id] = row
    rejected = store_codings.human_rejected(store, ids) if rejections else set()
    out = _Changes()
    tagged = iter(tagged)
    for (seg_id, _text), skip in zip(batch, skips, strict=True):
        suggestions = next(tagged) if skip is None else []
        wanted = {s.code_id: s for s in suggestions if (seg_id, s.code_id) not in rejected}
        out.skipped += len(suggestions) - len(wanted)
        old = existing.get(seg_id, {})
        for code_id, s in wanted.items():
            prior = old.get(code_id)
            if prior is None:
                out.suggest.append(store_codings.Suggestion(seg_id, code_id, s.score, s.reason))
                out.new += 1
            elif (prior.status, prior.reason, prior.confidence) != ("suggested", s.reason, s.score):
                out.suggest.append(store_codings.Suggestion(seg_id, code_id, s.score, s.reason))
                out.new += prior.status != "suggested"
                out.kept += prior.status == "suggested"
            else:
                out.kept += 1
        for code_id, prior in old.items():
            if code_id not in wanted and prior.status == "suggested":
                why = (
                    f"segment not machine-coded: {skip}"
                    if skip is not None
                    else "a human rejected it"
                    if (seg_id, code_id) in rejected
                    else "cues no longer match"
                )
                out.retire.append((seg_id, code_id, f"retired: {why}"))
    return out


def live_suggestions_per_theme(store: Store, codebook: Codebook) -> dict[str, int]:
    """Segments coded per theme, counted as the report's Matrix counts them.

    Accepted codings and unreviewed suggestions on present, active segments
    (machine suggestions only on codable ones); a segment counts once per theme.
    Themes are the top-level codes, or their children when the codebook has
    fewer than three top-level codes. (A run counts the same per document, kept between
    runs: ``store_codings.run_counts``.)
    """
    themes = _theme_names(codebook)
    segments: dict[str, set[str]] = {}
    for seg_id, code_id in store_codings.applied_codings_on_present_segments(store):
        segments.setdefault(themes.get(code_id, code_id), set()).add(seg_id)
    return _ranked_themes(codebook, {name: len(ids) for name, ids in segments.items()})


def reported_counts(
    store: Store, codebook: Codebook
) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """What a run reports from the whole store: :func:`live_suggestions_per_theme` and
    ``store_codings.pending_counts_per_code``, the same figures, worked out again only for
    the documents that changed since the last run (``store_codings.run_counts``)."""
    themes = _theme_names(codebook)
    key = hashlib.sha256(json.dumps(themes, sort_keys=True).encode()).hexdigest()
    per_theme, pending = store_codings.run_counts(store, key, lambda c: themes.get(c, c))
    return _ranked_themes(codebook, per_theme), pending


def _theme_names(codebook: Codebook) -> dict[str, str]:
    """Code id -> the name of its theme, for every code of the codebook (a code the codebook
    does not have is its own theme)."""
    tops = [c.id for c in codebook.children(None)]
    level = 0 if len(tops) >= 3 else 1
    out: dict[str, str] = {}
    for code in codebook.codes:
        chain = [*reversed(codebook.ancestors(code.id)), code.id]
        theme = chain[min(level, len(chain) - 1)]
        out[code.id] = codebook.get(theme).name if theme in codebook else theme
    return out


def _ranked_themes(codebook: Codebook, counts: dict[str, int]) -> dict[str, int]:
    """Theme -> segments, in the codebook's tree order (themes it does not have last, by name)."""
    order = {c.name: i for i, c in enumerate(codebook.tree_order())}
    ranked = sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return dict(ranked)
