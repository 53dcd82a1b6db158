"""Segment ids: the one scheme every way into the store uses.

A segment id is 16 hex characters of a SHA-1 digest. It is the key that
human codings, review decisions and segment views hang on, so a formula here
never changes once ids made with it are stored: a changed formula would
orphan every coding of every existing project.

* :func:`segment_id`, for documents themegrid segments itself (``ingest``, and
  ``import-coded``, which segments the same way): the document path, the
  speaker, the text with whitespace collapsed and the ordinal of that same
  (speaker, text) among earlier segments of the document. Ids survive edits
  elsewhere in the file: editing one paragraph changes only its own
  segments' ids.
* :func:`imported_segment_id`, for segments whose span an imported project
  fixes (REFI-QDA ``.qdpx``, Taguette, QualCoder: a coded selection on no turn's
  or paragraph's text, such as a header; imported sources are otherwise segmented,
  and their segments get :func:`segment_id` for the document's stored path):
  ``refi``, the source's GUID and the span's start and end offsets. The prefix
  keeps the two schemes from ever producing the same payload.
"""

from __future__ import annotations

import hashlib


def segment_id(path: str, speaker: str, collapsed_text: str, ordinal: int) -> str:
    """The stable id: sha1 over path, speaker, collapsed text and ordinal (16 hex chars)."""
    payload = "\x1f".join((path, speaker, collapsed_text, str(ordinal)))
    return _digest(payload)


def imported_segment_id(source_guid: str, start: int, end: int) -> str:
    """The id of an imported REFI-QDA selection: sha1 of ``refi|<guid>|<start>|<end>``."""
    return _digest(f"refi|{source_guid}|{start}|{end}")


def _digest(payload: str) -> str:
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:16]
