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
from fault_helpers import cli, failed_runs, full_dump, human_decisions, integrity, report_counts
from fault_project import COMMANDS, NO_STORE_WRITES, build_base, command_args, copy_base
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
# the fast subset's commands (the later ones, and init and restore, are in the slow suite)
FAST_COMMANDS = ["ingest", "code", "review import", "import-coded", "import qdpx", "remove"]
STORE_WRITERS = [c for c in COMMANDS if c not in NO_STORE_WRITES]


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


@pytest.mark.parametrize("command", FAST_COMMANDS)
@pytest.mark.parametrize("kind", ["exception", "disk full"])
def test_fault_at_a_first_write(base: Path, tmp_path: Path, command: str, kind: str) -> None:
    outcomes = [
        run_injected(base, tmp_path / f"{i}", command, m, n, kind)
        for i, (m, n) in enumerate(FAST_STEPS)
    ]
    assert "held" in outcomes


@pytest.mark.slow
@pytest.mark.parametrize("command", STORE_WRITERS)
@pytest.mark.parametrize("kind", ["exception", "disk full"])
def test_fault_at_every_write_step(base: Path, tmp_path: Path, command: str, kind: str) -> None:
    outcomes = Counter(
        run_injected(base, tmp_path / f"{i}", command, m, n, kind) for i, (m, n) in enumerate(STEPS)
    )
    print(f"\n{command} / {kind}: {len(STEPS)} steps, {outcomes['held']} reached and held, "
          f"{outcomes['not reached']} not called by this command, 0 human decisions lost")  # fmt: skip
    assert outcomes["held"] >= 2


class _CopyFails:
    """A connection whose backup() (the restore's page copy) fails; all else is real."""

    def __init__(self, conn: sqlite3.Connection, kind: str) -> None:
        self.conn, self.kind = conn, kind

    def backup(self, *args: object, **kwargs: object) -> None:
        _fault(self.kind)()

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


def _restore_steps(kind: str) -> dict[str, object]:
    """Each write step of a restore, as a patch: (module, name, fake)."""
    import themegrid.store.backup as backup_module
    from themegrid.store.connection import Store

    class FakeSqlite:
        Error = sqlite3.Error
        OperationalError = sqlite3.OperationalError

        @staticmethod
        def connect(*args: object, **kwargs: object) -> object:
            conn = sqlite3.connect(*args, **kwargs)  # type: ignore[arg-type]
            return _CopyFails(conn, kind) if "mode=ro" in str(args[0]) else conn

    return {
        "backup_before": (backup_module, "backup_before", _fault(kind)),
        "page copy": (backup_module, "sqlite3", FakeSqlite),
        "migrate": (Store, "migrate", _fault(kind)),
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["exception", "disk full", "ENOSPC"])
def test_fault_at_each_write_step_of_restore(base: Path, tmp_path: Path, kind: str) -> None:
    """The copy made first, the page copy, the migration after it: a failure at any leaves the
    store as it was, or as the backup whole (never a mix), and the restore then succeeds."""
    backup = human_decisions(base / "reports" / "backup.sqlite")
    for i, (step, (where, name, fake)) in enumerate(_restore_steps(kind).items()):
        root = copy_base(base, tmp_path / f"r{i}", "restore")
        store = root / "themegrid.sqlite"
        before, decisions = full_dump(store), human_decisions(store)
        with pytest.MonkeyPatch.context() as mp:
            if name == "migrate":
                # the restore's own migrate, after the copy (opening the store migrates too)
                real = where.migrate  # type: ignore[attr-defined]

                def migrate(self: object, real: object = real, fake: object = fake) -> object:
                    return _after_copy(self, real=real, fake=fake)

                mp.setattr(where, "migrate", migrate)
            else:
                mp.setattr(where, name, fake)
            result = cli(*command_args("restore", root))
        TALLY["restore runs"] += 1
        assert result.exit_code != 0, (step, result.output)
        assert "Traceback" not in result.output, result.output
        if kind != "exception":
            assert "disk is full" in result.output, (step, result.output)
        assert integrity(store) == "ok"
        now = human_decisions(store)
        assert now in (decisions, backup), f"{step}: the store is a mix"
        if step == "migrate":  # it failed after the copy: the store is the backup, whole
            assert now == backup
        else:
            assert full_dump(store) == before, f"{step} left changes"
        again = cli(*command_args("restore", root))
        assert again.exit_code == 0, again.output
        assert human_decisions(store) == backup
        kept = [human_decisions(p) for p in (root / ".themegrid" / "backups").glob("*.sqlite")]
        assert decisions in kept, "the store as it was is in no backup"
        TALLY["restore held"] += 1


def _after_copy(store: object, *, real: object, fake: object) -> object:
    """Migrate as usual when the store is opened; fail when called after the page copy."""
    import traceback

    caller = traceback.extract_stack()[-3]  # above this function and the patched method
    if caller.name == "restore_backup":  # not Store.__init__, which migrates on opening
        return fake()  # type: ignore[operator]
    return real(store)  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["exception", "ENOSPC"])
def test_fault_at_each_file_init_writes(base: Path, tmp_path: Path, kind: str) -> None:
    """A failure at any of init's files: a message (no traceback for a full disk), no
    half-written file, and init then succeeds in the same folder."""
    import themegrid.atomic
    import themegrid.project as project_module
    from themegrid.project import TEMPLATE_FILES

    real = themegrid.atomic.atomic_path
    for n in range(len(TEMPLATE_FILES)):
        root = tmp_path / f"i{n}"
        calls: list[object] = []

        def failing(target: Path | str, n: int = n, calls: list[object] = calls):  # type: ignore[no-untyped-def]
            calls.append(target)
            if len(calls) == n + 1:
                _fault(kind)()
            return real(target)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(project_module, "atomic_path", failing)
            result = cli("init", root / "fresh")
        TALLY["init runs"] += 1
        assert result.exit_code != 0, result.output
        if kind == "ENOSPC":
            assert isinstance(result.exception, SystemExit), result.exception
        assert not list(root.rglob("*.tmp"))
        assert not (root / "fresh" / "codebook" / "codebook.yaml").exists()
        again = cli("init", root / "fresh")
        assert again.exit_code == 0, again.output
        TALLY["init held"] += 1


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
    report_counts("injected faults", TALLY)
