"""Tagging: the spaCy pipeline, the cue ruler and rule tagger, and the learned suggestion model."""
