"""Run one themegrid command as a real process that stops *inside* its write transaction,
so a kill -9 or SIGINT sent then provably lands mid-write (the kill tests' mid-write runs).

    python paused_run.py PLAN.json ARGS...

PLAN is JSON. With ``"count": PATH`` the command runs to its end and PATH receives how
often it called each store write function (``module:function``). With ``"pause":
[module, function, n]`` and ``"marker": PATH``, after the n-th call of that function
returns, the wrapper writes PATH (JSON: whether the store connection is inside a
transaction, and the write calls so far) and sleeps until it is signalled.
Nothing here changes themegrid: the functions are wrapped from outside, as the injected
fault tests do.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

WRITE_STEPS: dict[str, tuple[str, ...]] = {
    "themegrid.store.documents": (
        "insert_document",
        "update_document",
        "replace_text",
        "set_attributes",
        "mark_missing",
        "archive_document",
        "delete_document",
    ),
    "themegrid.store.segments": (
        "insert_segments",
        "upsert_segments",
        "deactivate_segments",
        "mark_seen",
        "set_tagged_hash",
        "set_tag_results",
        "move_views",
        "move_human_codings",
    ),
    "themegrid.store.codings": (
        "record_human_codings",
        "record_suggestions",
        "retire_suggestions",
        "retire_stale_suggestions",
        "merge_codings",
        "undo_run_codings",
    ),
    "themegrid.store.codes": ("sync_codebook", "add_codes", "set_active"),
    "themegrid.store.memos": ("move_memos",),
    "themegrid.store.runs": ("start_run", "finish_run"),
}
# every command's module, loaded before wrapping so each binds the wrapped function by name
COMMAND_MODULES = (
    "themegrid.cli",
    "themegrid.exchange.coded.importer",
    "themegrid.exchange.refi.importer",
    "themegrid.exchange.review",
    "themegrid.pipeline.coding",
    "themegrid.pipeline.ingest",
    "themegrid.pipeline.merge",
    "themegrid.pipeline.remove",
)


def wrap_everywhere(module: Any, name: str, fake: Any) -> None:
    """Replace ``module.name`` in the module and in every themegrid module that imported it."""
    original = getattr(module, name)
    setattr(module, name, fake)
    for mod in list(sys.modules.values()):
        if mod is None or mod is module or not getattr(mod, "__name__", "").startswith("themegrid"):
            continue
        if getattr(mod, name, None) is original:
            setattr(mod, name, fake)


def report_pause(marker: Path, store: Any, calls: Counter[str]) -> None:
    """Write ``marker`` (whole, by a rename): inside a transaction?, and the calls so far."""
    state = {"in_transaction": bool(store.conn.in_transaction), "calls": dict(calls)}
    part = marker.with_name(marker.name + ".part")
    part.write_text(json.dumps(state))
    part.replace(marker)


def wrapped(key: str, original: Any, plan: dict[str, Any], calls: Counter[str]) -> Any:
    """``original``, counted; on the planned call, report the store's state and wait."""
    pause = plan.get("pause")

    def step(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls[key] += 1
        if pause and f"{pause[0]}:{pause[1]}" == key and calls[key] == pause[2]:
            report_pause(Path(plan["marker"]), args[0], calls)
            time.sleep(600)  # until the test's signal
        return result

    return step


def install(plan: dict[str, Any], calls: Counter[str]) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name)
    for module_name, names in WRITE_STEPS.items():
        module = importlib.import_module(module_name)
        for name in names:
            if hasattr(module, name):
                key = f"{module_name}:{name}"
                wrap_everywhere(module, name, wrapped(key, getattr(module, name), plan, calls))


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    calls: Counter[str] = Counter()
    install(plan, calls)
    from themegrid.cli import app

    try:
        app(sys.argv[2:], prog_name="themegrid")
    finally:
        if plan.get("count"):
            Path(plan["count"]).write_text(json.dumps(dict(calls)))


if __name__ == "__main__":
    main()
