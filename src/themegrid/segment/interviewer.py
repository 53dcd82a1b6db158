"""Who is the interviewer: by the label (a role word or metadata), else by who asks.

Interviewer turns are kept and shown but not coded by the machine.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace

from themegrid.models import Unit
from themegrid.segment.labels import normalise_speaker
from themegrid.segment.lexicon import names_interviewer
from themegrid.segment.paragraphs import block_spans


def is_interviewer(label: str, extra_labels: Collection[str] = ()) -> bool:
    """Whether a speaker label names the interviewer (or moderator, facilitator, Q, ...)."""
    key = normalise_speaker(label)
    if key in {normalise_speaker(x) for x in extra_labels}:
        return True
    return names_interviewer(key)


#: The least share of an interviewer's turns that end on a question: real interviewers
#: also say "Okay." and "Mm hmm." (MAXQDA's pdpilot interviews: 26-46% of Dan's turns).
MIN_QUESTION_SHARE = 0.25
#: Quotes and brackets a question may end inside (``"...right?"``, ``(why?)``).
_CLOSERS = " \t\n\"'”’)]»"


def infer_interviewers(
    turns: Iterable[tuple[str, str]], extra_labels: Collection[str] = ()
) -> frozenset[str]:
    """The labels of interviewers among ``(speaker, text)`` turns.

    Labels naming the role (or listed in metadata) win. Otherwise, among the
    speakers with two turns or more, the one who mostly asks questions is the
    interviewer (someone who speaks once, e.g. to ask the way, does not count).
    """
    asked: Counter[str] = Counter()
    spoke: Counter[str] = Counter()
    for speaker, text in turns:
        spoke[speaker] += 1
        # a turn that ends on a question: a respondent's "you know?" mid-answer is not one
        asked[speaker] += text.rstrip(_CLOSERS).endswith(("?", "？"))
    named = frozenset(s for s in spoke if is_interviewer(s, extra_labels))
    regular = [s for s in spoke if spoke[s] >= 2]
    if named or len(regular) < 2:
        return named
    rates = sorted(((asked[s] / spoke[s], s) for s in regular), reverse=True)
    (top_rate, top), (second_rate, _) = rates[0], rates[1]
    if top_rate >= MIN_QUESTION_SHARE and top_rate >= 2 * second_rate:
        return frozenset({top})
    return frozenset()


#: The speaker given to an answer found inside an interviewer's turn when the transcript
#: has several other speakers (a focus group): who said it is not known.
UNLABELLED = "(unlabelled)"
#: An interviewer's paragraph of at most this many words can hand the turn over.
HANDOVER_WORDS = 6


def split_answers(
    text: str, turns: Sequence[Unit], extra_labels: Collection[str] = ()
) -> tuple[list[Unit], list[int]]:
    """Turns with an unlabelled answer cut out of the interviewer's turn before it.

    A transcriber who forgets the respondent's label once leaves the answer inside the
    interviewer's turn, which is never coded. So where an interviewer's turn (a label
    naming the role, or listed in metadata) has a paragraph ending on a question and then
    a paragraph that is not a question (or a short handover, "Sorry, go ahead.", then a
    long paragraph that is not a question), that paragraph and the rest of the turn become a
    turn of their own: the respondent's when the transcript has one other speaker, else
    :data:`UNLABELLED`. Returns the turns and the offsets where a cut answer starts.
    """
    others = {
        normalise_speaker(u.speaker): u.speaker
        for u in turns
        if u.speaker and not is_interviewer(u.speaker, extra_labels)
    }
    answerer = next(iter(others.values())) if len(others) == 1 else UNLABELLED
    out: list[Unit] = []
    cuts: list[int] = []
    for unit in turns:
        cut = None
        if unit.speaker and is_interviewer(unit.speaker, extra_labels):
            blocks = block_spans(text, unit.start, unit.end)
            for (a, b), (c, d) in itertools.pairwise(blocks):
                first, then = text[a:b], text[c:d]
                handover = len(first.split()) <= HANDOVER_WORDS and len(then.split()) >= 25
                # right after it: a wider gap held something else (a heading, blanked)
                adjacent = text.count("\n", b, c) <= 3
                if adjacent and (_asks(first) or handover) and not _asks(then) and _speech(then):
                    cut = (b, c)
                    break
        if cut is None:
            out.append(unit)
            continue
        out.append(replace(unit, end=cut[0], t_end=None))
        out.append(Unit(cut[1], unit.end, speaker=answerer, t_end=unit.t_end))
        cuts.append(cut[1])
    return out, cuts


def _speech(paragraph: str) -> bool:
    """Reads as said, not as a heading between turns ("Wrap-up", "Task 3"): three words
    or more, and a sentence's end or eight words."""
    words = len(paragraph.split())
    return words >= 3 and (words >= 8 or paragraph.rstrip(_CLOSERS)[-1:] in ".!…")


def _asks(paragraph: str) -> bool:
    return paragraph.rstrip(_CLOSERS).endswith(("?", "？"))
