"""Workspace accounts: ``themegrid user add NAME``; passwords kept as salted scrypt hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from themegrid.errors import WebError
from themegrid.exchange.coded import check_coder
from themegrid.exchange.labels import check_coder_known
from themegrid.project import Project
from themegrid.store import users
from themegrid.store.connection import Store, now
from themegrid.store.views import coders_with_decisions_or_views

_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def add_user(project: Project, name: str, password: str, *, new_coder: bool = False) -> str:
    """Create the account ``name``; returns the name as stored. A name that differs from an
    account's or a coder's only in case or spaces (``ana`` beside ``Ana``) is refused with
    "did you mean" unless ``new_coder``: its decisions would count as another coder's."""
    name = check_coder(name)
    if len(password) < MIN_PASSWORD:
        raise WebError(f"user {name!r}: the password needs at least {MIN_PASSWORD} characters")
    with Store(project.store_path) as store, store.transaction():
        if not new_coder:
            known = [*users.user_names(store), *coders_with_decisions_or_views(store)]
            check_coder_known(
                name, [k for k in known if k != name], insist="--new-coder", option="user add"
            )
        if not users.add_user(store, name, hash_password(password), now()):
            raise WebError(f"user {name!r} exists already in {project.store_path}")
    return name


def login(store: Store, name: str, password: str) -> bool:
    return verify_password(password, users.password_hash(store, name))


__all__ = ["add_user", "hash_password", "login", "verify_password"]
