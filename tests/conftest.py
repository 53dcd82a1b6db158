"""Shared fixtures: a small project on disk built from text the tests write."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from themegrid.project import Project, init_project
from themegrid.store.connection import Store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

INTERVIEW_AZ = """\
Interviewer: Thanks for joining. What pushed the district to start?
Respondent: Honestly the budget. Once the grant money ran out we had to rethink everything.
Interviewer: And staffing?
Respondent: We could not find enough substitute teachers to cover release time, so turnover hurt.
Respondent: There were three reasons: time, money, and trust.
"""

INTERVIEW_NV = """\
Interviewer: How did things go this year?
Respondent: The funding cuts were hard on us.
Interviewer: Anything else?
Respondent: Mostly we talked about the weather and the new building.
"""


def write_project(
    root: Path, files: dict[str, str] | None = None, metadata: str | None = None
) -> Project:
    """A project from the init template plus the given corpus files (path -> text)."""
    project, _ = init_project(root)
    files = (
        files
        if files is not None
        else {"interviews/az.txt": INTERVIEW_AZ, "interviews/nv.txt": INTERVIEW_NV}
    )
    for rel, text in files.items():
        path = project.corpus_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if metadata is None:
        metadata = "file,state,role,source_type\n" + "".join(
            f"{rel},{'Arizona' if 'az' in rel else 'Nevada'},district leader,interview\n"
            for rel in files
        )
    project.metadata_path.write_text(textwrap.dedent(metadata), encoding="utf-8")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return write_project(tmp_path / "study")


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared/ not found beside the repository ({SHARED}); CI provides it")
    return SHARED


def copy_bundled(root: Path) -> Project:
    """A copy of the repository's example project (codebook/ and corpus/) at ``root``."""
    root.mkdir(parents=True)
    shutil.copytree(REPO / "codebook", root / "codebook")
    shutil.copytree(REPO / "corpus", root / "corpus")
    (root / "reports").mkdir()
    return Project(root)


def copy_project(template: Path, root: Path) -> Project:
    """A copy of a project a module-scoped fixture built once (its store closed).

    Cheaper than building it again for every test, and each test may change its copy.
    """
    shutil.copytree(template, root)
    return Project(root)


@pytest.fixture
def bundled_project(tmp_path: Path) -> Project:
    """A copy of the repository's example project (codebook/ and corpus/)."""
    return copy_bundled(tmp_path / "example")


@pytest.fixture(scope="session")
def bundled_coded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project after one ``themegrid code`` without the model, built once per
    worker: copy it (``bundled_coded``), never change it."""
    from themegrid.pipeline.coding import run_coding

    project = copy_bundled(tmp_path_factory.mktemp("bundled-coded") / "example")
    with project.open_store() as store:
        run_coding(project, store, project.load_codebook(), use_model=False)
    return project.root


@pytest.fixture
def bundled_coded(bundled_coded_template: Path, tmp_path: Path) -> Project:
    """A copy of the example project as ``themegrid code`` (no model) left it."""
    return copy_project(bundled_coded_template, tmp_path / "example")


def _cache_cli_commands() -> None:
    """CliRunner builds the click command from the Typer app on every ``invoke``, reading
    every command's signature and type hints (~0.05 CPU-s a call, hundreds of calls here).
    The app does not change while the tests run, so each worker builds it once."""
    import typer.testing

    build = typer.testing._get_command
    built: dict[int, tuple[object, object]] = {}

    def cached(app: object) -> object:
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app kept alive: its id is not reused
        return built[id(app)][1]

    typer.testing._get_command = cached


_cache_cli_commands()


def quoted_spans(project: Project, coder: str) -> set[tuple[str, str, str]]:
    """(document, code, coded text) of every coding of ``coder``, read back from the store."""
    with Store(project.store_path) as store:
        return {
            (r[0], r[1], r[2][r[3] : r[4]])
            for r in store.query(
                "SELECT d.path, c.code_id, d.text, c.span_start, c.span_end FROM codings c"
                " JOIN segments s ON s.id = c.segment_id JOIN documents d"
                " ON d.id = s.document_id WHERE c.coder = ?",
                (coder,),
            )
        }
