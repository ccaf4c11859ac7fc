"""Importers: conversation transcripts from the files people already have (Claude Code,
ChatGPT, Aider, Codex CLI, plain text). Each format module exposes ``FORMAT`` (its name),
``sniff(head, path)`` (does this file look like mine? ``head`` is its first 64 KiB) and
``parse(path, problems, progress)`` (the events of ``importers.model``). No Textual here."""
