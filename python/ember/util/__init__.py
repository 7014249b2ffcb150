"""Utilities: starting Spark with Ember's jar (``common``)."""
