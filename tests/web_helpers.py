"""Shared set-up for the workspace tests: a coded project and a logged-in TestClient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip(
    "starlette", reason="the web extra is not installed (pip install 'themegrid[web]')"
)

from starlette.testclient import TestClient

from themegrid.pipeline.coding import run_coding
from themegrid.project import Project
from themegrid.store.connection import Store
from themegrid.web.security import Secrets
from themegrid.web.server import build


def code_project(project: Project) -> None:
    with Store(project.store_path) as store:
        run_coding(project, store, project.load_codebook(), use_model=False)


@dataclass
class Served:
    app: Any
    secrets: Secrets
    store: Store
    project: Project

    def client(self, coder: str | None = "Ana") -> TestClient:
        """A browser that opened the printed URL (and chose ``coder``, unless None)."""
        c = TestClient(self.app)
        r = c.get(f"/?token={self.secrets.token}", follow_redirects=False)
        assert r.status_code == 303
        if coder is not None:
            r = c.post("/coder", data={"coder": coder, "next": "/", "csrf": self.secrets.csrf})
            assert r.status_code == 200
        return c


def serve(project: Project) -> Served:
    app, secrets_, store = build(project)
    return Served(app, secrets_, store, project)
