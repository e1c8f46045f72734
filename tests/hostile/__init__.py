"""Hostile and broken statements, generated on disk by the tests (issue 3)."""
