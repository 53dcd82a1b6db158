"""Stable GUIDs for REFI-QDA export, and reading the GUIDs other tools write.

Every GUID themegrid writes is a UUID5 from one fixed namespace and the thing's
identity (a code id, a document path, a segment id with code and coder), so two
exports of the same project carry the same GUIDs and a tool that re-imports
them can recognise what it already has.
"""

from __future__ import annotations

import re
import uuid

#: Fixed for ever: changing it would change every GUID themegrid has exported.
NAMESPACE = uuid.UUID("6b1e2f3a-9c4d-5e8f-a0b1-c2d3e4f5a6b7")

GUID_RE = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)


def make_guid(kind: str, *parts: str) -> str:
    """The GUID of a ``kind`` of thing ('code', 'document', ...) named by ``parts``.

    Lower-case, no braces: the form the schemas' GUID pattern accepts and most
    tools write.
    """
    name = "\x1f".join((kind, *parts))
    return str(uuid.uuid5(NAMESPACE, name))


def code_guid(code_id: str) -> str:
    return make_guid("code", code_id)


def document_guid(path: str) -> str:
    return make_guid("document", path)


def user_guid(coder: str) -> str:
    return make_guid("user", coder)


def variable_guid(name: str) -> str:
    return make_guid("variable", name)


def case_guid(path: str) -> str:
    return make_guid("case", path)


def selection_guid(segment_id: str, coder: str) -> str:
    return make_guid("selection", segment_id, coder)


def coding_guid(segment_id: str, code_id: str, coder: str) -> str:
    return make_guid("coding", segment_id, code_id, coder)


def memo_guid(kind: str, target: str, coder: str, created_at: str, text: str) -> str:
    """A memo's Note: the same memo (target, coder, time, text) always gets the same GUID."""
    return make_guid("memo", kind, target, coder, created_at, text)


def memo_selection_guid(note_guid: str) -> str:
    """The PlainTextSelection that carries a passage memo's NoteRef."""
    return make_guid("memo-selection", note_guid)


def project_guid(name: str) -> str:
    return make_guid("project", name)


def normalise_guid(value: str | None) -> str | None:
    """A GUID as other tools write it (braces or not, any case) in one canonical form.

    Returns None when ``value`` is not a GUID at all.
    """
    if value is None:
        return None
    match = GUID_RE.match(value.strip())
    return match.group(1).lower() if match else None
