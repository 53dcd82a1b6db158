"""Figures from the store: theme matrices, inter-coder agreement, evaluation of the machine."""
