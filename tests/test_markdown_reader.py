"""Markdown read as Markdown: plain text per block, hard breaks, front matter as attributes."""

from __future__ import annotations

from pathlib import Path

import pytest

from themegrid.read import read_document

NCD_MD = Path(
    "../shared/devdata/ncd_federal_education_reports/markdown/"
    "2003_students-with-disabilities-face-financial-aid-barriers.md"
)
REPORT = """\
---
layout: post
title: Aid Barriers
date: September 15, 2003
report_year: 2003
policy_areas:
  - Education
  - Financial Assistance & Incentives
image_alt_text: NA
permalink: /reports/aid/
press_release: https://ncd.gov/newsroom/aid
pdf_document: /assets/aid.pdf
word_document: aid-barriers.docx
---
**College Students Share Their Stories**

Isaac Huff, Chair\\
Orange, NJ\\
Denna Lambert, Vice Chair

## Findings

Students *with* disabilities face [barriers](https://example.org) in `aid` and
the process is slow.

- First item with **bold** words.
- Second item.

| State | Students |
|-------|----------|
| AZ    | 40       |
"""


def read(tmp_path: Path, text: str, name: str = "r.md") -> tuple[dict[str, str], list[str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert doc.format == "md"
    return dict(doc.header_attributes), [doc.text[u.start : u.end] for u in doc.units]


def test_blocks_are_plain_text(tmp_path: Path) -> None:
    _, texts = read(tmp_path, REPORT)
    assert texts[0] == "College Students Share Their Stories"
    assert not any("\\" in t or "*" in t or "](" in t or "`" in t for t in texts)
    assert not any(t.strip() in {"\\", ""} for t in texts)
    assert "Findings" in texts
    assert (
        "Students with disabilities face barriers in aid and the process is slow." in texts
    )  # a soft line break is a space
    assert "First item with bold words." in texts and "Second item." in texts
    assert "State | Students" in texts and "AZ | 40" in texts
    # hard line breaks keep the lines apart, without their backslashes
    assert any(t.startswith("Isaac Huff, Chair") for t in texts)
    assert "Orange, NJ" in " ".join(texts)


def test_front_matter_keeps_the_study_attributes(tmp_path: Path) -> None:
    attributes, texts = read(tmp_path, REPORT)
    assert attributes == {
        "title": "Aid Barriers",
        "date": "September 15, 2003",
        "report_year": "2003",
        "policy_areas": "Education; Financial Assistance & Incentives",
    }
    assert not any("layout" in t or "permalink" in t for t in texts)


def test_front_matter_that_is_not_yaml_is_still_a_header(tmp_path: Path) -> None:
    attributes, texts = read(tmp_path, "---\nstate: AZ\nnote: a: b: [\n---\nSome text here.\n")
    assert attributes.get("state") == "AZ"
    assert texts == ["Some text here."]


@pytest.mark.skipif(not NCD_MD.is_file(), reason="../shared/devdata (NCD markdown) not present")
def test_real_report_markdown() -> None:
    doc = read_document(NCD_MD)
    texts = [doc.text[u.start : u.end] for u in doc.units]
    assert not any(t.strip() == "\\" or t.rstrip().endswith("\\") for t in texts)
    assert not any("**" in t for t in texts)
    assert doc.header_attributes["policy_areas"] == "Education; Financial Assistance & Incentives"
    assert "layout" not in doc.header_attributes
    assert not any(k.startswith("image") for k in doc.header_attributes)
