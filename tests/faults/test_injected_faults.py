"""An exception or a full disk at each write step of each writing command: the command
fails with a message (no traceback for a full disk), the store is exactly as it was
(integrity ok, every human decision unchanged), and the same command then succeeds.

The fast subset injects at a first write of each command; the slow suite
(``-m slow``) at every store write function, for an exception and for a full disk.
"""

from __future__ import annotations

import errno
import importlib
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest
from fault_helpers import cli, failed_runs, full_dump, human_decisions, integrity
from fault_project import COMMANDS, build_base, command_args, copy_base
from paused_run import WRITE_STEPS as PAUSED_WRITE_STEPS

# Each command's module is loaded before any patching: a module first imported under a
# patch would keep the fault bound by name for the rest of the session.
import themegrid.exchange.coded.importer
import themegrid.exchange.refi.importer
import themegrid.exchange.review
import themegrid.pipeline.coding
import themegrid.pipeline.merge
import themegrid.pipeline.remove  # noqa: F401
from themegrid.store import runs, segments

# the store's write functions, the same list the mid-write kill tests pause in
WRITE_STEPS = {importlib.import_module(m): names for m, names in PAUSED_WRITE_STEPS.items()}
STEPS = [(m, n) for m, names in WRITE_STEPS.items() for n in names]
FAST_STEPS = [(runs, "start_run"), (segments, "upsert_segments")]  # ingest records no run
TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_base(tmp_path_factory.mktemp("faults") / "base")


def _patch_everywhere(
    monkeypatch: pytest.MonkeyPatch, module: object, name: str, fake: object
) -> None:
    """Replace the function in its module and wherever it was imported by name."""
    original = getattr(module, name)
    monkeypatch.setattr(module, name, fake)
    for mod in list(sys.modules.values()):
        themegrid_module = mod is not None and getattr(mod, "__name__", "").startswith("themegrid")
        if themegrid_module and mod is not module and getattr(mod, name, None) is original:
            monkeypatch.setattr(mod, name, fake)


def _fault(kind: str):  # type: ignore[no-untyped-def]
    def fail(*args: object, **kwargs: object) -> None:
        if kind == "disk full":
            raise sqlite3.OperationalError("database or disk is full")
        if kind == "ENOSPC":
            raise OSError(errno.ENOSPC, "No space left on device")
        raise RuntimeError("injected fault")

    return fail


def run_injected(base: Path, tmp: Path, command: str, module: object, name: str, kind: str) -> str:
    """Returns 'not reached' when the command does not call this step, else 'held'."""
    root = copy_base(base, tmp / "p", command)
    before, before_human = (
        full_dump(root / "themegrid.sqlite"),
        human_decisions(root / "themegrid.sqlite"),
    )
    with pytest.MonkeyPatch.context() as mp:
        _patch_everywhere(mp, module, name, _fault(kind))
        result = cli(*command_args(command, root))
    TALLY[f"{command} runs"] += 1
    if result.exit_code == 0:
        TALLY[f"{command} not reached"] += 1
        return "not reached"
    if kind == "disk full":
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        assert "disk is full" in result.output and "rolled back" in result.output, result.output
    assert integrity(root / "themegrid.sqlite") == "ok"
    assert human_decisions(root / "themegrid.sqlite") == before_human
    assert full_dump(root / "themegrid.sqlite") == before, f"{command}: {name} left changes"
    failed = failed_runs(root / "themegrid.sqlite")
    assert len(failed) <= 1, failed
    if failed:  # the run had started: the history says it failed, and why
        assert failed[0][0] == command, failed
        assert ("disk is full" if kind == "disk full" else "injected fault") in failed[0][1]
        TALLY[f"{command} failed run recorded"] += 1
    again = cli(*command_args(command, root))
    assert again.exit_code == 0, again.output
    TALLY[f"{command} held"] += 1
    return "held"


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", ["exception", "disk full"])
def test_fault_at_a_first_write(base: Path, tmp_path: Path, command: str, kind: str) -> None:
    outcomes = [
        run_injected(base, tmp_path / f"{i}", command, m, n, kind)
        for i, (m, n) in enumerate(FAST_STEPS)
    ]
    assert "held" in outcomes


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("kind", ["exception", "disk full"])
def test_fault_at_every_write_step(base: Path, tmp_path: Path, command: str, kind: str) -> None:
    outcomes = Counter(
        run_injected(base, tmp_path / f"{i}", command, m, n, kind) for i, (m, n) in enumerate(STEPS)
    )
    print(f"\n{command} / {kind}: {len(STEPS)} steps, {outcomes['held']} reached and held, "
          f"{outcomes['not reached']} not called by this command, 0 human decisions lost")  # fmt: skip
    assert outcomes["held"] >= 2


def test_disk_full_writing_an_export_is_a_message(base: Path, tmp_path: Path) -> None:
    root = copy_base(base, tmp_path / "p")
    with pytest.MonkeyPatch.context() as mp:
        import themegrid.atomic as atomic

        def full(*args: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        mp.setattr(atomic.os, "replace", full)
        for args in (
            ["review", "export", root / "reports" / "r.xlsx"],
            ["export", "segments", root / "reports" / "s.csv"],
            ["export", "qdpx", root / "reports" / "p.qdpx"],
        ):
            result = cli(*args, "--project", root)
            assert result.exit_code == 1, (args, result.output)
            assert "disk is full" in result.output and "nothing was replaced" in result.output
    assert not list((root / "reports").glob(".*.tmp"))


def teardown_module() -> None:
    if TALLY:
        print("\ninjected faults:", dict(sorted(TALLY.items())))
