"""The project every fault test starts from, and the commands it runs against it.

Ana has accepted two suggestions (human decisions to protect); a review sheet for Ben
with the other pending suggestions, a coded spreadsheet and a .qdpx from another
project are ready, and one corpus file has changed since the last 'code' run, so
each writing command below has real work to do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
from fault_helpers import cli

from conftest import write_project

COMMANDS: dict[str, list[str]] = {
    "ingest": ["ingest"],
    "code": ["code", "--no-model"],
    "review import": ["review", "import", "{root}/reports/ben.xlsx", "--coder", "Ben"],
    "import-coded": ["import-coded", "{root}/reports/coded.csv", "--coder", "Cy"],
    "import qdpx": ["import", "qdpx", "{root}/reports/other.qdpx", "--coder-prefix", "x-"],
    # az.txt carries Ana's decisions: --force archives it (see prepare)
    "remove": ["remove", "interviews/az.txt", "--force"],
}


def _sheet(root: Path, out: Path, limit: int | None, decision: str) -> None:
    args = ["review", "export", out, "--project", root, *(["--limit", str(limit)] if limit else [])]
    assert cli(*args).exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book["Review"]
    header = [c.value for c in sheet[1]]
    col, note = header.index("Decision") + 1, header.index("Note") + 1
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, col, decision)
        sheet.cell(row, note, f"{decision} on row {row}")
    book.save(out)


def build_base(root: Path) -> Path:
    project = write_project(root)
    assert cli("code", "--no-model", "--project", root).exit_code == 0
    ana = root / "reports" / "ana.xlsx"
    _sheet(root, ana, 2, "accept")
    done = cli("review", "import", ana, "--coder", "Ana", "--project", root)
    assert done.exit_code == 0, done.output
    _sheet(root, root / "reports" / "ben.xlsx", None, "reject")
    (root / "reports" / "coded.csv").write_text(
        "Text,Code\nThe budget was cut and turnover was high.,barriers.funding\n"
        "We had no substitute teachers.,barriers.staffing\n",
        encoding="utf-8",
    )
    other = write_project(root.parent / f"{root.name}-other")
    assert cli("code", "--no-model", "--project", other.root).exit_code == 0
    _sheet(other.root, other.root / "reports" / "r.xlsx", None, "accept")
    assert cli("review", "import", other.root / "reports" / "r.xlsx", "--coder", "Dee",
               "--project", other.root).exit_code == 0  # fmt: skip
    assert (
        cli("export", "qdpx", root / "reports" / "other.qdpx", "--project", other.root).exit_code
        == 0
    )
    # a changed file, so ingest and code have work to do
    nv = project.corpus_dir / "interviews" / "nv.txt"
    nv.write_text(nv.read_text() + "Respondent: The budget again, and a waiver.\n")
    return root


def copy_base(base: Path, dest: Path, command: str | None = None) -> Path:
    """A copy of the base project, made ready for ``command``: for 'remove', the file of
    the document to remove is moved out of corpus/ (remove refuses a file still there)."""
    shutil.copytree(base, dest, symlinks=True)
    if command == "remove":
        (dest / "aside").mkdir()
        shutil.move(dest / "corpus" / "interviews" / "az.txt", dest / "aside" / "az.txt")
    return dest


def command_args(name: str, root: Path) -> list[str]:
    return [a.format(root=root) for a in COMMANDS[name]] + ["--project", str(root)]
