"""The Textual UI. Everything below talks to the core only through thread workers."""
