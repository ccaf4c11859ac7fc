"""Handoff generation. No database and no Textual here: a context goes in, Markdown comes out."""
