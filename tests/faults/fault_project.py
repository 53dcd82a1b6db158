"""The project every fault test starts from, and the commands it runs against it.

Ana has accepted two suggestions (human decisions to protect); a review sheet for Ben
with the other pending suggestions, a coded spreadsheet and a .qdpx from another
project are ready, and one corpus file has changed since the last 'code' run, so
each writing command below has real work to do.
"""

from __future__ import annotations

import shutil
import sqlite3
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
    "import qdc": ["import", "qdc", "{root}/reports/new.qdc"],
    "import taguette": ["import", "taguette", "{root}/reports/tag.sqlite3", "--coder-prefix", "t-"],
    "import qualcoder": ["import", "qualcoder", "{root}/reports/qc", "--coder-prefix", "q-"],
    # the backup made before Ana's review import: restoring it replaces her decisions
    "restore": ["restore", "{root}/reports/backup.sqlite", "--yes"],
    "init": ["init", "{root}/fresh"],  # a new project in a folder of its own
    # quotes found in the stored texts, under codes the import creates (a YAML file too)
    "import quotes": [
        "import",
        "quotes",
        "{root}/reports/quotes.csv",
        "--coder",
        "Qu",
        "--add-codes",
    ],
    # undoes the merge copy_base runs first (the codebook files go back too)
    "codebook unmerge": ["codebook", "unmerge", "{merge_run}"],
}
#: what copy_base merges before 'codebook unmerge' undoes it: Ana decided on both codes
MERGE = ["codebook", "merge", "barriers.funding", "--into", "barriers.staffing"]
# commands that write no project store of their own through the store's write functions
# (init writes files; restore copies a whole store with SQLite's backup API)
NO_STORE_WRITES = ("init", "restore")
# each is the commit point of its command: present after a command that finished
LANDED = {"init": "fresh/codebook/codebook.yaml"}
# once one of these has landed, running it again is refused by design (the same file
# imported twice, the same merge undone twice)
ONCE_ONLY = (*(c for c in COMMANDS if c.startswith("import ")), "codebook unmerge")

NEW_QDC = """<?xml version='1.0' encoding='UTF-8'?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="fault suite">
  <Codes>
    <Code guid="5d0c7a3e-1f7b-4a53-9a51-0d6f0c1e2b01" name="Transport" isCodable="true">
      <Description>Buses and travel to school.</Description>
    </Code>
    <Code guid="5d0c7a3e-1f7b-4a53-9a51-0d6f0c1e2b02" name="Meals" isCodable="true">
      <Description>School meals.</Description>
    </Code>
  </Codes>
</CodeBook>
"""


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
    (root / "reports" / "new.qdc").write_text(NEW_QDC, encoding="utf-8")
    (root / "reports" / "quotes.csv").write_text(
        "Document name,Code,Segment\n"
        'az,Trust,"time, money, and trust"\n'
        "nv,Weather,the weather and the new building\n",
        encoding="utf-8",
    )
    _foreign_projects(root / "reports")
    [first_backup, *_] = sorted((root / ".themegrid" / "backups").glob("*.sqlite"))
    shutil.copy2(first_backup, root / "reports" / "backup.sqlite")
    # a changed file, so ingest and code have work to do
    nv = project.corpus_dir / "interviews" / "nv.txt"
    nv.write_text(nv.read_text() + "Respondent: The budget again, and a waiver.\n")
    return root


def _foreign_projects(folder: Path) -> None:
    """A Taguette database and a QualCoder project, from their import tests, with tag and
    category names of their own (the base codebook has 'barriers' already)."""
    from test_import_qualcoder import make_project
    from test_import_taguette import make_db

    conn = sqlite3.connect(make_db(folder / "tag.sqlite3"))
    conn.execute("UPDATE tags SET path = replace(path, 'barriers.', 'pilot-')")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(make_project(folder / "qc") / "data.qda")
    conn.execute("UPDATE code_cat SET name = 'Pilot ' || name")
    conn.execute("UPDATE code_name SET name = 'Pilot ' || name")
    conn.commit()
    conn.close()


def copy_base(base: Path, dest: Path, command: str | None = None) -> Path:
    """A copy of the base project, made ready for ``command``: for 'remove', the file of
    the document to remove is moved out of corpus/ (remove refuses a file still there);
    for 'codebook unmerge', a merge to undo is made."""
    shutil.copytree(base, dest, symlinks=True)
    if command == "remove":
        (dest / "aside").mkdir()
        shutil.move(dest / "corpus" / "interviews" / "az.txt", dest / "aside" / "az.txt")
    if command == "codebook unmerge":
        done = cli(*MERGE, "--project", dest)
        assert done.exit_code == 0, done.output
    return dest


def _merge_run(root: Path) -> int:
    conn = sqlite3.connect(f"file:{root / 'themegrid.sqlite'}?mode=ro", uri=True)
    try:
        query = "SELECT MAX(id) FROM runs WHERE command = 'codebook merge' AND failed IS NULL"
        return int(conn.execute(query).fetchone()[0])
    finally:
        conn.close()


def command_args(name: str, root: Path) -> list[str]:
    run = _merge_run(root) if name == "codebook unmerge" else None
    args = [a.format(root=root, merge_run=run) for a in COMMANDS[name]]
    return args if name == "init" else [*args, "--project", str(root)]
