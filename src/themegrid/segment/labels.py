"""Speaker labels in plain-text transcripts: find them and compare them.

A line that *could* start with a label (``Name:``, ``[00:01:02] Name:``, ``Name: [00:01:02]``,
``**Name:**``, ``Jane Doe  0:03`` on its own line, ...) is only a candidate.
Candidates are accepted on document-level evidence: the label recurs, carries
a timestamp, names a known role, or is listed in the metadata; a one-off
candidate counts only when it looks like a name in a document whose other
labels are already established. A long phrase before a colon is speech.
The words labels are judged by are in :mod:`themegrid.segment.lexicon`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from themegrid.models import Unit
from themegrid.segment.lexicon import (
    hearing_titles_pattern,
    is_role_word,
    names_interviewer,
    particles,
    role_words,
    stop_words,
    the_roles,
    titles,
)
from themegrid.segment.paragraphs import block_spans, paragraph_units, stripped_unit, trim_span

_TS = r"(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"  # not the tail of a longer number
#: f4/f5transkript and easytranscript: ``#00:01:23-4#`` (the digit after ``-`` is tenths).
_HASH_TS = rf"\#{_TS}(?:-\d{{1,3}})?\#"
#: Only these follow a label's colon as its start time; f4's ``I: #00:01:10-0#`` is the end of
#: an empty turn (see :func:`closing_times`).
_BR_TS_OPEN = rf"\[{_TS}\]|\({_TS}\)"
_BR_TS = rf"{_BR_TS_OPEN}|{_HASH_TS}"
_WORD0 = r"[^\W\d_][\w.'’/\-]*"  # ``/``: ``Befragte/r``, ``Interviewer/in``
_WORD = r"[^\W_][\w.'’/\-]*"
_NAME = rf"{_WORD0}(?:[ \t]{_WORD}){{0,4}}"
_ROLE_PAREN = r"\((?!\d)[^()\n:]{1,30}\)"
_BOLD = r"\*\*|__"

_INLINE_RE = re.compile(
    rf"""^[ \t]*
    (?:>>[ \t]*)?  # broadcast captions mark a change of speaker: ``>> SENATOR LEE: ...``
    (?:(?P<pre_ts>{_BR_TS}|{_TS})[ \t]+(?:[-–—][ \t]*)?)?
    (?:{_BOLD})?
    (?P<name>{_NAME})
    (?:[ \t]*(?P<paren>{_ROLE_PAREN}))?
    (?:[ \t]*(?P<post_ts>{_BR_TS}))?
    (?:{_BOLD})?
    (?:[ \t\u00a0\u202f]*:(?:{_BOLD})?(?=[ \t]|$)|[ \t]*：(?:{_BOLD})?|\t[ \t]*(?=\S)|[ \t]+[-–—](?=[ \t]))
    [ \t]*
    (?:(?P<after_ts>{_BR_TS_OPEN})[ \t]*)?  # the time after the colon: ``Jane Doe: [00:00:03] ...``
    """,
    re.M | re.X,
)
_INLINE_CJK_RE = re.compile(r"^[ \t]*(?P<name>[^\W\d_]{1,6})[ \t]*：[ \t]*", re.M)
_OWN_LINE_RE = re.compile(
    rf"""^[ \t]*
    (?:\#{{1,6}}[ \t]+)?  # a Markdown heading as the label (``### Maria Lopez``)
    (?:(?P<pre_ts>{_BR_TS}|{_TS})[ \t]+(?:[-–—][ \t]*)?)?
    (?:{_BOLD})?
    (?:\[(?P<bracket_name>{_NAME})\]|(?P<name>{_NAME})|(?P<sorted_name>{_WORD0},[ \t]+{_NAME}))
    (?:[ \t]*(?P<paren>{_ROLE_PAREN}))?
    (?:{_BOLD})?
    (?:[ \t]*(?:[-–—|][ \t]*)?(?P<post_ts>{_BR_TS}|{_TS}))?
    [ \t]*$""",
    re.M | re.X,
)
_TITLE = hearing_titles_pattern()
_CAP_WORD = r"[^\W\d_a-z](?:\.|[\w'’\-]*)"  # a capitalised word or an initial
_THE = r"(?i:the)[ \t]+"
#: Hearing and court style, a full stop after the label: ``Mr. SMITH.``, ``The CHAIRMAN.``,
#: ``Senator Lee.``, ``Q.`` / ``A.``; the words that follow start like a sentence.
_PERIOD_RE = re.compile(
    rf"""^[ \t]*
    (?P<name>(?:{_THE})?{_TITLE}\.?(?:[ \t]+{_CAP_WORD}){{1,3}}
      |{_THE}[^\W\d_a-z][\w'’\-]*(?:[ \t]+[^\W\d_a-z][\w'’\-]*)?
      |[QA])
    \.[ \t]+(?=[^\W\d_a-z]|["“‘'(\[¿¡])""",
    re.M | re.X,
)
#: A timestamp alone on its line (``[00:03:15]``, ``00:03:15``): the time of the next turn.
_TS_LINE_RE = re.compile(rf"[ \t]*(?:{_BR_TS}|{_TS})[ \t]*")
#: A chat-style user name: one lower-case token (``amy_r``, ``jdoe``, ``m.lee2``).
_HANDLE_RE = re.compile(r"[^\W\d_A-Z][^\W_A-Z]*(?:[._\-][^\W_A-Z]+)*")
_TS_PARTS_RE = re.compile(r"(\d+):(\d{2})(?::(\d{2}))?(?:(?:[.,]|-(?=\d{1,3}#))(\d+))?")
#: A timestamp closing a turn: f4's ``#00:01:23-4#`` (always), ``[00:01:23]``/``(00:01:23)``
#: (when at least two turns of the document end so).
_OPEN_TS_RE = re.compile(rf"[ \t]*(?P<ts>{_BR_TS}|{_TS})(?:[ \t]+[-–—])?[ \t]+(?=\S)")
_END_TS_RE = re.compile(rf"[ \t]*(?:(?P<hash>{_HASH_TS})|(?P<br>\[{_TS}\]|\({_TS}\)))[ \t]*\Z")
_CODE_RE = re.compile(r"[A-Z]{1,3}\d{0,3}")


@dataclass(frozen=True)
class SpeakerLabel:
    """One accepted speaker label in a text."""

    line_start: int  #: offset where the label's line begins
    content_start: int  #: offset where the speaker's words begin
    label: str  #: the label as written, without timestamps, markup or colon
    t_start: float | None = None


@dataclass(frozen=True)
class _Candidate:
    line_start: int
    content_start: int
    label: str
    key: str
    t_start: float | None
    has_ts: bool
    bare: bool  #: own-line label without colon or timestamp (``JANE DOE``)
    period: bool = False  #: label ended by a full stop (``Mr. SMITH.``, ``Q.``)
    lower_start: bool = False  #: the words after the label start with a lower-case letter


@lru_cache(maxsize=4096)
@lru_cache(maxsize=1 << 16)
def normalise_speaker(label: str) -> str:
    """A comparison key: ``INTERVIEWER 1``, ``Interviewer1`` and ``interviewer 1:`` match.

    Cached: a transcript repeats a few labels on every turn.
    """
    key = re.sub(r"[*_:：\[\]]", " ", label).casefold()
    key = re.sub(r"\s+", " ", key).strip(" .-–—")
    return re.sub(r"(?<=[^\W\d_]) (?=\d+$)", "", key)


def parse_timestamp(text: str) -> float | None:
    """Seconds in ``01:02:03``, ``1:02`` (minutes:seconds), ``00:01:02.500`` or ``#00:01:02-5#``."""
    m = _TS_PARTS_RE.search(text)
    if not m:
        return None
    a, b, c, frac = m.groups()
    seconds = int(a) * 3600 + int(b) * 60 + int(c) if c else int(a) * 60 + int(b)
    return seconds + (float("0." + frac) if frac else 0.0)


def find_labels(
    text: str, start: int = 0, end: int | None = None, known_labels: Collection[str] = ()
) -> list[SpeakerLabel]:
    """Accepted speaker labels in ``text[start:end]``, in order.

    A timestamp alone on the line before a label (``[00:03:15]``) belongs to
    that label: the turn starts there and takes its time.
    """
    end = len(text) if end is None else end
    candidates = _candidates(text, start, end)
    accepted = _accept(candidates, {normalise_speaker(x) for x in known_labels})
    return [_with_time_line(text, start, c) for c in accepted]


def _with_time_line(text: str, start: int, c: _Candidate) -> SpeakerLabel:
    label = SpeakerLabel(c.line_start, c.content_start, c.label, c.t_start)
    prev_end = text.rfind("\n", start, c.line_start)
    while prev_end > start and text[prev_end - 1] in " \t\n":
        prev_end -= 1
    if prev_end <= start:
        return label
    prev_start = max(start, text.rfind("\n", start, prev_end) + 1)
    if not _TS_LINE_RE.fullmatch(text, prev_start, prev_end):
        return label
    t_start = c.t_start if c.t_start is not None else parse_timestamp(text[prev_start:prev_end])
    return SpeakerLabel(prev_start, c.content_start, c.label, t_start)


def _candidates(text: str, start: int, end: int) -> list[_Candidate]:
    found: dict[int, _Candidate] = {}
    for m in _OWN_LINE_RE.finditer(text, start, end):
        cand = _own_line_candidate(text, m, end)
        if cand:
            found[cand.line_start] = cand
    for regex in (_INLINE_RE, _INLINE_CJK_RE, _PERIOD_RE):
        for m in regex.finditer(text, start, end):
            if m.start() not in found:
                cand = _inline_candidate(m, text, period=regex is _PERIOD_RE)
                if cand and cand.line_start not in found:
                    found[cand.line_start] = cand
    return [found[k] for k in sorted(found)]


def _inline_candidate(m: re.Match[str], text: str, *, period: bool = False) -> _Candidate | None:
    groups = m.groupdict()
    label = _label_text(groups["name"], groups.get("paren"))
    ts = groups.get("pre_ts") or groups.get("post_ts") or groups.get("after_ts")
    if not _plausible(label, bool(ts)):
        return None
    line_start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
    first = text[m.end() : m.end() + 1]
    return _Candidate(
        line_start=line_start,
        content_start=m.end(),
        label=label,
        key=normalise_speaker(label),
        t_start=parse_timestamp(ts) if ts else None,
        has_ts=bool(ts),
        bare=False,
        period=period,
        lower_start=first.islower(),
    )


def _own_line_candidate(text: str, m: re.Match[str], end: int) -> _Candidate | None:
    """A label alone on its line (``Jane Doe  0:03``, ``JANE DOE``), text on the next lines.

    ``Doe, Jane  0:00:03`` (family name first, as Teams exports) needs its timestamp.
    """
    name = m.group("name") or m.group("bracket_name") or m.group("sorted_name")
    ts = m.group("pre_ts") or m.group("post_ts")
    if m.group("sorted_name") and not ts:
        return None
    label = _label_text(name, m.group("paren"))
    if not _plausible(label, bool(ts)) or m.end() >= end:
        return None
    content_start = m.end() + 1
    while content_start < end and text[content_start] in " \t\n":
        content_start += 1
    if content_start >= end:
        return None
    bare = not ts
    # a bare label follows a blank line, unless it is in capitals (``JANE DOE`` lines
    # between single-spaced turns); either way it must recur (see ``_accept``)
    if bare and (
        len(label.split()) > 3
        or label[-1] in ".!?,;"
        or not (_blank_before(text, m.start()) or label.isupper())
    ):
        return None
    return _Candidate(
        line_start=m.start() + len(m.group(0)) - len(m.group(0).lstrip()),
        content_start=content_start,
        label=label,
        key=normalise_speaker(label),
        t_start=parse_timestamp(ts) if ts else None,
        has_ts=bool(ts),
        bare=bare,
    )


def starts_with_label(line: str) -> bool:
    """Whether one laid-out line begins a speaker's turn with its label and a colon (or a
    time): ``Jane Doe: So ...``, ``INTERVIEWER: ...``, ``[00:01:02] Ana: ...``. For readers
    that join wrapped lines into paragraphs (PDF): such a line starts a new one."""
    m = _INLINE_RE.match(line)
    if m is None:
        return False
    ts = m.group("pre_ts") or m.group("post_ts") or m.group("after_ts")
    return _plausible(_label_text(m.group("name"), m.group("paren")), bool(ts))


def is_label_line(line: str) -> bool:
    """Whether one laid-out line is a speaker label with its time and nothing else, the
    header of a turn whose words follow on the next lines (``Priya Raman  0:37``, as Otter,
    Zoom and Teams export): a reader joining wrapped lines keeps it on a line of its own."""
    m = _OWN_LINE_RE.fullmatch(line.strip())
    if m is None or not (m.group("pre_ts") or m.group("post_ts")):
        return False
    name = m.group("name") or m.group("bracket_name") or m.group("sorted_name")
    return _plausible(_label_text(name, m.group("paren")), True)


def _blank_before(text: str, pos: int) -> bool:
    if pos == 0:
        return True
    prev_end = pos - 1
    prev_start = text.rfind("\n", 0, prev_end) + 1
    return not text[prev_start:prev_end].strip()


def _label_text(name: str, paren: str | None) -> str:
    name = name.strip().rstrip("*_").strip()
    return f"{name} {paren}" if paren else name


def is_name_or_role(label: str) -> bool:
    """Whether ``label`` could be a speaker label on its own (a role or a short name).

    Lower-case chat names (``amy_r``) count only in plain text, where they must recur.
    """
    return _plausible(label, False) and not _handle_only(label)


@lru_cache(maxsize=4096)
def _plausible(label: str, has_ts: bool) -> bool:
    """Role, name-like or a chat user name, not a stop word: the per-candidate test."""
    key = normalise_speaker(label)
    if _the_role(key):
        return True
    first = key.split(" ")[0]
    if not key or first in stop_words() or re.sub(r"\d+$", "", key) in stop_words():
        return False
    return _is_role(label) or _is_name_like(label) or _is_handle(label)


def _the_role(key: str) -> bool:
    """``the chairman``, ``the witness``: a role written with the article."""
    return key.startswith("the ") and key[4:] in the_roles()


def _is_handle(label: str) -> bool:
    return len(label) <= 30 and bool(_HANDLE_RE.fullmatch(label))


@lru_cache(maxsize=4096)
def _is_role(label: str) -> bool:
    key = normalise_speaker(label)
    if is_role_word(key) or _the_role(key):
        return True
    if _CODE_RE.fullmatch(label.replace(" ", "")) and len(label) <= 5:
        return True
    paren = re.search(r"\(([^)]*)\)", label)
    return bool(paren and normalise_speaker(paren.group(1)) in role_words())


@lru_cache(maxsize=4096)
def _is_name_like(label: str) -> bool:
    label = re.sub(r"\s*\([^)]*\)$", "", label)
    words = label.split()
    if not 1 <= len(words) <= 4 or len(label) > 40:
        return False
    return all(_name_word(w, i) for i, w in enumerate(words))


def _name_word(word: str, index: int) -> bool:
    first = word[0]
    if word.casefold() in titles() or (index > 0 and word.casefold() in particles()):
        return True
    if first.isdigit():
        return index > 0 and word.isdigit()
    if first.isupper():
        return True
    caseless = first.isalpha() and not first.islower()
    return caseless and len(word) <= 6


def _accept(candidates: Sequence[_Candidate], known: set[str]) -> list[_Candidate]:
    candidates = _credible_period_labels(candidates, known)
    counts = Counter(c.key for c in candidates)
    ts_count = sum(c.has_ts for c in candidates)
    bare_keys = {c.key for c in candidates if c.bare and counts[c.key] >= 2}
    handle_keys = {c.key for c in candidates if counts[c.key] >= 2 and _handle_only(c.label)}
    paired_roles = _paired_roles(candidates)

    def strong(c: _Candidate) -> bool:
        if c.key in known:
            return True
        if c.bare:
            return len(bare_keys) >= 2 and c.key in bare_keys
        if c.has_ts and ts_count >= 2:
            return True
        if c.key in paired_roles:
            return True
        if _handle_only(c.label):
            return len(handle_keys) >= 2 and c.key in handle_keys
        return counts[c.key] >= 2 and (_is_role(c.label) or _is_name_like(c.label))

    accepted = [c for c in candidates if strong(c)]
    established = {c.key for c in accepted}
    if not established:
        return accepted
    first = accepted[0].line_start
    period_style = any(c.period for c in accepted)
    return [
        c
        for c in candidates
        if c.key in established
        or (
            c.line_start > first
            and not c.bare
            and (period_style or not c.period)
            and _one_off_ok(c)
        )
    ]


def _handle_only(label: str) -> bool:
    """A lower-case chat name that is neither a role nor name-like (``amy_r``)."""
    return _is_handle(label) and not _is_role(label)


def _credible_period_labels(candidates: Sequence[_Candidate], known: set[str]) -> list[_Candidate]:
    """Drop ``Q.`` / ``A.`` unless both recur (else they are list items or initials)."""
    counts = Counter(c.key for c in candidates if c.period and len(c.key) == 1)
    qa = counts["q"] >= 2 and counts["a"] >= 2
    return [c for c in candidates if not (c.period and len(c.key) == 1) or qa or c.key in known]


def _paired_roles(candidates: Sequence[_Candidate]) -> set[str]:
    """Role labels that count even once: an interviewer role and another role both occur.

    ``Interviewer: Go on.`` then ``Respondent: ...`` is a transcript of two turns.
    """
    roles = {c.key for c in candidates if not (c.bare or c.period) and is_role_word(c.key)}
    asks = {k for k in roles if names_interviewer(normalise_speaker(k))}
    if asks and roles - asks:
        return roles
    return set()


def _one_off_ok(c: _Candidate) -> bool:
    """A label seen once, in a document whose speakers are established: a new speaker?

    Speech after a label starts like a sentence; ``Funding: that was the big
    one`` is a colon in the middle of an answer.
    """
    words = c.label.split()
    if c.lower_start or len(words) > 3:
        return False
    return _is_role(c.label) or _is_name_like(c.label)


def find_turns(
    text: str, start: int = 0, end: int | None = None, known_labels: Collection[str] = ()
) -> list[Unit] | None:
    """Speaker turns in ``text[start:end]``, or None when it does not read as a transcript.

    It is a transcript when labels start most of its blocks (blank-line
    separated), or at least a quarter of them when there are many labels
    (long answers of several paragraphs). Text before the first label becomes
    units without a speaker.
    """
    end = len(text) if end is None else end
    labels = find_labels(text, start, end, known_labels)
    if not _reads_as_transcript(text, start, end, labels):
        return None
    units: list[Unit] = []
    if labels[0].line_start > start:
        units.extend(paragraph_units(text, start, labels[0].line_start))
    bounds = [lab.line_start for lab in labels[1:]] + [end]
    turns: list[Unit] = []
    for lab, stop in zip(labels, bounds, strict=True):
        unit = stripped_unit(text, lab.content_start, stop, speaker=lab.label, t_start=lab.t_start)
        if unit:
            turns.append(unit)
    units.extend(closing_times(text, turns))
    return units


def opening_times(text: str, units: list[Unit]) -> list[Unit]:
    """Paragraphs without speakers whose lines start with a timestamp (``[00:01:23] words``,
    as oTranscribe or Express Scribe write a speaker-less transcript): each stamped line
    starts a unit of its own, with the time as its ``t_start`` and its span after the time;
    the text is not edited. Only when at least two units, and at least half of them, would
    start so (``10:30 the bus came`` once is speech).
    """
    pieces: list[tuple[int, int, float | None]] = []
    for u in units:
        cuts = [
            (p, m)
            for p in _line_starts(text, u.start, u.end)
            if (m := _OPEN_TS_RE.match(text, p, u.end))
        ]
        if not cuts:
            pieces.append((u.start, u.end, None))
            continue
        if cuts[0][0] > u.start:
            pieces.append((u.start, cuts[0][0], None))
        bounds = [p for p, _ in cuts[1:]] + [u.end]
        for (_, m), stop in zip(cuts, bounds, strict=True):
            pieces.append((m.end(), stop, parse_timestamp(m.group("ts"))))
    stamped = sum(1 for *_, t in pieces if t is not None)
    if stamped < 2 or 2 * stamped < len(pieces):
        return units
    out: list[Unit] = []
    for start, stop, t in pieces:
        unit = stripped_unit(text, start, stop, t_start=t)
        if unit:
            out.append(unit)
    return out


def _line_starts(text: str, start: int, end: int) -> list[int]:
    """``start`` and the offset after each line break in ``text[start:end]``."""
    starts = [start]
    nl = text.find("\n", start, end)
    while nl >= 0:
        starts.append(nl + 1)
        nl = text.find("\n", nl + 1, end)
    return starts


def closing_times(text: str, turns: list[Unit]) -> list[Unit]:
    """Turns that end in a timestamp (f4's ``... #00:01:23-4#``): the time becomes the turn's
    ``t_end`` and the next turn's ``t_start`` (when it has none of its own), and the turn's
    span stops before it, so the time is not tagged or quoted. The text is not edited: the
    timestamp stays in the document text, outside the segment. ``[00:01:23]`` or
    ``(00:01:23)`` closes a turn only when at least two turns of the document end so.
    """
    ends = [
        _END_TS_RE.search(text, max(u.start, u.end - 40), u.end)
        if text[u.end - 1] in "#])"
        else None
        for u in turns
    ]
    bracketed = sum(1 for m in ends if m and m.group("br"))
    if not any(ends):
        return turns
    out: list[Unit] = []
    previous: float | None = None
    for unit, m in zip(turns, ends, strict=True):
        t_start = unit.t_start if unit.t_start is not None else previous
        if m is None or not (m.group("hash") or bracketed >= 2):
            out.append(replace(unit, t_start=t_start))
            previous = None
            continue
        previous = parse_timestamp(m.group(0))
        start, stop = trim_span(text, unit.start, m.start())
        if start < stop:  # a turn that is only a timestamp has no words to code
            out.append(replace(unit, start=start, end=stop, t_start=t_start, t_end=previous))
    return out


#: How the note on a text read as a document despite a few speaker labels begins (see
#: :func:`few_labels_note`); ingest drops it where the metadata says "document review".
FEW_LABELS_NOTE = "speaker labels start few of its paragraphs"


def few_labels_note(
    text: str, start: int = 0, end: int | None = None, known_labels: Collection[str] = ()
) -> str | None:
    """A note for a text that is not read as a transcript though labels start some of its
    paragraphs (a focus group where only ``MODERATOR:`` is marked), or None."""
    end = len(text) if end is None else end
    labels = find_labels(text, start, end, known_labels)
    if len(labels) < 2 or _reads_as_transcript(text, start, end, labels):
        return None
    names = ", ".join(Counter(lab.label for lab in labels))
    share = label_share(text, start, end, labels)
    return (
        f"{FEW_LABELS_NOTE} ({len(labels)} labels, {share:.0%} of paragraphs: {names}), so it is read"
        " as a document"
        " (paragraphs without speakers, all coded); if it is a transcript, start every turn"
        " with its speaker's label"
    )


def _reads_as_transcript(text: str, start: int, end: int, labels: list[SpeakerLabel]) -> bool:
    if len(labels) < 2:
        return False
    share = label_share(text, start, end, labels)
    return share >= 0.5 or (len(labels) >= 4 and share >= 0.25)


#: A line ending so closes its sentence: the next line of the block starts a paragraph
#: (when it is not hard-wrapped prose, where a line ends at a sentence's end only by chance).
_SENTENCE_END = frozenset(""".!?…:;"”’')]""")


def _ends_sentence(text: str, a: int, b: int) -> bool:
    """Whether the line ``text[a:b]`` (no line break in it) ends a sentence: its last
    character before trailing spaces, tabs and carriage returns is in ``_SENTENCE_END``
    (the end of the line only: a search of the whole line for it cost most of
    :func:`label_share` on long lines)."""
    line = text[a:b].rstrip(" \t\r")
    return bool(line) and line[-1] in _SENTENCE_END


def label_share(text: str, start: int, end: int, labels: Sequence[SpeakerLabel]) -> float:
    """The share of the paragraphs of ``text[start:end]`` that a speaker label starts.

    A paragraph starts at each blank-line block, at each label, and at each line after
    one that ends a sentence. Counting blocks alone made a text saved from Word as plain
    text (a paragraph a line, no blank lines: one block) a transcript as soon as a few
    lines start ``MODERATOR:``, and every unlabelled paragraph after one became the
    moderator's turn; hard-wrapped turns still count about one paragraph each.
    """
    by_line = {_line_of(text, lab.line_start): lab for lab in labels}
    paragraphs = labelled = 0
    for b_start, b_end in block_spans(text, start, end):
        ends_sentence = True  # a block starts a paragraph
        for a, b in _line_spans_in(text, b_start, b_end):
            lab = by_line.get(_line_of(text, a))
            if lab is not None:
                labelled += 1
                paragraphs += 1
            elif ends_sentence:
                paragraphs += 1
            # A label alone on its line (``Jane Doe  0:03``, ``MODERATOR:``): its words follow.
            has_words = lab is None or lab.content_start < b
            ends_sentence = has_words and _ends_sentence(text, a, b)
    return labelled / max(1, paragraphs)


def _line_of(text: str, pos: int) -> int:
    """The offset where the line holding ``pos`` begins."""
    return text.rfind("\n", 0, pos) + 1


def _line_spans_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-blank lines of ``text[start:end]`` as ``(start, end)`` offsets."""
    spans = []
    for a in _line_starts(text, start, end):
        nl = text.find("\n", a, end)
        b = end if nl < 0 else nl
        if text[a:b].strip():
            spans.append((a, b))
    return spans
