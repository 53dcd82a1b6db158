"""Code paths in imported labels: split at one separator, so a '/' inside a MAXQDA code
name ('Explainability Techniques > PDP/ICE', the real pdpilot export) is not a level."""

from __future__ import annotations

import pytest

from themegrid.exchange.labels import split_path


@pytest.mark.parametrize(
    ("label", "parts"),
    [
        ("Explainability Techniques > PDP/ICE > Uses ICE plots", ["Explainability Techniques", "PDP/ICE", "Uses ICE plots"]),
        ("Barriers -> Funding", ["Barriers", "Funding"]),
        ("Barriers/Funding", ["Barriers", "Funding"]),
        ("Nodes\\Barriers\\Buy-in/trust", ["Barriers", "Buy-in/trust"]),
        ("Theme::Sub theme", ["Theme", "Sub theme"]),
        ("Funding", ["Funding"]),
        ("", []),
    ],
)  # fmt: skip
def test_one_separator_per_label(label: str, parts: list[str]) -> None:
    assert split_path(label) == parts
