"""Screens. Each module is imported when its screen is first needed, not at start-up."""
