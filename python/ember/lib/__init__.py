"""Holds ember.jar (copied here by setup.py at build time)."""
