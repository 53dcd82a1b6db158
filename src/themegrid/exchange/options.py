"""How another QDA tool's project lands in the store: one set of choices shared by the
REFI-QDA (``.qdpx``), Taguette and QualCoder imports, from the command line to the writer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportOptions:
    """The researcher's choices for one project import.

    - ``coder_prefix``: put before every coder name the file brings (``"nvivo:"`` keeps
      a team's NVivo coders apart from the same people coding here).
    - ``code_interviewer_turns``: a selection that covers an interviewer's question and
      the answer is coded on both turns (by default on the answer only:
      :mod:`themegrid.exchange.turns`).
    - ``new_coder``: accept a coder name that differs from a known coder's only in case
      or spaces as a different person (by default refused with "did you mean").
    """

    coder_prefix: str = ""
    code_interviewer_turns: bool = False
    new_coder: bool = False


DEFAULT_IMPORT_OPTIONS = ImportOptions()
