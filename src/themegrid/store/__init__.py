"""The project store: the only package that speaks SQL.

``connection`` opens the SQLite file and runs transactions and migrations; one module
per table group holds every named write and query (``documents``, ``segments``,
``codes``, ``codings``, ``runs``, ``views``). Callers import the module they need,
e.g. ``from themegrid.store import codings``.
"""

from themegrid.store.connection import STORE_NAME, Store, dumps, loads, now

__all__ = ["STORE_NAME", "Store", "dumps", "loads", "now"]
