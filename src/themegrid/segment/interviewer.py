"""Who is the interviewer: by the label (a role word or metadata), else by who asks.

Interviewer turns are kept and shown but not coded by the machine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable

from themegrid.segment.labels import normalise_speaker
from themegrid.segment.lexicon import names_interviewer


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
