"""One table per language: ``<code>.py`` exposing ``LEXICON``."""
