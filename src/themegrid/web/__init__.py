"""``themegrid serve``: the browser workspace (needs the ``web`` extra: starlette, jinja2, uvicorn)."""
