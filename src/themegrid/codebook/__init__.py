"""The codebook: its model (frozen dataclasses), YAML loading and validation without spaCy,
and self-tests (:mod:`themegrid.codebook.check`, which does load spaCy)."""

from themegrid.codebook.load import codebook_files, load_codebook
from themegrid.codebook.model import Code, Codebook, Cues

__all__ = ["Code", "Codebook", "Cues", "codebook_files", "load_codebook"]
