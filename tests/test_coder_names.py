"""A coder name that differs from a known coder's only in case or spaces is refused with
"did you mean", in every place a coder name is taken, unless the user insists."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_project
from themegrid import api
from themegrid.cli import app
from themegrid.errors import InvalidCoder
from themegrid.exchange.labels import check_coder_known
from themegrid.project import Project


def coded_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["id", "text", "code"],
                ["R1", "The grant money ran out.", "barriers.funding"],
                ["R2", "We could not hire staff.", "barriers.staffing"],
            ]
        )
    return path


def coders(project: Project) -> set[str]:
    with project.open_store() as store:
        return {
            r[0] for r in store.query("SELECT DISTINCT coder FROM codings WHERE source = 'human'")
        }


@pytest.mark.parametrize("name", ["ana ", "ANA", " a na", "Ana"])
def test_check_coder_known(name: str) -> None:
    if name == "Ana":
        assert check_coder_known(name, ["Ana", "Ben"]) == "Ana"
        return
    with pytest.raises(InvalidCoder, match=r"did you mean 'Ana'\? Pass --coder 'Ana'"):
        check_coder_known(name, ["Ana", "Ben"], insist="--new-coder")
    assert check_coder_known("  Anna  ", ["Ana"]) == "Anna"  # another name: fine, stripped


def test_import_coded_refuses_ana_beside_Ana_until_new_coder(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", files={})
    sheet = coded_csv(tmp_path / "coded.csv")
    runner = CliRunner()
    base = ["import-coded", str(sheet), "--project", str(project.root), "--id-column", "id"]
    assert runner.invoke(app, [*base, "--coder", "Ana"]).exit_code == 0
    before = coders(project)
    out = runner.invoke(app, [*base, "--coder", "ana "])
    assert out.exit_code == 1
    text = " ".join(out.output.split())
    assert "did you mean 'Ana'?" in text and "--new-coder" in text
    assert coders(project) == before == {"Ana"}  # nothing written
    assert runner.invoke(app, [*base, "--coder", "Ana "]).exit_code == 0  # spaces stripped
    assert coders(project) == {"Ana"}
    out = runner.invoke(app, [*base, "--coder", "ana", "--new-coder"])
    assert out.exit_code == 0, out.output
    assert coders(project) == {"Ana", "ana"}


def test_review_import_refuses_a_case_variant_of_a_known_coder(tmp_path: Path) -> None:
    project = write_project(tmp_path / "study", files={})
    api.import_coded(project, [coded_csv(tmp_path / "coded.csv")], coder="Ana")
    with pytest.raises(InvalidCoder, match="did you mean 'Ana'"):
        api.review_import(project, tmp_path / "no-such-review.xlsx", coder="ANA")


def test_the_browser_coder_form_asks_did_you_mean(tmp_path: Path) -> None:
    pytest.importorskip("starlette", reason="the web extra is not installed")
    from web_helpers import serve

    project = write_project(tmp_path / "study", files={})
    api.import_coded(project, [coded_csv(tmp_path / "coded.csv")], coder="Ana")
    served = serve(project)
    try:
        c = served.client(coder=None)
        r = c.post("/coder", data={"coder": "ana ", "csrf": served.secrets.csrf})
        assert r.status_code == 400 and "did you mean" in r.text and "Ana" in r.text
        r = c.post("/coder", data={"coder": "Ana", "csrf": served.secrets.csrf})
        assert r.status_code == 200
    finally:
        served.store.close()
