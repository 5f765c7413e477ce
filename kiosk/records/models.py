"""Exports store nothing of their own."""
