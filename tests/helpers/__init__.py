"""Builders shared by test modules (import as ``from helpers.x import ...``)."""
