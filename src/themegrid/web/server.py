"""Start the workspace: check the address, open the project, print the URL, run uvicorn."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from themegrid.errors import MissingDependency, ProjectError, ThemegridError, WebError
from themegrid.project import Project
from themegrid.store import users
from themegrid.store.connection import Store

# A web write waits this long for a busy store before its retries (see web/decisions.py).
BUSY_TIMEOUT = 1.0


def _require_web() -> None:
    for module, package in (
        ("starlette", "starlette"),
        ("jinja2", "jinja2"),
        ("uvicorn", "uvicorn"),
        ("markdown_it", "markdown-it-py"),
    ):
        try:
            __import__(module)
        except ImportError as exc:
            raise MissingDependency("themegrid serve", package, "web") from exc


def build(project: Project, *, host: str = "127.0.0.1") -> tuple[Any, Any, Store]:
    """The ASGI app, its secrets and its store, for ``project``; refuses a public address."""
    _require_web()
    from themegrid.web.app import create_app
    from themegrid.web.security import Secrets, is_local

    if not project.store_path.exists():
        raise ProjectError(f"{project.root}: nothing coded yet; run 'themegrid code' first")
    codebook = project.load_codebook()
    store = Store(project.store_path, busy_timeout=BUSY_TIMEOUT)
    local = is_local(host)
    if not local and users.user_count(store) == 0:
        store.close()
        raise WebError(
            f"--host {host}: serving beyond this computer needs user accounts; add one with "
            "'themegrid user add NAME', or use --host 127.0.0.1 (the default)"
        )
    secrets_ = Secrets(accounts=not local)
    app = create_app(
        store,
        codebook,
        secrets_=secrets_,
        name=project.root.resolve().name,
        metadata_order=_metadata_order(project),
    )
    return app, secrets_, store


def _metadata_order(project: Project) -> tuple[str, ...]:
    """The case attributes of ``corpus/metadata.csv`` in header order (they choose the
    matrix's cases when no document has ``state``, as ``themegrid report`` does); none
    when the file is missing or unreadable (``themegrid ingest`` reports what is wrong)."""
    from themegrid.read.metadata import read_metadata

    if not project.metadata_path.exists():
        return ()
    try:
        return read_metadata(project.metadata_path).attribute_columns
    except (ThemegridError, OSError, UnicodeError):
        return ()


def warm_up() -> None:
    """Import now what a page would otherwise import on its first visit: the agreement
    page's figures (numpy, pandas, krippendorff, and scikit-learn for Cohen's kappa;
    scikit-learn alone costs about 1.2 s of CPU to import). Done before
    :func:`freeze_startup_heap`, so these modules' objects are frozen with the rest;
    ``benchmarks/bench_web.py`` prints the first visit's CPU time with and without."""
    from sklearn.metrics import cohen_kappa_score  # noqa: F401  (the import is the point)

    from themegrid.aggregate import agreement  # noqa: F401


def freeze_startup_heap() -> None:
    """Collect once, then move every object alive now (imported modules, the codebook,
    compiled templates: about 100,000 objects once the app is built) into the garbage
    collector's permanent generation, so a full collection during a request walks only
    what requests allocate. Measured on the 2,000-turn reader page (benchmarks/bench_web.py):
    the slowest requests' CPU time fell from about 160 ms to about 100 ms."""
    gc.collect()
    gc.freeze()


#: Addresses that mean "every interface": a browser cannot open them.
ALL_INTERFACES = frozenset({"0.0.0.0", "::", "[::]", ""})


def browser_url(host: str, port: int, path: str) -> str:
    """The URL to open for a server listening on ``host``: for 0.0.0.0 (or ``::``) the
    machine's host name, saying that it listens on every interface, with the
    127.0.0.1 address for this computer."""
    if host in ALL_INTERFACES:
        import socket

        name = socket.gethostname() or "127.0.0.1"
        local = f"http://127.0.0.1:{port}{path}"
        if name == "127.0.0.1":
            return f"{local} (listening on all interfaces)"
        return (
            f"http://{name}:{port}{path} (listening on all interfaces; on this computer: {local})"
        )
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}{path}"


def serve(
    project: Project, *, host: str, port: int, announce: Callable[[str], None] = print
) -> None:
    """Run the workspace until interrupted; ``announce`` gets the one line with the URL."""
    _require_web()
    import uvicorn

    app, secrets_, store = build(project, host=host)
    if secrets_.accounts:
        url = (
            browser_url(host, port, "/login")
            + " (log in with an account from 'themegrid user add')"
        )
    else:
        url = browser_url(host, port, f"/?token={secrets_.token}")
    warm_up()
    freeze_startup_heap()
    announce(f"themegrid workspace for {project.root.resolve()}: open {url}")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        store.close()


__all__ = ["browser_url", "build", "freeze_startup_heap", "serve", "warm_up"]
