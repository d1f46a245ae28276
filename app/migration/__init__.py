"""Bringing lists in from other list managers: a pure mapping from the old model to our service calls."""
