"""Moderation tests drive the panel as a logged-in owner: the panel's fixtures, shared."""

from tests.panel.conftest import browser_for, world  # noqa: F401 (pytest fixtures)
