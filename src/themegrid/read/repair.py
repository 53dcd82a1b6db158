"""Turn a file's bytes into clean text: decode, normalise, and repair mojibake.

Speed matters here: ingest must keep up with spaCy's tokenizer, so every step
has a cheap fast path. UTF-8 is tried before encoding detection, and ftfy runs
only on lines that a cheap regex flags as possible mojibake (most text never
reaches it).
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass

from themegrid.errors import InputFileError

_PLAIN_TEXT_FIX = "save it as plain text (UTF-8) from the program that made it, then add it again"

# A character that UTF-8 lead bytes become in Latin-1/cp1252 (Â..ô), followed by
# one that continuation bytes become (0x80-0xBF in Latin-1, or cp1252's
# punctuation at those positions). Real text almost never has these pairs.
_MOJIBAKE_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030"
    "\u2039\u203a\u20ac\u2122]"
)
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
_NEWLINES_RE = re.compile("\r\n?|\u2028|\u2029|\x85")
_MAX_EXAMPLES = 3


@dataclass(frozen=True)
class _Signature:
    prefix: bytes
    what: str


_BINARY_SIGNATURES = (
    _Signature(b"PK\x03\x04", "a zip archive (a .docx or .xlsx?); give it the right extension"),
    _Signature(b"%PDF", "a PDF; rename it to .pdf"),
    _Signature(
        b"\xd0\xcf\x11\xe0",
        "an old Office file (.doc/.xls); save it as .docx/.xlsx, or convert it with "
        "LibreOffice: soffice --headless --convert-to docx FILE",
    ),
    _Signature(b"{\\rtf", "an RTF file; rename it to .rtf"),
)


#: How to turn a document format we do not read into one we do (by lower-case suffix);
#: ``{soffice}`` becomes the LibreOffice command line for the file.
_CONVERSIONS = {
    ".doc": "an old Word document (.doc): convert it with LibreOffice ({soffice}) or open it "
    "in Word and save it as .docx, then move the .doc out of the corpus",
    ".dot": "an old Word template (.dot): convert it with LibreOffice ({soffice}) or save it "
    "from Word as .docx",
    ".wps": "a Microsoft Works document: convert it with LibreOffice ({soffice})",
    ".pages": "an Apple Pages document: open it in Pages and choose File > Export To > Word "
    "(.docx), then move the .pages file out of the corpus",
    ".rtfd": "a TextEdit document with attachments (.rtfd): open it in TextEdit and save a "
    "copy (File > Duplicate) as Rich Text Format (.rtf) or Word 2007 (.docx)",
}


def conversion_hint(path: str) -> str | None:
    """What a file of a format we do not read is, and how to convert it; None if we cannot say.

    ``path`` is the file as the user sees it (``corpus/interviews/P4.doc``); the
    LibreOffice command in the hint converts that file into its own folder.
    """
    folder, _, name = path.replace("\\", "/").rpartition("/")
    _, dot, suffix = name.rpartition(".")
    hint = _CONVERSIONS.get(f".{suffix.lower()}") if dot else None
    if hint is None:
        return None
    soffice = (
        f"soffice --headless --convert-to docx --outdir {shlex.quote(folder or '.')} "
        f"{shlex.quote(path)}"
    )
    return hint.format(soffice=soffice)


def decode_bytes(data: bytes, path: str) -> tuple[str, list[str]]:
    """Decode a text file's bytes; return the text and notes on what was done.

    Raises :class:`InputFileError` for binary data or undecodable bytes.
    """
    _reject_known_binary(data, path)
    text = _decode_utf8(data)
    if text is not None:
        _reject_control_characters(text, path)
        return text, []
    text = _decode_utf16(data)
    if text is not None:
        _reject_control_characters(text, path)
        return text, ["decoded as UTF-16"]
    if b"\x00" in data:
        raise InputFileError(
            path, f"contains NUL bytes, so it is a binary file, not text; {_PLAIN_TEXT_FIX}"
        )
    text, encoding = _detect(data, path)
    _reject_control_characters(text, path)
    return text, [f"decoded as {encoding}"]


def _reject_known_binary(data: bytes, path: str) -> None:
    what = known_binary(data)
    if what:
        raise InputFileError(path, f"is not plain text: it looks like {what}")


def known_binary(data: bytes) -> str | None:
    """What a file that is not text looks like by its first bytes (``"a PDF; rename it to .pdf"``)."""
    for sig in _BINARY_SIGNATURES:
        if data.startswith(sig.prefix):
            return sig.what
    return None


def _decode_utf8(data: bytes) -> str | None:
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _decode_utf16(data: bytes) -> str | None:
    """UTF-16 (Windows 'Unicode' text): by BOM, or by the pattern of NUL bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif len(data) >= 4 and data[1::2].count(0) > 0.9 * (len(data) // 2):
        encoding = "utf-16-le"
    elif len(data) >= 4 and data[0::2].count(0) > 0.9 * (len(data) // 2):
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _detect(data: bytes, path: str) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    results = list(from_bytes(data))
    if not results:
        raise InputFileError(
            path, f"is not valid text in any encoding we could detect; {_PLAIN_TEXT_FIX}"
        )
    best = results[0]
    # charset-normalizer often ties cp1250 with cp1252 on Western text; the
    # Western code page is far more common in researchers' files.
    for r in results:
        near = abs(r.chaos - best.chaos) < 0.01 and r.coherence >= best.coherence - 0.05
        if near and "cp1252" in r.could_be_from_charset:
            return data.decode("cp1252", errors="replace"), "windows-1252"
    return str(best), _encoding_name(best.encoding)


def _encoding_name(encoding: str) -> str:
    if encoding.startswith("cp125"):
        return "windows-" + encoding[2:]
    return encoding


def _reject_control_characters(text: str, path: str) -> None:
    if "\x00" in text:
        raise InputFileError(
            path, f"contains NUL characters, so it is a binary file, not text; {_PLAIN_TEXT_FIX}"
        )
    sample = text[:100_000]
    controls = len(_CONTROL_RE.findall(sample))
    if controls > max(3, len(sample) // 100):
        raise InputFileError(
            path,
            f"has {controls} control characters in its first {len(sample)} characters, "
            f"so it looks like a binary file; {_PLAIN_TEXT_FIX}",
        )


#: Invisible characters that split a word for search and cues, removed: a byte-order mark
#: left inside the text by a concatenation, and the zero-width space.
_INVISIBLE: dict[int, None] = {0xFEFF: None, 0x200B: None}


#: How :func:`repair_text`'s note on repaired mojibake begins (callers look for it).
MOJIBAKE_REPAIRED = "repaired mojibake"


def repair_text(text: str) -> tuple[str, list[str]]:
    """Normalise line endings and Unicode (NFC) and repair mojibake where it looks needed.

    Returns the text and notes: what was repaired, and warnings (starting
    ``"warning:"``) for lines that still look corrupted.
    """
    notes: list[str] = []
    if "\r" in text or not text.isascii():
        text = _NEWLINES_RE.sub("\n", text)
    if text.isascii():
        return text, notes
    text = unicodedata.normalize("NFC", text)
    invisible = sum(text.count(chr(code)) for code in _INVISIBLE)
    if invisible:  # a byte-order mark or zero-width space inside a word ("S\ufeffCOPE")
        text = text.translate(_INVISIBLE)
        notes.append(f"removed {invisible} invisible zero-width character(s) (U+FEFF, U+200B)")
    if _MOJIBAKE_RE.search(text) or _looks_bad(text):
        text, fixed, still_bad = _fix_mojibake_lines(text)
        if fixed:
            notes.append(_describe_lines(f"{MOJIBAKE_REPAIRED} on", fixed))
        if still_bad:
            notes.append(
                "warning: "
                + _describe_lines(
                    "text still looks garbled (mojibake ftfy cannot repair) on", still_bad
                )
                + "; check the source file"
            )
    if "\ufffd" in text:
        lost = [(i, line) for i, line in enumerate(text.split("\n"), 1) if "\ufffd" in line]
        notes.append(
            "warning: "
            + _describe_lines("characters were lost (U+FFFD replacement characters) on", lost)
            + "; re-export the file as UTF-8"
        )
    return text, notes


#: Non-ASCII characters of ordinary English typography (curly quotes, dashes, ellipsis,
#: no-break space, bullet): a line with no other is not worth ftfy's slower test.
_TYPOGRAPHY_ONLY_RE = re.compile(
    "[^\x00-\x7f\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0\u2022]"
)


def _looks_bad(text: str) -> bool:
    """ftfy's own test for mojibake: catches what the quick pattern above does not (text
    decoded as Mac Roman: "Dataf\u221a\u00b6reningen" for "Dataföreningen"). Only the
    lines with a non-ASCII character beyond common typography are tested (the test costs
    about a second over a million words)."""
    from ftfy.badness import is_bad

    lines = [line for line in text.split("\n") if _TYPOGRAPHY_ONLY_RE.search(line)]
    # lost characters (U+FFFD) are warned about apart
    return bool(lines) and bool(is_bad("\n".join(lines).replace("\ufffd", "")))


def _fix_mojibake_lines(text: str) -> tuple[str, list[tuple[int, str]], list[tuple[int, str]]]:
    import ftfy
    from ftfy.badness import is_bad

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        remove_control_chars=False,
        normalization="NFC",
        explain=False,
    )
    lines = text.split("\n")
    fixed: list[tuple[int, str]] = []
    still_bad: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        if not _MOJIBAKE_RE.search(line) and not _looks_bad(line):
            continue
        repaired = ftfy.fix_text(line, config)
        if repaired != line and "\n" not in repaired:
            lines[i] = repaired
            fixed.append((i + 1, repaired))
        if is_bad(lines[i]):
            still_bad.append((i + 1, lines[i]))
    return "\n".join(lines), fixed, still_bad


def _describe_lines(what: str, lines: list[tuple[int, str]]) -> str:
    numbers = ", ".join(str(n) for n, _ in lines[:_MAX_EXAMPLES])
    more = f" and {len(lines) - _MAX_EXAMPLES} more" if len(lines) > _MAX_EXAMPLES else ""
    examples = "; ".join(repr(_excerpt(line)) for _, line in lines[:_MAX_EXAMPLES])
    count = f"{len(lines)} line" + ("s" if len(lines) != 1 else "")
    return f"{what} {count} (line {numbers}{more}): {examples}"


def _excerpt(line: str, width: int = 60) -> str:
    """The line, or a window of it around the first suspicious characters."""
    line = line.strip()
    if len(line) <= width:
        return line
    match = _MOJIBAKE_RE.search(line) or re.search("\ufffd", line)
    start = max(0, match.start() - width // 3) if match else 0
    window = line[start : start + width]
    return ("…" if start else "") + window + ("…" if start + width < len(line) else "")
