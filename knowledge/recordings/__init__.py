"""Recorded sentences: find, check, bundle and export the clerk's recordings."""
