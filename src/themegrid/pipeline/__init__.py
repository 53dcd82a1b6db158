"""The commands that move files through the flow: ingest, code, status."""
