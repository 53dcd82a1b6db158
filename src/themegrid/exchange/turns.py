"""Which turns a coded passage lands on when it crosses turns.

A coder in MAXQDA, ATLAS.ti or Taguette often selects the interviewer's question with
the answer it drew ("I: How do you grade? R: By standards..."), for context. The theme is
in the answer: coding the question too would count the interviewer's turn in the matrix
and show "Okay." or the question as a quote of the theme. So a passage that covers any
other speaker's turn is coded on those turns only; the interviewer's turns it also covers
are left uncoded (and the import says how many). A passage wholly in interviewer turns
is coded there: it is all the coder decided, and a decision is never dropped. The
importers' ``code_interviewer_turns`` option keeps every turn a passage covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def coded_turns(
    parts: Sequence[T], is_interviewer: Callable[[T], bool], *, keep_interviewer: bool = False
) -> list[T]:
    """Of the turns (``parts``) one coded passage overlaps, those its coding lands on."""
    if keep_interviewer:
        return list(parts)
    answers = [p for p in parts if not is_interviewer(p)]
    return answers or list(parts)
