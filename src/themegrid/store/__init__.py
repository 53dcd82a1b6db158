"""The project store: the only package that speaks SQL."""
