"""The ``users`` table: workspace accounts (name and salted password hash)."""

from __future__ import annotations

from themegrid.store.connection import Store


def add_user(store: Store, name: str, password_hash: str, at: str) -> bool:
    """Add an account; False (and nothing written) if the name is taken."""
    cur = store.conn.execute(
        "INSERT OR IGNORE INTO users (name, password, created_at) VALUES (?, ?, ?)",
        (name, password_hash, at),
    )
    return cur.rowcount == 1


def password_hash(store: Store, name: str) -> str | None:
    row = store.conn.execute("SELECT password FROM users WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def user_names(store: Store) -> list[str]:
    """Every account's name, in order."""
    return [str(r[0]) for r in store.conn.execute("SELECT name FROM users ORDER BY name")]


def user_count(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM users").fetchone()[0])


__all__ = ["add_user", "password_hash", "user_count", "user_names"]
