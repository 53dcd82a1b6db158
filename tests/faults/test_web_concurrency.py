"""`themegrid serve` and a command line writer at once (two writers on one store).

While the server is storing a decision, `import-coded` or `code` says at once that it waits
and for whom (the server's pid), waits the bounded THEMEGRID_WAIT, then fails changing
nothing; the decision the server was storing lands. Once a command line writer has
committed, the server's next page shows its work (no stale snapshot on the server's
long-lived connection).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fault_helpers import full_dump, human_decisions, integrity

from conftest import write_project
from themegrid.project import Project
from themegrid.store import codings as codings_store

pytest.importorskip("starlette", reason="the web extra is not installed")

CODED = (
    "Text,Code\nThe bus budget was cut again this year.,barriers.funding\n"
    "Nobody covers the night shift now.,barriers.staffing\n"
)


def _themegrid(*args: str, wait: float = 2.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THEMEGRID_WAIT": str(wait)}
    return subprocess.run(
        [sys.executable, "-m", "themegrid", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _not_bens(dump: list[tuple[str, list[tuple[object, ...]]]]) -> dict[str, object]:
    """The tables a second writer would change, but for the rows of Ben's decision."""
    tables = dict(dump)
    out: dict[str, object] = {t: tables[t] for t in ("documents", "segments", "codes", "runs")}
    for t in ("codings", "coding_history"):
        out[t] = [r for r in tables[t] if "Ben" not in r]
    return out


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    from web_helpers import code_project, serve

    project = write_project(tmp_path / "study")
    code_project(project)
    (tmp_path / "coded.csv").write_text(CODED, encoding="utf-8")
    served = serve(Project(project.root))
    yield served
    served.store.close()


@pytest.mark.processes
@pytest.mark.parametrize("command", ["import-coded", "code"])
def test_a_cli_writer_waits_for_the_server_names_it_and_changes_nothing(
    served, tmp_path: Path, command: str
) -> None:  # type: ignore[no-untyped-def]
    from themegrid.web import decisions

    root = served.project.root
    if command == "code":  # give 'code' work to do
        nv = served.project.corpus_dir / "interviews" / "nv.txt"
        nv.write_text(nv.read_text() + "Respondent: The budget again, and a waiver.\n")
    client = served.client("Ben")
    item = codings_store.pending_suggestions(served.store)[0]
    form = {"segment_id": item.segment_id, "code_id": item.code_id, "decision": "rejected",
            "csrf": served.secrets.csrf}  # fmt: skip
    inside, release = threading.Event(), threading.Event()
    real = decisions.decide

    def slow_decide(*args: object, **kwargs: object) -> dict[str, int]:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        inside.set()  # the server is storing the decision: it holds the write lock
        assert release.wait(120)
        return out

    answers: list[int] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decisions, "decide", slow_decide)
        poster = threading.Thread(
            target=lambda: answers.append(client.post("/decide", data=form).status_code)
        )
        poster.start()
        try:
            assert inside.wait(60)
            before = full_dump(served.project.store_path)
            args = {
                "import-coded": ["import-coded", str(tmp_path / "coded.csv"), "--coder", "Cy"],
                "code": ["code", "--no-model"],
            }[command]
            second = _themegrid(*args, "--project", str(root))
        finally:
            release.set()
            poster.join(60)
    assert second.returncode == 1, second.stderr
    assert "Traceback" not in second.stderr, second.stderr
    [waiting] = [line for line in second.stderr.splitlines() if line.startswith("Waiting up to")]
    assert waiting.startswith("Waiting up to 2 s for ") and f"pid {os.getpid()}" in waiting
    assert "is still writing" in second.stderr and "nothing was changed" in second.stderr
    assert f"pid {os.getpid()}" in second.stderr.split("is still writing")[0]
    # the second writer changed nothing; the server's decision then landed (all else equal)
    assert _not_bens(full_dump(served.project.store_path)) == _not_bens(before)
    assert answers == [200]
    stored = {(r[2], r[3], r[4], r[5]) for r in human_decisions(served.project.store_path)}
    assert (item.segment_id, item.code_id, "Ben", "rejected") in stored
    assert integrity(served.project.store_path) == "ok"
    # and once the server is done, the same command runs
    again = _themegrid(*args, "--project", str(root))
    assert again.returncode == 0, again.stderr


@pytest.mark.processes
def test_the_server_shows_what_a_cli_writer_committed(served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = served.project.root
    client = served.client("Ben")
    overview = client.get("/").text
    queue = client.get("/queue").text
    assert "coded.csv" not in overview
    done = _themegrid("import-coded", str(tmp_path / "coded.csv"), "--coder", "Cy",
                      "--project", str(root))  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = client.get("/").text
    assert "coded.csv" in after, "the server's overview does not show the imported documents"
    # a 'code' run adds suggestions: the server's queue counts them at once
    nv = served.project.corpus_dir / "interviews" / "nv.txt"
    nv.write_text(nv.read_text() + "Respondent: The budget again, and no substitute teachers.\n")
    assert _themegrid("code", "--no-model", "--project", str(root)).returncode == 0
    # Ben's queue: every suggestion Ben has not decided (Cy's decisions leave it in)
    pending = len(codings_store.suggestions_undecided_by(served.store, "Ben"))
    fresh = client.get("/queue").text
    assert fresh != queue and f"of {pending}" in fresh, "the server's queue is stale"
