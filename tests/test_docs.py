"""Every command has help text and appears in the README's command reference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from themegrid.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        path = (*prefix, name)
        if hasattr(command, "commands"):
            yield from commands(command, path)
        else:
            yield path, command


ALL = sorted(commands(get_command(app)), key=lambda item: item[0])  # type: ignore[arg-type]


def test_there_are_commands() -> None:
    names = {" ".join(p) for p, _ in ALL}
    assert {"init", "codebook check", "code", "ingest", "status", "export segments"} <= names


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=lambda p: " ".join(p))
def test_command_has_help_and_is_documented(path: tuple[str, ...]) -> None:
    command = dict(ALL)[path]
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert f"`themegrid {' '.join(path)}" in README, (
        f"'themegrid {' '.join(path)}' is missing from the README"
    )


def test_top_level_help() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for path, _ in ALL:
        assert path[0] in result.output
