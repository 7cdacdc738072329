"""Corpus source data folder (package so importlib.resources and wheels include it)."""
