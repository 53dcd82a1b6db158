#!/usr/bin/env python
"""Rebuild the bundled example interviews and the corpus metadata sheet.

The interview transcripts under ``corpus/interviews/`` are INVENTED examples for the
themegrid demo (not research data). Their content lives in
``scripts/example_transcripts.yaml``; this script renders each one in its file format
(.txt in several speaker-label styles, .docx, .vtt, .srt) and writes
``corpus/metadata.csv`` (seed documents + interviews).

Usage::

    python scripts/build_example_corpus.py            # rewrite corpus/interviews/ and metadata.csv
    python scripts/build_example_corpus.py --check    # exit 1 if the committed files differ
    python scripts/build_example_corpus.py --clean    # also delete files in corpus/interviews/
                                                      # that the data file does not describe

Output is deterministic: timestamps are computed from word counts, and the .docx files
get fixed core properties and fixed zip-entry dates, so re-running gives identical bytes.
Needs PyYAML and python-docx (``pip install -e .[docx]``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import tempfile
import textwrap
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA_FILE = ROOT / "scripts" / "example_transcripts.yaml"
CORPUS = ROOT / "corpus"
INTERVIEWS = CORPUS / "interviews"
METADATA = CORPUS / "metadata.csv"

METADATA_COLUMNS = [
    "file",
    "state",
    "district",
    "role",
    "date",
    "source_type",
    "interviewers",
    "source",
    "note",
]
FORMATS = {"txt", "docx", "vtt", "srt"}
TXT_STYLES = {"colon", "otter_inline", "otter_block"}
VTT_STYLES = {"voice", "zoom"}
MIN_WORDS, MAX_WORDS = 500, 1200

WORDS_PER_SECOND = 2.6  # speaking rate used to invent timestamps
TURN_GAP = 0.7  # seconds of silence between turns
CUE_MAX_WORDS = 14  # caption cue length in words
DOCX_DATE = dt.datetime(2022, 6, 1, 9, 0, 0)  # naive: python-docx writes it as UTC
ZIP_DATE = (2022, 6, 1, 9, 0, 0)


# --------------------------------------------------------------------------- model


@dataclass
class Turn:
    speaker: str
    paragraphs: list[str]
    start: float = 0.0
    end: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(self.paragraphs)


@dataclass
class Transcript:
    file: str
    spec: dict
    notice: str
    turns: list[Turn]

    @property
    def fmt(self) -> str:
        return self.file.rsplit(".", 1)[-1].lower()

    def words(self) -> int:
        return sum(len(t.text.split()) for t in self.turns)


def _fail(msg: str) -> None:
    sys.exit(f"{DATA_FILE.relative_to(ROOT)}: {msg}")


def load(path: Path = DATA_FILE) -> tuple[dict, list[Transcript]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    notice = data["notice"]
    transcripts = []
    seen = set()
    for i, spec in enumerate(data["transcripts"]):
        name = spec.get("file") or _fail(f"transcript #{i + 1} has no 'file'")
        if name in seen:
            _fail(f"{name}: listed twice")
        seen.add(name)
        fmt = name.rsplit(".", 1)[-1].lower()
        if fmt not in FORMATS:
            _fail(f"{name}: unknown format {fmt!r} (use one of {sorted(FORMATS)})")
        style = spec.get("style")
        if fmt == "txt" and style not in TXT_STYLES:
            _fail(f"{name}: txt needs style one of {sorted(TXT_STYLES)}, got {style!r}")
        if fmt == "vtt" and style not in VTT_STYLES:
            _fail(f"{name}: vtt needs style one of {sorted(VTT_STYLES)}, got {style!r}")
        turns = []
        for j, item in enumerate(spec.get("turns") or []):
            if not isinstance(item, dict) or len(item) != 1:
                _fail(f"{name}: turn #{j + 1} must be a one-key mapping 'Speaker: text'")
            ((speaker, text),) = item.items()
            paras = [p.strip() for p in str(text).split("\n") if p.strip()]
            if not paras:
                _fail(f"{name}: turn #{j + 1} ({speaker}) is empty")
            turns.append(Turn(str(speaker), paras))
        if not turns:
            _fail(f"{name}: no turns")
        t = Transcript(name, spec, notice, turns)
        _assign_times(t)
        transcripts.append(t)
    return data, transcripts


def _assign_times(t: Transcript) -> None:
    clock = float(t.spec.get("start", 0))
    for turn in t.turns:
        turn.start = clock
        turn.end = clock + max(1.5, len(turn.text.split()) / WORDS_PER_SECOND)
        clock = turn.end + TURN_GAP


# --------------------------------------------------------------------------- helpers


def _ts(seconds: float, sep: str = ".") -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _clock_hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _clock_otter(seconds: float) -> str:
    s = int(seconds)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _chunks(text: str, max_words: int = CUE_MAX_WORDS) -> list[str]:
    """Split a turn into caption-sized pieces, preferring sentence ends."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    pieces: list[list[str]] = []
    for sentence in sentences:
        words = sentence.split()
        while len(words) > max_words:
            cut = max_words if len(words) - max_words >= 4 else len(words) - 4
            pieces.append(words[:cut])
            words = words[cut:]
        if words:
            if pieces and len(pieces[-1]) + len(words) <= max_words // 2 + 2:
                pieces[-1].extend(words)
            else:
                pieces.append(words)
    return [" ".join(p) for p in pieces]


def _cues(turn: Turn) -> list[tuple[float, float, str]]:
    pieces = _chunks(turn.text)
    total = sum(len(p.split()) for p in pieces)
    span = turn.end - turn.start
    out, clock = [], turn.start
    for p in pieces:
        dur = span * len(p.split()) / total
        out.append((clock, clock + dur, p))
        clock += dur
    return out


# --------------------------------------------------------------------------- renderers


def render_txt(t: Transcript) -> str:
    style = t.spec["style"]
    wrap = t.spec.get("wrap")
    lines = [t.notice, *t.spec.get("header", []), ""]

    def para(s: str) -> str:
        return textwrap.fill(s, width=wrap, break_on_hyphens=False) if wrap else s

    for turn in t.turns:
        n = len(turn.paragraphs)
        if style == "colon":
            lines.append(para(f"{turn.speaker}: {turn.paragraphs[0]}"))
            for extra in turn.paragraphs[1:]:
                lines += ["", para(extra)]
        elif style == "otter_inline":
            for k, p in enumerate(turn.paragraphs):
                at = turn.start + (turn.end - turn.start) * k / n
                lines.append(f"[{_clock_hms(at)}] {turn.speaker}: {p}")
        else:  # otter_block: "Name  0:03" line, then the text
            for k, p in enumerate(turn.paragraphs):
                at = turn.start + (turn.end - turn.start) * k / n
                lines += [f"{turn.speaker}  {_clock_otter(at)}", p, ""]
            continue
        lines.append("")
    lines += t.spec.get("footer", [])
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def render_vtt(t: Transcript) -> str:
    style = t.spec["style"]
    close = t.spec.get("close_voice", True)
    out = ["WEBVTT", "", f"NOTE {t.notice}", ""]
    n = 0
    for turn in t.turns:
        for start, end, text in _cues(turn):
            n += 1
            if style == "zoom":
                out += [str(n), f"{_ts(start)} --> {_ts(end)}", f"{turn.speaker}: {text}", ""]
            else:
                tail = "</v>" if close else ""
                out += [f"{_ts(start)} --> {_ts(end)}", f"<v {turn.speaker}>{text}{tail}", ""]
    return "\n".join(out)


def render_srt(t: Transcript) -> str:
    """SRT has no comments: the notice is the text of cue 1."""
    first = min(t.turns[0].start, 3.0)
    out = ["1", f"{_ts(0, ',')} --> {_ts(max(first - 0.1, 1.0), ',')}", t.notice, ""]
    n = 1
    for turn in t.turns:
        for k, (start, end, text) in enumerate(_cues(turn)):
            n += 1
            label = f"{turn.speaker}: " if k == 0 else ""  # speaker named once per turn
            out += [str(n), f"{_ts(start, ',')} --> {_ts(end, ',')}", label + text, ""]
    return "\n".join(out)


def render_docx(t: Transcript) -> bytes:
    from docx import Document  # python-docx

    doc = Document()
    props = doc.core_properties
    props.author = "themegrid example corpus"
    props.last_modified_by = "themegrid example corpus"
    props.title = f"Invented example transcript: {t.file}"
    props.subject = "themegrid demo; not research data"
    props.comments = t.notice
    props.keywords = "invented example; themegrid"
    props.created = DOCX_DATE
    props.modified = DOCX_DATE
    props.last_printed = DOCX_DATE
    props.revision = 1

    doc.add_paragraph(t.notice)
    for line in t.spec.get("header", []):
        doc.add_paragraph(line)
    doc.add_paragraph("")
    for turn in t.turns:
        p = doc.add_paragraph()
        p.add_run(f"{turn.speaker}:").bold = True
        p.add_run(f" {turn.paragraphs[0]}")
        for extra in turn.paragraphs[1:]:
            doc.add_paragraph(extra)

    raw = io.BytesIO()
    doc.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(blob: bytes) -> bytes:
    """Rewrite a zip with fixed entry dates so the bytes do not depend on the clock."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def render(t: Transcript) -> bytes:
    if t.fmt == "docx":
        return render_docx(t)
    text = {"txt": render_txt, "vtt": render_vtt, "srt": render_srt}[t.fmt](t)
    return text.encode("utf-8")


# --------------------------------------------------------------------------- metadata


def render_metadata(data: dict, transcripts: list[Transcript]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=METADATA_COLUMNS, lineterminator="\n")
    w.writeheader()
    for doc in data.get("documents", []):
        w.writerow(
            {
                "file": doc["file"],
                "state": doc.get("state", ""),
                "district": doc.get("district", ""),
                "role": "",
                "date": str(doc.get("date", "")),
                "source_type": "document review",
                "interviewers": "",
                "source": " ".join(str(doc.get("source", "")).split()),
                "note": doc.get("note", ""),
            }
        )
    for t in transcripts:
        s = t.spec
        w.writerow(
            {
                "file": f"interviews/{t.file}",
                "state": s["state"],
                "district": s.get("district", ""),
                "role": s["role"],
                "date": str(s["date"]),
                "source_type": s.get("source_type", "interview"),
                "interviewers": s.get("interviewers", ""),
                "source": "invented example",
                "note": data["note"],
            }
        )
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- main


def build(target: Path) -> dict[Path, bytes]:
    data, transcripts = load()
    problems = [
        f"{t.file}: {t.words()} words (want {MIN_WORDS}-{MAX_WORDS})"
        for t in transcripts
        if not MIN_WORDS <= t.words() <= MAX_WORDS
    ]
    if problems:
        _fail("transcript length out of range:\n  " + "\n  ".join(problems))
    files = {target / "interviews" / t.file: render(t) for t in transcripts}
    files[target / "metadata.csv"] = render_metadata(data, transcripts)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare with the files on disk")
    ap.add_argument("--clean", action="store_true", help="delete unlisted files in interviews/")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            files = build(Path(tmp))
            stale = [
                p.relative_to(tmp)
                for p, blob in files.items()
                if not (CORPUS / p.relative_to(tmp)).is_file()
                or (CORPUS / p.relative_to(tmp)).read_bytes() != blob
            ]
        if stale:
            print("out of date (run scripts/build_example_corpus.py):")
            for p in stale:
                print(f"  corpus/{p}")
            return 1
        print("corpus/interviews and corpus/metadata.csv are up to date")
        return 0

    files = build(CORPUS)
    INTERVIEWS.mkdir(parents=True, exist_ok=True)
    for path, blob in files.items():
        path.write_bytes(blob)
    extra = sorted(p for p in INTERVIEWS.iterdir() if p.is_file() and p not in files)
    for p in extra:
        if args.clean:
            p.unlink()
            print(f"removed {p.relative_to(ROOT)}")
        else:
            print(f"note: {p.relative_to(ROOT)} is not in {DATA_FILE.name} (use --clean)")
    if not args.quiet:
        _, transcripts = load()
        print(f"wrote {len(files) - 1} transcripts and corpus/metadata.csv")
        for t in transcripts:
            s = t.spec
            style = s.get("style", "bold names" if t.fmt == "docx" else "name: text")
            print(f"  {t.file:34} {s['state']:15} {s['role']:34} {t.words():5} words  {style}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
