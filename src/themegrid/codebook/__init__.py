"""The codebook: its model (frozen dataclasses), YAML loading and validation without spaCy, and self-tests."""
